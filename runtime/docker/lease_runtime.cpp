#include "runtime/docker/lease_runtime.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <future>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "util/hash.hpp"
#include "util/parallel.hpp"

namespace akt::runtime::docker {

namespace {

using nlohmann::json;

// Akash bounds a service's count far below this; the bound keeps a hostile manifest from
// asking for millions of containers.
constexpr std::uint32_t k_max_replicas = 256;

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool dns_label(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool object_name_part(const std::string& name) {
  if (name.empty() || name.size() > 63) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

std::string attribute(const sdl::Attributes& attributes, const std::string& key) {
  for (const sdl::Attribute& item : attributes) {
    if (item.key == key) {
      return item.value;
    }
  }
  return {};
}

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

Error service_error(ErrorKind kind, const std::string& service, const std::string& message) {
  Error error = make_error(kind, message);
  error.path = "services." + service;
  return error;
}

bool is_ingress(const sdl::ServiceExpose& expose) {
  const std::uint32_t external = expose.external_port != 0 ? expose.external_port : expose.port;
  return expose.global && upper(expose.proto.empty() ? "TCP" : expose.proto) == "TCP" &&
         external == 80;
}

bool not_found(const Status& status) {
  return !status && status.error().kind == ErrorKind::not_found;
}

std::uint32_t label_u32(const Labels& labels, const char* key) {
  auto it = labels.find(key);
  std::uint64_t value = 0;
  if (it == labels.end() || !parse_u64(it->second, value) || value > k_max_replicas * 1000ull) {
    return 0;
  }
  return static_cast<std::uint32_t>(value);
}

std::string label(const Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(separator, start);
    const std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) {
      out.push_back(part);
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

Labels lease_labels(const LeaseRef& lease) {
  return Labels{{k_label_lease, lease.id()},
                {k_label_provider, lease.provider},
                {k_label_deployment, lease.deployment()}};
}

Error gpu_runtime_error(const std::string& service, const std::string& engine_message) {
  return service_error(
      ErrorKind::provider, service,
      "service " + service +
          " requests GPUs but this Docker engine has no NVIDIA runtime (" + engine_message +
          "): install the NVIDIA Container Toolkit (nvidia-container-toolkit), run "
          "`nvidia-ctk runtime configure --runtime=docker` and restart dockerd");
}

// Docker works on containers concurrently; creating or removing a lease's containers
// one by one would add their latencies up.
constexpr std::size_t k_parallel = 8;

// Runs work(i) for every i in [0, n) on up to k_parallel threads; the failure of the
// lowest index wins so that errors do not depend on scheduling.
Status for_each_parallel(std::size_t n, const std::function<Status(std::size_t)>& work) {
  std::vector<Status> results(n, ok());
  util::run_parallel(n, k_parallel, [&](std::size_t i) { results[i] = work(i); });
  for (Status& result : results) {
    if (!result) {
      return result;
    }
  }
  return ok();
}

// Force-removes containers with their anonymous volumes; already gone is fine.
Status remove_containers(Engine& engine, const std::vector<std::string>& ids) {
  return for_each_parallel(ids.size(), [&](std::size_t i) -> Status {
    Status removed = engine.container_remove(ids[i], true, true);
    if (!removed && !not_found(removed)) {
      return removed;
    }
    return ok();
  });
}

} // namespace

std::string LeaseRef::id() const {
  return owner + "/" + std::to_string(dseq) + "/" + std::to_string(gseq) + "/" +
         std::to_string(oseq) + "/" + provider;
}

std::string LeaseRef::deployment() const { return owner + "/" + std::to_string(dseq); }

Result<LeaseRef> LeaseRef::parse(std::string_view id) {
  std::vector<std::string> parts;
  std::string_view rest = id;
  while (parts.size() < 6) {
    const std::size_t slash = rest.find('/');
    parts.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::invalid, "lease id \"" + std::string(id.substr(0, 200)) +
                                              "\": " + why +
                                              "; expected owner/dseq/gseq/oseq/provider");
  };
  if (parts.size() != 5) {
    return bad("wrong number of parts");
  }
  LeaseRef lease;
  std::uint64_t gseq = 0, oseq = 0;
  lease.owner = parts[0];
  lease.provider = parts[4];
  if (lease.owner.empty() || lease.provider.empty()) {
    return bad("empty owner or provider");
  }
  if (!parse_u64(parts[1], lease.dseq) || !parse_u64(parts[2], gseq) ||
      !parse_u64(parts[3], oseq) || gseq > 0xffffffffu || oseq > 0xffffffffu) {
    return bad("dseq, gseq and oseq must be numbers");
  }
  lease.gseq = static_cast<std::uint32_t>(gseq);
  lease.oseq = static_cast<std::uint32_t>(oseq);
  return lease;
}

bool LeaseStatus::healthy() const {
  return std::all_of(services.begin(), services.end(), [](const auto& item) {
    return item.second.available >= item.second.replicas;
  });
}

LeaseRuntime::LeaseRuntime(Engine& engine, RuntimeOptions options)
    : m_engine(engine), m_options(std::move(options)) {}

std::string LeaseRuntime::object_prefix(const LeaseRef& lease) {
  return "akt-" + util::sha256_hex(lease.id()).substr(0, 12);
}

Result<ContainerSpec> LeaseRuntime::container_spec(const LeaseRef& lease,
                                                   const sdl::Service& service,
                                                   std::uint32_t replica,
                                                   const std::vector<std::string>& gpu_device_ids) const {
  if (!dns_label(service.name)) {
    return service_error(ErrorKind::invalid, service.name,
                         "service name \"" + service.name.substr(0, 80) +
                             "\" is not a DNS label (a-z, 0-9, '-')");
  }
  if (service.image.empty()) {
    return service_error(ErrorKind::invalid, service.name, "service " + service.name + " has no image");
  }
  const std::string prefix = object_prefix(lease);
  ContainerSpec spec;
  spec.name = prefix + "-" + service.name + "-" + std::to_string(replica);
  spec.image = service.image;
  spec.entrypoint = service.command;
  spec.cmd = service.args;
  spec.hostname = service.name;
  if (service.env) {
    for (const std::string& entry : *service.env) {
      spec.env.push_back(entry.find('=') == std::string::npos ? entry + "=" : entry);
    }
  }
  // What an Akash provider puts in every container's environment.
  spec.env.push_back("AKASH_DEPLOYMENT_SEQUENCE=" + std::to_string(lease.dseq));
  spec.env.push_back("AKASH_GROUP_SEQUENCE=" + std::to_string(lease.gseq));
  spec.env.push_back("AKASH_ORDER_SEQUENCE=" + std::to_string(lease.oseq));
  spec.env.push_back("AKASH_OWNER=" + lease.owner);
  spec.env.push_back("AKASH_PROVIDER=" + lease.provider);
  spec.env.push_back("AKASH_CLUSTER_PUBLIC_HOSTNAME=" + m_options.public_host);

  constexpr std::uint64_t k_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  // Docker refuses less than 0.01 CPU and 6 MiB of memory; smaller requests get its minimum.
  const std::uint64_t millicpu = service.resources.cpu.units;
  spec.nano_cpus = static_cast<std::int64_t>(millicpu > k_max / 1000000 ? k_max : millicpu * 1000000);
  if (spec.nano_cpus > 0 && spec.nano_cpus < 10000000) {
    spec.nano_cpus = 10000000;
  }
  spec.memory_bytes = static_cast<std::int64_t>(std::min(service.resources.memory.size, k_max));
  if (spec.memory_bytes > 0 && spec.memory_bytes < (6 << 20)) {
    spec.memory_bytes = 6 << 20;
  }

  std::set<PortKey> exposed;
  std::set<PortKey> published;
  std::vector<std::string> ingress;
  for (const sdl::ServiceExpose& expose : service.expose) {
    if (expose.port == 0 || expose.port > 65535) {
      return service_error(ErrorKind::invalid, service.name,
                           "service " + service.name + " exposes port " + std::to_string(expose.port));
    }
    const std::string proto = lower(expose.proto.empty() ? "TCP" : expose.proto);
    if (proto != "tcp" && proto != "udp") {
      return service_error(ErrorKind::invalid, service.name,
                           "service " + service.name + " exposes protocol " + expose.proto);
    }
    PortKey key{expose.port, proto};
    exposed.insert(key);
    if (expose.global) {
      published.insert(key);
      if (is_ingress(expose) &&
          std::find(ingress.begin(), ingress.end(), key.key()) == ingress.end()) {
        ingress.push_back(key.key());
      }
    }
  }
  spec.exposed.assign(exposed.begin(), exposed.end());
  spec.published.assign(published.begin(), published.end());
  spec.publish_host_ip = m_options.publish_host_ip;

  if (service.params && service.params->storage) {
    std::set<std::string> targets;
    for (const sdl::StorageParams& params : *service.params->storage) {
      const auto storage = std::find_if(service.resources.storage.begin(), service.resources.storage.end(),
                                        [&](const sdl::Storage& item) { return item.name == params.name; });
      if (storage == service.resources.storage.end()) {
        return service_error(ErrorKind::invalid, service.name,
                             "service " + service.name + " mounts storage \"" + params.name +
                                 "\" that its resources do not define");
      }
      if (params.mount.empty() || params.mount.front() != '/' || params.mount.size() > 4096 ||
          !targets.insert(params.mount).second) {
        return service_error(ErrorKind::invalid, service.name,
                             "service " + service.name + " mounts storage \"" + params.name +
                                 "\" at \"" + params.mount.substr(0, 200) +
                                 "\": the mount must be a unique absolute path");
      }
      const std::string storage_class = attribute(storage->attributes, "class");
      if (storage_class == "ram") {
        spec.tmpfs[params.mount] = "size=" + std::to_string(storage->size);
      } else if (attribute(storage->attributes, "persistent") == "true") {
        if (!object_name_part(params.name)) {
          return service_error(ErrorKind::invalid, service.name,
                               "storage name \"" + params.name.substr(0, 80) + "\" is not a valid name");
        }
        spec.volumes.push_back(VolumeMount{prefix + "-" + service.name + "-" +
                                               std::to_string(replica) + "-" + params.name,
                                           params.mount, params.read_only});
      } else {
        spec.volumes.push_back(VolumeMount{"", params.mount, params.read_only});
      }
    }
  }

  if (service.resources.gpu.units > 0 || !gpu_device_ids.empty()) {
    if (gpu_device_ids.size() != service.resources.gpu.units) {
      return service_error(ErrorKind::invalid, service.name,
                           "service " + service.name + " asks for " +
                               std::to_string(service.resources.gpu.units) + " GPUs but " +
                               std::to_string(gpu_device_ids.size()) +
                               " device ids were assigned to replica " + std::to_string(replica));
    }
    spec.device_requests.push_back(DeviceRequest{"", gpu_device_ids, {{"gpu"}}});
  }

  spec.network = prefix;
  spec.aliases = {service.name};
  spec.restart_policy = m_options.restart_policy;

  spec.labels = lease_labels(lease);
  spec.labels[k_label_service] = service.name;
  spec.labels[k_label_replica] = std::to_string(replica);
  spec.labels[k_label_replicas] = std::to_string(service.count);
  std::string ingress_list;
  for (const std::string& key : ingress) {
    ingress_list += (ingress_list.empty() ? "" : ",") + key;
  }
  spec.labels[k_label_ingress] = ingress_list;

  // The spec's digest decides on an update whether the container must be recreated.
  json digest = {{"image", spec.image},
                 {"entrypoint", spec.entrypoint ? json(*spec.entrypoint) : json()},
                 {"cmd", spec.cmd ? json(*spec.cmd) : json()},
                 {"env", spec.env},
                 {"cpu", spec.nano_cpus},
                 {"memory", spec.memory_bytes},
                 {"labels", spec.labels},
                 {"tmpfs", spec.tmpfs},
                 {"host_ip", spec.publish_host_ip},
                 {"restart", spec.restart_policy}};
  for (const PortKey& key : spec.exposed) {
    digest["exposed"].push_back(key.key());
  }
  for (const PortKey& key : spec.published) {
    digest["published"].push_back(key.key());
  }
  for (const VolumeMount& volume : spec.volumes) {
    digest["volumes"].push_back({volume.source, volume.target, volume.read_only});
  }
  for (const DeviceRequest& request : spec.device_requests) {
    digest["gpus"].push_back(request.device_ids);
  }
  spec.labels[k_label_spec] = util::sha256_hex(digest.dump()).substr(0, 32);
  return spec;
}

Status LeaseRuntime::ensure_image(const sdl::Service& service) {
  auto present = m_engine.image_inspect(service.image);
  if (!present) {
    return present.error();
  }
  if (*present) {
    return ok();
  }
  std::optional<RegistryAuth> auth;
  if (service.credentials) {
    auth = RegistryAuth{service.credentials->username, service.credentials->password,
                        service.credentials->email, service.credentials->host};
  }
  Status pulled = m_engine.image_pull(service.image, auth, m_options.pull_progress);
  if (!pulled) {
    const Error& cause = pulled.error();
    Error error = service_error(cause.kind == ErrorKind::unreachable ? ErrorKind::unreachable
                                                                     : ErrorKind::provider,
                                service.name,
                                "image " + service.image + " of service " + service.name +
                                    " is not present locally and could not be pulled: " +
                                    cause.message);
    return error;
  }
  return ok();
}

Status LeaseRuntime::deploy(const LeaseRef& lease, const sdl::ManifestGroup& group,
                            const GpuAssignment& gpus) {
  // Validate and map everything before touching Docker.
  std::vector<std::pair<const sdl::Service*, std::vector<ContainerSpec>>> plan;
  std::set<std::string> names;
  for (const sdl::Service& service : group.services) {
    if (!names.insert(service.name).second) {
      return service_error(ErrorKind::invalid, service.name, "service " + service.name + " appears twice");
    }
    if (service.count > k_max_replicas) {
      return service_error(ErrorKind::invalid, service.name,
                           "service " + service.name + " asks for " + std::to_string(service.count) +
                               " replicas; at most " + std::to_string(k_max_replicas));
    }
    std::vector<ContainerSpec> specs;
    auto assigned = gpus.devices.find(service.name);
    for (std::uint32_t replica = 0; replica < service.count; ++replica) {
      std::vector<std::string> ids;
      if (assigned != gpus.devices.end() && replica < assigned->second.size()) {
        ids = assigned->second[replica];
      }
      auto spec = container_spec(lease, service, replica, ids);
      if (!spec) {
        return spec.error();
      }
      specs.push_back(std::move(*spec));
    }
    plan.emplace_back(&service, std::move(specs));
  }

  const Labels labels = lease_labels(lease);
  const std::string prefix = object_prefix(lease);
  auto networks = m_engine.network_list(Labels{{k_label_lease, lease.id()}});
  if (!networks) {
    return networks.error();
  }
  // A new lease network takes the engine ~100 ms (its firewall rules). Containers name
  // their network and the engine resolves it only when they start, so the network is
  // created while images are checked and containers created, and every start waits for it.
  // std::async's shared state waits for the creation when the last future goes, so an
  // early return does not leave it running.
  std::shared_future<Status> network_ready;
  if (networks->empty()) {
    network_ready = std::async(std::launch::async, [&]() -> Status {
                      auto created = m_engine.network_create(prefix, labels);
                      return created ? ok() : Status(created.error());
                    }).share();
  } else {
    std::promise<Status> exists;
    exists.set_value(ok());
    network_ready = exists.get_future().share();
  }
  for (const auto& [service, specs] : plan) {
    if (!specs.empty()) {
      if (Status image = ensure_image(*service); !image) {
        return image;
      }
    }
  }
  auto existing = m_engine.container_list(Labels{{k_label_lease, lease.id()}}, true);
  if (!existing) {
    return existing.error();
  }
  std::map<std::string, ContainerSummary> by_name;
  for (ContainerSummary& summary : *existing) {
    by_name[summary.name] = std::move(summary);
  }
  struct Job {
    const sdl::Service* service;
    const ContainerSpec* spec;
    std::optional<ContainerSummary> current;
  };
  std::vector<Job> jobs;
  for (const auto& [service, specs] : plan) {
    for (const ContainerSpec& spec : specs) {
      Job job{service, &spec, std::nullopt};
      if (auto found = by_name.find(spec.name); found != by_name.end()) {
        job.current = std::move(found->second);
        by_name.erase(found);
      }
      jobs.push_back(std::move(job));
    }
  }
  Status applied = for_each_parallel(jobs.size(), [&](std::size_t index) -> Status {
    const Job& job = jobs[index];
    const ContainerSpec& spec = *job.spec;
    if (job.current) {
      if (label(job.current->labels, k_label_spec) == label(spec.labels, k_label_spec)) {
        if (job.current->state == "running" || job.current->state == "restarting") {
          return ok();
        }
        if (Status network = network_ready.get(); !network) {
          return network;
        }
        Status started = m_engine.container_start(job.current->id);
        if (!started && started.error().message.find("could not select device driver") != std::string::npos) {
          return gpu_runtime_error(job.service->name, started.error().message);
        }
        return started;
      }
      Status removed = m_engine.container_remove(job.current->id, true, true);
      if (!removed && !not_found(removed)) {
        return removed;
      }
    }
    Labels volume_labels = labels;
    volume_labels[k_label_service] = job.service->name;
    for (const VolumeMount& volume : spec.volumes) {
      if (!volume.source.empty()) {
        auto created = m_engine.volume_create(volume.source, volume_labels);
        if (!created) {
          return created.error();
        }
      }
    }
    auto id = m_engine.container_create(spec);
    if (!id && not_found(Status(id.error())) && network_ready.get()) {
      id = m_engine.container_create(spec);  // an engine that checks the network at create
    }
    if (!id) {
      return id.error();
    }
    if (Status network = network_ready.get(); !network) {
      (void)m_engine.container_remove(*id, true, true);
      return network;
    }
    Status started = m_engine.container_start(*id);
    if (!started) {
      // A container that can never start is not left behind as "created".
      (void)m_engine.container_remove(*id, true, true);
      if (started.error().message.find("could not select device driver") != std::string::npos) {
        return gpu_runtime_error(job.service->name, started.error().message);
      }
      return started;
    }
    return ok();
  });
  if (!applied) {
    return applied;
  }
  if (Status network = network_ready.get(); !network) {
    return network;
  }
  // Replicas and services the manifest no longer has.
  std::vector<std::string> extra;
  for (const auto& [name, summary] : by_name) {
    extra.push_back(summary.id);
  }
  return remove_containers(m_engine, extra);
}

Result<LeaseStatus> LeaseRuntime::status(const LeaseRef& lease) {
  auto containers = m_engine.container_list(Labels{{k_label_lease, lease.id()}}, true);
  if (!containers) {
    return containers.error();
  }
  if (containers->empty()) {
    auto networks = m_engine.network_list(Labels{{k_label_lease, lease.id()}});
    if (!networks) {
      return networks.error();
    }
    if (networks->empty()) {
      return make_error(ErrorKind::not_found, "lease " + lease.id() + " has nothing running on this provider");
    }
  }
  std::sort(containers->begin(), containers->end(),
            [](const ContainerSummary& a, const ContainerSummary& b) { return a.name < b.name; });
  LeaseStatus status;
  std::map<std::string, std::set<std::string>> uris;
  for (const ContainerSummary& summary : *containers) {
    auto inspected = m_engine.container_inspect(summary.id);
    if (!inspected) {
      if (inspected.error().kind == ErrorKind::not_found) {
        continue;  // removed between list and inspect
      }
      return inspected.error();
    }
    const ContainerInfo& info = *inspected;
    const std::string service = label(info.labels, k_label_service);
    const std::uint32_t replica = label_u32(info.labels, k_label_replica);
    ServiceStatus& entry = status.services[service];
    entry.name = service;
    entry.replicas = std::max(entry.replicas, label_u32(info.labels, k_label_replicas));
    entry.total += 1;
    if (info.state.running) {
      entry.ready_replicas += 1;
      if (!info.state.restarting) {
        entry.available_replicas += 1;
      }
    } else {
      std::string message = service + "-" + std::to_string(replica) + ": " +
                            (info.state.status.empty() ? std::string("not running") : info.state.status);
      if (info.state.status == "exited" || info.state.status == "dead") {
        message += " with code " + std::to_string(info.state.exit_code);
      }
      if (info.state.oom_killed) {
        message += " (out of memory)";
      }
      if (!info.state.error.empty()) {
        message += ": " + info.state.error;
      }
      status.errors.push_back(message);
    }
    entry.available = entry.available_replicas;
    const std::vector<std::string> ingress = split(label(info.labels, k_label_ingress), ',');
    for (const auto& [key, bindings] : info.ports) {
      std::uint32_t host_port = 0;
      for (const HostPort& binding : bindings) {
        if (binding.host_port != 0) {
          host_port = binding.host_port;
          break;
        }
      }
      if (host_port == 0) {
        continue;  // exposed inside the lease only
      }
      const std::size_t slash = key.find('/');
      std::uint64_t port = 0;
      if (slash == std::string::npos || !parse_u64(key.substr(0, slash), port)) {
        continue;
      }
      if (std::find(ingress.begin(), ingress.end(), key) != ingress.end()) {
        uris[service].insert(m_options.public_host + ":" + std::to_string(host_port));
        continue;
      }
      status.forwarded_ports[service].push_back(ForwardedPort{
          m_options.public_host, static_cast<std::uint32_t>(port), host_port,
          upper(key.substr(slash + 1)), service});
    }
  }
  for (auto& [service, set] : uris) {
    status.services[service].uris.assign(set.begin(), set.end());
  }
  return status;
}

Status LeaseRuntime::logs(const LeaseRef& lease, const LeaseLogOptions& options,
                          const LogLineFn& line) {
  Labels filter{{k_label_lease, lease.id()}};
  if (options.service) {
    filter[k_label_service] = *options.service;
  }
  auto containers = m_engine.container_list(filter, true);
  if (!containers) {
    return containers.error();
  }
  if (containers->empty()) {
    return make_error(ErrorKind::not_found,
                      "lease " + lease.id() + " has no containers" +
                          (options.service ? " of service " + *options.service : std::string()));
  }
  std::sort(containers->begin(), containers->end(), [](const ContainerSummary& a, const ContainerSummary& b) {
    return a.name < b.name;
  });
  std::mutex mutex;  // serializes `line` across follow threads
  bool stop = false;
  auto follow_one = [&](const ContainerSummary& summary) -> Status {
    const std::string service = label(summary.labels, k_label_service);
    const std::uint32_t replica = label_u32(summary.labels, k_label_replica);
    auto emit_for = [&](StreamKind kind) {
      return [&, kind](std::string_view text) {
        std::lock_guard lock(mutex);
        if (!stop && !line(LogLine{service, replica, kind, std::string(text)})) {
          stop = true;
        }
      };
    };
    LineSplitter out(emit_for(StreamKind::stdout_));
    LineSplitter err(emit_for(StreamKind::stderr_));
    LogOptions engine_options;
    engine_options.follow = options.follow;
    engine_options.tail = options.tail;
    engine_options.cancelled = [&] {
      std::lock_guard lock(mutex);
      return stop || (options.cancelled && options.cancelled());
    };
    Status status = m_engine.container_logs(summary.id, engine_options,
                                            [&](StreamKind kind, std::string_view bytes) {
                                              (kind == StreamKind::stderr_ ? err : out).feed(bytes);
                                              std::lock_guard lock(mutex);
                                              return !stop;
                                            });
    out.flush();
    err.flush();
    return status;
  };
  if (!options.follow || containers->size() == 1) {
    for (const ContainerSummary& summary : *containers) {
      Status status = follow_one(summary);
      if (!status && !not_found(status)) {
        return status;
      }
      if (stop) {
        break;
      }
    }
    return ok();
  }
  // Every container is followed at once: a follow ends only when told to.
  std::vector<Status> results(containers->size(), ok());
  util::run_parallel(containers->size(), containers->size(),
                     [&](std::size_t i) { results[i] = follow_one((*containers)[i]); });
  for (const Status& status : results) {
    if (!status && !not_found(status)) {
      return status;
    }
  }
  return ok();
}

Result<int> LeaseRuntime::exec(const LeaseRef& lease, const std::string& service,
                               const std::vector<std::string>& argv, const ExecIo& io) {
  if (argv.empty()) {
    return make_error(ErrorKind::invalid, "exec needs a command to run");
  }
  auto containers = m_engine.container_list(
      Labels{{k_label_lease, lease.id()}, {k_label_service, service},
             {k_label_replica, std::to_string(io.replica)}},
      true);
  if (!containers) {
    return containers.error();
  }
  if (containers->empty()) {
    // Say which services and replicas there are, so that the next try can be right.
    std::map<std::string, std::uint32_t> replicas;
    if (auto all = m_engine.container_list(Labels{{k_label_lease, lease.id()}}, true)) {
      for (const ContainerSummary& c : *all) {
        std::uint32_t& count = replicas[label(c.labels, k_label_service)];
        count = std::max(count, label_u32(c.labels, k_label_replica) + 1);
      }
    }
    std::string known;
    for (const auto& [name, count] : replicas) {
      known += (known.empty() ? "" : ", ") + name +
               (count == 1 ? " (replica 0)" : " (replicas 0-" + std::to_string(count - 1) + ")");
    }
    const bool has_service = replicas.count(service) != 0;
    return make_error(ErrorKind::not_found,
                      "lease " + lease.id() +
                          (has_service ? " has no replica " + std::to_string(io.replica) + " of service " + service
                                       : " has no service " + service) +
                          (known.empty() ? "" : "; it runs " + known));
  }
  const std::string container = containers->front().id;
  ExecSpec spec;
  spec.argv = argv;
  spec.attach_stdin = io.stdin_fd >= 0;
  spec.tty = io.tty;
  auto exec_id = m_engine.exec_create(container, spec);
  if (!exec_id) {
    return exec_id.error();
  }
  const OutputFn output = [&](StreamKind kind, std::string_view bytes) {
    if (kind == StreamKind::stderr_) {
      if (io.on_stderr) {
        io.on_stderr(bytes);
      }
    } else if (io.on_stdout) {
      io.on_stdout(bytes);
    }
    return true;
  };
  Status started = spec.attach_stdin || spec.tty
                       ? m_engine.exec_start_attached(*exec_id, io.stdin_fd, io.tty, io.console, output)
                       : m_engine.exec_start(*exec_id, output);
  if (!started) {
    return started.error();
  }
  // The output ends a moment before the engine records the exit code.
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto info = m_engine.exec_inspect(*exec_id);
    if (!info) {
      return info.error();
    }
    if (!info->running) {
      return static_cast<int>(info->exit_code);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return make_error(ErrorKind::provider, "exec in " + service + ": the command's output ended but it "
                                                                 "did not exit within 2 s");
}

Status LeaseRuntime::restart(const LeaseRef& lease, const std::string& service) {
  Labels filter{{k_label_lease, lease.id()}};
  if (!service.empty()) {
    filter[k_label_service] = service;
  }
  auto containers = m_engine.container_list(filter, true);
  if (!containers) {
    return containers.error();
  }
  for (const ContainerSummary& summary : *containers) {
    if (Status restarted = m_engine.container_restart(summary.id, m_options.stop_timeout_s); !restarted) {
      return restarted;
    }
  }
  return ok();
}

Status LeaseRuntime::teardown(const LeaseRef& lease, bool remove_volumes) {
  const Labels filter{{k_label_lease, lease.id()}};
  auto containers = m_engine.container_list(filter, true);
  if (!containers) {
    return containers.error();
  }
  auto networks = m_engine.network_list(filter);
  if (!networks) {
    return networks.error();
  }
  std::vector<std::string> ids;
  for (const ContainerSummary& summary : *containers) {
    ids.push_back(summary.id);
  }
  // A network goes only once no container is attached, and removing a container spends
  // most of its time detaching it (port mappings, the endpoint). Detaching first lets the
  // rest of the container removals (kill, filesystem) run alongside the network removals
  // instead of before them. A detach that fails changes nothing: the container's removal
  // detaches it, and the network is removed again once the containers are gone.
  (void)for_each_parallel(networks->size() * ids.size(), [&](std::size_t i) -> Status {
    (void)m_engine.network_disconnect((*networks)[i / ids.size()].id, ids[i % ids.size()], true);
    return ok();
  });
  std::vector<Status> network_removed(networks->size(), ok());
  Status containers_removed = for_each_parallel(ids.size() + networks->size(), [&](std::size_t i) -> Status {
    if (i < ids.size()) {
      Status removed = m_engine.container_remove(ids[i], true, true);
      return removed || not_found(removed) ? ok() : removed;
    }
    network_removed[i - ids.size()] = m_engine.network_remove((*networks)[i - ids.size()].id);
    return ok();
  });
  if (!containers_removed) {
    return containers_removed;
  }
  for (std::size_t n = 0; n < networks->size(); ++n) {
    if (network_removed[n] || not_found(network_removed[n])) {
      continue;
    }
    Status removed = m_engine.network_remove((*networks)[n].id);
    if (!removed && !not_found(removed)) {
      return removed;
    }
  }
  if (remove_volumes) {
    auto volumes = m_engine.volume_list(filter);
    if (!volumes) {
      return volumes.error();
    }
    for (const VolumeInfo& volume : *volumes) {
      Status removed = m_engine.volume_remove(volume.name, true);
      if (!removed && !not_found(removed)) {
        return removed;
      }
    }
  }
  return ok();
}

Result<std::vector<std::string>> LeaseRuntime::leases(const std::optional<std::string>& provider) {
  Labels filter{{k_label_lease, ""}};
  if (provider) {
    filter[k_label_provider] = *provider;
  }
  std::set<std::string> ids;
  auto containers = m_engine.container_list(filter, true);
  if (!containers) {
    return containers.error();
  }
  for (const ContainerSummary& item : *containers) {
    ids.insert(label(item.labels, k_label_lease));
  }
  auto networks = m_engine.network_list(filter);
  if (!networks) {
    return networks.error();
  }
  for (const NetworkInfo& item : *networks) {
    ids.insert(label(item.labels, k_label_lease));
  }
  auto volumes = m_engine.volume_list(filter);
  if (!volumes) {
    return volumes.error();
  }
  for (const VolumeInfo& item : *volumes) {
    ids.insert(label(item.labels, k_label_lease));
  }
  ids.erase("");
  return std::vector<std::string>(ids.begin(), ids.end());
}

Result<std::vector<LeaseEvent>> LeaseRuntime::events(const LeaseRef& lease, std::int64_t since,
                                                     std::int64_t until) {
  auto events = m_engine.events(since, until, Labels{{k_label_lease, lease.id()}});
  if (!events) {
    return events.error();
  }
  std::vector<LeaseEvent> out;
  for (const EngineEvent& event : *events) {
    if (event.type != "container" && !event.type.empty()) {
      continue;
    }
    LeaseEvent item;
    item.service = label(event.attributes, k_label_service);
    item.replica = label_u32(event.attributes, k_label_replica);
    item.action = event.action;
    std::uint64_t code = 0;
    if (parse_u64(label(event.attributes, "exitCode"), code)) {
      item.exit_code = static_cast<std::int64_t>(code);
    }
    item.time = event.time;
    out.push_back(std::move(item));
  }
  return out;
}

} // namespace akt::runtime::docker
