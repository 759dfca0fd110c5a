#pragma once
// Small JSON documents the simulator keeps under $AKT_HOME/sim/ so that successive akt
// processes (the embedded shape runs providers inside whichever command needs them) and a
// long-lived `akt sim serve` see the same provider state. Files are replaced atomically.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace akt::sim {

inline constexpr std::uintmax_t k_max_state_bytes = 32u << 20;

// Reads a whole small file; a missing file is an empty string, one over `max_bytes` an
// error.
Result<std::string> read_small_file(const std::filesystem::path& file, std::uintmax_t max_bytes = k_max_state_bytes);
// Writes `text` to a temporary file beside `file` and renames it over `file`.
Status write_file_atomic(const std::filesystem::path& file, std::string_view text);

// An exclusive flock(2) on `path` (created when missing), held while it lives: akt
// processes that read, change and replace the same state file take turns.
class FileLock {
public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  // False when the lock file cannot be opened; `error()` says why.
  explicit operator bool() const { return m_fd >= 0; }
  Error error() const;

private:
  std::filesystem::path m_path;
  int m_fd = -1;
  int m_errno = 0;
};

// Which providers `akt sim fault NAME down` took offline. An offline provider does nothing:
// no bids, no manifests, no withdrawals, no health checks; its leases stop being served.
class FaultStore {
public:
  explicit FaultStore(std::filesystem::path file) : m_file(std::move(file)) {}
  Result<std::set<std::string>> offline() const;
  Status set_offline(const std::string& provider, bool offline);

private:
  std::filesystem::path m_file;
};

// What a provider remembers about one lease between rounds.
struct LeaseMemory {
  std::int64_t won_at = 0;              // height at which the provider saw the lease
  std::string manifest_version;         // hash of the accepted manifest, "" until one came
  std::int64_t manifest_at = 0;
  std::int64_t unhealthy_since = -1;    // -1 while healthy
  std::string last_error;               // why the workload failed, for status and explain
};

// A provider's memory: leases it serves and bids it reserved capacity for. Everything else
// is derived from the ledger and from Docker's labels each round.
struct ProviderMemory {
  std::map<std::string, LeaseMemory> leases;  // key: lease id text
};

class ProviderMemoryStore {
public:
  explicit ProviderMemoryStore(std::filesystem::path file) : m_file(std::move(file)) {}
  Result<ProviderMemory> load() const;
  Status save(const ProviderMemory& memory) const;
  // Applies `change` to the memory as it is in the file now and saves it, while holding
  // the file's lock: another akt process's update of other leases is kept.
  Status update(const std::function<void(ProviderMemory&)>& change) const;
  const std::filesystem::path& file() const { return m_file; }

private:
  std::filesystem::path m_file;
};

} // namespace akt::sim
