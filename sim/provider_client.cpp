#include "sim/provider_client.hpp"

#include <nlohmann/json.hpp>


namespace akt::sim {
namespace {

class LocalEndpoint final : public ProviderEndpoint {
public:
  LocalEndpoint(Provider& provider, DecisionStore& decisions) : m_provider(provider), m_decisions(decisions) {}
  Status send_manifest(const market::LeaseId& lease, const std::string& manifest_json) override {
    return m_provider.accept_manifest(lease, manifest_json);
  }
  Result<TenantLeaseStatus> status(const market::LeaseId& lease) override {
    return m_provider.lease_status(lease);
  }
  Status logs(const market::LeaseId& lease, const runtime::docker::LeaseLogOptions& options,
              const runtime::docker::LogLineFn& line) override {
    return m_provider.lease_logs(lease, options, line);
  }
  Result<int> exec(const market::LeaseId& lease, const std::string& service, const std::vector<std::string>& argv,
                   const runtime::docker::ExecIo& io) override {
    return m_provider.lease_exec(lease, service, argv, io);
  }
  Result<std::vector<runtime::docker::LeaseEvent>> events(const market::LeaseId& lease) override {
    return m_provider.lease_events(lease);
  }
  Result<std::vector<OrderDecision>> decisions(const std::string& owner, std::uint64_t dseq) override {
    Result<std::vector<OrderDecision>> all = m_decisions.for_deployment(owner, dseq);
    if (!all) return all.error();
    std::vector<OrderDecision> mine;
    for (const OrderDecision& d : *all)
      if (d.provider == m_provider.address()) mine.push_back(d);
    return mine;
  }

private:
  Provider& m_provider;
  DecisionStore& m_decisions;
};

} // namespace

std::unique_ptr<ProviderEndpoint> make_local_endpoint(Provider& provider, DecisionStore& decisions) {
  return std::make_unique<LocalEndpoint>(provider, decisions);
}

Result<runtime::docker::LeaseStatus> lease_status_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorKind::provider, "lease status: not a JSON object");
  runtime::docker::LeaseStatus out;
  try {
    const nlohmann::json services = j.value("services", nlohmann::json::object());
    const nlohmann::json ports = j.value("forwarded_ports", nlohmann::json::object());
    for (const auto& [name, s] : services.items()) {
      runtime::docker::ServiceStatus st;
      st.name = s.value("name", name);
      st.available = s.value("available", 0u);
      st.total = s.value("total", 0u);
      st.uris = s.value("uris", std::vector<std::string>{});
      st.replicas = s.value("replicas", 0u);
      st.ready_replicas = s.value("ready_replicas", 0u);
      st.available_replicas = s.value("available_replicas", 0u);
      out.services[name] = std::move(st);
    }
    for (const auto& [name, list] : ports.items())
      for (const nlohmann::json& p : list) {
        runtime::docker::ForwardedPort fp;
        fp.host = p.value("host", "");
        fp.port = p.value("port", 0u);
        fp.external_port = p.value("externalPort", 0u);
        fp.proto = p.value("proto", "");
        fp.name = p.value("name", name);
        out.forwarded_ports[name].push_back(std::move(fp));
      }
    out.errors = j.value("errors", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::provider, std::string("lease status: ") + e.what());
  }
  return out;
}

} // namespace akt::sim
