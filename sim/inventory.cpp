#include "sim/inventory.hpp"

#include <algorithm>
#include <bit>

namespace akt::sim {

namespace {

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::pair<const char*, std::uint64_t> k_units[] = {
      {"Ti", 1ULL << 40}, {"Gi", 1ULL << 30}, {"Mi", 1ULL << 20}, {"Ki", 1ULL << 10}};
  for (const auto& [name, factor] : k_units)
    if (bytes >= factor && bytes % factor == 0) return std::to_string(bytes / factor) + name;
  for (const auto& [name, factor] : k_units)
    if (bytes >= factor) {
      // One decimal is enough to act on ("10.5Gi").
      std::uint64_t tenths = (bytes * 10 + factor - 1) / factor;
      return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + name;
    }
  return std::to_string(bytes) + "B";
}

const std::string* find_attribute(const sdl::Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes)
    if (a.key == key) return &a.value;
  return nullptr;
}

using Need = UnitDemand;

// Picks `need.gpus` free devices of one kind on the node; 0 when impossible.
std::uint64_t pick_gpus(const NodeConfig& node, std::uint64_t free_mask, const Need& need) {
  if (need.gpus == 0) return 0;
  const std::size_t devices = std::min(node.gpus.size(), k_max_node_gpus);
  if (need.gpus > devices) return 0;
  auto take = [&](auto&& accepts) -> std::uint64_t {
    // Same model for every device of a replica: group by the first accepted device's kind.
    for (std::size_t first = 0; first < devices; ++first) {
      if (!(free_mask >> first & 1) || !accepts(node.gpus[first])) continue;
      const GpuDevice& kind = node.gpus[first];
      std::uint64_t mask = 0;
      std::uint64_t count = 0;
      for (std::size_t i = first; i < devices && count < need.gpus; ++i) {
        const GpuDevice& g = node.gpus[i];
        if ((free_mask >> i & 1) && g.vendor == kind.vendor && g.model == kind.model && g.ram == kind.ram &&
            g.interface == kind.interface && accepts(g)) {
          mask |= 1ULL << i;
          ++count;
        }
      }
      if (count == need.gpus) return mask;
    }
    return 0;
  };
  if (need.gpu_alternatives.empty()) return take([](const GpuDevice&) { return true; });
  for (const auto& alt : need.gpu_alternatives) {
    std::uint64_t mask = take([&](const GpuDevice& g) { return gpu_matches(alt, g); });
    if (mask) return mask;
  }
  return 0;
}

bool fits_node(const NodeConfig& node, const NodeFree& free, const Need& need, std::uint64_t& gpu_mask) {
  if (free.cpu < need.cpu || free.memory < need.memory) return false;
  for (std::size_t c = 0; c < k_storage_class_count; ++c)
    if (free.storage[c] < need.storage[c]) return false;
  gpu_mask = 0;
  if (need.gpus > 0) {
    gpu_mask = pick_gpus(node, free.gpu_mask, need);
    if (gpu_mask == 0) return false;
  }
  return true;
}

void take(NodeFree& free, const Need& need, std::uint64_t gpu_mask) {
  free.cpu -= need.cpu;
  free.memory -= need.memory;
  for (std::size_t c = 0; c < k_storage_class_count; ++c) free.storage[c] -= need.storage[c];
  free.gpu_mask &= ~gpu_mask;
}

// The first dimension in which no node (of any class) can hold one replica.
std::string shortfall_of(const std::vector<NodeConfig>& nodes, const std::vector<NodeFree>& free, const Need& need) {
  auto none = [&](auto&& ok) {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (ok(i)) return false;
    return true;
  };
  if (need.gpus > 0 && none([&](std::size_t i) { return pick_gpus(nodes[i], free[i].gpu_mask, need) != 0; })) {
    std::string kind = need.gpu_alternatives.empty() ? "GPU" : describe(need.gpu_alternatives.front());
    if (need.gpu_alternatives.size() > 1) kind += " (or another listed model)";
    return std::to_string(need.gpus) + " free " + kind + (need.gpus == 1 ? "" : " GPUs");
  }
  if (none([&](std::size_t i) { return free[i].cpu >= need.cpu; }))
    return std::to_string(need.cpu) + "m free CPU";
  if (none([&](std::size_t i) { return free[i].memory >= need.memory; }))
    return format_bytes(need.memory) + " free memory";
  for (std::size_t c = 0; c < k_storage_class_count; ++c)
    if (need.storage[c] > 0 && none([&](std::size_t i) { return free[i].storage[c] >= need.storage[c]; }))
      return format_bytes(need.storage[c]) + " free " + std::string(to_string(static_cast<StorageClass>(c))) +
             " storage";
  return "room for one replica (CPU, memory, storage and GPUs together)";
}

} // namespace

