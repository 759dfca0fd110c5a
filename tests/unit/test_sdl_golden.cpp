// The compiled structs against the network's own outputs: each golden directory holds an
// upstream SDL input and the manifest and group specs Go produced for it. The structs are
// put into Go's JSON shape here (a test-only encoder) and compared as JSON values.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sdl/sdl.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace akt::sdl;

namespace {

json strings_or_null(const std::optional<std::vector<std::string>>& v) { return v ? json(*v) : json(nullptr); }

json attrs(const Attributes& a) {
  json out = json::array();
  for (const Attribute& x : a) out.push_back({{"key", x.key}, {"value", x.value}});
  return out;
}

json resources(const Resources& r) {
  json cpu = {{"units", {{"val", std::to_string(r.cpu.units)}}}};
  if (!r.cpu.attributes.empty()) cpu["attributes"] = attrs(r.cpu.attributes);
  json mem = {{"size", {{"val", std::to_string(r.memory.size)}}}};
  json storage = json::array();
  for (const Storage& s : r.storage) {
    json v = {{"name", s.name}, {"size", {{"val", std::to_string(s.size)}}}};
    if (!s.attributes.empty()) v["attributes"] = attrs(s.attributes);
    storage.push_back(v);
  }
  json gpu = {{"units", {{"val", std::to_string(r.gpu.units)}}}};
  if (!r.gpu.attributes.empty()) gpu["attributes"] = attrs(r.gpu.attributes);
  json endpoints = json::array();
  for (const Endpoint& e : r.endpoints) {
    json ep = {{"sequence_number", e.sequence_number}};
    if (e.kind != EndpointKind::shared_http) ep["kind"] = static_cast<int>(e.kind);
    endpoints.push_back(ep);
  }
  return {{"id", r.id}, {"cpu", cpu}, {"memory", mem}, {"storage", storage}, {"gpu", gpu}, {"endpoints", endpoints}};
}

json manifest(const Manifest& m) {
  json out = json::array();
  for (const ManifestGroup& g : m) {
    json services = json::array();
    for (const Service& s : g.services) {
      json expose = json::array();
      for (const ServiceExpose& e : s.expose) {
        json http = {{"maxBodySize", e.http_options.max_body_size}, {"readTimeout", e.http_options.read_timeout},
                     {"sendTimeout", e.http_options.send_timeout}, {"nextTries", e.http_options.next_tries},
                     {"nextTimeout", e.http_options.next_timeout}};
        if (!e.http_options.next_cases.empty()) http["nextCases"] = e.http_options.next_cases;
        if (e.http_options.proxy_buffer_size) http["proxyBufferSize"] = e.http_options.proxy_buffer_size;
        expose.push_back({{"port", e.port}, {"externalPort", e.external_port}, {"proto", e.proto},
                          {"service", e.service}, {"global", e.global}, {"hosts", strings_or_null(e.hosts)},
                          {"httpOptions", http}, {"ip", e.ip}, {"endpointSequenceNumber", e.endpoint_sequence_number}});
      }
      json svc = {{"name", s.name}, {"image", s.image}, {"command", strings_or_null(s.command)},
                  {"args", strings_or_null(s.args)}, {"env", strings_or_null(s.env)},
                  {"resources", resources(s.resources)}, {"count", s.count}, {"expose", expose}};
      if (s.params) {
        json p;
        if (s.params->storage) {
          p["storage"] = json::array();
          for (const StorageParams& sp : *s.params->storage)
            p["storage"].push_back({{"name", sp.name}, {"mount", sp.mount}, {"readOnly", sp.read_only}});
        } else {
          p["storage"] = nullptr;
        }
        if (s.params->permissions) {
          json perms = json::object();
          if (s.params->permissions->read) perms["read"] = *s.params->permissions->read;
          p["permissions"] = perms;
        }
        if (s.params->tee) p["tee"] = {{"type", s.params->tee->type}, {"attestation", s.params->tee->attestation}};
        svc["params"] = p;
      }
      svc["credentials"] = s.credentials ? json{{"host", s.credentials->host}, {"email", s.credentials->email},
                                                {"username", s.credentials->username},
                                                {"password", s.credentials->password}}
                                         : json(nullptr);
      services.push_back(svc);
    }
    out.push_back({{"name", g.name}, {"services", services}});
  }
  return out;
}

json groups(const std::vector<GroupSpec>& gs) {
  json out = json::array();
  for (const GroupSpec& g : gs) {
    json units = json::array();
    for (const ResourceUnit& u : g.resources) {
      units.push_back({{"resource", resources(u.resources)}, {"count", u.count},
                       {"price", {{"denom", u.price.denom}, {"amount", u.price.amount.to_string()}}}});
    }
    out.push_back({{"name", g.name},
                   {"requirements",
                    {{"signed_by", {{"all_of", strings_or_null(g.requirements.signed_by.all_of)},
                                    {"any_of", strings_or_null(g.requirements.signed_by.any_of)}}},
                     {"attributes", g.requirements.attributes ? attrs(*g.requirements.attributes) : json(nullptr)}}},
                   {"resources", units}});
  }
  return out;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

} // namespace

TEST_CASE("sdl::compile matches Go's manifest and group specs on upstream fixtures") {
  const fs::path root = fs::path(AKT_TEST_DATA) / "sdl" / "golden";
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path dir = entry.path();
    CAPTURE(dir.filename().string());
    CompileResult r = compile_file(dir / "input.yaml");
    for (const auto& e : r.errors) CAPTURE(akt::to_string(e));
    REQUIRE(r.ok());
    CHECK(manifest(r.compiled->manifest) == read_json(dir / "manifest.json"));
    CHECK(groups(r.compiled->groups) == read_json(dir / "group-specs.json"));
    ++cases;
  }
  CHECK(cases >= 15);
}
