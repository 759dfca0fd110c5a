#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "sim/config.hpp"

using namespace akt;
using namespace akt::sim;

namespace {

std::string attr(const ProviderConfig& p, std::string_view key) {
  for (const auto& a : p.attributes)
    if (a.key == key) return a.value;
  return "";
}

std::filesystem::path temp_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / (std::string("akt-test-sim-") + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

} // namespace

TEST_CASE("sim::load_config reads every field of a network file") {
  auto net = load_config(std::string(AKT_TEST_DATA) + "/sim/network.yaml");
  REQUIRE_MESSAGE(net, (net ? "" : to_string(net.error())));
  REQUIRE(net->providers.size() == 2);
  REQUIRE(net->auditors.size() == 1);
  CHECK(net->auditors[0].key == "aud-key");
  CHECK(net->auditors[0].address == "akash1auditor");
  const ProviderConfig& p = net->providers[0];
  CHECK(p.key == "p1");  // defaults to the name
  CHECK(attr(p, "region") == "us-west");
  REQUIRE(p.nodes.size() == 1);
  CHECK(p.nodes[0].cpu == 8000);
  CHECK(p.nodes[0].memory == 32ULL << 30);
  CHECK(p.nodes[0].storage[static_cast<std::size_t>(StorageClass::beta3)] == 1ULL << 40);
  REQUIRE(p.nodes[0].gpus.size() == 2);
  CHECK(p.nodes[0].gpus[1] == GpuDevice{"1", "nvidia", "h100", "80Gi", "sxm"});
  CHECK(p.pricing.rates.cpu == *util::Decimal::parse("2"));
  CHECK(p.pricing.rates.memory == reference_rates().memory);  // not given: reference
  CHECK(p.pricing.rates.gpu_models.at("h100") == *util::Decimal::parse("1500"));
  CHECK(p.denoms == std::vector<std::string>{"uakt"});
  CHECK(p.bid_timeout == std::chrono::seconds(120));
  CHECK(p.manifest_timeout == std::chrono::seconds(90));
  CHECK(p.reliability.fail == doctest::Approx(0.5));
  CHECK(p.reliability.seed == 7);
  // A relative script path is relative to the file.
  const ProviderConfig& p2 = net->providers[1];
  CHECK(p2.pricing.mode == Pricing::Mode::script);
  CHECK(p2.pricing.script == (std::filesystem::path(AKT_TEST_DATA) / "sim/price_fixed.sh").lexically_normal().string());
  CHECK(p2.pricing.script_timeout == std::chrono::milliseconds(2000));
}

TEST_CASE("sim::parse_config is strict and says where") {
  SUBCASE("unknown key with file:line:col and path") {
    auto net = parse_config("providers:\n  - name: a\n    regoin: us-west\n", "sim.yaml");
    REQUIRE_FALSE(net);
    CHECK(to_string(net.error()).rfind("sim.yaml:3:5: providers[0].regoin: unknown key \"regoin\"", 0) == 0);
  }
  SUBCASE("text that is not UTF-8") {
    auto net = parse_config("providers:\n  - name: a\xff\n", "sim.yaml");
    REQUIRE_FALSE(net);
    CHECK(to_string(net.error()).rfind("sim.yaml:2:12: invalid UTF-8", 0) == 0);
  }
  SUBCASE("unknown top-level key") {
    auto net = parse_config("provider: []\n", "sim.yaml");
    REQUIRE_FALSE(net);
    CHECK(net.error().where->line == 1);
    CHECK(net.error().message.find("unknown key \"provider\"") != std::string::npos);
  }
  SUBCASE("every error in one run") {
    auto net = parse_config("providers:\n  - name: a\n    nodes:\n      - {name: n, cpu: lots, memory: 1GB}\n",
                            "sim.yaml");
    REQUIRE_FALSE(net);
    const std::string text = to_string(net.error());
    CHECK(text.find("providers[0].nodes[0].cpu: expected a non-negative whole number, got \"lots\"") !=
          std::string::npos);
    CHECK(text.find("sim.yaml:4:38: providers[0].nodes[0].memory: expected a size such as 512Mi") !=
          std::string::npos);
  }
  SUBCASE("bad values") {
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    reliability: {fail: 1.5}\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    denoms: [\"1x\"]\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    timeouts: {bid: soon}\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    online: yes\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    pricing: {rates: {cpu: \"-1\"}}\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n  - name: a\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    host_uri: localhost:8443\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    nodes:\n      - {name: n, cpu: 1, memory: 1Gi, gpus: "
                             "[{id: \"0\", model: a}, {id: \"0\", model: a}]}\n",
                             "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    nodes:\n      - {name: n, cpu: 1, memory: 1Gi, gpus: "
                             "[{id: \"0\", model: a, interface: nvlink}]}\n",
                             "x"));
  }
  SUBCASE("signature by an unknown auditor") {
    auto net = parse_config("providers:\n  - name: a\n    signatures:\n      - {auditor: ghost}\n", "x");
    REQUIRE_FALSE(net);
    CHECK(net.error().message.find("unknown auditor \"ghost\"") != std::string::npos);
  }
  SUBCASE("duplicate keys") {
    auto net = parse_config("providers:\n  - name: a\n    name: b\n", "x");
    REQUIRE_FALSE(net);
    CHECK(net.error().message.find("duplicate key") != std::string::npos);
  }
  SUBCASE("yaml syntax error has a position") {
    auto net = parse_config("providers: [\n", "x");
    REQUIRE_FALSE(net);
    CHECK(net.error().where->line >= 1);
  }
  SUBCASE("empty file") { CHECK_FALSE(parse_config("", "x")); }
  SUBCASE("odd shapes are refused, never crash") {
    CHECK_FALSE(parse_config("- 1\n- 2\n", "x"));
    CHECK_FALSE(parse_config("just text", "x"));
    CHECK_FALSE(parse_config("providers: 3\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - [1, 2]\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    nodes: [{name: n, cpu: 99999999999999999999999, memory: 1Gi}]\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    nodes: [{name: n, cpu: 1, memory: 99999999999Pi}]\n", "x"));
    CHECK_FALSE(parse_config("providers:\n  - name: a\n    attributes: {region: [x]}\n", "x"));
    CHECK_FALSE(parse_config(std::string(100000, '[') , "x"));
  }
}

