// Against a real Docker engine: only with AKT_DOCKER_TESTS=1 and `--no-skip`
// (ctest "integration: docker runtime"). Exits 77 (skipped) when no engine answers.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "runtime/docker/config.hpp"
#include "runtime/docker/http_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"

namespace docker = akt::runtime::docker;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_image = "akt-test/busybox:latest";

docker::Environment process_environment() {
  docker::Environment env;
  for (const char* key : {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH",
                          "DOCKER_API_VERSION", "HOME"}) {
    if (const char* value = std::getenv(key)) {
      env[key] = value;
    }
  }
  return env;
}

// The engine, or nullptr when these tests should not run; exits 77 when asked to run
// but no engine answers, so ctest reports a skip rather than a pass.
std::unique_ptr<docker::Engine> live_engine() {
  const char* wanted = std::getenv("AKT_DOCKER_TESTS");
  if (wanted == nullptr || std::string(wanted) != "1") {
    MESSAGE("AKT_DOCKER_TESTS!=1: skipped");
    return nullptr;
  }
  auto config = docker::engine_config_from(process_environment());
  REQUIRE(config);
  auto engine = docker::make_http_engine(*config);
  auto ping = engine->ping();
  if (!ping) {
    std::fprintf(stderr, "docker-live: skipped: %s\n", ping.error().message.c_str());
    std::exit(77);
  }
  const std::string build = std::string("bash ") + AKT_SOURCE_DIR + "/scripts/test-image.sh >/dev/null";
  REQUIRE(std::system(build.c_str()) == 0);
  return engine;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    out.append(buffer, n);
  }
  pclose(pipe);
  return out;
}

akt::sdl::Storage storage(const std::string& name, std::uint64_t size, const std::string& cls,
                          bool persistent) {
  akt::sdl::Storage s;
  s.name = name;
  s.size = size;
  if (!cls.empty()) {
    s.attributes.push_back({"class", cls});
  }
  if (persistent) {
    s.attributes.push_back({"persistent", "true"});
  }
  return s;
}

akt::sdl::ManifestGroup two_services(const std::string& greeting) {
  akt::sdl::Service web;
  web.name = "web";
  web.image = k_image;
  web.command = std::vector<std::string>{"/bin/sh", "-c"};
  web.args = std::vector<std::string>{
      "n=$(cat /data/boots 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/boots; "
      "echo \"boot $n $GREETING\"; echo oops >&2; echo web-ok > /www/index.html; "
      "exec httpd -f -p 80 -h /www"};
  web.env = std::vector<std::string>{"GREETING=" + greeting};
  web.count = 1;
  web.resources.cpu.units = 500;
  web.resources.memory.size = 64ull << 20;
  web.resources.storage = {storage("default", 512ull << 20, "", false),
                           storage("data", 1ull << 30, "beta2", true),
                           storage("scratch", 16ull << 20, "ram", false)};
  web.expose.push_back(akt::sdl::ServiceExpose{80, 0, "TCP", "", true, std::nullopt, {}, "", 0});
  web.expose.push_back(akt::sdl::ServiceExpose{9000, 0, "TCP", "", true, std::nullopt, {}, "", 0});
  akt::sdl::ServiceParams params;
  params.storage = std::vector<akt::sdl::StorageParams>{{"data", "/data", false}, {"scratch", "/scratch", false}};
  web.params = params;

  akt::sdl::Service backend;
  backend.name = "backend";
  backend.image = k_image;
  backend.command = std::vector<std::string>{"/bin/sh", "-c"};
  backend.args = std::vector<std::string>{"echo backend-ok > /www/index.html; exec httpd -f -p 8080 -h /www"};
  backend.count = 1;
  backend.resources.cpu.units = 100;
  backend.resources.memory.size = 32ull << 20;
  backend.expose.push_back(akt::sdl::ServiceExpose{8080, 0, "TCP", "web", false, std::nullopt, {}, "", 0});

  akt::sdl::ManifestGroup group;
  group.name = "dcloud";
  group.services = {backend, web};
  return group;
}

docker::LeaseRef lease_ref(std::uint64_t dseq) {
  return docker::LeaseRef{"akash1livetest", dseq, 1, 1, "akash1liveprovider"};
}