Result<std::vector<GpuRequirement>> parse_gpu_requirements(const sdl::Attributes& attributes) {
  std::vector<GpuRequirement> out;
  for (const auto& a : attributes) {
    std::string_view key = a.key;
    GpuRequirement req;
    auto next = [&key]() -> std::string_view {
      auto slash = key.find('/');
      std::string_view part = key.substr(0, slash);
      key = slash == std::string_view::npos ? std::string_view{} : key.substr(slash + 1);
      return part;
    };
    bool good = next() == "vendor";
    if (good) {
      req.vendor = std::string(next());
      good = !req.vendor.empty() && next() == "model";
    }
    if (good) {
      req.model = std::string(next());
      good = !req.model.empty();
    }
    while (good && !key.empty()) {
      std::string_view field = next();
      std::string_view value = next();
      if (value.empty()) good = false;
      else if (field == "ram" && req.ram.empty()) req.ram = std::string(value);
      else if (field == "interface" && req.interface.empty()) req.interface = std::string(value);
      else good = false;
    }
    if (!good) return make_error(ErrorKind::invalid, "malformed GPU attribute \"" + a.key + "\"");
    if (a.value != "true") continue;
    out.push_back(std::move(req));
  }
  return out;
}

bool gpu_matches(const GpuRequirement& requirement, const GpuDevice& device) {
  if (requirement.vendor != device.vendor) return false;
  if (requirement.model != "*" && requirement.model != device.model) return false;
  if (!requirement.ram.empty() && requirement.ram != device.ram) return false;
  if (!requirement.interface.empty() && requirement.interface != device.interface) return false;
  return true;
}

std::string describe(const GpuRequirement& requirement) {
  std::string out = requirement.vendor + " " + (requirement.model == "*" ? "(any model)" : requirement.model);
  if (!requirement.ram.empty()) out += " " + requirement.ram;
  if (!requirement.interface.empty()) out += " " + requirement.interface;
  return out;
}

StorageClass volume_class(const sdl::Storage& volume) {
  const std::string* cls = find_attribute(volume.attributes, "class");
  const std::string* persistent = find_attribute(volume.attributes, "persistent");
  if (cls) {
    if (auto parsed = parse_storage_class(*cls)) return *parsed;
  }
  if (persistent && *persistent == "true") return StorageClass::standard;
  return StorageClass::ephemeral;
}

UnitDemand unit_demand(const sdl::ResourceUnit& unit) {
  const sdl::Resources& r = unit.resources;
  UnitDemand d;
  d.cpu = r.cpu.units;
  d.memory = r.memory.size;
  d.volume_classes.reserve(r.storage.size());
  for (const auto& v : r.storage) {
    const StorageClass cls = volume_class(v);
    d.volume_classes.push_back(cls);
    auto& slot = d.storage[static_cast<std::size_t>(cls)];
    slot = (slot > UINT64_MAX - v.size) ? UINT64_MAX : slot + v.size;
  }
  d.gpus = r.gpu.units;
  if (r.gpu.units > 0) {
    auto parsed = parse_gpu_requirements(r.gpu.attributes);
    if (parsed) d.gpu_alternatives = std::move(*parsed);
  }
  for (const auto& e : r.endpoints) {
    if (e.kind == sdl::EndpointKind::random_port) ++d.ports;
    else if (e.kind == sdl::EndpointKind::leased_ip) ++d.ips;
  }
  constexpr util::int128 k_gib = util::int128{1} << 30;
  constexpr util::int128 k_den = 1000 * k_gib;
  const util::int128 count = unit.count;
  d.cpu_term = static_cast<util::int128>(r.cpu.units) * count * k_gib;
  d.memory_term = static_cast<util::int128>(r.memory.size) * count * 1000;
  for (const auto& v : r.storage) d.volume_terms.push_back(static_cast<util::int128>(v.size) * count * 1000);
  d.gpu_term_overflows = __builtin_mul_overflow(static_cast<util::int128>(r.gpu.units) * count, k_den, &d.gpu_term);
  d.port_term = static_cast<util::int128>(d.ports) * count * k_den;
  d.ip_term = static_cast<util::int128>(d.ips) * count * k_den;
  return d;
}

std::vector<UnitDemand> unit_demands(const sdl::GroupSpec& group) {
  std::vector<UnitDemand> out;
  out.reserve(group.resources.size());
  for (const auto& unit : group.resources) out.push_back(unit_demand(unit));
  return out;
}

