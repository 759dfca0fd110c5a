#pragma once
// The SDL compiler's one entry point: text in, every error with its location out, or the
// compiled manifest and group specs. JSON bytes and the version hash live in sdl/json.hpp.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "util/result.hpp"

namespace akt::sdl {

// Bounds that keep hostile input from exhausting memory or the stack.
struct Limits {
  std::size_t max_bytes = 1 << 20;        // input size
  int max_depth = 64;                     // nesting of mappings and sequences
  std::size_t max_nodes = 200'000;        // nodes after alias expansion
};

struct Compiled {
  std::string version;                 // the SDL's `version:` ("2.0" or "2.1")
  Manifest manifest;                   // one group per placement, sorted by name
  std::vector<GroupSpec> groups;       // the deployment's group specs, same order
};

struct CompileResult {
  std::optional<Compiled> compiled;    // set exactly when errors is empty
  std::vector<Error> errors;           // every error found, in file order
  bool ok() const { return errors.empty(); }
};

// `origin` names the input in locations ("web.yaml", "<stdin>").
CompileResult compile(std::string_view text, std::string_view origin, const Limits& limits = {});
CompileResult compile_file(const std::filesystem::path& path, const Limits& limits = {});

} // namespace akt::sdl
