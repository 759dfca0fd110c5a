// Deploying one service until it runs and tearing it down until it is gone, through
// LeaseRuntime, next to the Docker floor (bare container create+start / remove through
// the Engine API). Skipped when no Docker engine answers or the test image is missing
// (scripts/test-image.sh builds it).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "runtime/docker/config.hpp"
#include "runtime/docker/http_engine.hpp"
#include "runtime/docker/lease_runtime.hpp"

namespace docker = akt::runtime::docker;

namespace {

constexpr const char* k_image = "akt-test/busybox:latest";

std::unique_ptr<docker::Engine> engine_or_skip(benchmark::State& state) {
  docker::Environment env;
  for (const char* key : {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH", "HOME"}) {
    if (const char* value = std::getenv(key)) {
      env[key] = value;
    }
  }
  auto config = docker::engine_config_from(env);
  if (!config) {
    state.SkipWithError(config.error().message.c_str());
    return nullptr;
  }
  auto engine = docker::make_http_engine(*config);
  if (auto ping = engine->ping(); !ping) {
    state.SkipWithError(("no Docker engine: " + ping.error().message).c_str());
    return nullptr;
  }
  auto image = engine->image_inspect(k_image);
  if (!image || !*image) {
    state.SkipWithError("akt-test/busybox:latest missing: run scripts/test-image.sh");
    return nullptr;
  }
  return engine;
}

akt::sdl::ManifestGroup one_service() {
  akt::sdl::Service service;
  service.name = "app";
  service.image = k_image;
  service.args = std::vector<std::string>{"sleep", "3600"};
  service.count = 1;
  service.resources.cpu.units = 100;
  service.resources.memory.size = 32ull << 20;
  akt::sdl::ServiceExpose expose;
  expose.port = 80;
  expose.proto = "TCP";
  expose.global = true;
  service.expose = {expose};
  return akt::sdl::ManifestGroup{"dcloud", {service}};
}

const docker::LeaseRef k_lease{"akash1bench", 1, 1, 1, "akash1benchprovider"};

void BM_RuntimeDocker_DeployUntilRunning(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::LeaseRuntime runtime(*engine);
  (void)runtime.teardown(k_lease, true);
  const akt::sdl::ManifestGroup group = one_service();
  for (auto _ : state) {
    if (auto deployed = runtime.deploy(k_lease, group); !deployed) {
      state.SkipWithError(deployed.error().message.c_str());
      break;
    }
    auto status = runtime.status(k_lease);
    while (status && !status->healthy()) {
      status = runtime.status(k_lease);
    }
    state.PauseTiming();
    (void)runtime.teardown(k_lease, true);
    state.ResumeTiming();
  }
}

void BM_RuntimeDocker_TeardownUntilGone(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::LeaseRuntime runtime(*engine);
  (void)runtime.teardown(k_lease, true);
  const akt::sdl::ManifestGroup group = one_service();
  for (auto _ : state) {
    state.PauseTiming();
    if (auto deployed = runtime.deploy(k_lease, group); !deployed) {
      state.SkipWithError(deployed.error().message.c_str());
      break;
    }
    state.ResumeTiming();
    if (auto removed = runtime.teardown(k_lease, true); !removed) {
      state.SkipWithError(removed.error().message.c_str());
      break;
    }
  }
}

// The floor: one container created and started, then force-removed, on the default
// network, with nothing else.
void BM_RuntimeDocker_FloorCreateStart(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::ContainerSpec spec;
  spec.name = "akt-bench-floor";
  spec.image = k_image;
  spec.cmd = std::vector<std::string>{"sleep", "3600"};
  (void)engine->container_remove(spec.name, true, true);
  for (auto _ : state) {
    auto id = engine->container_create(spec);
    if (!id || !engine->container_start(*id)) {
      state.SkipWithError("create/start failed");
      break;
    }
    state.PauseTiming();
    (void)engine->container_remove(*id, true, true);
    state.ResumeTiming();
  }
}

void BM_RuntimeDocker_FloorRemove(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::ContainerSpec spec;
  spec.name = "akt-bench-floor";
  spec.image = k_image;
  spec.cmd = std::vector<std::string>{"sleep", "3600"};
  (void)engine->container_remove(spec.name, true, true);
  for (auto _ : state) {
    state.PauseTiming();
    auto id = engine->container_create(spec);
    if (!id || !engine->container_start(*id)) {
      state.SkipWithError("create/start failed");
      break;
    }
    state.ResumeTiming();
    (void)engine->container_remove(*id, true, true);
  }
}

// The floor of what a lease needs: a network, then a container on it with a published
// port created and started; and back: container removed, network removed.
void BM_RuntimeDocker_FloorNetworkCreateStart(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::ContainerSpec spec;
  spec.name = "akt-bench-floor";
  spec.image = k_image;
  spec.cmd = std::vector<std::string>{"sleep", "3600"};
  spec.network = "akt-bench-floor";
  spec.published = {{80, "tcp"}};
  (void)engine->container_remove(spec.name, true, true);
  (void)engine->network_remove(spec.network);
  for (auto _ : state) {
    auto network = engine->network_create(spec.network, {});
    auto id = engine->container_create(spec);
    if (!network || !id || !engine->container_start(*id)) {
      state.SkipWithError("network/create/start failed");
      break;
    }
    state.PauseTiming();
    (void)engine->container_remove(*id, true, true);
    (void)engine->network_remove(spec.network);
    state.ResumeTiming();
  }
}

void BM_RuntimeDocker_FloorNetworkRemove(benchmark::State& state) {
  auto engine = engine_or_skip(state);
  if (!engine) {
    return;
  }
  docker::ContainerSpec spec;
  spec.name = "akt-bench-floor";
  spec.image = k_image;
  spec.cmd = std::vector<std::string>{"sleep", "3600"};
  spec.network = "akt-bench-floor";
  spec.published = {{80, "tcp"}};
  (void)engine->container_remove(spec.name, true, true);
  (void)engine->network_remove(spec.network);
  for (auto _ : state) {
    state.PauseTiming();
    auto network = engine->network_create(spec.network, {});
    auto id = engine->container_create(spec);
    if (!network || !id || !engine->container_start(*id)) {
      state.SkipWithError("network/create/start failed");
      break;
    }
    state.ResumeTiming();
    (void)engine->container_remove(*id, true, true);
    (void)engine->network_remove(spec.network);
  }
}

} // namespace

BENCHMARK(BM_RuntimeDocker_FloorNetworkCreateStart)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
BENCHMARK(BM_RuntimeDocker_FloorNetworkRemove)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
BENCHMARK(BM_RuntimeDocker_FloorCreateStart)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
BENCHMARK(BM_RuntimeDocker_DeployUntilRunning)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
BENCHMARK(BM_RuntimeDocker_FloorRemove)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
BENCHMARK(BM_RuntimeDocker_TeardownUntilGone)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();