TEST_CASE("sim::save_config round-trips") {
  auto dir = temp_dir("roundtrip");
  NetworkConfig net = default_network();
  net.providers[0].pricing.mode = Pricing::Mode::script;
  net.providers[0].pricing.script = "/opt/price.sh";
  net.providers[1].online = false;
  net.auditors[0].address = "akash1xyz";
  REQUIRE(save_config(net, dir / "sim.yaml"));
  auto back = load_config(dir / "sim.yaml");
  REQUIRE_MESSAGE(back, (back ? "" : to_string(back.error())));
  CHECK(*back == net);
  std::filesystem::remove_all(dir);
}

TEST_CASE("sim::load_config on a missing file says how to create it") {
  auto net = load_config("/nonexistent/sim.yaml");
  REQUIRE_FALSE(net);
  CHECK(net.error().kind == ErrorKind::not_found);
  CHECK(net.error().message.find("akt sim init") != std::string::npos);
}

TEST_CASE("sim::default_network differs as real providers do") {
  NetworkConfig net = default_network(9000);
  REQUIRE(net.providers.size() >= 4);
  std::set<std::string> regions, names, hosts;
  bool cpu_only = false, rtx4090 = false, a100 = false, h100 = false, audited = false, unaudited = false;
  for (const auto& p : net.providers) {
    regions.insert(attr(p, "region"));
    names.insert(p.name);
    hosts.insert(p.host_uri);
    bool gpus = false;
    for (const auto& n : p.nodes)
      for (const auto& g : n.gpus) {
        gpus = true;
        rtx4090 |= g.model == "rtx4090";
        a100 |= g.model == "a100" && g.ram == "80Gi";
        h100 |= g.model == "h100" && g.interface == "sxm";
      }
    cpu_only |= !gpus;
    (p.signatures.empty() ? unaudited : audited) = true;
    CHECK(!p.key.empty());
    CHECK(!p.denoms.empty());
    CHECK(p.host_uri.rfind("http://127.0.0.1:9", 0) == 0);
  }
  CHECK(regions.size() >= 3);
  CHECK(names.size() == net.providers.size());
  CHECK(hosts.size() == net.providers.size());
  CHECK(cpu_only);
  CHECK(rtx4090);
  CHECK(a100);
  CHECK(h100);
  CHECK(audited);
  CHECK(unaudited);
  CHECK(net.providers[0].pricing.rates.cpu != net.providers[2].pricing.rates.cpu);
  CHECK(net.providers[0].reliability != net.providers[2].reliability);
  // The H100 host advertises its GPU the way Akash providers do.
  const ProviderConfig* h = find_provider(net, "apac-h100");
  REQUIRE(h);
  CHECK(attr(*h, "capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm") == "true");
  CHECK(attr(*h, "capabilities/gpu/vendor/nvidia/model/h100") == "true");
  // It survives its own strict parser.
  auto parsed = parse_config(to_yaml(net), "default");
  REQUIRE_MESSAGE(parsed, (parsed ? "" : to_string(parsed.error())));
  CHECK(*parsed == net);
}

TEST_CASE("sim durations and blocks") {
  CHECK(parse_duration("5m") == std::chrono::seconds(300));
  CHECK(parse_duration("1h30m") == std::chrono::seconds(5400));
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("m"));
  CHECK_FALSE(parse_duration("5d"));
  CHECK(format_duration(std::chrono::seconds(300)) == "5m");
  CHECK(format_duration(std::chrono::seconds(90)) == "90s");
  CHECK(blocks_for(std::chrono::seconds(300), std::chrono::milliseconds(1000)) == 300);
  CHECK(blocks_for(std::chrono::seconds(300), std::chrono::milliseconds(6000)) == 50);
  CHECK(blocks_for(std::chrono::seconds(10), std::chrono::milliseconds(6000)) == 2);
}

TEST_CASE("sim::capability_attributes") {
  NodeConfig n;
  n.storage[static_cast<std::size_t>(StorageClass::beta2)] = 1;
  n.storage[static_cast<std::size_t>(StorageClass::ram)] = 1;
  n.gpus.push_back({"0", "nvidia", "a100", "80Gi", "pcie"});
  auto caps = capability_attributes({n});
  auto has = [&](std::string key, std::string value) {
    return std::any_of(caps.begin(), caps.end(), [&](const auto& a) { return a.key == key && a.value == value; });
  };
  CHECK(has("capabilities/storage/1/class", "beta2"));
  CHECK(has("capabilities/storage/1/persistent", "true"));
  CHECK(has("capabilities/storage/2/class", "ram"));
  CHECK(has("capabilities/storage/2/persistent", "false"));
  CHECK(has("capabilities/gpu/vendor/nvidia/model/a100", "true"));
  CHECK(has("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "true"));
  CHECK(has("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi/interface/pcie", "true"));
  CHECK(has("capabilities/gpu/vendor/nvidia/model/a100/interface/pcie", "true"));
}
