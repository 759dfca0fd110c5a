// Every SDL under examples/ compiles, says in its first line what it shows, and its
// outputs survive a JSON round trip.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "sdl/json.hpp"
#include "sdl/sdl.hpp"
#include "sdl_corpus.hpp"

namespace fs = std::filesystem;
using namespace akt::sdl;

TEST_CASE("examples/*.yaml all compile") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(AKT_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    CAPTURE(entry.path().filename().string());
    const std::string text = akt::test::read_text(entry.path());
    CHECK(text.rfind("# ", 0) == 0);
    const CompileResult result = compile_file(entry.path());
    for (const auto& error : result.errors) FAIL_CHECK(akt::to_string(error));
    REQUIRE(result.ok());
    const Compiled& c = *result.compiled;
    auto manifest = manifest_from_json(manifest_json(c.manifest));
    REQUIRE(manifest);
    CHECK(manifest_json(*manifest) == manifest_json(c.manifest));
    auto groups = groups_from_json(groups_json(c.groups));
    REQUIRE(groups);
    CHECK(*groups == c.groups);
  }
  CHECK(count >= 6);
}
