// The mapping of one SDL service replica to a Docker container spec.
#include <doctest/doctest.h>

#include <algorithm>

#include "runtime/docker/fake_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"

namespace docker = akt::runtime::docker;

namespace {

const docker::LeaseRef k_lease{"akash1owner", 42, 1, 2, "akash1provider"};

akt::sdl::Service base_service() {
  akt::sdl::Service service;
  service.name = "web";
  service.image = "nginx:1.25";
  service.count = 2;
  service.resources.cpu.units = 250;
  service.resources.memory.size = 128ull << 20;
  return service;
}

akt::sdl::ServiceExpose expose(std::uint32_t port, const std::string& proto, bool global,
                               std::uint32_t as = 0) {
  akt::sdl::ServiceExpose e;
  e.port = port;
  e.external_port = as;
  e.proto = proto;
  e.global = global;
  return e;
}

docker::ContainerSpec spec_of(const akt::sdl::Service& service, std::uint32_t replica = 0,
                              const std::vector<std::string>& gpus = {}) {
  docker::FakeEngine engine;
  docker::LeaseRuntime runtime(engine);
  auto spec = runtime.container_spec(k_lease, service, replica, gpus);
  REQUIRE_MESSAGE(spec, (spec ? "" : spec.error().message));
  return *spec;
}

akt::Error error_of(const akt::sdl::Service& service, const std::vector<std::string>& gpus = {}) {
  docker::FakeEngine engine;
  docker::LeaseRuntime runtime(engine);
  auto spec = runtime.container_spec(k_lease, service, 0, gpus);
  REQUIRE_FALSE(spec);
  return spec.error();
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

TEST_CASE("runtime/docker: SDL command and args map to entrypoint and cmd, each omitted when absent") {
  akt::sdl::Service service = base_service();
  docker::ContainerSpec none = spec_of(service);
  CHECK_FALSE(none.entrypoint.has_value());
  CHECK_FALSE(none.cmd.has_value());

  service.command = std::vector<std::string>{"/bin/sh", "-c"};
  docker::ContainerSpec only_command = spec_of(service);
  REQUIRE(only_command.entrypoint.has_value());
  CHECK(*only_command.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK_FALSE(only_command.cmd.has_value());

  service.command.reset();
  service.args = std::vector<std::string>{"serve", "--port=80"};
  docker::ContainerSpec only_args = spec_of(service);
  CHECK_FALSE(only_args.entrypoint.has_value());
  REQUIRE(only_args.cmd.has_value());
  CHECK(*only_args.cmd == std::vector<std::string>{"serve", "--port=80"});
}

TEST_CASE("runtime/docker: CPU millicpu become NanoCpus and memory bytes the memory limit") {
  akt::sdl::Service service = base_service();
  docker::ContainerSpec spec = spec_of(service);
  CHECK(spec.nano_cpus == 250000000);
  CHECK(spec.memory_bytes == 134217728);
  service.resources.cpu.units = 4000;
  service.resources.memory.size = 8ull << 30;
  spec = spec_of(service);
  CHECK(spec.nano_cpus == 4000000000);
  CHECK(spec.memory_bytes == (8ll << 30));
  service.resources.cpu.units = 1;
  service.resources.memory.size = 1024;
  spec = spec_of(service);  // Docker's minimums
  CHECK(spec.nano_cpus == 10000000);
  CHECK(spec.memory_bytes == 6 << 20);
  service.resources.cpu.units = ~0ull;
  service.resources.memory.size = ~0ull;
  spec = spec_of(service);  // saturates rather than wraps
  CHECK(spec.nano_cpus > 0);
  CHECK(spec.memory_bytes > 0);
}

TEST_CASE("runtime/docker: env passes through and the provider's AKASH_ variables are added") {
  akt::sdl::Service service = base_service();
  service.env = std::vector<std::string>{"A=1", "B=x=y", "EMPTY"};
  docker::ContainerSpec spec = spec_of(service);
  REQUIRE(spec.env.size() >= 3);
  CHECK(spec.env[0] == "A=1");
  CHECK(spec.env[1] == "B=x=y");
  CHECK(spec.env[2] == "EMPTY=");
  CHECK(has(spec.env, "AKASH_DEPLOYMENT_SEQUENCE=42"));
  CHECK(has(spec.env, "AKASH_GROUP_SEQUENCE=1"));
  CHECK(has(spec.env, "AKASH_ORDER_SEQUENCE=2"));
  CHECK(has(spec.env, "AKASH_OWNER=akash1owner"));
  CHECK(has(spec.env, "AKASH_PROVIDER=akash1provider"));
}

TEST_CASE("runtime/docker: global exposes are published, others only exposed, port 80 is the ingress") {
  akt::sdl::Service service = base_service();
  service.expose = {expose(80, "TCP", true), expose(8080, "TCP", true, 80), expose(5432, "TCP", false),
                    expose(53, "UDP", true), expose(9000, "TCP", true), expose(80, "TCP", true)};
  docker::ContainerSpec spec = spec_of(service);
  CHECK(spec.exposed.size() == 5);
  std::vector<std::string> published;
  for (const docker::PortKey& port : spec.published) {
    published.push_back(port.key());
  }
  CHECK(published == std::vector<std::string>{"53/udp", "80/tcp", "8080/tcp", "9000/tcp"});
  CHECK(spec.labels.at(docker::k_label_ingress) == "80/tcp,8080/tcp");
}

TEST_CASE("runtime/docker: persistent storage is a named volume per replica, ram storage a tmpfs") {
  akt::sdl::Service service = base_service();
  akt::sdl::Storage root{"default", 1ull << 30, {}};
  akt::sdl::Storage data{"data", 10ull << 30, {{"class", "beta3"}, {"persistent", "true"}}};
  akt::sdl::Storage shm{"shm", 64ull << 20, {{"class", "ram"}, {"persistent", "false"}}};
  service.resources.storage = {root, data, shm};
  akt::sdl::ServiceParams params;
  params.storage = std::vector<akt::sdl::StorageParams>{{"data", "/var/lib/data", false},
                                                        {"shm", "/dev/shm", false}};
  service.params = params;
  docker::ContainerSpec spec0 = spec_of(service, 0);
  docker::ContainerSpec spec1 = spec_of(service, 1);
  const std::string prefix = docker::LeaseRuntime::object_prefix(k_lease);
  REQUIRE(spec0.volumes.size() == 1);
  CHECK(spec0.volumes[0].source == prefix + "-web-0-data");
  CHECK(spec0.volumes[0].target == "/var/lib/data");
  CHECK_FALSE(spec0.volumes[0].read_only);
  CHECK(spec1.volumes[0].source == prefix + "-web-1-data");
  CHECK(spec0.tmpfs.at("/dev/shm") == "size=67108864");

  params.storage = std::vector<akt::sdl::StorageParams>{{"missing", "/x", false}};
  service.params = params;
  CHECK(error_of(service).message.find("\"missing\"") != std::string::npos);
  params.storage = std::vector<akt::sdl::StorageParams>{{"data", "relative", false}};
  service.params = params;
  CHECK(error_of(service).kind == akt::ErrorKind::invalid);
}

TEST_CASE("runtime/docker: every object carries the lease's labels") {
  docker::ContainerSpec spec = spec_of(base_service(), 1);
  CHECK(spec.labels.at(docker::k_label_lease) == "akash1owner/42/1/2/akash1provider");
  CHECK(spec.labels.at(docker::k_label_provider) == "akash1provider");
  CHECK(spec.labels.at(docker::k_label_deployment) == "akash1owner/42");
  CHECK(spec.labels.at(docker::k_label_service) == "web");
  CHECK(spec.labels.at(docker::k_label_replica) == "1");
  CHECK(spec.labels.at(docker::k_label_replicas) == "2");
  CHECK(spec.labels.at(docker::k_label_spec).size() == 32);
  CHECK(spec.name == docker::LeaseRuntime::object_prefix(k_lease) + "-web-1");
  CHECK(spec.network == docker::LeaseRuntime::object_prefix(k_lease));
  CHECK(spec.aliases == std::vector<std::string>{"web"});
}

TEST_CASE("runtime/docker: the spec digest changes with what needs a new container") {
  akt::sdl::Service service = base_service();
  const std::string before = spec_of(service).labels.at(docker::k_label_spec);
  CHECK(spec_of(service).labels.at(docker::k_label_spec) == before);
  service.image = "nginx:1.26";
  CHECK(spec_of(service).labels.at(docker::k_label_spec) != before);
  service = base_service();
  service.env = std::vector<std::string>{"X=1"};
  CHECK(spec_of(service).labels.at(docker::k_label_spec) != before);
}

TEST_CASE("runtime/docker: GPUs are requested by device id, never by count") {
  akt::sdl::Service service = base_service();
  service.resources.gpu.units = 2;
  docker::ContainerSpec spec = spec_of(service, 0, {"0", "GPU-3f2e"});
  REQUIRE(spec.device_requests.size() == 1);
  CHECK(spec.device_requests[0].driver.empty());
  CHECK(spec.device_requests[0].device_ids == std::vector<std::string>{"0", "GPU-3f2e"});
  CHECK(spec.device_requests[0].capabilities == std::vector<std::vector<std::string>>{{"gpu"}});
  akt::Error error = error_of(service, {"0"});
  CHECK(error.message == "service web asks for 2 GPUs but 1 device ids were assigned to replica 0");
  CHECK(spec_of(base_service()).device_requests.empty());
}

TEST_CASE("runtime/docker: names that cannot become Docker names are refused") {
  akt::sdl::Service service = base_service();
  service.name = "Web_1";
  CHECK(error_of(service).path == "services.Web_1");
  service = base_service();
  service.expose = {expose(70000, "TCP", true)};
  CHECK(error_of(service).kind == akt::ErrorKind::invalid);
  service.expose = {expose(80, "SCTP", true)};
  CHECK(error_of(service).message.find("SCTP") != std::string::npos);
}

TEST_CASE("runtime/docker: lease ids parse and print") {
  auto lease = docker::LeaseRef::parse("akash1owner/42/1/2/akash1provider");
  REQUIRE(lease);
  CHECK(*lease == k_lease);
  CHECK(lease->id() == "akash1owner/42/1/2/akash1provider");
  CHECK_FALSE(docker::LeaseRef::parse("akash1owner/42/1/2"));
  CHECK_FALSE(docker::LeaseRef::parse("akash1owner/x/1/2/p"));
  CHECK_FALSE(docker::LeaseRef::parse("a/1/1/1/p/extra"));
  CHECK_FALSE(docker::LeaseRef::parse("/1/1/1/p"));
  CHECK_FALSE(docker::LeaseRef::parse("a/1/99999999999/1/p"));
}
