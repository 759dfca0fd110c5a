// LeaseRuntime against FakeEngine: what it creates, reports, streams and removes.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>

#include "runtime/docker/fake_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"

namespace docker = akt::runtime::docker;

namespace {

const docker::LeaseRef k_lease{"akash1owner", 7, 1, 1, "akash1provider"};

akt::sdl::ServiceExpose expose(std::uint32_t port, bool global) {
  akt::sdl::ServiceExpose e;
  e.port = port;
  e.proto = "TCP";
  e.global = global;
  return e;
}

akt::sdl::ManifestGroup group(const std::string& web_image = "web:1") {
  akt::sdl::Service web;
  web.name = "web";
  web.image = web_image;
  web.count = 2;
  web.resources.cpu.units = 100;
  web.resources.memory.size = 64ull << 20;
  web.resources.storage = {{"data", 1ull << 30, {{"class", "beta2"}, {"persistent", "true"}}}};
  akt::sdl::ServiceParams params;
  params.storage = std::vector<akt::sdl::StorageParams>{{"data", "/data", false}};
  web.params = params;
  web.expose = {expose(80, true), expose(9000, true)};
  akt::sdl::Service db;
  db.name = "db";
  db.image = "db:1";
  db.count = 1;
  db.resources.cpu.units = 100;
  db.resources.memory.size = 64ull << 20;
  db.expose = {expose(5432, false)};
  return akt::sdl::ManifestGroup{"dcloud", {db, web}};
}

struct Fixture {
  docker::FakeEngine engine;
  docker::LeaseRuntime runtime;
  Fixture() : runtime(engine, options()) {
    engine.local_images = {"web:1", "web:2", "db:1"};
  }
  static docker::RuntimeOptions options() {
    docker::RuntimeOptions options;
    options.public_host = "provider.test";
    return options;
  }
};

} // namespace

TEST_CASE("runtime/docker: deploy creates one network, the volumes and count containers per service") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  CHECK(f.engine.networks.size() == 1);
  CHECK(f.engine.networks.begin()->second.name == docker::LeaseRuntime::object_prefix(k_lease));
  CHECK(f.engine.networks.begin()->second.labels.at(docker::k_label_lease) == k_lease.id());
  CHECK(f.engine.containers.size() == 3);
  CHECK(f.engine.volumes.size() == 2);
  for (const auto& [name, volume] : f.engine.volumes) {
    CHECK(volume.labels.at(docker::k_label_lease) == k_lease.id());
    CHECK(volume.labels.at(docker::k_label_service) == "web");
  }
  for (const auto& [id, container] : f.engine.containers) {
    CHECK(container.info.state.running);
    CHECK(container.spec.network == docker::LeaseRuntime::object_prefix(k_lease));
  }
  CHECK(f.engine.count_calls("image_pull") == 0);  // both images are local
}

TEST_CASE("runtime/docker: status reports replicas, the ingress URI and forwarded ports") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  auto status = f.runtime.status(k_lease);
  REQUIRE(status);
  CHECK(status->healthy());
  const docker::ServiceStatus& web = status->services.at("web");
  CHECK(web.name == "web");
  CHECK(web.replicas == 2);
  CHECK(web.total == 2);
  CHECK(web.ready_replicas == 2);
  CHECK(web.available_replicas == 2);
  CHECK(web.available == 2);
  CHECK(web.uris.size() == 2);  // one published port per replica
  CHECK(web.uris[0].starts_with("provider.test:"));
  REQUIRE(status->forwarded_ports.at("web").size() == 2);
  const docker::ForwardedPort& port = status->forwarded_ports.at("web")[0];
  CHECK(port.host == "provider.test");
  CHECK(port.port == 9000);
  CHECK(port.external_port >= 32768);
  CHECK(port.proto == "TCP");
  CHECK(port.name == "web");
  CHECK(status->services.at("db").uris.empty());
  CHECK(status->forwarded_ports.count("db") == 0);

  // A stopped replica makes the lease unhealthy and says why.
  // Replicas are created concurrently, so container ids say nothing of which is which:
  // pick db's replica by name.
  auto db = std::find_if(f.engine.containers.begin(), f.engine.containers.end(),
                         [](const auto& entry) { return entry.second.info.name.ends_with("-db-0"); });
  REQUIRE(db != f.engine.containers.end());
  db->second.info.state = docker::ContainerState{"exited", false, false, true, 137, "", "", ""};
  status = f.runtime.status(k_lease);
  REQUIRE(status);
  CHECK_FALSE(status->healthy());
  REQUIRE(status->errors.size() == 1);
  CHECK(status->errors[0] == "db-0: exited with code 137 (out of memory)");
}

