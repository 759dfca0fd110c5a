// HttpEngine against a stand-in engine (cpp-httplib on 127.0.0.1): version negotiation,
// request shapes, error passing, stream demultiplexing, unreachable engines.
#include <doctest/doctest.h>

#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/docker/config.hpp"
#include "runtime/docker/http_engine.hpp"

namespace docker = akt::runtime::docker;
using nlohmann::json;

namespace {

std::string frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  out[7] = static_cast<char>(payload.size());
  return out + payload;
}

// A stand-in engine on a free port; records request paths and bodies.
struct StubEngine {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::string api_version = "1.41";
  std::vector<std::string> paths;
  json last_body;
  std::string last_auth;
  std::mutex mutex;

  StubEngine() {
    server.Get("/_ping", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Api-Version", api_version);
      res.set_header("OSType", "linux");
      res.set_content("OK", "text/plain");
    });
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard lock(mutex);
      paths.push_back(req.method + " " + req.path);
      if (req.has_header("X-Registry-Auth")) {
        last_auth = req.get_header_value("X-Registry-Auth");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.Post(R"(/v[0-9.]+/containers/create)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex);
        last_body = json::parse(req.body, nullptr, false);  // the body is read after pre-routing
      }
      if (req.get_param_value("name") == "taken") {
        res.status = 409;
        res.set_content(R"({"message":"Conflict. The container name \"/taken\" is already in use"})", "application/json");
        return;
      }
      res.status = 201;
      res.set_content(R"({"Id":"abc123","Warnings":[]})", "application/json");
    });
    server.Get(R"(/v[0-9.]+/containers/missing/json)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"message":"No such container: missing"})", "application/json");
    });
    server.Get(R"(/v[0-9.]+/containers/abc123/json)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Id":"abc123","Name":"/akt-x-web-0","RestartCount":2,
        "Config":{"Image":"web:1","Env":["A=1"],"Entrypoint":null,"Cmd":["serve"],"Labels":{"akt.lease":"l"}},
        "State":{"Status":"running","Running":true,"Restarting":false,"OOMKilled":false,"ExitCode":0},
        "HostConfig":{"NanoCpus":500000000,"Memory":67108864,"Tmpfs":{"/scratch":"size=1"},
          "DeviceRequests":[{"Driver":"","DeviceIDs":["0"],"Capabilities":[["gpu"]]}]},
        "Mounts":[{"Type":"volume","Name":"vol","Destination":"/data","RW":true}],
        "NetworkSettings":{"Ports":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"49153"}],"22/tcp":null},
                           "Networks":{"akt-x":{}}}})", "application/json");
    });
    server.Get(R"(/v[0-9.]+/containers/abc123/logs)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(frame(1, "out\n") + frame(2, "err\n") + frame(1, "more\n"),
                      "application/vnd.docker.multiplexed-stream");
    });
    server.Post(R"(/v[0-9.]+/containers/gpu/start)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content(R"({"message":"could not select device driver \"\" with capabilities: [[gpu]]"})", "application/json");
    });
    server.Post(R"(/v[0-9.]+/containers/abc123/start)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 304;
    });
    server.Post(R"(/v[0-9.]+/images/create)", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_param_value("fromImage") == "bad/image") {
        res.set_content("{\"status\":\"Pulling\"}\n{\"error\":\"manifest unknown\",\"errorDetail\":{}}\n", "application/json");
        return;
      }
      res.set_content("{\"status\":\"Downloading\",\"id\":\"l1\",\"progress\":\"[=> ]\"}\n{\"status\":\"Done\"}\n",
                      "application/json");
    });
    server.Get(R"(/v[0-9.]+/volumes)", [](const httplib::Request& req, httplib::Response& res) {
      json filters = json::parse(req.get_param_value("filters"), nullptr, false);
      json body = {{"Volumes", json::array()}};
      if (filters.is_object() && filters["label"] == json::array({"akt.lease=x"})) {
        body["Volumes"].push_back({{"Name", "v1"}, {"Labels", {{"akt.lease", "x"}}}});
      }
      res.set_content(body.dump(), "application/json");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~StubEngine() {
    server.stop();
    thread.join();
  }
  std::unique_ptr<docker::Engine> engine(const std::string& max_version = {}) {
    docker::Environment env{{"DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(port)}};
    if (!max_version.empty()) {
      env["DOCKER_API_VERSION"] = max_version;
    }
    auto config = docker::engine_config_from(env);
    REQUIRE(config);
    return docker::make_http_engine(*config);
  }
};

} // namespace

TEST_CASE("runtime/docker: ping settles the API version at the lower of the engine's and ours") {
  StubEngine stub;
  stub.api_version = "1.45";
  auto ping = stub.engine()->ping();
  REQUIRE(ping);
  CHECK(ping->engine_api_version == "1.45");
  CHECK(ping->api_version == "1.43");
  CHECK(ping->os_type == "linux");
  stub.api_version = "1.41";
  CHECK(stub.engine()->ping()->api_version == "1.41");
  CHECK(stub.engine("1.40")->ping()->api_version == "1.40");
  stub.api_version = "1.24";
  auto old = stub.engine()->ping();
  REQUIRE_FALSE(old);
  CHECK(old.error().kind == akt::ErrorKind::provider);
  CHECK(old.error().message.find("speaks API 1.24") != std::string::npos);
  CHECK(docker::negotiate_api_version("1.9", "1.43") == "1.9");
  CHECK(docker::negotiate_api_version("1.100", "1.43") == "1.43");
  CHECK(docker::negotiate_api_version("x", "1.43").empty());
}

TEST_CASE("runtime/docker: requests go to the negotiated version and carry the spec") {
  StubEngine stub;
  auto engine = stub.engine();
  docker::ContainerSpec spec;
  spec.name = "akt-x-web-0";
  spec.image = "web:1";
  spec.cmd = std::vector<std::string>{"serve"};
  spec.env = {"A=1"};
  spec.nano_cpus = 500000000;
  spec.memory_bytes = 1 << 26;
  spec.exposed = {{8080, "tcp"}};
  spec.published = {{80, "tcp"}};
  spec.volumes = {{"vol", "/data", false}};
  spec.tmpfs = {{"/scratch", "size=1"}};
  spec.network = "akt-x";
  spec.aliases = {"web"};
  spec.device_requests = {docker::DeviceRequest{"", {"0", "1"}, {{"gpu"}}}};
  auto id = engine->container_create(spec);
  REQUIRE(id);
  CHECK(*id == "abc123");
  CHECK(stub.paths == std::vector<std::string>{"GET /_ping", "POST /v1.41/containers/create"});
  const json& body = stub.last_body;
  CHECK_FALSE(body.contains("Entrypoint"));
  CHECK(body["Cmd"] == json::array({"serve"}));
  CHECK(body["HostConfig"]["NanoCpus"] == 500000000);
  CHECK(body["HostConfig"]["Memory"] == 1 << 26);
  CHECK(body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "");
  CHECK(body["ExposedPorts"].contains("8080/tcp"));
  CHECK(body["HostConfig"]["Mounts"][0]["Source"] == "vol");
  CHECK(body["HostConfig"]["Tmpfs"]["/scratch"] == "size=1");
  CHECK(body["HostConfig"]["DeviceRequests"][0] ==
        json({{"Driver", ""}, {"DeviceIDs", {"0", "1"}}, {"Capabilities", {{"gpu"}}}}));
  CHECK_FALSE(body["HostConfig"]["DeviceRequests"][0].contains("Count"));
  CHECK(body["NetworkingConfig"]["EndpointsConfig"]["akt-x"]["Aliases"] == json::array({"web"}));
}

TEST_CASE("runtime/docker: inspect reads state, limits, ports, mounts and device requests") {
  StubEngine stub;
  auto info = stub.engine()->container_inspect("abc123");
  REQUIRE(info);
  CHECK(info->name == "akt-x-web-0");
  CHECK(info->state.running);
  CHECK(info->restart_count == 2);
  CHECK(info->nano_cpus == 500000000);
  CHECK(info->memory_bytes == 67108864);
  CHECK_FALSE(info->entrypoint.has_value());
  CHECK(*info->cmd == std::vector<std::string>{"serve"});
  CHECK(info->ports.at("80/tcp")[0].host_port == 49153);
  CHECK(info->ports.at("22/tcp").empty());
  CHECK(info->volumes[0].source == "vol");
  CHECK(info->device_requests[0].device_ids == std::vector<std::string>{"0"});
  CHECK(info->networks == std::vector<std::string>{"akt-x"});
}

TEST_CASE("runtime/docker: engine errors keep the engine's message and 404 is not_found") {
  StubEngine stub;
  auto engine = stub.engine();
  auto missing = engine->container_inspect("missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == akt::ErrorKind::not_found);
  CHECK(missing.error().message == "inspect container missing: No such container: missing");
  docker::ContainerSpec spec;
  spec.name = "taken";
  spec.image = "web:1";
  auto taken = engine->container_create(spec);
  REQUIRE_FALSE(taken);
  CHECK(taken.error().kind == akt::ErrorKind::provider);
  CHECK(taken.error().message == "create container taken: Conflict. The container name \"/taken\" is already in use");
  auto gpu = engine->container_start("gpu");
  REQUIRE_FALSE(gpu);
  CHECK(gpu.error().message == "start container gpu: could not select device driver \"\" with capabilities: [[gpu]]");
  CHECK(engine->container_start("abc123"));  // 304: already running
  CHECK(engine->container_inspect("../../etc").error().kind == akt::ErrorKind::invalid);
}

TEST_CASE("runtime/docker: logs are demultiplexed into stdout and stderr") {
  StubEngine stub;
  std::string out, err;
  REQUIRE(stub.engine()->container_logs("abc123", {}, [&](docker::StreamKind kind, std::string_view data) {
    (kind == docker::StreamKind::stderr_ ? err : out) += data;
    return true;
  }));
  CHECK(out == "out\nmore\n");
  CHECK(err == "err\n");
  int calls = 0;
  REQUIRE(stub.engine()->container_logs("abc123", {}, [&](docker::StreamKind, std::string_view) {
    return ++calls < 1;
  }));
  CHECK(calls == 1);
}

TEST_CASE("runtime/docker: pulls send X-Registry-Auth, report progress and surface stream errors") {
  StubEngine stub;
  auto engine = stub.engine();
  std::vector<std::string> progress;
  docker::RegistryAuth auth{"me", "pw", "", "registry.test"};
  REQUIRE(engine->image_pull("web", auth, [&](const docker::PullProgress& p) { progress.push_back(p.id + p.status); }));
  CHECK(progress == std::vector<std::string>{"l1Downloading", "Done"});
  CHECK(stub.last_auth == docker::registry_auth_header(auth));
  auto bad = engine->image_pull("bad/image", std::nullopt, {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "pull image bad/image: manifest unknown");
  // base64url of {"email":"","password":"pw","serveraddress":"registry.test","username":"me"}
  CHECK(docker::registry_auth_header(auth) ==
        "eyJlbWFpbCI6IiIsInBhc3N3b3JkIjoicHciLCJzZXJ2ZXJhZGRyZXNzIjoicmVnaXN0cnkudGVzdCIsInVzZXJuYW1lIjoibWUifQ==");
}

TEST_CASE("runtime/docker: label filters select objects") {
  StubEngine stub;
  auto volumes = stub.engine()->volume_list({{"akt.lease", "x"}});
  REQUIRE(volumes);
  REQUIRE(volumes->size() == 1);
  CHECK((*volumes)[0].labels.at("akt.lease") == "x");
}

TEST_CASE("runtime/docker: an engine that does not answer is unreachable and named") {
  int port = 0;
  {
    StubEngine stub;
    port = stub.port;
  }
  auto config = docker::engine_config_from({{"DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(port)}});
  REQUIRE(config);
  auto ping = docker::make_http_engine(*config)->ping();
  REQUIRE_FALSE(ping);
  CHECK(ping.error().kind == akt::ErrorKind::unreachable);
  CHECK(ping.error().message.find("tcp://127.0.0.1:" + std::to_string(port)) != std::string::npos);
  auto socket = docker::engine_config_from({{"DOCKER_HOST", "unix:///nonexistent/docker.sock"}});
  auto list = docker::make_http_engine(*socket)->container_list({}, true);
  REQUIRE_FALSE(list);
  CHECK(list.error().kind == akt::ErrorKind::unreachable);
  CHECK(list.error().message.find("unix:///nonexistent/docker.sock") != std::string::npos);
  CHECK(list.error().message.find("start dockerd or set DOCKER_HOST") != std::string::npos);
}

TEST_CASE("runtime/docker: DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH make the config") {
  auto plain = docker::engine_config_from({});
  REQUIRE(plain);
  CHECK(plain->transport == docker::Transport::unix_socket);
  CHECK(plain->endpoint() == "unix:///var/run/docker.sock");
  auto tcp = docker::engine_config_from({{"DOCKER_HOST", "tcp://docker.test"}});
  REQUIRE(tcp);
  CHECK(tcp->transport == docker::Transport::tcp);
  CHECK(tcp->host == "docker.test:2375");
  auto tls = docker::engine_config_from(
      {{"DOCKER_HOST", "tcp://docker.test:2376"}, {"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", "/certs"}});
  REQUIRE(tls);
  CHECK(tls->transport == docker::Transport::tls);
  CHECK(tls->verify_peer);
  CHECK(tls->ca_file == "/certs/ca.pem");
  CHECK(tls->cert_file == "/certs/cert.pem");
  CHECK(tls->key_file == "/certs/key.pem");
  auto home = docker::engine_config_from({{"DOCKER_HOST", "tcp://h:1"}, {"DOCKER_TLS", "1"}, {"HOME", "/home/u"}});
  REQUIRE(home);
  CHECK(home->ca_file == "/home/u/.docker/ca.pem");
  CHECK_FALSE(home->verify_peer);
  auto bad = docker::engine_config_from({{"DOCKER_HOST", "ssh://me@host"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().path == "DOCKER_HOST");
  CHECK(bad.error().kind == akt::ErrorKind::invalid);
  CHECK_FALSE(docker::engine_config_from({{"DOCKER_HOST", "unix://relative"}}));
  CHECK_FALSE(docker::engine_config_from({{"DOCKER_API_VERSION", "latest"}}));
}
