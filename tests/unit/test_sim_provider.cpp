// The provider's loops against an embedded ledger and an in-memory Docker engine: bidding
// and declining, manifests, the manifest deadline, health, escrow exhaustion and the
// provider API's signatures. No Docker and no network needed.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "ledger/embedded.hpp"
#include "ledger/tx.hpp"
#include "runtime/docker/fake_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"
#include "sdl/json.hpp"
#include "sdl/sdl.hpp"
#include "sim/provider.hpp"
#include "sim/provider_api.hpp"
#include "ledger_fixture.hpp"
#include "sim_fixtures.hpp"

using namespace akt;

namespace {

using akt::testing::TempDir;

std::string sdl_text(const std::string& image, const std::string& attributes = "") {
  return "version: \"2.0\"\n"
         "services:\n"
         "  web:\n"
         "    image: " + image + "\n"
         "    expose:\n"
         "      - {port: 80, as: 80, to: [{global: true}]}\n"
         "profiles:\n"
         "  compute:\n"
         "    web:\n"
         "      resources: {cpu: {units: 0.1}, memory: {size: 64Mi}, storage: {size: 128Mi}}\n"
         "  placement:\n"
         "    dc:\n" +
         (attributes.empty() ? std::string() : "      attributes: {" + attributes + "}\n") +
         "      pricing:\n"
         "        web: {denom: uakt, amount: 10000}\n"
         "deployment:\n"
         "  web: {dc: {profile: web, count: 1}}\n";
}

struct Fixture {
  TempDir dir{"akt-simprov"};
  ledger::ManualClock clock{1'700'000'000'000};
  std::unique_ptr<ledger::EmbeddedLedger> ledger;
  ledger::PrivateKey tenant = ledger::PrivateKey::generate();
  ledger::PrivateKey provider_key = ledger::PrivateKey::generate();
  ledger::PrivateKey stranger = ledger::PrivateKey::generate();
  runtime::docker::FakeEngine engine;
  std::unique_ptr<runtime::docker::LeaseRuntime> runtime;
  sim::MemoryDecisionStore decisions;
  std::unique_ptr<sim::Provider> provider;

  Fixture() {
    ledger = ledger::testing::fresh_ledger(dir.path, clock);
    REQUIRE(ledger->fund(tenant.address(), market::Coin{"uakt", 100'000'000}));
    for (const char* ref : {"busybox", "busybox:latest", "docker.io/library/busybox:latest", "nginx",
                            "nginx:latest", "docker.io/library/nginx:latest"}) {
      engine.local_images.push_back(ref);
      engine.registry_images.push_back(ref);
    }
    runtime = std::make_unique<runtime::docker::LeaseRuntime>(engine);
    provider = make_provider(0.0);
  }

  // Provider p1; `offline` is the chance that it misses a round of the market.
  std::unique_ptr<sim::Provider> make_provider(double offline, double early_close = 0.0) {
    sim::ProviderConfig config;
    config.name = "p1";
    config.host_uri = "http://127.0.0.1:1";
    config.nodes.push_back(sim::testing::node("n1", 8000, 16 * sim::testing::k_gi));
    config.reliability.offline = offline;
    config.reliability.early_close = early_close;
    sim::ProviderSetup setup{std::move(config), provider_key, {}, dir.path / "p1"};
    std::filesystem::create_directories(setup.state_dir);
    return std::make_unique<sim::Provider>(std::move(setup), *ledger, decisions, runtime.get(), nullptr);
  }

  Result<ledger::TxReceipt> send(const ledger::PrivateKey& key, market::Msg msg) {
    return ledger->submit(ledger::sign_tx(key, "akt-test-1", ledger->account(key.address())->next_sequence,
                                          std::move(msg)));
  }

  sdl::Compiled compile(const std::string& text) {
    sdl::CompileResult r = sdl::compile(text, "test.yaml");
    REQUIRE_MESSAGE(r.ok(), (r.errors.empty() ? "" : r.errors.front().message));
    return *r.compiled;
  }

  // Creates deployment `dseq` from `text` and returns its manifest JSON.
  std::string create(std::uint64_t dseq, const std::string& text, market::Amount deposit = 5'000'000) {
    sdl::Compiled c = compile(text);
    market::MsgCreateDeployment msg;
    msg.id = market::DeploymentId{tenant.address(), dseq};
    msg.groups = c.groups;
    msg.hash = sdl::manifest_version(c.manifest);
    msg.deposit = market::Coin{"uakt", deposit};
    Result<ledger::TxReceipt> r = send(tenant, msg);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return sdl::manifest_json(c.manifest);
  }

  sim::RoundReport round() {
    Result<sim::RoundReport> r = provider->round(false);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
  }

