#pragma once
// Runs a lease's manifest group as Docker objects, the way an Akash provider runs it on
// Kubernetes: one network per lease (services reach each other by service name),
// `count` containers per service with CPU/memory limits, env, SDL `command` as entrypoint
// and `args` as cmd, global exposes published on host ports, persistent storage as
// named volumes, `ram` storage as tmpfs, GPUs by device id. Every object carries the
// labels akt.lease, akt.provider, akt.deployment (and akt.service on containers), so
// the leases present in Docker can be found again after a restart.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/docker/engine.hpp"
#include "sdl/types.hpp"
#include "util/result.hpp"

namespace akt::runtime::docker {

// Lease id owner/dseq/gseq/oseq/provider (MARKET.md "Identifiers").
struct LeaseRef {
  std::string owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  std::string provider;

  std::string id() const;          // "owner/dseq/gseq/oseq/provider"
  std::string deployment() const;  // "owner/dseq"
  static Result<LeaseRef> parse(std::string_view id);
  friend bool operator==(const LeaseRef&, const LeaseRef&) = default;
};

// Concrete GPU device ids (as `nvidia-smi -L` / the NVIDIA runtime know them, e.g. "0",
// "GPU-3f2e...") per service and replica, chosen by the provider's inventory.
struct GpuAssignment {
  std::map<std::string, std::vector<std::vector<std::string>>> devices;  // service → replica → ids
};

// MARKET.md's lease-status shape.
struct ServiceStatus {
  std::string name;
  std::uint32_t available = 0;  // = available_replicas
  std::uint32_t total = 0;      // containers present
  std::vector<std::string> uris;  // "host:port" of the HTTP ingress (global TCP 80)
  std::uint32_t replicas = 0;     // count asked for
  std::uint32_t ready_replicas = 0;      // running
  std::uint32_t available_replicas = 0;  // running and not restarting
};

struct ForwardedPort {
  std::string host;
  std::uint32_t port = 0;           // container port
  std::uint32_t external_port = 0;  // host port Docker assigned
  std::string proto;                // "TCP" / "UDP"
  std::string name;                 // service
};

struct LeaseStatus {
  std::map<std::string, ServiceStatus> services;
  std::map<std::string, std::vector<ForwardedPort>> forwarded_ports;  // by service
  std::vector<std::string> errors;  // "web-0: exited with code 1 (OOM killed)", ...
  // True when every service has available ≥ count (MARKET.md "Health").
  bool healthy() const;
};

struct RuntimeOptions {
  // Host named in URIs and forwarded ports: where tenants reach published ports.
  std::string public_host = "localhost";
  // Interface published ports bind to ("" = all, "127.0.0.1" = local only).
  std::string publish_host_ip;
  int stop_timeout_s = 5;
  std::string restart_policy = "unless-stopped";
  // Called with pull progress lines while an image is missing locally.
  PullProgressFn pull_progress;
};

struct LogLine {
  std::string service;
  std::uint32_t replica = 0;
  StreamKind stream = StreamKind::stdout_;
  std::string text;  // without the newline
};
// Return false to stop.
using LogLineFn = std::function<bool(const LogLine&)>;

struct LeaseLogOptions {
  std::optional<std::string> service;  // nullopt: every service
  bool follow = false;
  std::optional<std::uint32_t> tail;
  // Polled about once a second while a follow waits; true ends it.
  std::function<bool()> cancelled;
};

struct ExecIo {
  std::uint32_t replica = 0;
  std::function<void(std::string_view)> on_stdout;
  std::function<void(std::string_view)> on_stderr;
  // The command's stdin: read until its end of file (-1: the command gets none).
  int stdin_fd = -1;
  // Run in a terminal (one raw stream, to on_stdout), of this size when given.
  bool tty = false;
  std::optional<ConsoleSize> console;
};

struct LeaseEvent {
  std::string service;
  std::uint32_t replica = 0;
  std::string action;  // "start", "die", "oom", "restart", ...
  std::int64_t exit_code = 0;
  std::int64_t time = 0;
};

class LeaseRuntime {
public:
  LeaseRuntime(Engine& engine, RuntimeOptions options = {});

  // Creates (or brings up to date) the lease's network, volumes and containers and starts
  // them. Returns once every container is started; readiness is status()'s business.
  // Deploying again with a new manifest version updates in place: containers whose
  // spec changed (image, env, command, ...) are recreated, volumes kept, extra replicas
  // removed. A GPU request on an engine without the NVIDIA runtime fails with
  // ErrorKind::provider and what to install.
  Status deploy(const LeaseRef& lease, const sdl::ManifestGroup& group,
                const GpuAssignment& gpus = {});
  Status update(const LeaseRef& lease, const sdl::ManifestGroup& group,
                const GpuAssignment& gpus = {}) {
    return deploy(lease, group, gpus);
  }

  // Per service replicas, URIs and forwarded ports, from inspecting the containers.
  // A lease with nothing in Docker is ErrorKind::not_found.
  Result<LeaseStatus> status(const LeaseRef& lease);

  // Lines of the lease's containers (one service or all). With follow, returns when the
  // containers stop or `line` returns false.
  Status logs(const LeaseRef& lease, const LeaseLogOptions& options, const LogLineFn& line);

  // Runs argv in one replica of `service` and returns its exit code.
  Result<int> exec(const LeaseRef& lease, const std::string& service,
                   const std::vector<std::string>& argv, const ExecIo& io = {});

  // Restarts the lease's containers of one service (all when empty): volumes stay.
  Status restart(const LeaseRef& lease, const std::string& service = {});

  // Removes containers and the network; persistent volumes too when remove_volumes
  // (the deployment closed). Removing what is already gone is not an error.
  Status teardown(const LeaseRef& lease, bool remove_volumes);

  // Lease ids found in Docker by label (containers, networks, volumes), for
  // reconciliation after a restart; only this provider's when `provider` is given.
  Result<std::vector<std::string>> leases(const std::optional<std::string>& provider = {});

  // Container start/die/oom/restart events of the lease between since and until (unix s).
  Result<std::vector<LeaseEvent>> events(const LeaseRef& lease, std::int64_t since,
                                         std::int64_t until);

  // Docker object names for a lease: "akt-<12 hex of sha256(lease id)>".
  static std::string object_prefix(const LeaseRef& lease);

  // The container spec of one replica: the mapping itself, exposed for tests and tools.
  Result<ContainerSpec> container_spec(const LeaseRef& lease, const sdl::Service& service,
                                       std::uint32_t replica,
                                       const std::vector<std::string>& gpu_device_ids) const;

private:
  Status ensure_image(const sdl::Service& service);
  Engine& m_engine;
  RuntimeOptions m_options;
};

// Label keys.
inline constexpr const char* k_label_lease = "akt.lease";
inline constexpr const char* k_label_provider = "akt.provider";
inline constexpr const char* k_label_deployment = "akt.deployment";
inline constexpr const char* k_label_service = "akt.service";
inline constexpr const char* k_label_replica = "akt.replica";
inline constexpr const char* k_label_spec = "akt.spec";  // sha256 of the replica's spec
inline constexpr const char* k_label_replicas = "akt.replicas";  // the service's count
inline constexpr const char* k_label_ingress = "akt.ingress";  // "8080/tcp,..." HTTP ports

} // namespace akt::runtime::docker