Inventory::Inventory(std::vector<NodeConfig> nodes) : m_nodes(std::move(nodes)) {
  m_free.reserve(m_nodes.size());
  for (const auto& n : m_nodes) {
    NodeFree f;
    f.cpu = n.cpu;
    f.memory = n.memory;
    f.storage = n.storage;
    std::size_t gpus = std::min(n.gpus.size(), k_max_node_gpus);
    f.gpu_mask = gpus == 64 ? ~0ULL : ((1ULL << gpus) - 1);
    m_free.push_back(f);
  }
  std::vector<std::string> names;
  std::vector<std::vector<std::uint32_t>> by_class;
  for (std::size_t i = 0; i < m_nodes.size(); ++i) {
    std::string name = hardware_class_of(m_nodes[i]);
    auto it = std::find(names.begin(), names.end(), name);
    auto index = static_cast<std::size_t>(it - names.begin());
    if (it == names.end()) {
      names.push_back(std::move(name));
      by_class.emplace_back();
    }
    by_class[index].push_back(static_cast<std::uint32_t>(i));
  }
  for (const auto& members : by_class) {
    m_class_nodes.insert(m_class_nodes.end(), members.begin(), members.end());
    m_class_end.push_back(static_cast<std::uint32_t>(m_class_nodes.size()));
  }
}

std::size_t Inventory::free_gpu_count(std::size_t node) const {
  return static_cast<std::size_t>(std::popcount(m_free[node].gpu_mask));
}

FitResult Inventory::fit(const sdl::GroupSpec& group) const {
  const std::vector<UnitDemand> demands = unit_demands(group);
  return fit(group, demands);
}

FitResult Inventory::fit(const sdl::GroupSpec& group, std::span<const UnitDemand> demands) const {
  FitResult result;
  result.fits = fit(group, demands, result.reservation, result.shortfall);
  return result;
}

bool Inventory::fit(const sdl::GroupSpec& group, std::span<const UnitDemand> demands, Reservation& into,
                    Shortfall& shortfall) const {
  std::vector<ReplicaPlacement>& replicas_placed = into.replicas;
  replicas_placed.clear();
  // Later units see what earlier ones took; a single unit reads m_free directly.
  std::vector<NodeFree> work;
  const bool several = group.resources.size() > 1;
  if (several) work = m_free;
  const std::vector<NodeFree>& current = several ? work : m_free;
  std::vector<std::pair<std::uint32_t, NodeFree>> touched;
  std::size_t replicas = 0;
  for (const auto& unit : group.resources) replicas += unit.count;
  if (replicas > k_max_replicas) {
    shortfall = Shortfall{group.resources.front().resources.id, static_cast<std::uint32_t>(std::min<std::size_t>(replicas, UINT32_MAX)),
                          "room for " + std::to_string(replicas) + " replicas (at most " +
                              std::to_string(k_max_replicas) + " per order)"};
    return false;
  }
  replicas_placed.reserve(std::min<std::size_t>(replicas, 256));
  for (std::size_t u = 0; u < group.resources.size(); ++u) {
    const sdl::ResourceUnit& unit = group.resources[u];
    const Need& need = demands[u];
    const std::size_t before = replicas_placed.size();
    bool placed = unit.count == 0;
    // All replicas of the unit go to nodes of one hardware class; try each class in turn.
    for (std::size_t c = 0; c < m_class_end.size() && !placed; ++c) {
      touched.clear();
      replicas_placed.resize(before);
      std::uint32_t done = 0;
      for (std::size_t k = c == 0 ? 0 : m_class_end[c - 1]; k < m_class_end[c]; ++k) {
        const std::uint32_t i = m_class_nodes[k];
        if (done == unit.count) break;
        NodeFree local = current[i];
        std::uint64_t mask = 0;
        bool took = false;
        while (done < unit.count && fits_node(m_nodes[i], local, need, mask)) {
          take(local, need, mask);
          took = true;
          ReplicaPlacement rp;
          rp.resource_id = unit.resources.id;
          rp.replica = done;
          rp.node = i;
          for (std::size_t g = 0; mask != 0 && g < std::min(m_nodes[i].gpus.size(), k_max_node_gpus); ++g)
            if (mask >> g & 1) rp.gpu_ids.push_back(m_nodes[i].gpus[g].id);
          rp.cpu = need.cpu;
          rp.memory = need.memory;
          rp.storage = need.storage;
          replicas_placed.push_back(std::move(rp));
          ++done;
        }
        if (took && several) touched.push_back({i, local});
      }
      placed = done == unit.count;
    }
    if (placed) {
      for (const auto& [i, local] : touched) work[i] = local;
      continue;
    }
    replicas_placed.clear();
    bool one_fits = false;
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < m_nodes.size() && !one_fits; ++i) one_fits = fits_node(m_nodes[i], current[i], need, mask);
    if (!one_fits) {
      shortfall = Shortfall{unit.resources.id, unit.count, shortfall_of(m_nodes, current, need)};
      return false;
    }
    // Say what one replica needs in terms people recognise.
    std::string one = std::to_string(need.cpu) + "m CPU, " + format_bytes(need.memory) + " memory";
    if (need.gpus > 0)
      one += ", " + std::to_string(need.gpus) + " " +
             (need.gpu_alternatives.empty() ? std::string("GPU") : describe(need.gpu_alternatives.front())) +
             (need.gpus == 1 ? "" : " GPUs");
    std::string what = unit.count > 1 ? "room for all " + std::to_string(unit.count) +
                                            " replicas on identical hardware (" + one + " each)"
                                      : "room for one replica (" + one + ")";
    shortfall = Shortfall{unit.resources.id, unit.count, std::move(what)};
    return false;
  }
  return true;
}