  market::LeaseId lease_id(std::uint64_t dseq) const {
    return market::LeaseId{tenant.address(), dseq, 1, 1, provider_key.address()};
  }

  // Deployment `dseq` bid on and leased; returns the manifest JSON.
  std::string leased(std::uint64_t dseq, market::Amount deposit = 5'000'000) {
    std::string manifest = create(dseq, sdl_text("busybox"), deposit);
    round();
    Result<ledger::TxReceipt> lease = send(tenant, market::MsgCreateLease{lease_id(dseq)});
    REQUIRE_MESSAGE(lease, (lease ? "" : lease.error().message));
    return manifest;
  }

  market::Lease lease(std::uint64_t dseq) {
    Result<market::State> state = ledger->snapshot();
    REQUIRE(state);
    return state->leases.at(lease_id(dseq));
  }
  market::GroupState group_state(std::uint64_t dseq) {
    Result<market::State> state = ledger->snapshot();
    REQUIRE(state);
    return state->groups.at(market::GroupId{tenant.address(), dseq, 1}).state;
  }
  void advance_s(std::int64_t seconds) { clock.advance_ms(seconds * 1000); }
};

} // namespace

TEST_CASE("sim provider: bids on a matching order, records why it declines another") {
  Fixture f;
  f.create(1, sdl_text("busybox"));
  f.create(2, sdl_text("busybox", "region: mars"));
  sim::RoundReport report = f.round();
  CHECK(report.registered);
  REQUIRE(report.bids.size() == 1);
  CHECK(report.bids[0] == market::to_string(market::OrderId{f.tenant.address(), 1, 1, 1}));
  Result<market::State> state = f.ledger->snapshot();
  REQUIRE(state);
  CHECK(state->bids.count(f.lease_id(1)) == 1);
  CHECK(state->bids.count(f.lease_id(2)) == 0);

  Result<std::vector<sim::OrderDecision>> declined = f.decisions.for_deployment(f.tenant.address(), 2);
  REQUIRE(declined);
  REQUIRE(declined->size() == 1);
  CHECK_FALSE((*declined)[0].bid);
  CHECK((*declined)[0].provider == f.provider_key.address());
  CHECK((*declined)[0].reason.find("region") != std::string::npos);
  // Decided once: a second round does not decide (or bid) again.
  CHECK(f.round().bids.empty());
}

TEST_CASE("sim provider: a manifest that does not hash to the deployment's version is refused with the reason") {
  Fixture f;
  f.leased(1);
  std::string other = sdl::manifest_json(f.compile(sdl_text("nginx")).manifest);
  Status s = f.provider->accept_manifest(f.lease_id(1), other);
  REQUIRE_FALSE(s);
  CHECK(s.error().kind == ErrorKind::refused);
  CHECK(s.error().message.find("does not match deployment") != std::string::npos);
  CHECK(f.engine.containers.empty());
}

TEST_CASE("sim provider: no manifest by the deadline closes the lease manifest_timeout and pauses the group") {
  Fixture f;
  f.leased(1);
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::active);
  f.advance_s(301);
  sim::RoundReport report = f.round();
  REQUIRE(report.closed_leases.size() == 1);
  CHECK(f.lease(1).state == market::LeaseState::closed);
  CHECK(f.lease(1).reason == market::CloseReason::manifest_timeout);
  CHECK(f.group_state(1) == market::GroupState::paused);
}

TEST_CASE("sim provider: services down past the health window close the lease unstable and pause the group") {
  Fixture f;
  std::string manifest = f.leased(1);
  Status accepted = f.provider->accept_manifest(f.lease_id(1), manifest);
  REQUIRE_MESSAGE(accepted, (accepted ? "" : accepted.error().message));
  REQUIRE_FALSE(f.engine.containers.empty());
  f.round();
  f.advance_s(600);
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::active);  // healthy: nothing happens

  std::vector<std::string> ids;
  for (const auto& [id, c] : f.engine.containers) ids.push_back(id);
  for (const std::string& id : ids) REQUIRE(f.engine.container_stop(id, 0));
  f.round();  // unhealthy from now
  f.advance_s(100);
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::active);  // inside the window
  f.advance_s(400);
  sim::RoundReport report = f.round();
  CHECK(f.lease(1).state == market::LeaseState::closed);
  CHECK(f.lease(1).reason == market::CloseReason::unstable);
  CHECK(f.group_state(1) == market::GroupState::paused);
  CHECK(report.torn_down.size() >= 1);
  CHECK(f.engine.containers.empty());
}