akt::Result<docker::LeaseStatus> wait_healthy(docker::LeaseRuntime& runtime, const docker::LeaseRef& lease) {
  akt::Result<docker::LeaseStatus> status = runtime.status(lease);
  for (int i = 0; i < 100 && status && !status->healthy(); ++i) {
    std::this_thread::sleep_for(100ms);
    status = runtime.status(lease);
  }
  return status;
}

std::string container_id(docker::Engine& engine, const docker::LeaseRef& lease, const std::string& service) {
  auto list = engine.container_list({{docker::k_label_lease, lease.id()}, {docker::k_label_service, service}}, true);
  return list && !list->empty() ? list->front().id : std::string();
}

struct Exec {
  int code = -1;
  std::string out;
  std::string err;
};

Exec exec(docker::LeaseRuntime& runtime, const docker::LeaseRef& lease, const std::string& service,
          const std::vector<std::string>& argv) {
  Exec result;
  docker::ExecIo io;
  io.on_stdout = [&](std::string_view s) { result.out += s; };
  io.on_stderr = [&](std::string_view s) { result.err += s; };
  auto code = runtime.exec(lease, service, argv, io);
  if (!code) {
    FAIL_CHECK(code.error().message);
    return result;
  }
  result.code = *code;
  return result;
}

void check_nothing_labelled(docker::Engine& engine, const docker::LeaseRef& lease, bool volumes_too) {
  const docker::Labels filter{{docker::k_label_lease, lease.id()}};
  auto containers = engine.container_list(filter, true);
  REQUIRE(containers);
  CHECK(containers->empty());
  auto networks = engine.network_list(filter);
  REQUIRE(networks);
  CHECK(networks->empty());
  if (volumes_too) {
    auto volumes = engine.volume_list(filter);
    REQUIRE(volumes);
    CHECK(volumes->empty());
  }
}

} // namespace

