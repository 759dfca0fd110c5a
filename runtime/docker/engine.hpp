#pragma once
// The slice of the Docker Engine API that akt needs, as a small interface: HttpEngine
// (http_engine.hpp) speaks to a real engine, FakeEngine (fake_engine.hpp) stands in for
// it in unit tests. Failures carry the engine's own message; an engine that cannot be
// reached is ErrorKind::unreachable, a refusal by the engine ErrorKind::provider, a
// missing object ErrorKind::not_found.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/docker/stream.hpp"
#include "util/result.hpp"

namespace akt::runtime::docker {

using Labels = std::map<std::string, std::string>;

struct PingInfo {
  std::string engine_api_version;  // the engine's Api-Version header
  std::string api_version;         // what we use: min(engine's, ours)
  std::string os_type;
};

struct RegistryAuth {
  std::string username;
  std::string password;
  std::string email;
  std::string server_address;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> repo_tags;
};

// One line of a pull's progress stream ("Downloading", "Pull complete", ...).
struct PullProgress {
  std::string id;
  std::string status;
  std::string progress;
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct NetworkInfo {
  std::string id;
  std::string name;
  Labels labels;
};

struct VolumeInfo {
  std::string name;
  Labels labels;
};

struct PortKey {
  std::uint32_t port = 0;
  std::string proto = "tcp";  // "tcp" or "udp", lower case as Docker writes it
  std::string key() const { return std::to_string(port) + "/" + proto; }  // "80/tcp"
  friend bool operator==(const PortKey&, const PortKey&) = default;
  friend auto operator<=>(const PortKey&, const PortKey&) = default;
};

struct VolumeMount {
  std::string source;  // volume name; empty for an anonymous volume
  std::string target;
  bool read_only = false;
};

struct DeviceRequest {
  std::string driver;                              // "" lets the engine pick (nvidia)
  std::vector<std::string> device_ids;             // never Count: ids are concrete
  std::vector<std::vector<std::string>> capabilities = {{"gpu"}};
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: the image's
  std::optional<std::vector<std::string>> cmd;         // nullopt: the image's
  std::vector<std::string> env;                        // "NAME=value"
  Labels labels;
  std::string hostname;
  std::int64_t nano_cpus = 0;     // 0: unlimited
  std::int64_t memory_bytes = 0;  // 0: unlimited
  std::vector<PortKey> exposed;   // every port the service exposes
  std::vector<PortKey> published; // published on a random host port
  std::string publish_host_ip;    // "" = all interfaces
  std::vector<VolumeMount> volumes;
  std::map<std::string, std::string> tmpfs;  // target → options ("size=67108864")
  std::string network;
  std::vector<std::string> aliases;          // names on `network`
  std::vector<DeviceRequest> device_requests;
  std::string restart_policy;                // "", "no", "always", "unless-stopped", "on-failure"
};

struct HostPort {
  std::string host_ip;
  std::uint32_t host_port = 0;
};

struct ContainerState {
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false;
  bool restarting = false;
  bool oom_killed = false;
  std::int64_t exit_code = 0;
  std::string error;
  std::string started_at;
  std::string finished_at;
};

struct ContainerInfo {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  ContainerState state;
  Labels labels;
  std::int64_t restart_count = 0;
  std::int64_t nano_cpus = 0;
  std::int64_t memory_bytes = 0;
  std::vector<std::string> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::map<std::string, std::vector<HostPort>> ports;  // "80/tcp" → bindings
  std::vector<VolumeMount> volumes;
  std::map<std::string, std::string> tmpfs;
  std::vector<DeviceRequest> device_requests;
  std::vector<std::string> networks;
};

struct ContainerSummary {
  std::string id;
  std::string name;
  std::string image;
  std::string state;  // "running", "exited", ...
  Labels labels;
};

struct LogOptions {
  bool follow = false;
  std::optional<std::uint32_t> tail;  // nullopt: all
  bool timestamps = false;
  bool stdout_ = true;
  bool stderr_ = true;
  // Polled about once a second while a follow waits for output; true ends it.
  std::function<bool()> cancelled;
};
// Receives demultiplexed output; return false to stop (ends a follow).
using OutputFn = std::function<bool(StreamKind, std::string_view)>;

struct ExecSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string working_dir;
  bool attach_stdout = true;
  bool attach_stderr = true;
  bool attach_stdin = false;
  bool tty = false;  // a terminal: one raw stream, no stdout/stderr frames
};

// A terminal's size, for a command run with a TTY.
struct ConsoleSize {
  unsigned rows = 0;
  unsigned columns = 0;
};

struct ExecInfo {
  bool running = false;
  std::int64_t exit_code = 0;
};

struct EngineEvent {
  std::string type;    // "container", "network", ...
  std::string action;  // "start", "die", "destroy", ...
  std::string id;
  Labels attributes;   // the object's labels plus name, exitCode, ...
  std::int64_t time = 0;  // unix seconds
};

class Engine {
public:
  virtual ~Engine() = default;

