#include <doctest/doctest.h>

#include "sim/bid_engine.hpp"
#include "tests/unit/sim_fixtures.hpp"

using namespace akt;
using namespace akt::sim;
using namespace akt::sim::testing;
using util::Decimal;

namespace {

Decimal dec(const char* text) { return *Decimal::parse(text); }

// A GPU provider in eu-west with one 4 x H100 node, beta3 storage, reference prices.
ProviderConfig gpu_provider() {
  ProviderConfig p;
  p.name = "gpu-eu";
  p.key = "gpu-eu";
  NodeConfig n = node("h1", 32000, 256 * k_gi, 4, "h100");
  n.storage[static_cast<std::size_t>(StorageClass::beta3)] = 1ULL << 40;
  p.nodes = {n};
  p.attributes = {{"region", "eu-west"}, {"tier", "premium"}, {"host", "akash"}};
  auto caps = capability_attributes(p.nodes);
  p.attributes.insert(p.attributes.end(), caps.begin(), caps.end());
  return p;
}

struct Fixture {
  ProviderConfig provider = gpu_provider();
  Inventory inventory{provider.nodes};
  std::vector<AuditorSignature> signatures;

  Decision run(const sdl::GroupSpec& g, ProcessRunner* runner = nullptr) {
    auto max = order_max_price(g);
    REQUIRE(max);
    OrderView order{g, "akash1owner/1/1/1", *max, "akash1owner"};
    BidContext ctx;
    ctx.signatures = signatures;
    ctx.scripts = runner;
    return decide(provider, inventory, order, ctx);
  }
};

class FakeRunner final : public ProcessRunner {
public:
  ProcessOutput answer;
  Result<ProcessOutput> run(const ProcessRequest&) override { return answer; }
};

} // namespace

TEST_CASE("sim::glob_match follows Go's filepath.Match") {
  CHECK(glob_match("region", "region"));
  CHECK(glob_match("reg*", "region"));
  CHECK(glob_match("*", "region"));
  CHECK_FALSE(glob_match("*", "a/b"));
  CHECK(glob_match("capabilities/gpu/vendor/nvidia/model/*", "capabilities/gpu/vendor/nvidia/model/h100"));
  CHECK_FALSE(glob_match("capabilities/gpu/vendor/nvidia/model/*", "capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi"));
  CHECK(glob_match("*/*/class", "capabilities/storage/class"));
  CHECK(glob_match("r?gion", "region"));
  CHECK_FALSE(glob_match("r?gion", "r/gion"));
  CHECK(glob_match("tier-[abc]", "tier-b"));
  CHECK_FALSE(glob_match("tier-[^abc]", "tier-b"));
  CHECK(glob_match("tier-[a-z]", "tier-q"));
  CHECK(glob_match("a\\*b", "a*b"));
  CHECK_FALSE(glob_match("a\\*b", "axb"));
  CHECK_FALSE(glob_match("[", "a"));  // malformed: matches nothing
  CHECK_FALSE(glob_match("region", "region2"));
  CHECK(glob_match("*o*n", "region"));
}

TEST_CASE("sim::attributes_subset") {
  sdl::Attributes have{{"region", "us-west"}, {"tier", "community"}, {"location-region", "na"}};
  CHECK(attributes_subset({{"region", "us-west"}}, have));
  CHECK(attributes_subset({{"*region", "na"}}, have));
  CHECK(attributes_subset({}, have));
  const sdl::Attribute* missing = nullptr;
  const sdl::Attributes required{{"region", "us-west"}, {"tier", "premium"}};  // `missing` points into it
  CHECK_FALSE(attributes_subset(required, have, &missing));
  REQUIRE(missing);
  CHECK(missing->key == "tier");
}

TEST_CASE("sim::signed_by_satisfied") {
  sdl::PlacementRequirements req;
  req.attributes = sdl::Attributes{{"region", "eu-west"}};
  std::vector<AuditorSignature> sigs{{"akash1a", {{"region", "eu-west"}, {"tier", "premium"}}},
                                     {"akash1b", {{"tier", "premium"}}}};
  std::string why;
  SUBCASE("allOf: every auditor") {
    req.signed_by.all_of = std::vector<std::string>{"akash1a"};
    CHECK(signed_by_satisfied(req, sigs, &why));
    req.signed_by.all_of = std::vector<std::string>{"akash1a", "akash1c"};
    CHECK_FALSE(signed_by_satisfied(req, sigs, &why));
    CHECK(why == "not signed by the required auditor akash1c (signedBy.allOf)");
  }
  SUBCASE("allOf: the auditor must have signed the required attributes") {
    req.signed_by.all_of = std::vector<std::string>{"akash1b"};
    CHECK_FALSE(signed_by_satisfied(req, sigs, &why));
    CHECK(why == "auditor akash1b signed this provider, but not region=eu-west (signedBy.allOf)");
  }
  SUBCASE("anyOf: at least one") {
    req.signed_by.any_of = std::vector<std::string>{"akash1c", "akash1a"};
    CHECK(signed_by_satisfied(req, sigs, &why));
    req.signed_by.any_of = std::vector<std::string>{"akash1c", "akash1b"};
    CHECK_FALSE(signed_by_satisfied(req, sigs, &why));
    CHECK(why == "not signed by any of the auditors akash1c, akash1b (signedBy.anyOf)");
  }
  SUBCASE("nothing required") { CHECK(signed_by_satisfied(req, {}, &why)); }
}

