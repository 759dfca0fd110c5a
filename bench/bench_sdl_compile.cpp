#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sdl/json.hpp"
#include "sdl/sdl.hpp"

// `akt deploy` and every `akt sdl` command pay for one compile plus the JSON encodings;
// a provider re-hashes each manifest it receives. Target: all of it under 0.5 ms for a
// typical 2 KB SDL (bench/data/typical-2k.yaml).
namespace {

const std::string& typical_sdl() {
  static const std::string text = [] {
    std::ifstream in(std::filesystem::path(AKT_SOURCE_DIR) / "bench" / "data" / "typical-2k.yaml");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }();
  return text;
}

akt::sdl::Compiled compiled_typical() {
  auto result = akt::sdl::compile(typical_sdl(), "typical-2k.yaml");
  if (!result.ok()) throw std::runtime_error("bench/data/typical-2k.yaml does not compile");
  return *result.compiled;
}

} // namespace

static void BM_sdl_compile(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(akt::sdl::compile(typical_sdl(), "typical-2k.yaml"));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * typical_sdl().size()));
}
BENCHMARK(BM_sdl_compile)->Unit(benchmark::kMicrosecond);

static void BM_sdl_manifest_json(benchmark::State& state) {
  const auto compiled = compiled_typical();
  for (auto _ : state) benchmark::DoNotOptimize(akt::sdl::manifest_json(compiled.manifest));
}
BENCHMARK(BM_sdl_manifest_json)->Unit(benchmark::kMicrosecond);

static void BM_sdl_groups_json(benchmark::State& state) {
  const auto compiled = compiled_typical();
  for (auto _ : state) benchmark::DoNotOptimize(akt::sdl::groups_json(compiled.groups));
}
BENCHMARK(BM_sdl_groups_json)->Unit(benchmark::kMicrosecond);

static void BM_sdl_manifest_version(benchmark::State& state) {
  const auto compiled = compiled_typical();
  for (auto _ : state) benchmark::DoNotOptimize(akt::sdl::manifest_version(compiled.manifest));
}
BENCHMARK(BM_sdl_manifest_version)->Unit(benchmark::kMicrosecond);

static void BM_sdl_manifest_from_json(benchmark::State& state) {
  const std::string json = akt::sdl::manifest_json(compiled_typical().manifest);
  for (auto _ : state) benchmark::DoNotOptimize(akt::sdl::manifest_from_json(json));
}
BENCHMARK(BM_sdl_manifest_from_json)->Unit(benchmark::kMicrosecond);

// The whole `akt sdl` path: compile, manifest bytes, group specs, version.
static void BM_sdl_compile_manifest_groups_version(benchmark::State& state) {
  for (auto _ : state) {
    auto result = akt::sdl::compile(typical_sdl(), "typical-2k.yaml");
    benchmark::DoNotOptimize(akt::sdl::manifest_json(result.compiled->manifest));
    benchmark::DoNotOptimize(akt::sdl::groups_json(result.compiled->groups));
    benchmark::DoNotOptimize(akt::sdl::manifest_version(result.compiled->manifest));
  }
}
BENCHMARK(BM_sdl_compile_manifest_groups_version)->Unit(benchmark::kMicrosecond);
