#pragma once
// A provider's nodes and what is free on them. Capacity is reserved when the provider
// bids (so it never promises the same GPU twice), kept when the bid wins (the lease runs
// on it) and released when the bid loses, times out or the lease closes. Fitting follows
// the provider's rules: every replica of a service fits on a single node, all replicas of
// a service sit on identical hardware (one hardware class), and GPUs are allocated as
// concrete device ids, which the runtime passes to Docker as DeviceIDs.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sdl/types.hpp"
#include "sim/config.hpp"
#include "util/decimal.hpp"
#include "util/result.hpp"

namespace akt::sim {

// An order asking for more replicas than this does not fit any simulated provider; the
// bound keeps a hostile order from costing unbounded time or memory.
inline constexpr std::size_t k_max_replicas = 100000;

// One GPU alternative a resource unit accepts (from its SDL gpu attributes); empty
// fields match anything, model "*" matches any model of the vendor.
struct GpuRequirement {
  std::string vendor;
  std::string model;
  std::string ram;
  std::string interface;
  friend bool operator==(const GpuRequirement&, const GpuRequirement&) = default;
};
// Parses keys "vendor/nvidia/model/h100/ram/80Gi/interface/sxm" (value "true").
// A malformed key is returned as an error naming it.
Result<std::vector<GpuRequirement>> parse_gpu_requirements(const sdl::Attributes& attributes);
bool gpu_matches(const GpuRequirement& requirement, const GpuDevice& device);
// "nvidia h100 80Gi sxm", "nvidia (any model)".
std::string describe(const GpuRequirement& requirement);

// The storage class a volume draws from: ram, a persistent class, or ephemeral.
StorageClass volume_class(const sdl::Storage& volume);

// What one resource unit of an order asks for, read once from its SDL: a market round
// fits and prices the same order for every provider.
struct UnitDemand {
  // One replica's share.
  std::uint64_t cpu = 0;
  std::uint64_t memory = 0;
  StorageBytes storage{};  // by class, saturating
  std::uint64_t gpus = 0;
  std::vector<GpuRequirement> gpu_alternatives;  // parsed when gpus > 0; empty: any GPU
  std::vector<StorageClass> volume_classes;      // one per volume, in order
  std::uint64_t ports = 0;                       // random_port endpoints
  std::uint64_t ips = 0;                         // leased_ip endpoints
  // For pricing: each quantity times the unit's count and the factor that puts its rate
  // over the common denominator (1000 millicpu * 1 GiB). Only the GPU term can overflow
  // 128 bits (a 64-bit GPU count); then only a zero rate keeps the price finite.
  util::int128 cpu_term = 0;
  util::int128 memory_term = 0;
  std::vector<util::int128> volume_terms;  // one per volume, in order
  util::int128 gpu_term = 0;
  bool gpu_term_overflows = false;
  util::int128 port_term = 0;
  util::int128 ip_term = 0;
};
UnitDemand unit_demand(const sdl::ResourceUnit& unit);
// One per group.resources entry, in order.
std::vector<UnitDemand> unit_demands(const sdl::GroupSpec& group);

// Where one replica of a resource unit runs.
struct ReplicaPlacement {
  std::uint32_t resource_id = 0;  // sdl::Resources::id
  std::uint32_t replica = 0;      // 0-based within the unit
  std::uint32_t node = 0;         // index into Inventory::nodes()
  std::vector<std::string> gpu_ids;
  // What the replica takes from the node.
  std::uint64_t cpu = 0;
  std::uint64_t memory = 0;
  StorageBytes storage{};
  friend bool operator==(const ReplicaPlacement&, const ReplicaPlacement&) = default;
};

struct Reservation {
  std::string order_id;
  std::vector<ReplicaPlacement> replicas;
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

// Why a group does not fit, for a decline reason people can act on.
struct Shortfall {
  std::uint32_t resource_id = 0;
  std::uint32_t count = 0;  // replicas asked for
  std::string what;         // "2 free nvidia h100 GPUs", "4000m CPU", "10Gi beta3 storage"
};

struct FitResult {
  bool fits = false;
  Reservation reservation;  // when fits (order_id left empty)
  Shortfall shortfall;      // when not
};

struct NodeFree {
  std::uint64_t cpu = 0;
  std::uint64_t memory = 0;
  StorageBytes storage{};
  std::uint64_t gpu_mask = 0;  // bit i set: nodes()[n].gpus[i] is free
};

class Inventory {
public:
  Inventory() = default;
  explicit Inventory(std::vector<NodeConfig> nodes);

  const std::vector<NodeConfig>& nodes() const { return m_nodes; }
  const NodeFree& free(std::size_t node) const { return m_free[node]; }
  std::size_t free_gpu_count(std::size_t node) const;

  // Places the group on what is free now without changing anything.
  FitResult fit(const sdl::GroupSpec& group) const;
  // The same with the group's unit_demands, worked out once for many inventories.
  FitResult fit(const sdl::GroupSpec& group, std::span<const UnitDemand> demands) const;
  // The same into `into` (its order_id untouched), whose capacity a caller that fits
  // many groups reuses; `shortfall` is set when it does not fit.
  bool fit(const sdl::GroupSpec& group, std::span<const UnitDemand> demands, Reservation& into,
           Shortfall& shortfall) const;

  // Takes the capacity of a placement from fit(); refused when the order already holds a
  // reservation or the capacity is gone.
  Status reserve(std::string order_id, Reservation reservation);
  // Gives an order's capacity back; false when it held none.
  bool release(std::string_view order_id);
  const Reservation* reservation(std::string_view order_id) const;
  std::size_t reservation_count() const { return m_reservations.size(); }

private:
  std::vector<NodeConfig> m_nodes;
  std::vector<NodeFree> m_free;
  // Nodes grouped by hardware class (classes in order of first node, nodes in node
  // order); class c is m_class_nodes[m_class_end[c - 1] .. m_class_end[c]).
  std::vector<std::uint32_t> m_class_nodes;
  std::vector<std::uint32_t> m_class_end;
  std::unordered_map<std::string, Reservation> m_reservations;
};

} // namespace akt::sim
