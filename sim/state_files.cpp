#include "sim/state_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace akt::sim {

Result<std::string> read_small_file(const std::filesystem::path& file, std::uintmax_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::string{};
  std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return make_error(ErrorKind::failure, file.string() + ": " + ec.message());
  if (size > max_bytes) return make_error(ErrorKind::failure, file.string() + ": file too large");
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorKind::failure, file.string() + ": cannot read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Status write_file_atomic(const std::filesystem::path& file, std::string_view text) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return make_error(ErrorKind::failure, file.parent_path().string() + ": " + ec.message());
  std::filesystem::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return make_error(ErrorKind::failure, tmp.string() + ": cannot write");
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return make_error(ErrorKind::failure, file.string() + ": " + ec.message());
  return ok();
}

FileLock::FileLock(const std::filesystem::path& path) : m_path(path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    m_errno = errno;
    return;
  }
  while (::flock(m_fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      m_errno = errno;
      ::close(m_fd);
      m_fd = -1;
      return;
    }
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the lock
}

Error FileLock::error() const {
  return make_error(ErrorKind::failure, m_path.string() + ": cannot lock: " + std::strerror(m_errno));
}

Result<std::set<std::string>> FaultStore::offline() const {
  Result<std::string> text = read_small_file(m_file);
  if (!text) return text.error();
  std::set<std::string> out;
  if (text->empty()) return out;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("offline") || !j["offline"].is_array())
    return make_error(ErrorKind::invalid, m_file.string() + ": expected {\"offline\": [names]}");
  for (const nlohmann::json& name : j["offline"])
    if (name.is_string()) out.insert(name.get<std::string>());
  return out;
}

Status FaultStore::set_offline(const std::string& provider, bool offline) {
  FileLock lock(m_file.string() + ".lock");
  if (!lock) return lock.error();
  Result<std::set<std::string>> current = this->offline();
  if (!current) return current.error();
  if (offline) current->insert(provider);
  else current->erase(provider);
  nlohmann::json j = {{"offline", nlohmann::json(*current)}};
  return write_file_atomic(m_file, j.dump());
}

Result<ProviderMemory> ProviderMemoryStore::load() const {
  Result<std::string> text = read_small_file(m_file);
  if (!text) return text.error();
  ProviderMemory memory;
  if (text->empty()) return memory;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorKind::invalid, m_file.string() + ": not a JSON object");
  try {
    const nlohmann::json leases = j.value("leases", nlohmann::json::object());
    for (const auto& [id, l] : leases.items()) {
      LeaseMemory m;
      m.won_at = l.value("won_at", std::int64_t{0});
      m.manifest_version = l.value("manifest_version", "");
      m.manifest_at = l.value("manifest_at", std::int64_t{0});
      m.unhealthy_since = l.value("unhealthy_since", std::int64_t{-1});
      m.last_error = l.value("last_error", "");
      memory.leases[id] = m;
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::invalid, m_file.string() + ": " + e.what());
  }
  return memory;
}

Status ProviderMemoryStore::save(const ProviderMemory& memory) const {
  nlohmann::json leases = nlohmann::json::object();
  for (const auto& [id, m] : memory.leases)
    leases[id] = {{"won_at", m.won_at},
                  {"manifest_version", m.manifest_version},
                  {"manifest_at", m.manifest_at},
                  {"unhealthy_since", m.unhealthy_since},
                  {"last_error", m.last_error}};
  return write_file_atomic(m_file, nlohmann::json{{"leases", leases}}.dump());
}

Status ProviderMemoryStore::update(const std::function<void(ProviderMemory&)>& change) const {
  FileLock lock(m_file.string() + ".lock");
  if (!lock) return lock.error();
  Result<ProviderMemory> loaded = load();
  ProviderMemory memory = loaded ? std::move(*loaded) : ProviderMemory{};  // a damaged file starts over
  change(memory);
  return save(memory);
}

} // namespace akt::sim
