#include "runtime/docker/fake_engine.hpp"

#include <algorithm>
#include <limits>

#include "runtime/docker/http_engine.hpp"
#include "util/fd.hpp"

namespace akt::runtime::docker {

namespace {

bool matches(const Labels& have, const Labels& want) {
  for (const auto& [key, value] : want) {
    auto it = have.find(key);
    if (it == have.end() || (!value.empty() && it->second != value)) {
      return false;
    }
  }
  return true;
}

Error missing(const std::string& what, const std::string& name) {
  return make_error(ErrorKind::not_found, what + ": No such " + name);
}

bool has_ref(const std::vector<std::string>& refs, const std::string& ref) {
  return std::find(refs.begin(), refs.end(), ref) != refs.end();
}

} // namespace

void FakeEngine::fail(const std::string& op, Error error, int times) {
  m_failures[op] = Failure{std::move(error), times};
}

std::size_t FakeEngine::count_calls(const std::string& op) const {
  return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](const std::string& call) {
    return call == op || call.starts_with(op + " ");
  }));
}

std::optional<Error> FakeEngine::enter(const std::string& op, const std::string& arg) {
  calls.push_back(arg.empty() ? op : op + " " + arg);
  auto it = m_failures.find(op);
  if (it == m_failures.end()) {
    return std::nullopt;
  }
  Error error = it->second.error;
  if (it->second.times > 0 && --it->second.times == 0) {
    m_failures.erase(it);
  }
  return error;
}

FakeEngine::Container* FakeEngine::find_container(const std::string& id_or_name) {
  for (auto& [id, container] : containers) {
    if (id == id_or_name || container.info.name == id_or_name) {
      return &container;
    }
  }
  return nullptr;
}

Result<PingInfo> FakeEngine::ping() {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("ping", {})) {
    return *error;
  }
  PingInfo info;
  info.engine_api_version = engine_api_version;
  info.api_version = negotiate_api_version(engine_api_version, "1.43");
  info.os_type = "linux";
  return info;
}

Result<std::optional<ImageInfo>> FakeEngine::image_inspect(const std::string& ref) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("image_inspect", ref)) {
    return *error;
  }
  if (!has_ref(local_images, ref)) {
    return std::optional<ImageInfo>();
  }
  return std::optional<ImageInfo>(ImageInfo{"sha256:" + ref, {ref}});
}

Status FakeEngine::image_pull(const std::string& ref, const std::optional<RegistryAuth>& auth,
                              const PullProgressFn& progress) {
  std::lock_guard lock(m_mutex);
  last_pull_auth = auth;
  if (auto error = enter("image_pull", ref)) {
    return *error;
  }
  if (!has_ref(registry_images, ref)) {
    return make_error(ErrorKind::provider,
                      "pull image " + ref + ": pull access denied for " + ref +
                          ", repository does not exist or may require 'docker login'");
  }
  if (progress) {
    progress(PullProgress{"layer", "Downloading", "[=>   ]"});
    progress(PullProgress{"layer", "Pull complete", ""});
  }
  local_images.push_back(ref);
  return ok();
}

Result<std::string> FakeEngine::network_create(const std::string& name, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("network_create", name)) {
    return *error;
  }
  for (const auto& [id, network] : networks) {
    if (network.name == name) {
      return make_error(ErrorKind::provider, "create network " + name + ": network with name " +
                                                 name + " already exists");
    }
  }
  const std::string id = "net" + std::to_string(m_next_id++);
  networks[id] = NetworkInfo{id, name, labels};
  return id;
}

Status FakeEngine::network_remove(const std::string& id_or_name) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("network_remove", id_or_name)) {
    return *error;
  }
  for (auto it = networks.begin(); it != networks.end(); ++it) {
    if (it->first == id_or_name || it->second.name == id_or_name) {
      networks.erase(it);
      return ok();
    }
  }
  return missing("remove network " + id_or_name, "network");
}

Status FakeEngine::network_disconnect(const std::string& network, const std::string& container, bool) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("network_disconnect", network + " " + container)) {
    return *error;
  }
  Container* c = find_container(container);
  if (c == nullptr) {
    return missing("disconnect container " + container, "container: " + container);
  }
  std::string name = network;
  if (auto it = networks.find(network); it != networks.end()) {
    name = it->second.name;
  }
  auto& attached = c->info.networks;
  auto it = std::find_if(attached.begin(), attached.end(), [&](const std::string& n) { return n == name || n == network; });
  if (it == attached.end()) {
    return make_error(ErrorKind::provider, "disconnect container " + container + ": container " + container +
                                               " is not connected to network " + network);
  }
  attached.erase(it);
  return ok();
}

