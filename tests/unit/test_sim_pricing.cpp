#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/pricing.hpp"
#include "tests/unit/sim_fixtures.hpp"

using namespace akt;
using namespace akt::sim;
using namespace akt::sim::testing;
using util::Decimal;

namespace {

Decimal dec(const char* text) { return *Decimal::parse(text); }

// Records the request and answers what it was told to.
class FakeRunner final : public ProcessRunner {
public:
  ProcessOutput answer;
  ProcessRequest seen;
  int calls = 0;
  Result<ProcessOutput> run(const ProcessRequest& request) override {
    seen = request;
    ++calls;
    return answer;
  }
};

Pricing script_pricing(const std::string& name, int timeout_ms = 5000) {
  Pricing p;
  p.mode = Pricing::Mode::script;
  p.script = std::string(AKT_TEST_DATA) + "/sim/" + name;
  p.script_timeout = std::chrono::milliseconds(timeout_ms);
  return p;
}

} // namespace

TEST_CASE("sim::order_max_price sums unit price times count") {
  auto max = order_max_price(group({unit(1, 1000, k_gi, 3, "1.5"), unit(2, 1000, k_gi, 2, "0.25")}));
  REQUIRE(max);
  CHECK(max->denom == "uakt");
  CHECK(max->amount == dec("5"));
  auto mixed = order_max_price(group({unit(1, 1000, k_gi, 1, "1", "uakt"), unit(2, 1000, k_gi, 1, "1", "uact")}));
  REQUIRE_FALSE(mixed);
  CHECK(mixed.error().message == "the group mixes denoms uakt and uact");
}

TEST_CASE("sim::rates_price follows the reference script's targets") {
  Pricing pricing;
  SUBCASE("one CPU, 1 GiB memory, 1 GiB ephemeral disk") {
    auto g = group({unit(1, 1000, k_gi, 1)});
    CHECK(monthly_usd(pricing.rates, g).value() == dec("2.42"));
    CHECK(rates_price(pricing, g).value() == dec("5.629098251025216964"));
  }
  SUBCASE("count multiplies, GPUs priced from the model table") {
    pricing.rates.gpu_models["h100"] = dec("1500");
    auto u = unit(1, 1000, k_gi, 2);
    gpu(u, 2, {"vendor/nvidia/model/h100/ram/80Gi/interface/sxm"});
    auto g = group({u});
    CHECK(monthly_usd(pricing.rates, g).value() == dec("6004.84"));
    CHECK(rates_price(pricing, g).value() == dec("13967.700141192671007120"));
  }
  SUBCASE("unknown model takes the default GPU price; any model the highest") {
    pricing.rates.gpu_models["h100"] = dec("1500");
    auto u = unit(1, 0, 0, 1);
    u.resources.storage.clear();
    gpu(u, 1, {"vendor/nvidia/model/t4"});
    CHECK(monthly_usd(pricing.rates, group({u})).value() == dec("100"));
    u.resources.gpu.attributes = {{"vendor/nvidia/model/*", "true"}};
    CHECK(monthly_usd(pricing.rates, group({u})).value() == dec("1500"));
  }
  SUBCASE("storage classes, endpoints and leased IPs") {
    auto u = unit(1, 0, 0, 1);
    u.resources.storage = {sdl::Storage{"a", 100 * k_gi, {{"class", "beta1"}, {"persistent", "true"}}},
                           sdl::Storage{"b", 100 * k_gi, {{"class", "beta3"}, {"persistent", "true"}}}};
    u.resources.endpoints = {{sdl::EndpointKind::shared_http, 0},
                             {sdl::EndpointKind::random_port, 0},
                             {sdl::EndpointKind::leased_ip, 1}};
    // 100*0.01 + 100*0.04 + 0.05 + 5
    CHECK(monthly_usd(pricing.rates, group({u})).value() == dec("10.05"));
  }
  SUBCASE("blocks per month is configurable") {
    pricing.blocks_per_month = 1'000'000;
    CHECK(rates_price(pricing, group({unit(1, 1000, k_gi, 1)})).value() == dec("2.42"));
  }
  SUBCASE("huge rates still price exactly (slow path)") {
    pricing.rates.cpu = dec("1000000000000000");
    auto u = unit(1, 1000, 0, 1);
    u.resources.storage.clear();
    CHECK(monthly_usd(pricing.rates, group({u})).value() == dec("1000000000000000"));
    pricing.rates.cpu = dec("100000000000000000000");
    u.count = 1000000;
    CHECK_FALSE(monthly_usd(pricing.rates, group({u})));
  }
  SUBCASE("half a CPU and half a GiB") {
    CHECK(monthly_usd(pricing.rates, group({unit(1, 500, k_gi / 2, 1)})).value() == dec("1.22"));
  }
}