  // Reaches the engine and settles the API version; every other call needs none first.
  virtual Result<PingInfo> ping() = 0;

  // nullopt when the image is not present locally.
  virtual Result<std::optional<ImageInfo>> image_inspect(const std::string& ref) = 0;
  virtual Status image_pull(const std::string& ref, const std::optional<RegistryAuth>& auth,
                            const PullProgressFn& progress) = 0;

  virtual Result<std::string> network_create(const std::string& name, const Labels& labels) = 0;
  virtual Status network_remove(const std::string& id_or_name) = 0;
  // Takes a container off a network; force also when it is not running.
  virtual Status network_disconnect(const std::string& network, const std::string& container, bool force) = 0;
  // Networks carrying every one of `labels` (key=value; an empty value matches the key alone).
  virtual Result<std::vector<NetworkInfo>> network_list(const Labels& labels) = 0;

  virtual Result<std::string> volume_create(const std::string& name, const Labels& labels) = 0;
  virtual Status volume_remove(const std::string& name, bool force) = 0;
  virtual Result<std::vector<VolumeInfo>> volume_list(const Labels& labels) = 0;

  virtual Result<std::string> container_create(const ContainerSpec& spec) = 0;
  virtual Status container_start(const std::string& id) = 0;
  virtual Status container_stop(const std::string& id, int timeout_s) = 0;
  virtual Status container_restart(const std::string& id, int timeout_s) = 0;
  // remove_volumes removes the container's anonymous volumes, never named ones.
  virtual Status container_remove(const std::string& id, bool force, bool remove_volumes) = 0;
  virtual Result<ContainerInfo> container_inspect(const std::string& id) = 0;
  virtual Result<std::vector<ContainerSummary>> container_list(const Labels& labels, bool all) = 0;
  virtual Status container_logs(const std::string& id, const LogOptions& options,
                                const OutputFn& output) = 0;
  // Blocks until the container is not running; returns its exit code.
  virtual Result<std::int64_t> container_wait(const std::string& id) = 0;

  virtual Result<std::string> exec_create(const std::string& container, const ExecSpec& spec) = 0;
  // Runs the exec attached and returns when its output ends.
  virtual Status exec_start(const std::string& exec_id, const OutputFn& output) = 0;
  // Runs an exec created with attach_stdin: what `input_fd` yields until its end of file
  // goes to the command's stdin (then closed), while its output comes to `output`.
  // `tty` must match the exec's spec; `size`, when set, sizes its terminal.
  virtual Status exec_start_attached(const std::string& exec_id, int input_fd, bool tty,
                                     const std::optional<ConsoleSize>& size, const OutputFn& output) = 0;
  virtual Result<ExecInfo> exec_inspect(const std::string& exec_id) = 0;

  // Events in [since, until] (unix seconds) for objects carrying `labels`; returns
  // without waiting for more.
  virtual Result<std::vector<EngineEvent>> events(std::int64_t since, std::int64_t until,
                                                  const Labels& labels) = 0;
};

} // namespace akt::runtime::docker