TEST_CASE("sim::signatures_of resolves auditor names to addresses") {
  NetworkConfig net;
  net.auditors = {{"aud", "aud-key", "akash1aud"}, {"noaddr", "k", ""}};
  ProviderConfig p;
  p.signatures = {{"aud", {{"region", "x"}}}, {"noaddr", {}}};
  auto sigs = signatures_of(net, p);
  REQUIRE(sigs.size() == 2);
  CHECK(sigs[0].auditor == "akash1aud");
  CHECK(sigs[1].auditor == "noaddr");
}

TEST_CASE("sim::decide bids with a price and a reservation") {
  Fixture f;
  auto u = unit(1, 2000, 8 * k_gi, 2, "10000");
  gpu(u, 1, {"vendor/nvidia/model/h100/ram/80Gi/interface/sxm"});
  Decision d = f.run(group({u}, {{"region", "eu-west"}}));
  REQUIRE_MESSAGE(d.bid, d.decline.message);
  CHECK(d.price.denom == "uakt");
  CHECK(d.price.amount == rates_price(f.provider.pricing, group({u})).value());
  CHECK(d.reservation.order_id == "akash1owner/1/1/1");
  REQUIRE(d.reservation.replicas.size() == 2);
  CHECK(d.reservation.replicas[0].gpu_ids == std::vector<std::string>{"0"});
  CHECK(d.reservation.replicas[1].gpu_ids == std::vector<std::string>{"1"});
  // decide reserves nothing by itself.
  CHECK(f.inventory.free_gpu_count(0) == 4);
  REQUIRE(f.inventory.reserve(d.reservation.order_id, d.reservation));
  CHECK(f.inventory.free_gpu_count(0) == 2);
}