TEST_CASE("sim::price_script_input has the provider's shape") {
  auto u = unit(1, 1500, 2 * k_gi, 3);
  gpu(u, 1, {"vendor/nvidia/model/a100/ram/80Gi"});
  u.resources.endpoints = {{sdl::EndpointKind::random_port, 0}, {sdl::EndpointKind::leased_ip, 1}};
  auto doc = nlohmann::json::parse(price_script_input(group({u}), {"uakt", dec("12.5")}));
  const auto& r = doc["resources"][0];
  CHECK(r["cpu"] == 1500);
  CHECK(r["memory"] == 2 * k_gi);
  CHECK(r["count"] == 3);
  CHECK(r["storage"][0]["class"] == "ephemeral");
  CHECK(r["gpu"]["units"] == 1);
  CHECK(r["gpu"]["attributes"]["vendor"]["nvidia"]["model"] == "a100");
  CHECK(r["gpu"]["attributes"]["vendor"]["nvidia"]["ram"] == "80Gi");
  CHECK(r["endpoint_quantity"] == 1);
  CHECK(r["ip_lease_quantity"] == 1);
  CHECK(doc["price"]["denom"] == "uakt");
  CHECK(doc["price"]["amount"] == "12.500000000000000000");
}

TEST_CASE("sim::script_price with a fake runner") {
  FakeRunner runner;
  Pricing pricing = script_pricing("any.sh", 1234);
  auto g = group({unit(1, 1000, k_gi, 1)});
  SUBCASE("the price on stdout") {
    runner.answer.stdout_data = "0.75\n";
    CHECK(script_price(runner, pricing, g, {"uakt", dec("1")}).value() == dec("0.75"));
    CHECK(runner.seen.argv == std::vector<std::string>{pricing.script});
    CHECK(runner.seen.timeout == std::chrono::milliseconds(1234));
    CHECK(nlohmann::json::parse(runner.seen.stdin_data)["resources"].size() == 1);
  }
  SUBCASE("non-zero exit: no bid with the script's reason") {
    runner.answer.exit_code = 1;
    runner.answer.stderr_data = "too cheap\n";
    auto price = script_price(runner, pricing, g, {"uakt", dec("1")});
    REQUIRE_FALSE(price);
    CHECK(price.error().kind == ErrorKind::no_bid);
    CHECK(price.error().message == "requested rate is too low: too cheap");
  }
  SUBCASE("zero or garbage is refused") {
    runner.answer.stdout_data = "0";
    CHECK_FALSE(script_price(runner, pricing, g, {"uakt", dec("1")}));
    runner.answer.stdout_data = "free";
    auto price = script_price(runner, pricing, g, {"uakt", dec("1")});
    REQUIRE_FALSE(price);
    CHECK(price.error().message.find("not a price per block") != std::string::npos);
  }
}

TEST_CASE("sim::PosixProcessRunner runs real price scripts") {
  PosixProcessRunner runner;
  auto g = group({unit(1, 1000, k_gi, 1)});
  SUBCASE("a price") {
    auto price = script_price(runner, script_pricing("price_fixed.sh"), g, {"uakt", dec("100")});
    REQUIRE_MESSAGE(price, (price ? "" : price.error().message));
    CHECK(*price == dec("42.5"));
  }
  SUBCASE("a refusal carries stderr") {
    auto price = script_price(runner, script_pricing("price_refuse.sh"), g, {"uakt", dec("100")});
    REQUIRE_FALSE(price);
    CHECK(price.error().kind == ErrorKind::no_bid);
    CHECK(price.error().message == "requested rate is too low: GPU orders below 900 uakt are not worth it");
  }
  SUBCASE("a timeout kills the script") {
    auto start = std::chrono::steady_clock::now();
    auto price = script_price(runner, script_pricing("price_slow.sh", 200), g, {"uakt", dec("100")});
    REQUIRE_FALSE(price);
    CHECK(price.error().message == "price script timed out after 200 ms");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  }
  SUBCASE("garbage output") {
    auto price = script_price(runner, script_pricing("price_garbage.sh"), g, {"uakt", dec("100")});
    REQUIRE_FALSE(price);
    CHECK(price.error().kind == ErrorKind::failure);
  }
  SUBCASE("a missing script") {
    auto price = script_price(runner, script_pricing("missing.sh"), g, {"uakt", dec("100")});
    REQUIRE_FALSE(price);
    CHECK(price.error().message.find("cannot run") != std::string::npos);
  }
  SUBCASE("large stdin to a program that reads none") {
    ProcessRequest request;
    request.argv = {"/bin/true"};
    request.stdin_data.assign(1 << 20, 'x');
    auto out = runner.run(request);
    REQUIRE(out);
    CHECK(out->exit_code == 0);
  }
}