Result<std::vector<NetworkInfo>> FakeEngine::network_list(const Labels& labels) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("network_list", {})) {
    return *error;
  }
  std::vector<NetworkInfo> out;
  for (const auto& [id, network] : networks) {
    if (matches(network.labels, labels)) {
      out.push_back(network);
    }
  }
  return out;
}

Result<std::string> FakeEngine::volume_create(const std::string& name, const Labels& labels) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("volume_create", name)) {
    return *error;
  }
  if (!volumes.contains(name)) {
    volumes[name] = VolumeInfo{name, labels};
  }
  return name;
}

Status FakeEngine::volume_remove(const std::string& name, bool) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("volume_remove", name)) {
    return *error;
  }
  if (volumes.erase(name) == 0) {
    return missing("remove volume " + name, "volume");
  }
  return ok();
}

Result<std::vector<VolumeInfo>> FakeEngine::volume_list(const Labels& labels) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("volume_list", {})) {
    return *error;
  }
  std::vector<VolumeInfo> out;
  for (const auto& [name, volume] : volumes) {
    if (matches(volume.labels, labels)) {
      out.push_back(volume);
    }
  }
  return out;
}

Result<std::string> FakeEngine::container_create(const ContainerSpec& spec) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_create", spec.name)) {
    return *error;
  }
  if (!has_ref(local_images, spec.image)) {
    return make_error(ErrorKind::not_found,
                      "create container " + spec.name + ": No such image: " + spec.image);
  }
  if (find_container(spec.name) != nullptr) {
    return make_error(ErrorKind::provider, "create container " + spec.name +
                                               ": Conflict. The container name \"/" + spec.name +
                                               "\" is already in use");
  }
  const std::string id = "c" + std::to_string(m_next_id++);
  Container container;
  container.spec = spec;
  ContainerInfo& info = container.info;
  info.id = id;
  info.name = spec.name;
  info.image = spec.image;
  info.state.status = "created";
  info.labels = spec.labels;
  info.nano_cpus = spec.nano_cpus;
  info.memory_bytes = spec.memory_bytes;
  info.env = spec.env;
  info.entrypoint = spec.entrypoint;
  info.cmd = spec.cmd;
  info.volumes = spec.volumes;
  info.tmpfs = spec.tmpfs;
  info.device_requests = spec.device_requests;
  if (!spec.network.empty()) {
    info.networks.push_back(spec.network);
  }
  for (const VolumeMount& volume : spec.volumes) {
    if (!volume.source.empty() && !volumes.contains(volume.source)) {
      volumes[volume.source] = VolumeInfo{volume.source, {}};
    }
  }
  containers[id] = std::move(container);
  return id;
}

Status FakeEngine::container_start(const std::string& id) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_start", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("start container " + id, "container: " + id);
  }
  // Like the engine, a container's network is looked up when it starts, not when it is created.
  for (const std::string& network : container->info.networks) {
    bool exists = std::any_of(networks.begin(), networks.end(), [&](const auto& item) {
      return item.first == network || item.second.name == network;
    });
    if (!exists && network != "bridge" && network != "none" && network != "host") {
      return missing("start container " + id, "network: " + network);
    }
  }
  if (!container->spec.device_requests.empty() && !gpu_runtime) {
    return make_error(ErrorKind::provider,
                      "start container " + id +
                          ": could not select device driver \"\" with capabilities: [[gpu]]");
  }
  ContainerInfo& info = container->info;
  if (!info.state.running) {
    for (const PortKey& port : container->spec.published) {
      info.ports[port.key()] = {HostPort{container->spec.publish_host_ip.empty() ? "0.0.0.0" : container->spec.publish_host_ip, m_next_port++}};
    }
    for (const PortKey& port : container->spec.exposed) {
      info.ports.try_emplace(port.key());
    }
  }
  info.state.status = "running";
  info.state.running = true;
  event_log.push_back(EngineEvent{"container", "start", info.id, info.labels, 0});
  return ok();
}

Status FakeEngine::container_stop(const std::string& id, int) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_stop", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("stop container " + id, "container: " + id);
  }
  if (container->info.state.running) {
    container->info.state.running = false;
    container->info.state.status = "exited";
    container->info.state.exit_code = 137;
    event_log.push_back(EngineEvent{"container", "die", container->info.id, container->info.labels, 0});
  }
  return ok();
}

Status FakeEngine::container_restart(const std::string& id, int) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_restart", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("restart container " + id, "container: " + id);
  }
  container->info.state.running = true;
  container->info.state.status = "running";
  event_log.push_back(EngineEvent{"container", "restart", container->info.id, container->info.labels, 0});
  return ok();
}