TEST_CASE("runtime/docker: a missing image is pulled with the SDL credentials and progress") {
  Fixture f;
  f.engine.local_images = {"db:1"};
  f.engine.registry_images = {"registry.test/web:1"};
  akt::sdl::ManifestGroup manifest = group("registry.test/web:1");
  manifest.services[1].credentials = akt::sdl::Credentials{"registry.test", "me@x", "me", "secret"};
  std::vector<std::string> progress;
  docker::RuntimeOptions options;
  options.pull_progress = [&](const docker::PullProgress& line) { progress.push_back(line.status); };
  docker::LeaseRuntime runtime(f.engine, options);
  REQUIRE(runtime.deploy(k_lease, manifest));
  CHECK(f.engine.count_calls("image_pull") == 1);
  REQUIRE(f.engine.last_pull_auth.has_value());
  CHECK(f.engine.last_pull_auth->username == "me");
  CHECK(f.engine.last_pull_auth->password == "secret");
  CHECK(f.engine.last_pull_auth->server_address == "registry.test");
  CHECK(progress == std::vector<std::string>{"Downloading", "Pull complete"});
}

TEST_CASE("runtime/docker: an image neither local nor pullable is named in the error") {
  Fixture f;
  auto deployed = f.runtime.deploy(k_lease, group("nowhere/web:9"));
  REQUIRE_FALSE(deployed);
  CHECK(deployed.error().kind == akt::ErrorKind::provider);
  CHECK(deployed.error().path == "services.web");
  CHECK(deployed.error().message.starts_with(
      "image nowhere/web:9 of service web is not present locally and could not be pulled: "));
  CHECK(deployed.error().message.find("pull access denied") != std::string::npos);
}

TEST_CASE("runtime/docker: engine errors pass through with their message and kind") {
  Fixture f;
  f.engine.fail("container_create", akt::make_error(akt::ErrorKind::provider, "create container x: no space left on device"));
  auto deployed = f.runtime.deploy(k_lease, group());
  REQUIRE_FALSE(deployed);
  CHECK(deployed.error().message == "create container x: no space left on device");

  Fixture g;
  g.engine.fail("network_list", akt::make_error(akt::ErrorKind::unreachable, "cannot reach the Docker engine at unix:///x"), -1);
  auto status = g.runtime.status(k_lease);
  REQUIRE_FALSE(status);
  CHECK(status.error().kind == akt::ErrorKind::unreachable);
  auto again = g.runtime.deploy(k_lease, group());
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == akt::ErrorKind::unreachable);
  CHECK(again.error().message.find("unix:///x") != std::string::npos);
}

TEST_CASE("runtime/docker: containers start only once their lease network exists") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  std::size_t network_created = 0;
  for (std::size_t i = 0; i < f.engine.calls.size(); ++i) {
    if (f.engine.calls[i].starts_with("network_create")) network_created = i;
  }
  for (std::size_t i = 0; i < f.engine.calls.size(); ++i) {
    if (f.engine.calls[i].starts_with("container_start")) CHECK(i > network_created);
  }
}

TEST_CASE("runtime/docker: a lease network the engine cannot create fails the deploy and leaves no container") {
  Fixture f;
  f.engine.fail("network_create", akt::make_error(akt::ErrorKind::provider, "create network x: all predefined address pools have been fully subnetted"));
  auto deployed = f.runtime.deploy(k_lease, group());
  REQUIRE_FALSE(deployed);
  CHECK(deployed.error().message.find("fully subnetted") != std::string::npos);
  CHECK(f.engine.containers.empty());
  CHECK(f.engine.count_calls("container_start") == 0);
}

