#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "sdl/json.hpp"
#include "sdl_corpus.hpp"
#include "util/hash.hpp"

using namespace akt::sdl;
namespace fs = std::filesystem;

namespace {

std::string data(const std::string& name) { return akt::test::read_text(fs::path(AKT_TEST_DATA) / "sdl" / name); }

// The bytes Go hashes for tests/data/sdl/manifest-web.json (sorted keys, Go escaping).
const std::string k_web_manifest =
    R"([{"name":"dcloud","services":[{"args":null,"command":["/bin/sh","-c"],"count":2,)"
    R"("credentials":{"email":"","host":"ghcr.io","password":"s3cret","username":"bot"},)"
    "\"env\":[\"GREETING=h\xC3\xA9llo\\u2028world\",\"TAB=a\\tb\"],"
    R"("expose":[{"endpointSequenceNumber":1,"externalPort":0,"global":true,"hosts":["shop.example.com"],)"
    R"("httpOptions":{"maxBodySize":1048576,"nextCases":["error","timeout"],"nextTimeout":0,"nextTries":3,)"
    R"("proxyBufferSize":8192,"readTimeout":60000,"sendTimeout":60000},"ip":"myip","port":80,"proto":"TCP","service":""}],)"
    R"("image":"ghcr.io/acme/shop:1.4 \u003cbeta\u003e \u0026 co","name":"web",)"
    R"("params":{"permissions":{"read":["logs"]},"storage":[{"mount":"/var/lib/data","name":"data","readOnly":false}],)"
    R"("tee":{"attestation":true,"type":"cpu"}},)"
    R"("resources":{"cpu":{"attributes":[{"key":"arch","value":"amd64"}],"units":{"val":"500"}},)"
    R"("endpoints":[{"sequence_number":0},{"kind":2,"sequence_number":1}],)"
    R"("gpu":{"attributes":[{"key":"vendor/nvidia/model/h100","value":"true"}],"units":{"val":"1"}},"id":1,)"
    R"("memory":{"size":{"val":"536870912"}},"storage":[{"name":"default","size":{"val":"1073741824"}},)"
    R"({"attributes":[{"key":"class","value":"beta3"},{"key":"persistent","value":"true"}],"name":"data",)"
    R"("size":{"val":"10737418240"}}]}}]}])";

Manifest one_service(std::string image) {
  Service s;
  s.name = "web";
  s.image = std::move(image);
  s.resources.id = 1;
  ManifestGroup g{"akash", {s}};
  return {g};
}

std::string image_json(const std::string& image) {
  const std::string json = manifest_json(one_service(image));
  const std::string key = "\"image\":";
  const auto start = json.find(key) + key.size();
  return json.substr(start, json.find(",\"name\":", start) - start);
}

} // namespace

TEST_CASE("sdl::manifest_json writes the bytes Go hashes") {
  auto manifest = manifest_from_json(data("manifest-web.json"));
  REQUIRE_MESSAGE(manifest, (manifest ? "" : akt::to_string(manifest.error())));
  CHECK(manifest_json(*manifest) == k_web_manifest);
  CHECK(manifest_version(*manifest) == "5f0713e3849d74bac0bed00b220d39982b5e9809e33b7d7e265a6461bee47cae");
  CHECK(manifest_version(*manifest) == akt::util::sha256_hex(k_web_manifest));
  // Decoding the sorted bytes gives the same manifest back.
  auto again = manifest_from_json(k_web_manifest);
  REQUIRE(again);
  CHECK(*again == *manifest);
}