TEST_SUITE("docker-live" * doctest::skip()) {

TEST_CASE("docker-live: two services, ports, env, limits, volumes, logs, exec, update, teardown") {
  auto engine = live_engine();
  if (!engine) {
    return;
  }
  docker::RuntimeOptions options;
  options.public_host = "127.0.0.1";
  docker::LeaseRuntime runtime(*engine, options);
  const docker::LeaseRef lease = lease_ref(
      static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) % 1000000000);
  (void)runtime.teardown(lease, true);

  auto deployed = runtime.deploy(lease, two_services("hi"));
  REQUIRE_MESSAGE(deployed, (deployed ? "" : deployed.error().message));
  auto status = wait_healthy(runtime, lease);
  REQUIRE(status);
  CHECK(status->healthy());
  CHECK(status->errors.empty());
  REQUIRE(status->services.count("web") == 1);
  const docker::ServiceStatus& web = status->services.at("web");
  CHECK(web.replicas == 1);
  CHECK(web.available_replicas == 1);
  REQUIRE(web.uris.size() == 1);
  CHECK(status->services.at("backend").uris.empty());
  REQUIRE(status->forwarded_ports.count("web") == 1);
  REQUIRE(status->forwarded_ports.at("web").size() == 1);
  CHECK(status->forwarded_ports.at("web")[0].port == 9000);
  CHECK(status->forwarded_ports.at("web")[0].proto == "TCP");
  CHECK(status->forwarded_ports.at("web")[0].external_port > 0);
  CHECK(status->forwarded_ports.count("backend") == 0);

  // The web service answers on its published port from the host.
  std::string body;
  for (int i = 0; i < 50 && body.find("web-ok") == std::string::npos; ++i) {
    body = run("curl -s --max-time 2 http://" + web.uris[0] + "/");
    if (body.find("web-ok") == std::string::npos) {
      std::this_thread::sleep_for(100ms);
    }
  }
  CHECK(body == "web-ok\n");

  // Services find each other by name on the lease's network.
  // The backend's httpd may still be starting: "running" is not "listening".
  Exec fetched = exec(runtime, lease, "web", {"wget", "-qO-", "http://backend:8080/"});
  for (int i = 0; i < 50 && fetched.code != 0; ++i) {
    std::this_thread::sleep_for(100ms);
    fetched = exec(runtime, lease, "web", {"wget", "-qO-", "http://backend:8080/"});
  }
  CHECK(fetched.code == 0);
  CHECK(fetched.out == "backend-ok\n");
  CHECK(exec(runtime, lease, "web", {"sh", "-c", "echo to-err >&2; exit 3"}).code == 3);
  Exec env = exec(runtime, lease, "web", {"sh", "-c", "echo $GREETING $AKASH_DEPLOYMENT_SEQUENCE"});
  CHECK(env.out == "hi " + std::to_string(lease.dseq) + "\n");
  Exec mounts = exec(runtime, lease, "web", {"sh", "-c", "grep -E ' /(scratch|data) ' /proc/mounts | cut -d' ' -f2,3"});
  CHECK(mounts.out.find("/scratch tmpfs") != std::string::npos);
  CHECK(mounts.out.find("/data ") != std::string::npos);

  // Limits are what the SDL asked for.
  const std::string web_id = container_id(*engine, lease, "web");
  const std::string backend_id = container_id(*engine, lease, "backend");
  auto inspected = engine->container_inspect(web_id);
  REQUIRE(inspected);
  CHECK(inspected->nano_cpus == 500000000);
  CHECK(inspected->memory_bytes == (64ll << 20));
  CHECK(inspected->labels.at(docker::k_label_provider) == lease.provider);
  CHECK(inspected->labels.at(docker::k_label_deployment) == lease.deployment());
  CHECK(inspected->labels.at(docker::k_label_service) == "web");
  CHECK(inspected->tmpfs.count("/scratch") == 1);

  // Logs of one service, both streams.
  std::vector<docker::LogLine> lines;
  docker::LeaseLogOptions log_options;
  log_options.service = "web";
  auto logged = runtime.logs(lease, log_options, [&](const docker::LogLine& line) {
    lines.push_back(line);
    return true;
  });
  REQUIRE(logged);
  bool saw_boot = false, saw_err = false;
  for (const docker::LogLine& line : lines) {
    saw_boot = saw_boot || (line.text == "boot 1 hi" && line.stream == docker::StreamKind::stdout_);
    saw_err = saw_err || (line.text == "oops" && line.stream == docker::StreamKind::stderr_);
    CHECK(line.service == "web");
  }
  CHECK(saw_boot);
  CHECK(saw_err);

  // A follow ends when the callback says so.
  int followed = 0;
  log_options.follow = true;
  auto follow = runtime.logs(lease, log_options, [&](const docker::LogLine&) { return ++followed < 1; });
  CHECK(follow);
  CHECK(followed == 1);

  // A follow with no new output ends when cancelled.
  const auto follow_start = std::chrono::steady_clock::now();
  log_options.cancelled = [&] { return std::chrono::steady_clock::now() - follow_start > 500ms; };
  std::size_t seen = 0;
  auto cancelled = runtime.logs(lease, log_options, [&](const docker::LogLine&) {
    ++seen;
    return true;
  });
  CHECK(cancelled);
  CHECK(seen >= 2);
  CHECK(std::chrono::steady_clock::now() - follow_start < 5s);

  // The persistent volume survives a restart.
  REQUIRE(runtime.restart(lease, "web"));
  REQUIRE(wait_healthy(runtime, lease));
  CHECK(exec(runtime, lease, "web", {"cat", "/data/boots"}).out == "2\n");

  // A new manifest version recreates what changed and keeps volumes and the rest.
  REQUIRE(runtime.update(lease, two_services("bye")));
  REQUIRE(wait_healthy(runtime, lease));
  CHECK(container_id(*engine, lease, "web") != web_id);
  CHECK(container_id(*engine, lease, "backend") == backend_id);
  CHECK(exec(runtime, lease, "web", {"cat", "/data/boots"}).out == "3\n");
  CHECK(exec(runtime, lease, "web", {"sh", "-c", "echo $GREETING"}).out == "bye\n");

  // Input over the hijacked connection: all of it arrives, then its end; a terminal
  // merges the streams.
  {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string input(200'000, 'x');
    std::thread writer([&] {
      for (std::size_t done = 0; done < input.size();) {
        ssize_t n = ::write(fds[1], input.data() + done, input.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::close(fds[1]);
    });
    Exec piped;
    docker::ExecIo io;
    io.stdin_fd = fds[0];
    io.on_stdout = [&](std::string_view s) { piped.out += s; };
    auto code = runtime.exec(lease, "web", {"sh", "-c", "wc -c; exit 5"}, io);
    writer.join();
    ::close(fds[0]);
    REQUIRE(code);
    CHECK(*code == 5);
    CHECK(piped.out.find("200000") != std::string::npos);

    Exec terminal;
    docker::ExecIo tty;
    tty.tty = true;
    tty.console = docker::ConsoleSize{40, 100};
    tty.on_stdout = [&](std::string_view s) { terminal.out += s; };
    tty.on_stderr = [&](std::string_view s) { terminal.err += s; };
    REQUIRE(runtime.exec(lease, "web", {"sh", "-c", "tty; echo to-stderr >&2"}, tty));
    CHECK(terminal.out.find("/dev/pts/") != std::string::npos);
    CHECK(terminal.out.find("to-stderr") != std::string::npos);
    CHECK(terminal.err.empty());
  }

  auto leases = runtime.leases(lease.provider);
  REQUIRE(leases);
  CHECK(std::find(leases->begin(), leases->end(), lease.id()) != leases->end());

  // Teardown keeping volumes, then for good.
  REQUIRE(runtime.teardown(lease, false));
  check_nothing_labelled(*engine, lease, false);
  auto kept = engine->volume_list({{docker::k_label_lease, lease.id()}});
  REQUIRE(kept);
  CHECK(kept->size() == 1);
  REQUIRE(runtime.teardown(lease, true));
  check_nothing_labelled(*engine, lease, true);
  auto missing = runtime.status(lease);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == akt::ErrorKind::not_found);
}

TEST_CASE("docker-live: a GPU request on an engine without the NVIDIA runtime fails clearly") {
  auto engine = live_engine();
  if (!engine) {
    return;
  }
  docker::LeaseRuntime runtime(*engine);
  const docker::LeaseRef lease = lease_ref(7);
  (void)runtime.teardown(lease, true);
  akt::sdl::Service gpu;
  gpu.name = "train";
  gpu.image = k_image;
  gpu.args = std::vector<std::string>{"sleep", "60"};
  gpu.count = 1;
  gpu.resources.cpu.units = 100;
  gpu.resources.memory.size = 16ull << 20;
  gpu.resources.gpu.units = 1;
  akt::sdl::ManifestGroup group{"dcloud", {gpu}};
  docker::GpuAssignment gpus;
  gpus.devices["train"] = {{"0"}};
  const auto start = std::chrono::steady_clock::now();
  auto deployed = runtime.deploy(lease, group, gpus);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // This engine may really have GPUs; then the request must simply work.
  auto info = run("docker info --format '{{json .Runtimes}}'");
  if (info.find("nvidia") == std::string::npos) {
    REQUIRE_FALSE(deployed);
    CHECK(deployed.error().kind == akt::ErrorKind::provider);
    CHECK(deployed.error().message.find("nvidia-container-toolkit") != std::string::npos);
    CHECK(deployed.error().message.find("could not select device driver") != std::string::npos);
    CHECK(elapsed < 10s);
  }
  REQUIRE(runtime.teardown(lease, true));
  check_nothing_labelled(*engine, lease, true);
}

TEST_CASE("docker-live: an image that is neither local nor pullable is named") {
  auto engine = live_engine();
  if (!engine) {
    return;
  }
  docker::LeaseRuntime runtime(*engine);
  const docker::LeaseRef lease = lease_ref(8);
  akt::sdl::Service service;
  service.name = "app";
  service.image = "localhost:1/akt-test/nothing:1";
  service.count = 1;
  service.resources.cpu.units = 100;
  service.resources.memory.size = 16ull << 20;
  auto deployed = runtime.deploy(lease, akt::sdl::ManifestGroup{"dcloud", {service}});
  REQUIRE_FALSE(deployed);
  CHECK(deployed.error().message.find("image localhost:1/akt-test/nothing:1 of service app is not present locally") !=
        std::string::npos);
  REQUIRE(runtime.teardown(lease, true));
  check_nothing_labelled(*engine, lease, true);
}

TEST_CASE("docker-live: ping negotiates a version and an absent socket is unreachable") {
  auto engine = live_engine();
  if (!engine) {
    return;
  }
  auto ping = engine->ping();
  REQUIRE(ping);
  CHECK(!ping->api_version.empty());
  CHECK(docker::negotiate_api_version(ping->engine_api_version, "1.43") == ping->api_version);
  auto config = docker::engine_config_from({{"DOCKER_HOST", "unix:///nonexistent/docker.sock"}});
  REQUIRE(config);
  auto absent = docker::make_http_engine(*config)->ping();
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind == akt::ErrorKind::unreachable);
  CHECK(absent.error().message.find("unix:///nonexistent/docker.sock") != std::string::npos);
}

} // TEST_SUITE
