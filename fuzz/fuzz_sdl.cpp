// libFuzzer target: any bytes through the SDL compiler and the JSON codecs. Besides the
// sanitizers it checks the invariants the network relies on: a compiled SDL's manifest and
// groups decode back to the same bytes, and every decoded document re-encodes stably.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdl/json.hpp"
#include "sdl/sdl.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_manifest_fixed_point(const std::string& json) {
  auto decoded = akt::sdl::manifest_from_json(json);
  require(decoded.has_value());
  require(akt::sdl::manifest_json(*decoded) == json);
}

void check_groups_fixed_point(const std::string& json) {
  auto decoded = akt::sdl::groups_from_json(json);
  require(decoded.has_value());
  require(akt::sdl::groups_json(*decoded) == json);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const akt::sdl::CompileResult result = akt::sdl::compile(text, "<fuzz>");
  require(result.ok() == result.compiled.has_value());
  if (result.compiled) {
    const std::string manifest = akt::sdl::manifest_json(result.compiled->manifest);
    require(akt::sdl::manifest_version(result.compiled->manifest).size() == 64);
    check_manifest_fixed_point(manifest);
    check_groups_fixed_point(akt::sdl::groups_json(result.compiled->groups));
  } else {
    require(!result.errors.empty());
  }

  // The same bytes as a JSON document a provider or the ledger might receive.
  if (auto manifest = akt::sdl::manifest_from_json(text)) check_manifest_fixed_point(akt::sdl::manifest_json(*manifest));
  if (auto groups = akt::sdl::groups_from_json(text)) check_groups_fixed_point(akt::sdl::groups_json(*groups));
  if (auto group = akt::sdl::group_from_json(text)) {
    auto again = akt::sdl::group_from_json(akt::sdl::group_json(*group));
    require(again.has_value() && akt::sdl::group_json(*again) == akt::sdl::group_json(*group));
  }
  return 0;
}
