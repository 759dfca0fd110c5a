// `sim::deploy` against an embedded ledger and simulated providers on an in-memory Docker
// engine: a provider that cannot run its group is replaced by the next-ranked bid of
// another provider, and when none can, the error lists every provider tried.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ledger/embedded.hpp"
#include "ledger/tx.hpp"
#include "runtime/docker/fake_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"
#include "sdl/json.hpp"
#include "sdl/sdl.hpp"
#include "sim/deploy.hpp"
#include "sim/provider.hpp"
#include "sim/provider_client.hpp"
#include "ledger_fixture.hpp"
#include "sim_fixtures.hpp"
#include "temp_dir.hpp"

using namespace akt;

namespace {

const char* k_sdl = R"(version: "2.0"
services:
  web:
    image: busybox
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    web:
      resources: {cpu: {units: 0.1}, memory: {size: 64Mi}, storage: {size: 128Mi}}
  placement:
    dc:
      pricing:
        web: {denom: uakt, amount: 10000}
deployment:
  web: {dc: {profile: web, count: 1}}
)";

struct Market {
  testing::TempDir dir{"akt-simdeploy"};
  ledger::ManualClock clock{1'700'000'000'000};
  std::unique_ptr<ledger::EmbeddedLedger> ledger;
  ledger::PrivateKey tenant = ledger::PrivateKey::generate();
  runtime::docker::FakeEngine engine;
  runtime::docker::LeaseRuntime runtime{engine};
  sim::MemoryDecisionStore decisions;
  std::vector<std::unique_ptr<sim::Provider>> providers;
  std::function<Status()> runtime_ready;  // unset: leases can run

  Market() {
    ledger = ledger::testing::fresh_ledger(dir.path, clock);
    REQUIRE(ledger->fund(tenant.address(), market::Coin{"uakt", 100'000'000}));
    engine.local_images.push_back("busybox");
    engine.local_images.push_back("busybox:latest");
  }

  // A provider whose CPU costs `cpu_usd` a thread-month and that fails a lease's start
  // with probability `fail`.
  sim::Provider& add(const std::string& name, const char* cpu_usd, double fail,
                     const std::vector<std::string>& denoms = {"uakt", "uact"}) {
    sim::ProviderConfig config;
    config.name = name;
    config.denoms = denoms;
    config.host_uri = "http://127.0.0.1:1";
    config.nodes.push_back(sim::testing::node("n1", 8000, 16 * sim::testing::k_gi));
    config.pricing.rates.cpu = *util::Decimal::parse(cpu_usd);
    config.reliability.fail = fail;
    sim::ProviderSetup setup{std::move(config), ledger::PrivateKey::generate(), {}, dir.path / name};
    std::filesystem::create_directories(setup.state_dir);
    providers.push_back(std::make_unique<sim::Provider>(std::move(setup), *ledger, decisions, &runtime, nullptr));
    return *providers.back();
  }

  sim::DeployHooks hooks() {
    sim::DeployHooks h;
    h.provider_round = [this] {
      for (auto& p : providers) REQUIRE(p->round(false));
    };
    h.responders = [this] { return providers.size(); };
    h.endpoint = [this](const market::Address& address) -> Result<std::unique_ptr<sim::ProviderEndpoint>> {
      for (auto& p : providers)
        if (p->address() == address) return sim::make_local_endpoint(*p, decisions);
      return make_error(ErrorKind::not_found, "no provider " + address);
    };
    h.decisions = [this](const std::string& owner, std::uint64_t dseq) {
      Result<std::vector<sim::OrderDecision>> d = decisions.for_deployment(owner, dseq);
      return d ? *d : std::vector<sim::OrderDecision>{};
    };
    h.sleep = [this](std::chrono::milliseconds d) { clock.advance_ms(d.count()); };
    h.runtime_ready = runtime_ready;
    return h;
  }

  // Deployment 7 unless the options say otherwise (nullopt: akt picks, from the clock).
  Result<sim::DeployOutcome> deploy(sim::DeployOptions options, std::optional<std::uint64_t> dseq = 7) {
    sdl::CompileResult compiled = sdl::compile(k_sdl, "web.yaml");
    REQUIRE(compiled.ok());
    sim::DeployInput input{compiled.compiled->groups, sdl::manifest_json(compiled.compiled->manifest),
                           sdl::manifest_version(compiled.compiled->manifest), "web.yaml"};
    options.dseq = dseq;
    return sim::deploy(*ledger, tenant, clock, input, options, hooks());
  }

  market::Lease lease(const market::LeaseId& id) {
    Result<market::State> state = ledger->snapshot();
    REQUIRE(state);
    REQUIRE(state->leases.count(id) == 1);
    return state->leases.at(id);
  }

  market::DeploymentState deployment_state() {
    Result<market::Deployment> d = ledger->deployment(market::DeploymentId{tenant.address(), 7});
    REQUIRE(d);
    return d->state;
  }
};

} // namespace

