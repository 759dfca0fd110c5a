#pragma once
// Where the Docker engine is and how to talk to it. Built once from the environment
// (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) by the caller, so nothing deeper
// reads getenv.
#include <map>
#include <string>

#include "util/result.hpp"

namespace akt::runtime::docker {

enum class Transport { unix_socket, tcp, tls };

struct EngineConfig {
  Transport transport = Transport::unix_socket;
  std::string socket_path = "/var/run/docker.sock";  // unix_socket only
  std::string host;                                  // "host:port" for tcp and tls
  // tls only: files ca.pem, cert.pem, key.pem; verify_peer follows DOCKER_TLS_VERIFY.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_peer = true;
  long connect_timeout_ms = 3000;
  // The highest API version we send; the engine's /_ping may lower it.
  std::string max_api_version = "1.43";

  // "unix:///var/run/docker.sock", "tcp://host:2376": what error messages name.
  std::string endpoint() const;
};

using Environment = std::map<std::string, std::string>;

// DOCKER_HOST (unix://PATH, tcp://HOST:PORT, https://HOST:PORT; default the unix socket),
// DOCKER_TLS_VERIFY / DOCKER_TLS (non-empty → TLS), DOCKER_CERT_PATH (default
// $HOME/.docker), DOCKER_API_VERSION (caps the version). Invalid values → ErrorKind::invalid.
Result<EngineConfig> engine_config_from(const Environment& env);

} // namespace akt::runtime::docker
