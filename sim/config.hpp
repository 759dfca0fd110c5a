#pragma once
// The simulated network: $AKT_HOME/sim.yaml. Each provider is described the way a real
// Akash provider is configured: on-chain attributes (region, tier, capabilities), which
// auditor signed which of them, its nodes (the inventory), its pricing, the denoms it
// takes, its timeouts and how reliable it is. Loading is strict: an unknown key or a
// value of the wrong shape is refused with file:line:col and the key path, so a typo
// never silently changes a simulation.
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "util/decimal.hpp"
#include "util/result.hpp"

namespace akt::sim {

// Blocks a month in the provider reference price script: (60 / 6.117) * 24 * 60 * 30.437.
inline constexpr std::uint64_t k_blocks_per_month = 429909;
// At most this many volumes per service (the provider's MaxGroupVolumes).
inline constexpr std::size_t k_max_volumes = 4;
// A node holds at most this many GPUs (a free-device bit mask per node).
inline constexpr std::size_t k_max_node_gpus = 64;

// Where a volume's bytes come from. `ephemeral` is a node's local disk (volumes that are
// not persistent); the others are the SDL storage classes (RULES.md §4.3).
enum class StorageClass : std::uint8_t { ephemeral, standard, beta1, beta2, beta3, ram };
inline constexpr std::size_t k_storage_class_count = 6;
// "ephemeral", "default", "beta1", "beta2", "beta3", "ram".
std::string_view to_string(StorageClass storage_class);
std::optional<StorageClass> parse_storage_class(std::string_view text);

// Bytes per storage class, indexed by StorageClass.
using StorageBytes = std::array<std::uint64_t, k_storage_class_count>;

struct GpuDevice {
  std::string id;               // device id passed to the runtime: "0".."7"
  std::string vendor = "nvidia";
  std::string model;            // lower case as in SDL: "h100", "a100", "rtx4090"
  std::string ram;              // "80Gi", as SDL normalises it
  std::string interface;        // "pcie" or "sxm"
  friend bool operator==(const GpuDevice&, const GpuDevice&) = default;
};

struct NodeConfig {
  std::string name;
  // Nodes with the same class are identical hardware; every replica of one service goes
  // to nodes of a single class. Empty: derived from CPU, memory and GPU models.
  std::string hardware_class;
  std::uint64_t cpu = 0;     // millicpu
  std::uint64_t memory = 0;  // bytes
  StorageBytes storage{};    // bytes per class
  std::vector<GpuDevice> gpus;
  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

// Targets in USD a month (MARKET.md, Pricing); 1 token (akt or act) is taken as 1 USD, so
// the price per block in micro-units = USD a month * 1e6 / blocks_per_month.
struct Rates {
  util::Decimal cpu;          // per thread (1000 millicpu)
  util::Decimal memory;       // per GiB
  util::Decimal ephemeral;    // per GiB of ephemeral disk
  util::Decimal standard;     // per GiB of persistent class "default"
  util::Decimal beta1;        // per GiB (HDD)
  util::Decimal beta2;        // per GiB (SSD)
  util::Decimal beta3;        // per GiB (NVMe)
  util::Decimal ram;          // per GiB of ram-class volume
  util::Decimal endpoint;     // per global endpoint
  util::Decimal ip;           // per leased IP
  util::Decimal gpu;          // per GPU whose model is not in gpu_models
  std::map<std::string, util::Decimal> gpu_models;  // model ("h100") -> per GPU
  friend bool operator==(const Rates&, const Rates&) = default;
};
// The reference script's targets.
Rates reference_rates();

struct Pricing {
  enum class Mode { rates, script };
  Mode mode = Mode::rates;
  Rates rates = reference_rates();
  std::uint64_t blocks_per_month = k_blocks_per_month;
  // Script mode: run like Akash's price script (order JSON on stdin, price on stdout).
  std::string script;  // relative paths resolve against the sim.yaml's folder
  std::chrono::milliseconds script_timeout{5000};
  friend bool operator==(const Pricing&, const Pricing&) = default;
};

// Failure injection; every draw comes from a generator seeded with `seed`.
struct Reliability {
  double fail = 0.0;         // probability a lease fails to start
  double offline = 0.0;      // probability the provider is offline for a round
  double early_close = 0.0;  // probability that a lease is closed early (reason unstable), within 3600 blocks
  std::uint64_t seed = 0;
  friend bool operator==(const Reliability&, const Reliability&) = default;
};

// An auditor's signature over some of a provider's attributes. `auditor` names an entry
// of NetworkConfig::auditors.
struct Signature {
  std::string auditor;
  sdl::Attributes attributes;
  friend bool operator==(const Signature&, const Signature&) = default;
};

struct ProviderConfig {
  std::string name;
  std::string key;       // key name in the keyring; its address is the provider's owner
  std::string host_uri;  // provider API, e.g. http://127.0.0.1:8443 in served mode
  sdl::Attributes attributes;  // on-chain attributes, incl. capabilities/...
  std::vector<Signature> signatures;
  std::vector<NodeConfig> nodes;
  Pricing pricing;
  std::vector<std::string> denoms{"uakt", "uact"};
  std::chrono::seconds bid_timeout{300};       // an unanswered bid closes after this
  std::chrono::seconds manifest_timeout{300};  // lease closes without a manifest by then
  std::chrono::seconds health_window{480};     // unhealthy this long -> lease closed
  Reliability reliability;
  bool online = true;
  friend bool operator==(const ProviderConfig&, const ProviderConfig&) = default;
};

struct Auditor {
  std::string name;
  std::string key;      // key name in the keyring
  std::string address;  // akash1...; empty until resolved from the keyring
  friend bool operator==(const Auditor&, const Auditor&) = default;
};

struct NetworkConfig {
  std::vector<Auditor> auditors;
  std::vector<ProviderConfig> providers;
  friend bool operator==(const NetworkConfig&, const NetworkConfig&) = default;
};

// Parses sim.yaml text; `origin` names it in errors. Every error found is joined into one
// Error whose `where` is the first; checks names unique, auditors referenced exist, GPU
// ids unique per node, probabilities in [0, 1], denoms well-formed.
Result<NetworkConfig> parse_config(std::string_view yaml, const std::string& origin);
Result<NetworkConfig> load_config(const std::filesystem::path& path);
std::string to_yaml(const NetworkConfig& config);
// Writes through a temporary file and a rename, so a reader never sees half a file.
Status save_config(const NetworkConfig& config, const std::filesystem::path& path);

// Four-plus providers that differ as real ones do (regions, CPU-only / RTX 4090 /
// A100 80GB / H100 SXM, audited or not, prices, reliability). Host URIs use ports
// base_port, base_port+1, ...
NetworkConfig default_network(int base_port = 8443);

// The capability attributes a provider with these nodes advertises:
// capabilities/storage/<i>/class + /persistent, and capabilities/gpu/vendor/<v>/model/<m>
// [/ram/<r>[/interface/<i>]] = true for each GPU kind.
sdl::Attributes capability_attributes(const std::vector<NodeConfig>& nodes);

// The hardware class of a node (its own, or derived when empty).
std::string hardware_class_of(const NodeConfig& node);

// Duration in blocks at a block interval, rounded up (at least 1).
std::uint64_t blocks_for(std::chrono::seconds duration, std::chrono::milliseconds block_interval);

// "5m", "300s", "1h30m" -> seconds; nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::seconds duration);

const ProviderConfig* find_provider(const NetworkConfig& config, std::string_view name);

} // namespace akt::sim