TEST_CASE("sim deploy: a provider that cannot run the group is replaced by the next-ranked bid") {
  Market m;
  sim::Provider& broken = m.add("cheap-but-broken", "0.5", 1.0);
  sim::Provider& good = m.add("dearer", "2", 0.0);
  Result<sim::DeployOutcome> outcome = m.deploy({});
  REQUIRE_MESSAGE(outcome, (outcome ? "" : outcome.error().message));
  REQUIRE(outcome->leases.size() == 1);
  const sim::LeaseOutcome& leased = outcome->leases.front();
  CHECK(leased.lease.id.provider == good.address());
  CHECK(leased.lease.id.oseq == 2);  // closing the first lease opened the group's next order
  REQUIRE(leased.replaced.size() == 1);
  const sim::FailedLease& failed = leased.replaced.front();
  CHECK(failed.lease.provider == broken.address());
  CHECK(failed.lease.oseq == 1);
  CHECK(failed.error.find("simulated failure") != std::string::npos);
  CHECK(m.lease(failed.lease).state == market::LeaseState::closed);
  CHECK(m.lease(failed.lease).reason == market::CloseReason::owner);
  CHECK(m.lease(leased.lease.id).state == market::LeaseState::active);
  CHECK(leased.status.status.services.at("web").available == 1);
}

TEST_CASE("sim deploy: with --attempts 1 the first provider's failure ends the deploy and closes it") {
  Market m;
  m.add("cheap-but-broken", "0.5", 1.0);
  m.add("dearer", "2", 0.0);
  sim::DeployOptions options;
  options.attempts = 1;
  Result<sim::DeployOutcome> outcome = m.deploy(options);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::provider);
  CHECK(outcome.error().message.find("cheap-but-broken") != std::string::npos);
  CHECK(outcome.error().message.find("was closed; retry with `akt deploy web.yaml`") != std::string::npos);
  CHECK(m.deployment_state() == market::DeploymentState::closed);
}

TEST_CASE("sim deploy: when every provider fails, the error lists each one tried") {
  Market m;
  m.add("broken-a", "0.5", 1.0);
  m.add("broken-b", "1", 1.0);
  m.add("broken-c", "2", 1.0);
  sim::DeployOptions options;
  options.attempts = 2;
  Result<sim::DeployOutcome> outcome = m.deploy(options);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::provider);
  const std::string& message = outcome.error().message;
  CHECK(message.find("no provider tried could run it (2 tried)") != std::string::npos);
  CHECK(message.find("broken-a") != std::string::npos);
  CHECK(message.find("broken-b") != std::string::npos);
  CHECK(message.find("broken-c") == std::string::npos);
  CHECK(m.deployment_state() == market::DeploymentState::closed);
}

TEST_CASE("sim deploy: a failing provider with no other bidder keeps its own error (exit 6, not 4)") {
  Market m;
  m.add("only-one", "1", 1.0);
  Result<sim::DeployOutcome> outcome = m.deploy({});
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::provider);
  CHECK(outcome.error().message.find("simulated failure") != std::string::npos);
  CHECK(outcome.error().message.find("no other provider to try") != std::string::npos);
}

TEST_CASE("sim deploy: a dseq picked from the clock that is taken moves to the next free one") {
  Market m;
  m.add("steady", "1", 0.0);
  const std::uint64_t now = static_cast<std::uint64_t>(m.clock.now_ms());
  Result<sim::DeployOutcome> first = m.deploy({}, now);  // another deploy, same millisecond
  REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
  Result<sim::DeployOutcome> second = m.deploy({}, std::nullopt);
  REQUIRE_MESSAGE(second, (second ? "" : second.error().message));
  CHECK(second->action == sim::DeployAction::created);
  CHECK(second->id.dseq == now + 1);
  CHECK(second->leases.size() == 1);
}

TEST_CASE("sim deploy: --select provider= an unknown provider creates nothing") {
  Market m;
  m.add("steady", "1", 0.0);
  sim::DeployOptions options;
  options.selection = sim::Selection::provider;
  options.provider = "akash1nosuchprovider";
  Result<sim::DeployOutcome> outcome = m.deploy(options);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::not_found);
  CHECK(outcome.error().message.find("no registered provider has that name or address") != std::string::npos);
  CHECK(m.ledger->deployment(market::DeploymentId{m.tenant.address(), 7}).error().kind == ErrorKind::not_found);
}

TEST_CASE("sim deploy: when the selected provider does not bid, the others' bids are passed over, by name") {
  Market m;
  sim::Provider& away = m.add("away", "1", 0.0, {"uact"});  // declines the order's uakt
  m.add("steady", "1", 0.0);
  sim::DeployOptions options;
  options.selection = sim::Selection::provider;
  options.provider = away.address();
  options.bid_window = std::chrono::milliseconds(300);
  Result<sim::DeployOutcome> outcome = m.deploy(options);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::no_bid);
  const std::string& message = outcome.error().message;
  CHECK_MESSAGE(message.find("steady: bid passed over: --select provider=" + away.address() + " picks another provider") !=
                    std::string::npos,
                message);
  CHECK(message.find("away: denom") != std::string::npos);
  CHECK(message.find("excluded: excluded") == std::string::npos);
}

TEST_CASE("sim deploy: when leases cannot run at all, no lease is taken and no provider is tried") {
  Market m;
  m.add("steady", "1", 0.0);
  m.add("other", "2", 0.0);
  m.runtime_ready = [] { return Status(make_error(ErrorKind::unreachable, "Docker does not answer")); };
  Result<sim::DeployOutcome> outcome = m.deploy({});
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == ErrorKind::unreachable);
  CHECK(outcome.error().message.find("Docker does not answer") != std::string::npos);
  CHECK(outcome.error().message.find("tried") == std::string::npos);
  Result<market::State> state = m.ledger->snapshot();
  REQUIRE(state);
  CHECK(state->leases.empty());
  CHECK(m.deployment_state() == market::DeploymentState::closed);
}