TEST_CASE("sim provider: escrow running dry closes the deployment and tears the workload down") {
  Fixture f;
  std::string manifest = f.leased(1, 500'000);
  REQUIRE(f.provider->accept_manifest(f.lease_id(1), manifest));
  REQUIRE_FALSE(f.engine.containers.empty());
  f.clock.advance_ms(1'000'000'000'000);  // far more blocks than the deposit pays for
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::insufficient_funds);
  CHECK(f.lease(1).reason == market::CloseReason::insufficient_funds);
  CHECK(f.engine.containers.empty());
}

TEST_CASE("sim provider: a provider that misses the market still removes a closed deployment's containers") {
  Fixture f;
  std::string manifest = f.leased(1);
  REQUIRE(f.provider->accept_manifest(f.lease_id(1), manifest));
  REQUIRE_FALSE(f.engine.containers.empty());
  REQUIRE(f.send(f.tenant, market::MsgCloseDeployment{market::DeploymentId{f.tenant.address(), 1}}));
  f.provider = f.make_provider(1.0);  // the same provider, now missing every round
  sim::RoundReport report = f.round();
  CHECK(report.offline);
  CHECK(report.torn_down.size() == 1);
  CHECK(f.engine.containers.empty());
  CHECK(f.engine.networks.empty());
}

TEST_CASE("sim provider: early_close is a lease's chance to be closed early at all, within 3600 blocks") {
  Fixture f;
  f.provider = f.make_provider(0.0, 1.0);  // every lease ends early
  std::string manifest = f.leased(1);
  REQUIRE(f.provider->accept_manifest(f.lease_id(1), manifest));
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::active);  // not in its first block
  f.advance_s(3602);
  f.round();
  CHECK(f.lease(1).state == market::LeaseState::closed);
  CHECK(f.lease(1).reason == market::CloseReason::unstable);
}

TEST_CASE("sim provider API: unsigned and wrongly signed requests are refused") {
  Fixture f;
  f.leased(1);
  ledger::HttpRouter router = sim::provider_router(*f.provider, f.decisions, f.clock);
  market::LeaseId id = f.lease_id(1);
  std::string path = "/lease/" + id.owner + "/1/1/1/status";
  auto request = [&](const ledger::PrivateKey* key) {
    ledger::HttpRequest r;
    r.method = "GET";
    r.path = path;
    if (key) {
      std::string target = sim::signed_target(*key, "GET", path, {}, "", f.clock.now_ms());
      std::string query = target.substr(target.find('?') + 1);
      std::size_t start = 0;
      while (start <= query.size()) {
        std::size_t amp = query.find('&', start);
        std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        std::size_t eq = pair.find('=');
        if (eq != std::string::npos) r.query.emplace(pair.substr(0, eq), pair.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    return router.dispatch(r);
  };
  ledger::HttpResponse unsigned_response = request(nullptr);
  CHECK(unsigned_response.status == 401);
  CHECK(unsigned_response.body.find("unsigned") != std::string::npos);
  ledger::HttpResponse stranger_response = request(&f.stranger);
  CHECK(stranger_response.status == 403);
  CHECK(stranger_response.body.find("not the owner") != std::string::npos);
  // A signature that does not match the request.
  {
    ledger::HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.query.emplace("akt_pubkey", f.tenant.public_key().hex());
    r.query.emplace("akt_ts", std::to_string(f.clock.now_ms()));
    r.query.emplace("akt_sig", std::string(128, '0'));
    CHECK(router.dispatch(r).status == 401);
  }
  ledger::HttpResponse owner_response = request(&f.tenant);
  CHECK(owner_response.status == 200);
}

TEST_CASE("sim provider API: a provider taken down answers only /status, as an unreachable provider") {
  Fixture f;
  f.leased(1);
  bool down = true;
  ledger::HttpRouter router = sim::provider_router(*f.provider, f.decisions, f.clock, [&down] { return down; });
  market::LeaseId id = f.lease_id(1);
  ledger::HttpRequest lease_status;
  lease_status.method = "GET";
  lease_status.path = "/lease/" + id.owner + "/1/1/1/status";
  ledger::HttpResponse refused = router.dispatch(lease_status);
  CHECK(refused.status >= 500);
  CHECK(refused.body.find("\"kind\":\"unreachable\"") != std::string::npos);
  CHECK(refused.body.find("sim fault " + f.provider->name() + " up") != std::string::npos);
  ledger::HttpRequest decisions;
  decisions.method = "GET";
  decisions.path = "/decisions/" + id.owner + "/1";
  CHECK(router.dispatch(decisions).status >= 500);
  ledger::HttpRequest status;
  status.method = "GET";
  status.path = "/status";
  CHECK(router.dispatch(status).status == 200);
  down = false;
  CHECK(router.dispatch(lease_status).status == 401);  // up again: asks for the owner's signature
}