TEST_CASE("runtime/docker: a GPU request on an engine without the NVIDIA runtime fails clearly and leaves nothing") {
  Fixture f;
  akt::sdl::ManifestGroup manifest = group();
  manifest.services[0].resources.gpu.units = 1;
  docker::GpuAssignment gpus;
  gpus.devices["db"] = {{"1"}};
  auto deployed = f.runtime.deploy(k_lease, manifest, gpus);
  REQUIRE_FALSE(deployed);
  CHECK(deployed.error().kind == akt::ErrorKind::provider);
  CHECK(deployed.error().message.find("nvidia-container-toolkit") != std::string::npos);
  CHECK(deployed.error().message.find("could not select device driver \"\" with capabilities: [[gpu]]") != std::string::npos);
  // The container that could not start is gone.
  CHECK(f.engine.find_container(docker::LeaseRuntime::object_prefix(k_lease) + "-db-0") == nullptr);

  f.engine.gpu_runtime = true;
  REQUIRE(f.runtime.deploy(k_lease, manifest, gpus));
  const auto* db = f.engine.find_container(docker::LeaseRuntime::object_prefix(k_lease) + "-db-0");
  REQUIRE(db != nullptr);
  REQUIRE(db->spec.device_requests.size() == 1);
  CHECK(db->spec.device_requests[0].device_ids == std::vector<std::string>{"1"});

  // No assignment for a GPU service is a provider bug, caught before Docker is touched.
  Fixture g;
  auto unassigned = g.runtime.deploy(k_lease, manifest);
  REQUIRE_FALSE(unassigned);
  CHECK(unassigned.error().kind == akt::ErrorKind::invalid);
  CHECK(g.engine.calls.empty());
}

TEST_CASE("runtime/docker: an update recreates changed containers and keeps volumes and the rest") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  const std::string prefix = docker::LeaseRuntime::object_prefix(k_lease);
  const std::string db_id = f.engine.find_container(prefix + "-db-0")->info.id;
  const std::string web_id = f.engine.find_container(prefix + "-web-0")->info.id;
  REQUIRE(f.runtime.update(k_lease, group("web:2")));
  CHECK(f.engine.find_container(prefix + "-db-0")->info.id == db_id);
  CHECK(f.engine.find_container(prefix + "-web-0")->info.id != web_id);
  CHECK(f.engine.find_container(prefix + "-web-0")->info.image == "web:2");
  CHECK(f.engine.volumes.size() == 2);
  CHECK(f.engine.networks.size() == 1);
  CHECK(f.engine.count_calls("network_create") == 1);

  // Deploying the same manifest again changes nothing.
  const std::size_t creates = f.engine.count_calls("container_create");
  REQUIRE(f.runtime.deploy(k_lease, group("web:2")));
  CHECK(f.engine.count_calls("container_create") == creates);

  // Fewer replicas remove the extra ones.
  akt::sdl::ManifestGroup smaller = group("web:2");
  smaller.services[1].count = 1;
  REQUIRE(f.runtime.deploy(k_lease, smaller));
  CHECK(f.engine.containers.size() == 2);
  CHECK(f.engine.find_container(prefix + "-web-1") == nullptr);
}

TEST_CASE("runtime/docker: teardown removes containers and network, volumes only when asked") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  const docker::LeaseRef other{"akash1owner", 8, 1, 1, "akash1provider"};
  REQUIRE(f.runtime.deploy(other, group()));
  auto leases = f.runtime.leases();
  REQUIRE(leases);
  CHECK(*leases == std::vector<std::string>{k_lease.id(), other.id()});
  auto none = f.runtime.leases(std::string("akash1someoneelse"));
  REQUIRE(none);
  CHECK(none->empty());

  REQUIRE(f.runtime.teardown(k_lease, false));
  CHECK(f.engine.containers.size() == 3);  // the other lease's
  CHECK(f.engine.networks.size() == 1);
  CHECK(f.engine.volumes.size() == 4);
  REQUIRE(f.runtime.teardown(k_lease, true));
  CHECK(f.engine.volumes.size() == 2);
  REQUIRE(f.runtime.teardown(k_lease, true));  // already gone is fine
  auto status = f.runtime.status(k_lease);
  REQUIRE_FALSE(status);
  CHECK(status.error().kind == akt::ErrorKind::not_found);
  leases = f.runtime.leases();
  REQUIRE(leases);
  CHECK(*leases == std::vector<std::string>{other.id()});
}

TEST_CASE("runtime/docker: teardown detaches every container before the network goes") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  f.engine.calls.clear();
  REQUIRE(f.runtime.teardown(k_lease, false));
  CHECK(f.engine.count_calls("network_disconnect") == 3);
  auto first = [&](const std::string& op) {
    return std::find_if(f.engine.calls.begin(), f.engine.calls.end(),
                        [&](const std::string& c) { return c.rfind(op + " ", 0) == 0 || c == op; });
  };
  auto last_disconnect = std::find_if(f.engine.calls.rbegin(), f.engine.calls.rend(), [](const std::string& c) {
                           return c.rfind("network_disconnect ", 0) == 0;
                         }).base();
  CHECK(last_disconnect <= first("network_remove"));
  CHECK(last_disconnect <= first("container_remove"));
  CHECK(f.engine.containers.empty());
  CHECK(f.engine.networks.empty());
}