TEST_CASE("sdl::manifest_json escapes strings as Go's encoding/json") {
  CHECK(image_json("nginx:1.25") == R"("nginx:1.25")");
  CHECK(image_json("<>&") == R"("\u003c\u003e\u0026")");
  CHECK(image_json("q\"b\\") == R"("q\"b\\")");
  CHECK(image_json("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(image_json(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\x7f\"");
  CHECK(image_json(std::string("\0", 1)) == R"("\u0000")");
  CHECK(image_json("\xE2\x80\xA8\xE2\x80\xA9") == R"("\u2028\u2029")");
  CHECK(image_json("caf\xC3\xA9 \xF0\x9F\x9A\x80") == "\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"");
  // Invalid UTF-8: each bad byte becomes U+FFFD (Go writes \ufffd, SortJSON re-encodes it raw).
  CHECK(image_json("a\xFF" "b") == "\"a\xEF\xBF\xBD" "b\"");
  CHECK(image_json("\xE2\x82") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(image_json("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  CHECK(image_json("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  CHECK(image_json("\xF4\x90\x80\x80") ==
        "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // above U+10FFFF
}

TEST_CASE("sdl::manifest_json keeps Go's null, [] and omitted fields") {
  Manifest m = one_service("x");
  Service& s = m[0].services[0];
  CHECK(manifest_json(m).find(R"("args":null,"command":null,"count":0,"credentials":null,"env":null,"expose":[])") !=
        std::string::npos);
  CHECK(manifest_json(m).find("params") == std::string::npos);
  s.command = std::vector<std::string>{};
  s.params = ServiceParams{};
  s.params->permissions = Permissions{};
  CHECK(manifest_json(m).find(R"("command":[])") != std::string::npos);
  CHECK(manifest_json(m).find(R"("params":{"permissions":{},"storage":null})") != std::string::npos);
  s.resources.endpoints.push_back(Endpoint{EndpointKind::random_port, 0});
  CHECK(manifest_json(m).find(R"("endpoints":[{"kind":1,"sequence_number":0}])") != std::string::npos);
}

TEST_CASE("sdl::groups_json writes Go's group spec shape") {
  auto groups = groups_from_json(data("groups-web.json"));
  REQUIRE_MESSAGE(groups, (groups ? "" : akt::to_string(groups.error())));
  REQUIRE(groups->size() == 1);
  const std::string expected =
      R"([{"name":"dcloud","requirements":{"attributes":[{"key":"region","value":"us-west"},{"key":"tier"}],)"
      R"("signed_by":{"all_of":null,"any_of":["akash1365yvmc4s7awdyj3n2sav7xfx76adc6dnmlx63"]}},)"
      R"("resources":[{"count":3,"price":{"amount":"1000.500000000000000000","denom":"uakt"},)"
      R"("resource":{"cpu":{"units":{"val":"500"}},"endpoints":[{"sequence_number":0}],"gpu":{"units":{"val":"0"}},)"
      R"("id":1,"memory":{"size":{"val":"536870912"}},"storage":[{"name":"default","size":{"val":"1073741824"}}]}}]}])";
  CHECK(groups_json(*groups) == expected);
  CHECK(group_json((*groups)[0]) == expected.substr(1, expected.size() - 2));
  auto one = group_from_json(group_json((*groups)[0]));
  REQUIRE(one);
  CHECK(*one == (*groups)[0]);
  CHECK(one->resources[0].price.amount.to_string() == "1000.500000000000000000");
}

TEST_CASE("sdl::*_from_json refuse what Go's types cannot hold") {
  auto error_of = [](auto result) { return result ? std::string("accepted") : akt::to_string(result.error()); };
  const std::string web = data("manifest-web.json");
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = web;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  CHECK(error_of(manifest_from_json(replaced(R"("count": 2,)", R"("count": 2, "replicas": 1,)"))) ==
        R"(manifest[0].services[0].replicas: unknown field "replicas")");
  CHECK(error_of(manifest_from_json(replaced(R"("count": 2,)", R"("count": "2",)"))) ==
        "manifest[0].services[0].count: expected an integer from 0 to 4294967295");
  CHECK(error_of(manifest_from_json(replaced(R"("count": 2,)", R"("count": 4294967296,)"))) ==
        "manifest[0].services[0].count: expected an integer from 0 to 4294967295");
  CHECK(error_of(manifest_from_json(replaced(R"("count": 2,)", R"("count": -1,)"))) ==
        "manifest[0].services[0].count: expected an integer from 0 to 4294967295");
  CHECK(error_of(manifest_from_json(replaced(R"("count": 2,)", ""))) ==
        R"(manifest[0].services[0]: missing field "count")");
  CHECK(error_of(manifest_from_json(replaced(R"({"val": "500"})", R"({"val": 500})"))) ==
        "manifest[0].services[0].resources.cpu.units.val: expected a string, got a number");
  CHECK(error_of(manifest_from_json(replaced(R"({"val": "500"})", R"({"val": "-5"})"))) ==
        R"(manifest[0].services[0].resources.cpu.units.val: expected a decimal integer from 0 to 18446744073709551615 in a string, got "-5")");
  CHECK(error_of(manifest_from_json(replaced(R"("kind": 2,)", R"("kind": 7,)"))) ==
        "manifest[0].services[0].resources.endpoints[1].kind: unknown endpoint kind 7 (0 shared HTTP, 1 random port, 2 leased IP)");
  CHECK(error_of(manifest_from_json(replaced(R"("global": true,)", R"("global": "yes",)"))) ==
        "manifest[0].services[0].expose[0].global: expected true or false, got a string");
  CHECK(error_of(manifest_from_json(replaced(R"("storage": [)", R"("storage": null, "x": [)"))) ==
        "manifest[0].services[0].resources.x: unknown field \"x\"");
  CHECK(error_of(manifest_from_json("{}")) == "manifest: expected an array, got an object");
  CHECK(error_of(manifest_from_json("[")) .rfind("<json>:1:2: invalid JSON: ", 0) == 0);
  CHECK(error_of(manifest_from_json("[1,\n x]")).rfind("<json>:2:2: invalid JSON: ", 0) == 0);
  CHECK(error_of(manifest_from_json(std::string(100, '[') + std::string(100, ']'))) ==
        "<json>:1:65: JSON nested deeper than 64 levels");
  CHECK(error_of(groups_from_json(R"([{"name":"a","requirements":{"signed_by":{"all_of":null,"any_of":null},)"
                                  R"("attributes":null},"resources":[{"resource":{},"count":1,"price":{}}]}])")) ==
        R"(groups[0].resources[0].resource: missing field "id")");
  std::string groups = data("groups-web.json");
  groups.replace(groups.find("1000.5"), 6, "1.2.3");
  CHECK(error_of(groups_from_json(groups)) ==
        "groups[0].resources[0].price.amount: invalid decimal amount \"1.2.300000000000000000\": invalid decimal string");
  CHECK(error_of(group_from_json("[]")) == "group: expected an object, got an array");
}

TEST_CASE("sdl json agrees with Go's own outputs in the corpus") {
  const auto corpus = akt::test::sdl_corpus_dir();
  if (!corpus) {
    MESSAGE("SDL corpus not found (set AKT_SDL_CORPUS); skipping Go output comparison");
    return;
  }
  int compared = 0;
  for (const auto& [input, version] : akt::test::go_versions(*corpus)) {
    CAPTURE(input);
    const fs::path out = akt::test::go_output_dir(*corpus, input);
    const std::string manifest_text = akt::test::read_text(out / "manifest.json");
    const std::string groups_text = akt::test::read_text(out / "group-specs.json");
    auto manifest = manifest_from_json(manifest_text);
    REQUIRE_MESSAGE(manifest, (manifest ? "" : akt::to_string(manifest.error())));
    CHECK(manifest_version(*manifest) == version);
    CHECK(nlohmann::json::parse(manifest_json(*manifest)) == nlohmann::json::parse(manifest_text));
    auto groups = groups_from_json(groups_text);
    REQUIRE_MESSAGE(groups, (groups ? "" : akt::to_string(groups.error())));
    CHECK(nlohmann::json::parse(groups_json(*groups)) == nlohmann::json::parse(groups_text));
    ++compared;
  }
  CHECK(compared >= 15);
}
