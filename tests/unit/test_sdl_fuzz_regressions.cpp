// Inputs the fuzzer once crashed the compiler with (tests/data/sdl/fuzz/): each must now
// compile to a verdict, valid or invalid, without throwing.
#include <doctest/doctest.h>

#include <filesystem>

#include "sdl/json.hpp"
#include "sdl/sdl.hpp"

namespace fs = std::filesystem;

TEST_CASE("sdl: fuzz regressions compile to a verdict") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(AKT_TEST_DATA) / "sdl" / "fuzz")) {
    ++count;
    CAPTURE(entry.path().filename().string());
    akt::sdl::CompileResult result;
    CHECK_NOTHROW(result = akt::sdl::compile_file(entry.path()));
    CHECK(result.ok() == result.compiled.has_value());
  }
  CHECK(count > 0);
}

TEST_CASE("sdl: a deployment entry without placements is ignored, as Go does") {
  const char* text = R"(version: "2.0"
services:
  web:
    image: nginx
    expose:
      - port: 80
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu: {units: 1}
        memory: {size: 1Gi}
        storage: {size: 1Gi}
  placement:
    akash:
      pricing:
        web: {denom: uakt, amount: 1}
deployment:
  web:
    akash:
      profile: web
      count: 1
  ghost:
)";
  const akt::sdl::CompileResult result = akt::sdl::compile(text, "ghost.yaml");
  for (const auto& error : result.errors) INFO(akt::to_string(error));
  REQUIRE(result.ok());
  CHECK(result.compiled->manifest.size() == 1);
  CHECK(result.compiled->manifest[0].services.size() == 1);
}

TEST_CASE("sdl: JSON numbers beyond a double's range are refused, not thrown") {
  for (const char* text : {"[{\"name\":1e999}]", "[1E444]", "{\"a\":-22e512}"}) {
    CAPTURE(text);
    akt::Result<akt::sdl::Manifest> manifest = akt::sdl::manifest_from_json(text);
    CHECK_NOTHROW(manifest = akt::sdl::manifest_from_json(text));
    REQUIRE_FALSE(manifest);
    CHECK(manifest.error().message.find("invalid JSON") != std::string::npos);
    CHECK_FALSE(akt::sdl::groups_from_json(text));
  }
}
