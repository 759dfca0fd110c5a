// Validation rules of RULES.md, one small SDL each: the network's error text, the
// position and the key path.
#include <doctest/doctest.h>

#include <string>

#include "sdl/sdl.hpp"

using namespace akt::sdl;

namespace {

const std::string k_base = R"(version: "2.0"
services:
  web:
    image: nginx
    expose:
      - port: 80
        accept:
          - www.example.com
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.5
        memory:
          size: 512Mi
        storage:
          size: 1Gi
  placement:
    dc:
      pricing:
        web:
          denom: uakt
          amount: 100
deployment:
  web:
    dc:
      profile: web
      count: 1
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

// The single error of `text`; fails the test when there is not exactly one.
akt::Error only_error(const std::string& text) {
  CompileResult r = compile(text, "t.yaml");
  for (const auto& e : r.errors) CAPTURE(akt::to_string(e));
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

} // namespace

TEST_CASE("sdl::compile accepts the base SDL") {
  CompileResult r = compile(k_base, "t.yaml");
  REQUIRE(r.ok());
  CHECK(r.compiled->version == "2.0");
  REQUIRE(r.compiled->groups.size() == 1);
  CHECK(r.compiled->groups[0].resources[0].price.amount.to_string() == "100.000000000000000000");
  CHECK(r.compiled->manifest[0].services[0].expose[0].http_options.max_body_size == 1048576);
}

TEST_CASE("sdl::compile version rules") {
  CHECK(only_error(with(k_base, "version: \"2.0\"\n", "")).message.rfind("SDL invalid: no version found", 0) == 0);
  auto e = only_error(with(k_base, "\"2.0\"", "\"1.0\""));
  CHECK(e.message.rfind("SDL invalid: config: unsupported version \"1.0.0\"", 0) == 0);
  CHECK(e.where->line == 1);
  CHECK(compile(with(k_base, "\"2.0\"", "2.0"), "t").ok());
  CHECK(compile(with(k_base, "\"2.0\"", "v2.1"), "t").ok());
  CHECK(compile(with(k_base, "\"2.0\"", "\"2.2\""), "t").ok());  // treated as 2.1
}

TEST_CASE("sdl::compile top-level keys") {
  auto e = only_error(k_base + "unknown_field: 1\n");
  CHECK(e.message.rfind("sdl: unexpected field unknown_field", 0) == 0);
  CHECK(e.path == "unknown_field");
  CHECK(e.where->line == 32);
}

TEST_CASE("sdl::compile reports every error, in file order, with paths") {
  CompileResult r = compile_file(std::string(AKT_TEST_DATA) + "/sdl/many-errors.yaml");
  REQUIRE(r.errors.size() == 6);
  CHECK(r.errors[0].path == "services.web.expose[0].port");
  CHECK(r.errors[0].message == "cannot unmarshal !!str `abc` into uint32");
  CHECK(r.errors[0].where->line == 6);
  CHECK(r.errors[0].where->column == 15);
  CHECK(r.errors[1].path == "services.web.expose[0].to[0].global");
  CHECK(r.errors[1].message == "cannot unmarshal !!str `true` into bool");
  CHECK(r.errors[2].message.rfind("strconv.ParseFloat: parsing \"1.5x\": invalid syntax", 0) == 0);
  CHECK(r.errors[3].message.rfind("strconv.ParseFloat: parsing \"512MB\": invalid syntax", 0) == 0);
  CHECK(r.errors[4].message == "invalid coin amount: amount is zero");
  CHECK(r.errors[4].path == "profiles.placement.dc.pricing.web.amount");
  CHECK(r.errors[5].message == "cannot unmarshal !!int `-1` into uint32");
  for (std::size_t i = 1; i < r.errors.size(); ++i) CHECK(r.errors[i - 1].where->line <= r.errors[i].where->line);
}

TEST_CASE("sdl::compile deployment references") {
  CompileResult big = compile(with(k_base, "profile: web", "profile: big"), "t");
  REQUIRE(big.errors.size() == 2);  // no such compute profile, and so no pricing for it either
  CHECK(big.errors[0].message == "SDL invalid: web.dc: no compute profile named big");
  CHECK(big.errors[0].path == "deployment.web.dc.profile");
  CHECK(only_error(with(k_base, "  web:\n    dc:\n", "  web:\n    west:\n")).message.rfind(
            "SDL invalid: web.west: no placement profile named west", 0) == 0);
  CHECK(only_error(with(k_base, "        web:\n          denom", "        other:\n          denom"))
            .message.rfind("SDL invalid: web.dc: no pricing for profile web", 0) == 0);
  CHECK(only_error(with(k_base, "deployment:\n  web:", "deployment:\n  api:")).message ==
        "SDL invalid: api.dc: no service profile named api");
  CHECK(only_error(with(k_base, "deployment:\n  web:\n    dc:\n      profile: web\n      count: 1\n", "deployment: {}\n"))
            .message.rfind("Invalid groups", 0) == 0);
  CompileResult zero = compile(with(k_base, "count: 1", "count: 0"), "t");
  REQUIRE(zero.errors.size() == 3);
  CHECK(zero.errors[0].message == "group dc: invalid total CPU (19200000 > 0 > 0 fails)");
  CHECK(zero.errors[1].message == "group dc: invalid total memory (109951162777600 > 0 > 0 fails)");
}

TEST_CASE("sdl::compile manifest rules") {
  CHECK(only_error(with(k_base, "image: nginx", "image: \"\"")).message.rfind(
            "invalid manifest: service \"web\" has empty image name", 0) == 0);
  CHECK(only_error(with(k_base, "port: 80", "port: 0")).message ==
        "invalid manifest: service \"web\": port value must be 0 < value <= 65535 ");
  CHECK(only_error(with(k_base, "www.example.com", "Foo.com")).message ==
        "invalid manifest: service \"web\": has invalid hostname \"Foo.com\"");
  CHECK(only_error(with(k_base, "global: true", "global: false")).message.rfind(
            "invalid manifest: zero global services", 0) == 0);
  auto env = only_error(with(k_base, "image: nginx\n", "image: nginx\n    env:\n      - OK=1\n      - 1BAD=2\n"));
  CHECK(env.message == "invalid manifest: service \"web\" defines an env. var. with an invalid name \"1BAD\"");
  CHECK(env.path == "services.web.env[1]");
  auto dup = compile(with(k_base, "          - global: true\n", "          - global: true\n          - service: x\n"), "t");
  REQUIRE(dup.errors.size() == 1);
  CHECK(dup.errors[0].message.rfind("invalid manifest: service \"web\": hostname \"www.example.com\" is duplicated", 0) == 0);
}

TEST_CASE("sdl::compile expose rules") {
  CHECK(only_error(with(k_base, "port: 80\n", "port: 80\n        proto: http\n")).message.rfind(
            "unsupported service protocol", 0) == 0);
  CHECK(only_error(with(k_base, "www.example.com", "\"a b\"")).message ==
        "parse \"http://a b\": invalid character \" \" in host name");
  CHECK(only_error(with(k_base, "port: 80\n", "port: 80\n        http_options:\n          max_body_size: 104857601\n"))
            .message == "http option not allowed: body size cannot be greater than 104857600 bytes");
  CHECK(only_error(with(k_base, "port: 80\n", "port: 80\n        http_options:\n          next_cases: [off, error]\n"))
            .message == "if 'off' is specified, no other cases may be specified");
  CHECK(only_error(with(k_base, "port: 80\n", "port: 80\n        http_options:\n          next_cases: [\"418\"]\n"))
            .message.rfind("next case is unknown: \"418\"", 0) == 0);
}

TEST_CASE("sdl::compile endpoint rules") {
  const std::string ip = with(k_base, "          - global: true\n", "          - global: true\n            ip: myip\n");
  CHECK(compile(ip + "endpoints:\n  myip:\n    kind: ip\n", "t").ok());
  CHECK(only_error(ip).message.rfind("SDL invalid: error on service \"web\" no endpoint named \"myip\" exists", 0) == 0);
  CHECK(only_error(k_base + "endpoints:\n  myip:\n    kind: ip\n").message.rfind(
            "SDL invalid: endpoint \"myip\" declared but never used", 0) == 0);
  CHECK(only_error(ip + "endpoints:\n  myip:\n    kind: static\n").message.rfind(
            "SDL invalid: endpoint named \"myip\", unknown kind \"static\"", 0) == 0);
  CHECK(only_error(k_base + "endpoints:\n  Invalid-Name:\n    kind: ip\n").message.rfind(
            "SDL invalid: endpoint named \"Invalid-Name\" is not a valid name", 0) == 0);
  auto noglobal = with(k_base, "          - global: true\n", "          - global: true\n          - ip: myip\n");
  CHECK(only_error(noglobal + "endpoints:\n  myip:\n    kind: ip\n").message.rfind(
            "SDL invalid: error on \"web\" if an IP is declared the directive must be declared as global", 0) == 0);
}

TEST_CASE("sdl::compile storage rules") {
  const std::string persistent = with(k_base, "          size: 1Gi\n",
                                      "          - size: 1Gi\n          - name: data\n            size: 1Gi\n"
                                      "            attributes:\n              persistent: true\n");
  auto e = only_error(persistent);
  CHECK(e.message == "SDL invalid: compute.storage.data has persistent=true which requires service.web.params.storage.data to have mount");
  // v2.1 accepts a persistent volume that no service mounts.
  CHECK(compile(with(persistent, "\"2.0\"", "\"2.1\""), "t").ok());
  auto mounted = with(persistent, "image: nginx\n", "image: nginx\n    params:\n      storage:\n        data:\n          mount: /data\n");
  CompileResult ok = compile(mounted, "t");
  REQUIRE(ok.ok());
  const auto& st = ok.compiled->groups[0].resources[0].resources.storage;
  REQUIRE(st.size() == 2);
  CHECK(st[1].attributes == Attributes{{"class", "default"}, {"persistent", "true"}});
  CHECK(only_error(with(mounted, "mount: /data", "mount: data")).message ==
        "SDL invalid: invalid value for \"service.web.params.data.mount\" parameter. expected absolute path");
  CHECK(only_error(with(mounted, "        data:\n", "        nope:\n")).message ==
        "SDL invalid: service \"web\" references to no-existing compute volume named \"nope\"");
  CHECK(only_error(with(persistent, "persistent: true", "persistent: true\n              class: ram")).message.rfind(
            "sdl: ram storage class cannot be persistent", 0) == 0);
  CHECK(only_error(with(persistent, "persistent: true", "persistent: false\n              class: beta2")).message.rfind(
            "sdl: ephemeral storage should not set attribute class", 0) == 0);
  CHECK(only_error(with(persistent, "persistent: true", "persistent: maybe")).message ==
        "sdl: invalid value for attribute \"persistent\". expected bool");
  CHECK(only_error(with(persistent, "persistent: true", "persistent: true\n              class: ssd")).message.rfind(
            "sdl: invalid value for attribute class", 0) == 0);
  CHECK(only_error(with(k_base, "          size: 1Gi\n", "          - size: 1Gi\n          - size: 2Gi\n")).message.rfind(
            "sdl: duplicated volume name", 0) == 0);
  CHECK(only_error(with(k_base, "size: 1Gi", "size: 1Mi")).message ==
        "group dc: error: invalid unit storage (35184372088832 > 1048576 > 5242880 fails)");
}

TEST_CASE("sdl::compile cpu, memory and gpu rules") {
  CHECK(only_error(with(k_base, "units: 0.5", "units: 5m")).message ==
        "group dc: error: invalid unit CPU (384000 > 5 > 384000 fails)");
  CHECK(only_error(with(k_base, "size: 512Mi", "size: 512Ki")).message ==
        "group dc: error: invalid unit memory (2199023255552 > 524288 > 2199023255552 fails)");
  CHECK(only_error(with(k_base, "units: 0.5\n", "units: 0.5\n          attributes:\n            vendor: x\n"))
            .message.rfind("sdl: unsupported cpu attribute \"vendor\"", 0) == 0);
  const std::string gpu = with(k_base, "        storage:\n",
                               "        gpu:\n          units: 1\n          attributes:\n            vendor:\n"
                               "              nvidia:\n                - model: a100\n                  ram: 40960Mi\n"
                               "                  interface: sxm\n        storage:\n");
  CompileResult r = compile(gpu, "t");
  REQUIRE(r.ok());
  CHECK(r.compiled->groups[0].resources[0].resources.gpu.attributes ==
        Attributes{{"vendor/nvidia/model/a100/ram/40Gi/interface/sxm", "true"}});
  CHECK(only_error(with(gpu, "interface: sxm", "interface: nvlink")).message ==
        "sdl: invalid GPU interface nvlink. expected \"pcie|sxm\"");
  CHECK(only_error(with(gpu, "units: 1\n", "units: 25\n")).message ==
        "group dc: error: invalid unit GPU (24 > 25 > 24 fails)");
  CHECK(only_error(with(gpu, "units: 1\n", "units: 0\n")).message ==
        "group dc: error: invalid GPU state. attributes cannot be present if units == 0");
  CHECK(only_error(with(k_base, "        storage:\n", "        gpu:\n          units: 1\n        storage:\n")).message.rfind(
            "sdl: GPU attributes must be present if units > 0", 0) == 0);
  CHECK(only_error(with(gpu, "            vendor:\n", "            foo: 1\n            vendor:\n")).message.rfind(
            "sdl: unsupported attribute (foo) for GPU resource", 0) == 0);
  // Go ignores vendors it does not know and asks for any nvidia model.
  CompileResult amd = compile(with(gpu, "nvidia:", "amd:"), "t");
  REQUIRE(amd.ok());
  CHECK(amd.compiled->groups[0].resources[0].resources.gpu.attributes == Attributes{{"vendor/nvidia/model/*", "true"}});
}

TEST_CASE("sdl::compile pricing rules") {
  CHECK(only_error(with(k_base, "amount: 100", "amount: 10000001")).message ==
        "group dc: error: invalid unit price (10000000 > 10000001.000000000000000000uakt fails)");
  CHECK(only_error(with(k_base, "amount: 100", "amount: -1")).message ==
        "invalid: negative value not allowed: amount \"-1.000000000000000000\" is negative");
  CHECK(only_error(with(k_base, "denom: uakt", "denom: x")).message.rfind("invalid denom: x", 0) == 0);
  CHECK(compile(with(k_base, "denom: uakt", "denom: ibc/ABC"), "t").ok());
}

TEST_CASE("sdl::compile credentials, tee and reclamation") {
  const std::string creds = with(k_base, "image: nginx\n",
                                 "image: nginx\n    credentials:\n      host: \" \"\n      username: u\n      password: p\n");
  auto e = only_error(creds);
  CHECK(e.message == "SDL invalid: web.dc: service Credentials missing Host");
  CHECK(e.path == "services.web.credentials");
  const std::string v21 = with(k_base, "\"2.0\"", "\"2.1\"");
  const std::string tee = with(v21, "image: nginx\n", "image: nginx\n    params:\n      tee: cpu\n");
  CompileResult r = compile(tee, "t");
  REQUIRE(r.ok());
  CHECK(r.compiled->groups[0].requirements.attributes == Attributes{{"tee/type", "cpu"}});
  CHECK(only_error(with(tee, "tee: cpu", "tee: cpu-gpu")).message ==
        "sdl: tee type requires gpu resources: \"cpu-gpu\" specified but no gpu resources defined");
  CHECK(only_error(with(tee, "tee: cpu", "tee: sgx")).message.rfind("sdl: unsupported tee type: \"sgx\"", 0) == 0);
  CHECK(compile(k_base + "reclamation:\n  min_window: 1h30m\n", "t").ok());
  CHECK(only_error(k_base + "reclamation:\n  min_window: 0s\n").message == "SDL invalid: reclamation min_window must be > 0");
}

TEST_CASE("sdl::compile groups: v2.0 units per service, v2.1 shared per placement and profile") {
  const std::string two = with(k_base, "profiles:\n",
                               "  api:\n    image: nginx\n    expose:\n      - port: 8080\n        to:\n          - global: true\n"
                               "profiles:\n") +
                          "  api:\n    dc:\n      profile: web\n      count: 2\n";
  CompileResult v20 = compile(two, "t");
  REQUIRE(v20.ok());
  REQUIRE(v20.compiled->groups[0].resources.size() == 2);
  CHECK(v20.compiled->groups[0].resources[0].resources.id == 1);
  CHECK(v20.compiled->groups[0].resources[0].count == 2);  // api first: services sorted by name
  CHECK(v20.compiled->groups[0].resources[1].resources.id == 2);

  CompileResult v21 = compile(with(two, "\"2.0\"", "\"2.1\""), "t");
  REQUIRE(v21.ok());
  REQUIRE(v21.compiled->groups[0].resources.size() == 1);
  CHECK(v21.compiled->groups[0].resources[0].count == 3);
  CHECK(v21.compiled->groups[0].resources[0].resources.endpoints.size() == 2);
  CHECK(v21.compiled->manifest[0].services[1].resources.id == 1);
  CHECK(v21.compiled->manifest[0].services[1].count == 1);
}
