#pragma once
// How a tenant reaches the provider of a lease: in-process (embedded shape, a Provider of
// the Marketplace) or over HTTP (served shape, the provider's host URI, every request
// signed with the tenant's key). `akt deploy` and `akt lease ...` use only this interface,
// so both shapes give the same commands, the same output and the same rules.
#include <memory>
#include <string>
#include <vector>

#include "ledger/clock.hpp"
#include "ledger/keys.hpp"
#include "market/types.hpp"
#include "runtime/docker/lease_runtime.hpp"
#include "sim/decisions.hpp"
#include "sim/provider.hpp"
#include "util/result.hpp"

namespace akt::sim {

class ProviderEndpoint {
public:
  virtual ~ProviderEndpoint() = default;
  virtual Status send_manifest(const market::LeaseId& lease, const std::string& manifest_json) = 0;
  virtual Result<TenantLeaseStatus> status(const market::LeaseId& lease) = 0;
  virtual Status logs(const market::LeaseId& lease, const runtime::docker::LeaseLogOptions& options,
                      const runtime::docker::LogLineFn& line) = 0;
  virtual Result<int> exec(const market::LeaseId& lease, const std::string& service,
                           const std::vector<std::string>& argv, const runtime::docker::ExecIo& io) = 0;
  virtual Result<std::vector<runtime::docker::LeaseEvent>> events(const market::LeaseId& lease) = 0;
  // This provider's bid decisions on a deployment's orders.
  virtual Result<std::vector<OrderDecision>> decisions(const std::string& owner, std::uint64_t dseq) = 0;
};

// Calls a Provider directly (same process).
std::unique_ptr<ProviderEndpoint> make_local_endpoint(Provider& provider, DecisionStore& decisions);

// Calls a provider API at `host_uri`, signing as `tenant`. `clock` stamps requests.
std::unique_ptr<ProviderEndpoint> make_http_endpoint(std::string host_uri, ledger::PrivateKey tenant,
                                                     const ledger::Clock& clock);

// The MARKET.md lease-status JSON back into a runtime status (strict on types).
Result<runtime::docker::LeaseStatus> lease_status_from_json(std::string_view json);

} // namespace akt::sim
