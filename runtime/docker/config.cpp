#include "runtime/docker/config.hpp"

#include <cctype>

namespace akt::runtime::docker {

namespace {

std::string get(const Environment& env, const std::string& key) {
  auto it = env.find(key);
  return it == env.end() ? std::string() : it->second;
}

bool valid_version(const std::string& version) {
  const std::size_t dot = version.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == version.size()) {
    return false;
  }
  for (std::size_t i = 0; i < version.size(); ++i) {
    if (i != dot && !std::isdigit(static_cast<unsigned char>(version[i]))) {
      return false;
    }
  }
  return version.size() <= 12;
}

} // namespace

std::string EngineConfig::endpoint() const {
  switch (transport) {
  case Transport::unix_socket: return "unix://" + socket_path;
  case Transport::tcp: return "tcp://" + host;
  case Transport::tls: return "tcp://" + host + " (TLS)";
  }
  return {};
}

Result<EngineConfig> engine_config_from(const Environment& env) {
  EngineConfig config;
  const std::string docker_host = get(env, "DOCKER_HOST");
  const bool tls = !get(env, "DOCKER_TLS_VERIFY").empty() || !get(env, "DOCKER_TLS").empty();
  auto bad = [&](const std::string& why) {
    Error error = make_error(ErrorKind::invalid,
                             "DOCKER_HOST=" + docker_host + ": " + why +
                                 "; use unix:///path/to/docker.sock or tcp://host:port");
    error.path = "DOCKER_HOST";
    return error;
  };
  if (!docker_host.empty()) {
    const std::size_t scheme_end = docker_host.find("://");
    if (scheme_end == std::string::npos) {
      return bad("no scheme");
    }
    const std::string scheme = docker_host.substr(0, scheme_end);
    std::string rest = docker_host.substr(scheme_end + 3);
    if (scheme == "unix") {
      if (rest.empty() || rest[0] != '/') {
        return bad("the socket path must be absolute");
      }
      config.transport = Transport::unix_socket;
      config.socket_path = rest;
    } else if (scheme == "tcp" || scheme == "http" || scheme == "https") {
      while (!rest.empty() && rest.back() == '/') {
        rest.pop_back();
      }
      if (rest.empty() || rest.find('/') != std::string::npos) {
        return bad("expected host:port");
      }
      if (rest.find(':') == std::string::npos) {
        rest += (tls || scheme == "https") ? ":2376" : ":2375";
      }
      config.host = rest;
      config.transport = (tls || scheme == "https") ? Transport::tls : Transport::tcp;
    } else {
      return bad("unsupported scheme " + scheme);
    }
  }
  if (config.transport == Transport::tls) {
    std::string dir = get(env, "DOCKER_CERT_PATH");
    if (dir.empty()) {
      const std::string home = get(env, "HOME");
      dir = (home.empty() ? std::string(".") : home) + "/.docker";
    }
    config.ca_file = dir + "/ca.pem";
    config.cert_file = dir + "/cert.pem";
    config.key_file = dir + "/key.pem";
    config.verify_peer = !get(env, "DOCKER_TLS_VERIFY").empty();
  }
  const std::string version = get(env, "DOCKER_API_VERSION");
  if (!version.empty()) {
    if (!valid_version(version)) {
      Error error = make_error(ErrorKind::invalid,
                               "DOCKER_API_VERSION=" + version + ": expected a version like 1.41");
      error.path = "DOCKER_API_VERSION";
      return error;
    }
    config.max_api_version = version;
  }
  return config;
}

} // namespace akt::runtime::docker
