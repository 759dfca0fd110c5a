#pragma once
// The real Engine: the Docker Engine API over libcurl (unix socket, tcp, tcp+TLS).
// Safe to call from several threads (a follow on one, status on another).
#include <memory>

#include "runtime/docker/config.hpp"
#include "runtime/docker/engine.hpp"

namespace akt::runtime::docker {

std::unique_ptr<Engine> make_http_engine(const EngineConfig& config);

// min(engine, ours) of two "1.43"-style versions; "" when either does not parse.
std::string negotiate_api_version(const std::string& engine, const std::string& ours);

// The X-Registry-Auth header value: base64url of the auth JSON.
std::string registry_auth_header(const RegistryAuth& auth);

} // namespace akt::runtime::docker
