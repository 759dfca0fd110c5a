#pragma once
// Why a provider did or did not bid on an order. Akash providers keep their decline
// reasons in their own logs (MARKET.md, "what tenants suffer from" #1); akt's simulated
// providers write every decision where the tenant can read it: a file per deployment
// under $AKT_HOME/sim/decisions/, which the embedded shape shares between processes and
// the served shape also answers over the provider API (GET /decisions/OWNER/DSEQ).
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace akt::sim {

struct OrderDecision {
  std::string provider;       // provider address
  std::string provider_name;  // its name in sim.yaml, for people
  std::string owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  std::int64_t height = 0;    // when it decided
  bool bid = false;           // true: a bid was posted at `price`
  std::string price;          // "<amount> <denom>" per block, when bid
  std::string reason;         // why not, when !bid (or why a posted bid failed)
  friend bool operator==(const OrderDecision&, const OrderDecision&) = default;
};

std::string decision_to_json(const std::vector<OrderDecision>& decisions);
Result<std::vector<OrderDecision>> decisions_from_json(std::string_view json);

class DecisionStore {
public:
  virtual ~DecisionStore() = default;
  // Records a provider's decision on an order; a later one for the same order and provider
  // replaces it.
  virtual Status record(const OrderDecision& decision) = 0;
  // Every decision on a deployment's orders, ordered by gseq, oseq, provider.
  virtual Result<std::vector<OrderDecision>> for_deployment(const std::string& owner,
                                                        std::uint64_t dseq) const = 0;
};

// One JSON file per deployment, replaced atomically (write, then rename), so concurrent
// readers in other processes never see half a file.
class FileDecisionStore final : public DecisionStore {
public:
  explicit FileDecisionStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  Status record(const OrderDecision& decision) override;
  Result<std::vector<OrderDecision>> for_deployment(const std::string& owner,
                                                std::uint64_t dseq) const override;

private:
  std::filesystem::path file_for(const std::string& owner, std::uint64_t dseq) const;
  std::filesystem::path m_dir;
  mutable std::mutex m_mutex;
};

class MemoryDecisionStore final : public DecisionStore {
public:
  Status record(const OrderDecision& decision) override;
  Result<std::vector<OrderDecision>> for_deployment(const std::string& owner,
                                                std::uint64_t dseq) const override;

private:
  std::vector<OrderDecision> m_decisions;
  mutable std::mutex m_mutex;
};

} // namespace akt::sim
