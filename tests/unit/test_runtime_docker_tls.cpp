// HttpEngine over tcp+TLS with client certificates, the way DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH configure a remote engine. Certificates are made with the openssl CLI.
#include <doctest/doctest.h>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "runtime/docker/config.hpp"
#include "runtime/docker/http_engine.hpp"

namespace docker = akt::runtime::docker;
namespace fs = std::filesystem;

namespace {

// ca.pem, cert.pem/key.pem (client), server-cert.pem/server-key.pem, other-ca.pem in dir.
bool make_certificates(const fs::path& dir) {
  const std::string d = dir.string();
  const std::string script =
      "set -e; cd '" + d + "'; "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=akt-test-ca; "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca-key.pem -out other-ca.pem -days 2 -subj /CN=other; "
      "openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1; "
      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext; "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile san.ext; "
      "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=client; "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2";
  return std::system(("(" + script + ") >/dev/null 2>&1").c_str()) == 0;
}

} // namespace

TEST_CASE("runtime/docker: a TLS engine is reached with DOCKER_CERT_PATH's client certificate") {
  const fs::path dir = fs::temp_directory_path() /
                       ("akt-docker-tls-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  if (!make_certificates(dir)) {
    fs::remove_all(dir);
    MESSAGE("openssl CLI unavailable: TLS test not run");
    return;
  }
  const std::string d = dir.string();
  httplib::SSLServer server((d + "/server-cert.pem").c_str(), (d + "/server-key.pem").c_str(),
                            (d + "/ca.pem").c_str());
  REQUIRE(server.is_valid());
  server.Get("/_ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Api-Version", "1.41");
    res.set_content("OK", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::string host = "tcp://127.0.0.1:" + std::to_string(port);

  auto config = docker::engine_config_from({{"DOCKER_HOST", host}, {"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", d}});
  REQUIRE(config);
  CHECK(config->endpoint() == "tcp://127.0.0.1:" + std::to_string(port) + " (TLS)");
  auto ping = docker::make_http_engine(*config)->ping();
  CHECK_MESSAGE(ping, (ping ? "" : ping.error().message));
  if (ping) {
    CHECK(ping->api_version == "1.41");
  }

  // A server certificate from another CA is refused, and the error says where to look.
  docker::EngineConfig wrong_ca = *config;
  wrong_ca.ca_file = d + "/other-ca.pem";
  auto refused = docker::make_http_engine(wrong_ca)->ping();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == akt::ErrorKind::unreachable);
  CHECK(refused.error().message.find("DOCKER_CERT_PATH") != std::string::npos);

  // Without a client certificate the engine refuses the connection.
  docker::EngineConfig no_client = *config;
  no_client.cert_file = d + "/missing.pem";
  no_client.key_file = d + "/missing.pem";
  CHECK_FALSE(docker::make_http_engine(no_client)->ping());

  server.stop();
  thread.join();
  fs::remove_all(dir);
}