Status Inventory::reserve(std::string order_id, Reservation reservation) {
  if (m_reservations.count(order_id))
    return make_error(ErrorKind::refused, "order " + order_id + " already holds a reservation");
  // Taken in place and given back if a replica no longer fits: the common case is that
  // it all fits, and copying every node's free capacity per bid would cost more.
  std::vector<std::uint64_t> masks;
  masks.reserve(reservation.replicas.size());
  auto undo = [&] {
    for (std::size_t r = masks.size(); r-- > 0;) {
      const ReplicaPlacement& rp = reservation.replicas[r];
      NodeFree& f = m_free[rp.node];
      f.cpu += rp.cpu;
      f.memory += rp.memory;
      for (std::size_t c = 0; c < k_storage_class_count; ++c) f.storage[c] += rp.storage[c];
      f.gpu_mask |= masks[r];
    }
  };
  for (const auto& rp : reservation.replicas) {
    if (rp.node >= m_nodes.size()) {
      undo();
      return make_error(ErrorKind::invalid, "reservation names an unknown node");
    }
    NodeFree& f = m_free[rp.node];
    std::uint64_t mask = 0;
    for (const auto& id : rp.gpu_ids) {
      const auto& gpus = m_nodes[rp.node].gpus;
      auto it = std::find_if(gpus.begin(), gpus.end(), [&](const GpuDevice& g) { return g.id == id; });
      if (it == gpus.end() || it - gpus.begin() >= static_cast<std::ptrdiff_t>(k_max_node_gpus)) {
        undo();
        return make_error(ErrorKind::invalid, "reservation names an unknown GPU " + id);
      }
      mask |= 1ULL << (it - gpus.begin());
    }
    bool enough = f.cpu >= rp.cpu && f.memory >= rp.memory && (f.gpu_mask & mask) == mask;
    for (std::size_t c = 0; c < k_storage_class_count; ++c) enough = enough && f.storage[c] >= rp.storage[c];
    if (!enough) {
      undo();
      return make_error(ErrorKind::refused, "the capacity for order " + order_id + " on node " +
                                                m_nodes[rp.node].name + " is no longer free");
    }
    f.cpu -= rp.cpu;
    f.memory -= rp.memory;
    for (std::size_t c = 0; c < k_storage_class_count; ++c) f.storage[c] -= rp.storage[c];
    f.gpu_mask &= ~mask;
    masks.push_back(mask);
  }
  reservation.order_id = order_id;
  m_reservations.emplace(std::move(order_id), std::move(reservation));
  return ok();
}

bool Inventory::release(std::string_view order_id) {
  auto it = m_reservations.find(std::string(order_id));
  if (it == m_reservations.end()) return false;
  for (const auto& rp : it->second.replicas) {
    NodeFree& f = m_free[rp.node];
    f.cpu += rp.cpu;
    f.memory += rp.memory;
    for (std::size_t c = 0; c < k_storage_class_count; ++c) f.storage[c] += rp.storage[c];
    const auto& gpus = m_nodes[rp.node].gpus;
    for (const auto& id : rp.gpu_ids)
      for (std::size_t g = 0; g < std::min(gpus.size(), k_max_node_gpus); ++g)
        if (gpus[g].id == id) f.gpu_mask |= 1ULL << g;
  }
  m_reservations.erase(it);
  return true;
}

const Reservation* Inventory::reservation(std::string_view order_id) const {
  auto it = m_reservations.find(std::string(order_id));
  return it == m_reservations.end() ? nullptr : &it->second;
}

} // namespace akt::sim