TEST_CASE("runtime/docker: a failed detach still ends with nothing of the lease left") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  f.engine.fail("network_disconnect", akt::make_error(akt::ErrorKind::provider, "boom"), -1);
  f.engine.fail("network_remove", akt::make_error(akt::ErrorKind::provider, "has active endpoints"), 1);
  REQUIRE(f.runtime.teardown(k_lease, true));
  CHECK(f.engine.containers.empty());
  CHECK(f.engine.networks.empty());
  CHECK(f.engine.count_calls("network_remove") == 2);
}

TEST_CASE("runtime/docker: logs come as lines per service and replica, both streams") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  const std::string prefix = docker::LeaseRuntime::object_prefix(k_lease);
  f.engine.find_container(prefix + "-web-0")->logs_stdout = "a\nb\n";
  f.engine.find_container(prefix + "-web-0")->logs_stderr = "err";
  f.engine.find_container(prefix + "-web-1")->logs_stdout = "c\n";
  f.engine.find_container(prefix + "-db-0")->logs_stdout = "db\n";
  std::vector<std::string> lines;
  docker::LeaseLogOptions options;
  options.service = "web";
  REQUIRE(f.runtime.logs(k_lease, options, [&](const docker::LogLine& line) {
    lines.push_back(line.service + "-" + std::to_string(line.replica) +
                    (line.stream == docker::StreamKind::stderr_ ? " E " : " O ") + line.text);
    return true;
  }));
  CHECK(lines == std::vector<std::string>{"web-0 O a", "web-0 O b", "web-0 E err", "web-1 O c"});
  lines.clear();
  REQUIRE(f.runtime.logs(k_lease, {}, [&](const docker::LogLine& line) {
    lines.push_back(line.text);
    return lines.size() < 2;
  }));
  CHECK(lines == std::vector<std::string>{"db", "a"});
  options.service = "nope";
  CHECK(f.runtime.logs(k_lease, options, [](const docker::LogLine&) { return true; }).error().kind ==
        akt::ErrorKind::not_found);
}

TEST_CASE("runtime/docker: exec passes the exit code and output through") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  f.engine.exec_handler = [](const std::string&, const std::vector<std::string>& argv) {
    return std::pair<int, std::string>{argv.size() == 2 ? 3 : 0, argv[0] + "\n"};
  };
  std::string out;
  docker::ExecIo io;
  io.on_stdout = [&](std::string_view s) { out += s; };
  auto code = f.runtime.exec(k_lease, "web", {"false", "x"}, io);
  REQUIRE(code);
  CHECK(*code == 3);
  CHECK(out == "false\n");
  io.replica = 1;
  CHECK(*f.runtime.exec(k_lease, "web", {"true"}, io) == 0);
  io.replica = 5;
  CHECK(f.runtime.exec(k_lease, "web", {"true"}, io).error().kind == akt::ErrorKind::not_found);
  CHECK(f.runtime.exec(k_lease, "web", {}).error().kind == akt::ErrorKind::invalid);
}

TEST_CASE("runtime/docker: exec with input attaches stdin and hands the engine the input and terminal") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], "line\n", 5) == 5);
  ::close(fds[1]);
  docker::ExecIo io;
  io.stdin_fd = fds[0];
  io.tty = true;
  io.console = docker::ConsoleSize{24, 80};
  REQUIRE(f.runtime.exec(k_lease, "web", {"cat"}, io));
  ::close(fds[0]);
  CHECK(f.engine.last_exec_input == "line\n");
  CHECK(f.engine.last_exec_tty);
  REQUIRE(f.engine.last_exec_size);
  CHECK(f.engine.last_exec_size->columns == 80);
  CHECK(f.engine.count_calls("exec_start") == 1);  // the attached start runs it

  // Without input or terminal, the plain start.
  docker::ExecIo plain;
  REQUIRE(f.runtime.exec(k_lease, "web", {"true"}, plain));
  CHECK(f.engine.count_calls("exec_start") == 2);
  CHECK(f.engine.last_exec_input == "line\n");
}

TEST_CASE("runtime/docker: events of the lease name the service and replica") {
  Fixture f;
  REQUIRE(f.runtime.deploy(k_lease, group()));
  REQUIRE(f.runtime.restart(k_lease, "db"));
  auto events = f.runtime.events(k_lease, 0, 10);
  REQUIRE(events);
  REQUIRE(events->size() == 4);  // three starts, one restart
  CHECK(events->back().service == "db");
  CHECK(events->back().action == "restart");
}
