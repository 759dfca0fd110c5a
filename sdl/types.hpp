#pragma once
// The compiled forms of an SDL, shaped after the network's Go types
// (manifest v2beta3 and deployment v1beta4 GroupSpec). These plain structs are what
// every later layer consumes: the market (group specs), the providers (manifest groups)
// and the Docker runtime (services). JSON encoding lives in sdl/json.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/decimal.hpp"

namespace akt::sdl {

struct Attribute {
  std::string key;
  std::string value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};
using Attributes = std::vector<Attribute>;

struct Cpu {
  std::uint64_t units = 0;  // millicpu
  Attributes attributes;
  friend bool operator==(const Cpu&, const Cpu&) = default;
};

struct Memory {
  std::uint64_t size = 0;  // bytes
  Attributes attributes;
  friend bool operator==(const Memory&, const Memory&) = default;
};

struct Storage {
  std::string name;
  std::uint64_t size = 0;  // bytes
  Attributes attributes;   // "class" (default, beta1..3, ram), "persistent" ("true"/"false")
  friend bool operator==(const Storage&, const Storage&) = default;
};

struct Gpu {
  std::uint64_t units = 0;
  // Keys like "vendor/nvidia/model/a100/ram/80Gi/interface/sxm" with value "true";
  // "vendor/nvidia/model/*" when any model will do.
  Attributes attributes;
  friend bool operator==(const Gpu&, const Gpu&) = default;
};

enum class EndpointKind : int { shared_http = 0, random_port = 1, leased_ip = 2 };

struct Endpoint {
  EndpointKind kind = EndpointKind::shared_http;
  std::uint32_t sequence_number = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Resources {
  std::uint32_t id = 0;
  Cpu cpu;
  Memory memory;
  std::vector<Storage> storage;
  Gpu gpu;
  std::vector<Endpoint> endpoints;
  friend bool operator==(const Resources&, const Resources&) = default;
};

struct HttpOptions {
  std::uint32_t max_body_size = 0;
  std::uint32_t read_timeout = 0;
  std::uint32_t send_timeout = 0;
  std::uint32_t next_tries = 0;
  std::uint32_t next_timeout = 0;
  std::vector<std::string> next_cases;  // omitted from JSON when empty
  std::uint32_t proxy_buffer_size = 0;  // omitted from JSON when 0
  friend bool operator==(const HttpOptions&, const HttpOptions&) = default;
};

struct ServiceExpose {
  std::uint32_t port = 0;
  std::uint32_t external_port = 0;  // SDL `as`, 0 when absent
  std::string proto;                // "TCP" or "UDP"
  std::string service;              // `to.service`, "" for a global or bare expose
  bool global = false;
  std::optional<std::vector<std::string>> hosts;  // SDL `accept`; nullopt → JSON null
  HttpOptions http_options;
  std::string ip;  // endpoint name of a leased IP
  std::uint32_t endpoint_sequence_number = 0;
  friend bool operator==(const ServiceExpose&, const ServiceExpose&) = default;
};

struct StorageParams {
  std::string name;
  std::string mount;
  bool read_only = false;
  friend bool operator==(const StorageParams&, const StorageParams&) = default;
};

struct Permissions {
  std::optional<std::vector<std::string>> read;
  friend bool operator==(const Permissions&, const Permissions&) = default;
};

struct Tee {
  std::string type;  // "cpu" or "cpu-gpu"
  bool attestation = true;
  friend bool operator==(const Tee&, const Tee&) = default;
};

struct ServiceParams {
  std::optional<std::vector<StorageParams>> storage;  // nullopt → JSON null
  std::optional<Permissions> permissions;
  std::optional<Tee> tee;
  friend bool operator==(const ServiceParams&, const ServiceParams&) = default;
};

struct Credentials {
  std::string host;
  std::string email;
  std::string username;
  std::string password;
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

struct Service {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> command;  // nullopt → JSON null; SDL `command` = entrypoint
  std::optional<std::vector<std::string>> args;     // SDL `args` = cmd
  std::optional<std::vector<std::string>> env;      // "NAME=value" or "NAME"
  Resources resources;
  std::uint32_t count = 0;
  std::vector<ServiceExpose> expose;
  std::optional<ServiceParams> params;
  std::optional<Credentials> credentials;
  friend bool operator==(const Service&, const Service&) = default;
};

// One manifest group per placement; services sorted by name.
struct ManifestGroup {
  std::string name;
  std::vector<Service> services;
  friend bool operator==(const ManifestGroup&, const ManifestGroup&) = default;
};
using Manifest = std::vector<ManifestGroup>;

struct DecCoin {
  std::string denom;
  util::Decimal amount;  // price per block of one unit
  friend bool operator==(const DecCoin&, const DecCoin&) = default;
};

struct SignedBy {
  std::optional<std::vector<std::string>> all_of;
  std::optional<std::vector<std::string>> any_of;
  friend bool operator==(const SignedBy&, const SignedBy&) = default;
};

struct PlacementRequirements {
  SignedBy signed_by;
  std::optional<Attributes> attributes;  // nullopt → JSON null
  friend bool operator==(const PlacementRequirements&, const PlacementRequirements&) = default;
};

struct ResourceUnit {
  Resources resources;
  std::uint32_t count = 0;
  DecCoin price;
  friend bool operator==(const ResourceUnit&, const ResourceUnit&) = default;
};

// What a deployment asks of the market for one placement: an order's specification.
struct GroupSpec {
  std::string name;
  PlacementRequirements requirements;
  std::vector<ResourceUnit> resources;
  friend bool operator==(const GroupSpec&, const GroupSpec&) = default;
};

} // namespace akt::sdl