TEST_CASE("sim::decide decline reasons") {
  Fixture f;
  auto base = unit(1, 1000, k_gi, 1, "1000");

  SUBCASE("offline") {
    f.provider.online = false;
    Decision d = f.run(group({base}));
    CHECK(d.decline.code == DeclineCode::offline);
    CHECK(d.decline.message == "provider gpu-eu is offline");
  }
  SUBCASE("missing attribute") {
    Decision d = f.run(group({base}, {{"region", "us-west"}}));
    CHECK_FALSE(d.bid);
    CHECK(d.decline.code == DeclineCode::missing_attribute);
    CHECK(d.decline.message == "missing attribute region=us-west (provider has region=eu-west)");
    d = f.run(group({base}, {{"datacenter", "fra1"}}));
    CHECK(d.decline.message == "missing attribute datacenter=fra1");
  }
  SUBCASE("glob attribute keys") {
    CHECK(f.run(group({base}, {{"reg*", "eu-west"}})).bid);
  }
  SUBCASE("not signed") {
    auto g = group({base}, {{"region", "eu-west"}});
    g.requirements.signed_by.all_of = std::vector<std::string>{"akash1auditor"};
    Decision d = f.run(g);
    CHECK(d.decline.code == DeclineCode::not_signed);
    CHECK(d.decline.message == "not signed by the required auditor akash1auditor (signedBy.allOf)");
    f.signatures = {{"akash1auditor", {{"region", "eu-west"}}}};
    CHECK(f.run(g).bid);
  }
  SUBCASE("storage class") {
    auto u = base;
    u.resources.storage.push_back({"data", 10 * k_gi, {{"class", "beta2"}, {"persistent", "true"}}});
    Decision d = f.run(group({u}));
    CHECK(d.decline.code == DeclineCode::storage_class);
    CHECK(d.decline.message ==
          "no storage class beta2 (persistent) among the provider's capabilities (it offers beta3)");
    u.resources.storage.back().attributes = {{"class", "beta3"}, {"persistent", "true"}};
    CHECK(f.run(group({u})).bid);
  }
  SUBCASE("GPU model, including the wildcard") {
    auto u = base;
    gpu(u, 1, {"vendor/nvidia/model/a100"});
    Decision d = f.run(group({u}));
    CHECK(d.decline.code == DeclineCode::gpu_model);
    CHECK(d.decline.message ==
          "no GPU model nvidia a100 among the provider's capabilities (it has nvidia h100 80Gi sxm)");
    u.resources.gpu.attributes = {{"vendor/nvidia/model/*", "true"}};
    CHECK(f.run(group({u})).bid);
    u.resources.gpu.attributes = {{"vendor/nvidia/model/h100/ram/40Gi", "true"}};
    CHECK(f.run(group({u})).decline.code == DeclineCode::gpu_model);
    u.resources.gpu.attributes = {{"vendor/nvidia/model/a100", "true"}, {"vendor/nvidia/model/h100", "true"}};
    CHECK(f.run(group({u})).bid);
  }
  SUBCASE("five volumes are refused, four are fine") {
    auto u = base;
    u.resources.storage.clear();
    for (int i = 0; i < 4; ++i) u.resources.storage.push_back({"v" + std::to_string(i), k_gi, {}});
    CHECK(f.run(group({u})).bid);
    u.resources.storage.push_back({"v4", k_gi, {}});
    Decision d = f.run(group({u}));
    CHECK(d.decline.code == DeclineCode::too_many_volumes);
    CHECK(d.decline.message == "resource 1 asks for 5 volumes; a provider takes at most 4 per service");
  }
  SUBCASE("no capacity") {
    auto u = base;
    gpu(u, 5, {"vendor/nvidia/model/h100"});
    Decision d = f.run(group({u}));
    CHECK(d.decline.code == DeclineCode::no_capacity);
    CHECK(d.decline.message == "no node with 5 free nvidia h100 GPUs");
    gpu(u, 2, {});
    u.resources.gpu.attributes.resize(1);
    u.count = 3;
    d = f.run(group({u}));
    CHECK(d.decline.message ==
          "no room for all 3 replicas on identical hardware (1000m CPU, 1Gi memory, 2 nvidia h100 GPUs each)");
    d = f.run(group({base, unit(2, 64000, k_gi, 1, "1000")}));
    CHECK(d.decline.message == "no node with 64000m free CPU for resource 2");
  }
  SUBCASE("denom") {
    f.provider.denoms = {"uact"};
    Decision d = f.run(group({base}));
    CHECK(d.decline.code == DeclineCode::denom);
    CHECK(d.decline.message == "denom uakt not accepted; the provider takes uact");
  }
  SUBCASE("price above the maximum") {
    // 1 CPU + 1 GiB + 1 GiB disk = 5.629098... uakt a block at the reference rates.
    Decision d = f.run(group({unit(1, 1000, k_gi, 1, "1")}));
    CHECK(d.decline.code == DeclineCode::price_too_high);
    CHECK(d.decline.message == "price floor 5.629099 uakt/block above the order maximum 1");
    CHECK(f.run(group({unit(1, 1000, k_gi, 1, "5.63")})).bid);
    CHECK_FALSE(f.run(group({unit(1, 1000, k_gi, 1, "5.629")})).bid);
  }
  SUBCASE("price script refusal") {
    f.provider.pricing.mode = Pricing::Mode::script;
    f.provider.pricing.script = "/x/price.sh";
    Decision d = f.run(group({base}));
    CHECK(d.decline.code == DeclineCode::price_script);
    FakeRunner runner;
    runner.answer.exit_code = 1;
    runner.answer.stderr_data = "below my floor";
    d = f.run(group({base}), &runner);
    CHECK(d.decline.code == DeclineCode::price_script);
    CHECK(d.decline.message == "requested rate is too low: below my floor");
    runner.answer = ProcessOutput{0, false, "3.5\n", ""};
    d = f.run(group({base}), &runner);
    REQUIRE(d.bid);
    CHECK(d.price.amount == dec("3.5"));
  }
  SUBCASE("malformed GPU attributes") {
    auto u = base;
    gpu(u, 1, {"vendor/nvidia/model/h100/speed/fast"});
    CHECK(f.run(group({u})).decline.code == DeclineCode::invalid_order);
  }
  CHECK(to_string(DeclineCode::price_too_high) == "price_too_high");
}

TEST_CASE("sim::decide over the default network") {
  NetworkConfig net = default_network();
  auto u = unit(1, 4000, 16 * k_gi, 1, "100000");
  gpu(u, 8, {"vendor/nvidia/model/h100/ram/80Gi/interface/sxm"});
  u.price.denom = "uact";
  auto g = group({u});
  auto max = order_max_price(g);
  REQUIRE(max);
  int bids = 0;
  for (const auto& p : net.providers) {
    Inventory inv(p.nodes);
    auto sigs = signatures_of(net, p);
    BidContext ctx;
    ctx.signatures = sigs;
    Decision d = decide(p, inv, OrderView{g, "o/1/1/1", *max, "o"}, ctx);
    if (d.bid) {
      ++bids;
      CHECK(p.name == "apac-h100");
      CHECK(d.reservation.replicas[0].gpu_ids.size() == 8);
    } else {
      CHECK(d.decline.code == DeclineCode::gpu_model);
    }
  }
  CHECK(bids == 1);
}
