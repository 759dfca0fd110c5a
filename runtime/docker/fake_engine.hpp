#pragma once
// An in-memory Engine for unit tests: keeps images, networks, volumes and containers,
// assigns host ports from 32768 up, records every call, and fails on demand.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/docker/engine.hpp"

namespace akt::runtime::docker {

class FakeEngine : public Engine {
public:
  struct Container {
    ContainerSpec spec;
    ContainerInfo info;
    std::string logs_stdout;  // what container_logs returns, split into lines
    std::string logs_stderr;
  };

  // --- Test controls ---
  // Every call as "op arg" ("container_create akt-1a2b-web-0", "container_start <id>").
  std::vector<std::string> calls;
  // The next call of `op` ("container_start", "image_pull", ...) fails with `error`;
  // `times` < 0 fails every call until cleared.
  void fail(const std::string& op, Error error, int times = 1);
  void clear_failures() { m_failures.clear(); }
  // Images present locally; pulls succeed for these refs (registry contents).
  std::vector<std::string> local_images;
  std::vector<std::string> registry_images;
  // Whether the engine has an NVIDIA runtime; without one, starting a container that
  // requests GPUs fails with Docker's own message.
  bool gpu_runtime = false;
  std::string engine_api_version = "1.41";
  // exec: argv → {exit code, stdout}; unset → exit 0, no output.
  std::function<std::pair<int, std::string>(const std::string& container,
                                            const std::vector<std::string>& argv)>
      exec_handler;
  // What the last exec_start_attached read from its input, and how it was asked to run.
  std::string last_exec_input;
  bool last_exec_tty = false;
  std::optional<ConsoleSize> last_exec_size;
  // Last X-Registry-Auth-equivalent received by image_pull.
  std::optional<RegistryAuth> last_pull_auth;
  std::vector<EngineEvent> event_log;

  std::map<std::string, Container> containers;  // by id
  std::map<std::string, NetworkInfo> networks;  // by id
  std::map<std::string, VolumeInfo> volumes;    // by name
  // Counts only the given op in `calls`.
  std::size_t count_calls(const std::string& op) const;
  Container* find_container(const std::string& id_or_name);

  // --- Engine ---
  Result<PingInfo> ping() override;
  Result<std::optional<ImageInfo>> image_inspect(const std::string& ref) override;
  Status image_pull(const std::string& ref, const std::optional<RegistryAuth>& auth,
                    const PullProgressFn& progress) override;
  Result<std::string> network_create(const std::string& name, const Labels& labels) override;
  Status network_remove(const std::string& id_or_name) override;
  Status network_disconnect(const std::string& network, const std::string& container, bool force) override;
  Result<std::vector<NetworkInfo>> network_list(const Labels& labels) override;
  Result<std::string> volume_create(const std::string& name, const Labels& labels) override;
  Status volume_remove(const std::string& name, bool force) override;
  Result<std::vector<VolumeInfo>> volume_list(const Labels& labels) override;
  Result<std::string> container_create(const ContainerSpec& spec) override;
  Status container_start(const std::string& id) override;
  Status container_stop(const std::string& id, int timeout_s) override;
  Status container_restart(const std::string& id, int timeout_s) override;
  Status container_remove(const std::string& id, bool force, bool remove_volumes) override;
  Result<ContainerInfo> container_inspect(const std::string& id) override;
  Result<std::vector<ContainerSummary>> container_list(const Labels& labels, bool all) override;
  Status container_logs(const std::string& id, const LogOptions& options,
                        const OutputFn& output) override;
  Result<std::int64_t> container_wait(const std::string& id) override;
  Result<std::string> exec_create(const std::string& container, const ExecSpec& spec) override;
  Status exec_start(const std::string& exec_id, const OutputFn& output) override;
  Status exec_start_attached(const std::string& exec_id, int input_fd, bool tty,
                             const std::optional<ConsoleSize>& size, const OutputFn& output) override;
  Result<ExecInfo> exec_inspect(const std::string& exec_id) override;
  Result<std::vector<EngineEvent>> events(std::int64_t since, std::int64_t until,
                                          const Labels& labels) override;

private:
  struct Failure {
    Error error;
    int times = 1;
  };
  struct Exec {
    std::string container;
    ExecSpec spec;
    ExecInfo info;
  };
  // Records the call; returns the configured failure for `op` if one is due.
  std::optional<Error> enter(const std::string& op, const std::string& arg);
  // LeaseRuntime works on several containers at once; the fake serializes them.
  std::recursive_mutex m_mutex;
  std::map<std::string, Failure> m_failures;
  std::map<std::string, Exec> m_execs;
  std::uint64_t m_next_id = 1;
  std::uint32_t m_next_port = 32768;
};

} // namespace akt::runtime::docker
