#pragma once
// Small builders of group specs and providers for the sim unit tests.
#include <string>
#include <vector>

#include "sdl/types.hpp"
#include "sim/config.hpp"

namespace akt::sim::testing {

inline constexpr std::uint64_t k_gi = 1ULL << 30;

inline sdl::ResourceUnit unit(std::uint32_t id, std::uint64_t millicpu, std::uint64_t memory, std::uint32_t count,
                              const char* price = "100", std::string denom = "uakt") {
  sdl::ResourceUnit u;
  u.resources.id = id;
  u.resources.cpu.units = millicpu;
  u.resources.memory.size = memory;
  u.resources.storage.push_back(sdl::Storage{"default", 1 * k_gi, {}});
  u.count = count;
  u.price = sdl::DecCoin{std::move(denom), *util::Decimal::parse(price)};
  return u;
}

inline void gpu(sdl::ResourceUnit& u, std::uint64_t units, std::vector<std::string> keys) {
  u.resources.gpu.units = units;
  for (auto& k : keys) u.resources.gpu.attributes.push_back({std::move(k), "true"});
}

inline sdl::GroupSpec group(std::vector<sdl::ResourceUnit> units, sdl::Attributes attributes = {}) {
  sdl::GroupSpec g;
  g.name = "akash";
  if (!attributes.empty()) g.requirements.attributes = std::move(attributes);
  g.resources = std::move(units);
  return g;
}

inline NodeConfig node(std::string name, std::uint64_t millicpu, std::uint64_t memory, int gpus = 0,
                       std::string model = "h100", std::string cls = "") {
  NodeConfig n;
  n.name = std::move(name);
  n.hardware_class = std::move(cls);
  n.cpu = millicpu;
  n.memory = memory;
  n.storage[static_cast<std::size_t>(StorageClass::ephemeral)] = 100 * k_gi;
  for (int i = 0; i < gpus; ++i) n.gpus.push_back(GpuDevice{std::to_string(i), "nvidia", model, "80Gi", "sxm"});
  return n;
}

} // namespace akt::sim::testing