Status FakeEngine::container_remove(const std::string& id, bool force, bool) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_remove", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("remove container " + id, "container: " + id);
  }
  if (container->info.state.running && !force) {
    return make_error(ErrorKind::provider, "remove container " + id +
                                               ": You cannot remove a running container");
  }
  event_log.push_back(EngineEvent{"container", "destroy", container->info.id, container->info.labels, 0});
  containers.erase(container->info.id);
  return ok();
}

Result<ContainerInfo> FakeEngine::container_inspect(const std::string& id) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_inspect", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("inspect container " + id, "container: " + id);
  }
  return container->info;
}

Result<std::vector<ContainerSummary>> FakeEngine::container_list(const Labels& labels, bool all) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_list", {})) {
    return *error;
  }
  std::vector<ContainerSummary> out;
  for (const auto& [id, container] : containers) {
    if (matches(container.info.labels, labels) && (all || container.info.state.running)) {
      out.push_back(ContainerSummary{id, container.info.name, container.info.image,
                                     container.info.state.status, container.info.labels});
    }
  }
  return out;
}

Status FakeEngine::container_logs(const std::string& id, const LogOptions& options,
                                  const OutputFn& output) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_logs", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("logs of container " + id, "container: " + id);
  }
  if (options.stdout_ && !container->logs_stdout.empty() && output &&
      !output(StreamKind::stdout_, container->logs_stdout)) {
    return ok();
  }
  if (options.stderr_ && !container->logs_stderr.empty() && output) {
    output(StreamKind::stderr_, container->logs_stderr);
  }
  return ok();
}

Result<std::int64_t> FakeEngine::container_wait(const std::string& id) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("container_wait", id)) {
    return *error;
  }
  Container* container = find_container(id);
  if (container == nullptr) {
    return missing("wait for container " + id, "container: " + id);
  }
  return container->info.state.exit_code;
}

Result<std::string> FakeEngine::exec_create(const std::string& container_id, const ExecSpec& spec) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("exec_create", container_id)) {
    return *error;
  }
  Container* container = find_container(container_id);
  if (container == nullptr) {
    return missing("exec in container " + container_id, "container: " + container_id);
  }
  if (!container->info.state.running) {
    return make_error(ErrorKind::provider, "exec in container " + container_id + ": Container " +
                                               container_id + " is not running");
  }
  const std::string id = "exec" + std::to_string(m_next_id++);
  m_execs[id] = Exec{container->info.id, spec, ExecInfo{}};
  return id;
}

Status FakeEngine::exec_start(const std::string& exec_id, const OutputFn& output) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("exec_start", exec_id)) {
    return *error;
  }
  auto it = m_execs.find(exec_id);
  if (it == m_execs.end()) {
    return missing("start exec " + exec_id, "exec instance: " + exec_id);
  }
  std::pair<int, std::string> result{0, {}};
  if (exec_handler) {
    result = exec_handler(it->second.container, it->second.spec.argv);
  }
  if (!result.second.empty() && output) {
    output(StreamKind::stdout_, result.second);
  }
  it->second.info = ExecInfo{false, result.first};
  return ok();
}

Status FakeEngine::exec_start_attached(const std::string& exec_id, int input_fd, bool tty,
                                       const std::optional<ConsoleSize>& size, const OutputFn& output) {
  std::string input;
  if (input_fd >= 0) {
    Result<std::string> read = util::read_to_end(input_fd, std::numeric_limits<std::size_t>::max());
    if (!read) {
      return make_error(ErrorKind::failure, "read input: " + read.error().message);
    }
    input = std::move(*read);
  }
  {
    std::lock_guard lock(m_mutex);
    last_exec_input = input;
    last_exec_tty = tty;
    last_exec_size = size;
  }
  return exec_start(exec_id, output);
}

Result<ExecInfo> FakeEngine::exec_inspect(const std::string& exec_id) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("exec_inspect", exec_id)) {
    return *error;
  }
  auto it = m_execs.find(exec_id);
  if (it == m_execs.end()) {
    return missing("inspect exec " + exec_id, "exec instance: " + exec_id);
  }
  return it->second.info;
}

Result<std::vector<EngineEvent>> FakeEngine::events(std::int64_t since, std::int64_t until,
                                                    const Labels& labels) {
  std::lock_guard lock(m_mutex);
  if (auto error = enter("events", {})) {
    return *error;
  }
  std::vector<EngineEvent> out;
  for (const EngineEvent& event : event_log) {
    if (event.time >= since && event.time <= until && matches(event.attributes, labels)) {
      out.push_back(event);
    }
  }
  return out;
}

} // namespace akt::runtime::docker
