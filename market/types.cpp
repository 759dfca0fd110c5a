#include "market/types.hpp"

#include <charconv>

namespace akt::market {

std::string to_string(const DeploymentId& id) { return id.owner + "/" + std::to_string(id.dseq); }
std::string to_string(const GroupId& id) { return to_string(id.deployment()) + "/" + std::to_string(id.gseq); }
std::string to_string(const OrderId& id) { return to_string(id.group()) + "/" + std::to_string(id.oseq); }
std::string to_string(const BidId& id) { return to_string(id.order()) + "/" + id.provider; }

std::string account_id(const DeploymentId& id) { return "deployment/" + to_string(id); }
std::string account_id(const BidId& id) { return "bid/" + to_string(id); }

namespace {

template <typename E, std::size_t N>
std::optional<E> from_names(std::string_view name, const char* const (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) {
      return static_cast<E>(i);
    }
  }
  return std::nullopt;
}

const char* const k_deployment_states[] = {"active", "closed"};
const char* const k_group_states[] = {"open", "paused", "insufficient_funds", "closed"};
const char* const k_order_states[] = {"open", "active", "closed"};
const char* const k_bid_states[] = {"open", "active", "lost", "closed"};
const char* const k_lease_states[] = {"active", "insufficient_funds", "closed"};
const char* const k_account_states[] = {"open", "overdrawn", "closed"};

} // namespace

const char* to_string(DeploymentState state) { return k_deployment_states[static_cast<int>(state)]; }
const char* to_string(GroupState state) { return k_group_states[static_cast<int>(state)]; }
const char* to_string(OrderState state) { return k_order_states[static_cast<int>(state)]; }
const char* to_string(BidState state) { return k_bid_states[static_cast<int>(state)]; }
const char* to_string(LeaseState state) { return k_lease_states[static_cast<int>(state)]; }
const char* to_string(AccountState state) { return k_account_states[static_cast<int>(state)]; }

std::optional<DeploymentState> deployment_state_from(std::string_view name) {
  return from_names<DeploymentState>(name, k_deployment_states);
}
std::optional<GroupState> group_state_from(std::string_view name) { return from_names<GroupState>(name, k_group_states); }
std::optional<OrderState> order_state_from(std::string_view name) { return from_names<OrderState>(name, k_order_states); }
std::optional<BidState> bid_state_from(std::string_view name) { return from_names<BidState>(name, k_bid_states); }
std::optional<LeaseState> lease_state_from(std::string_view name) { return from_names<LeaseState>(name, k_lease_states); }
std::optional<AccountState> account_state_from(std::string_view name) {
  return from_names<AccountState>(name, k_account_states);
}

const char* to_string(CloseReason reason) {
  switch (reason) {
  case CloseReason::none: return "none";
  case CloseReason::owner: return "owner";
  case CloseReason::unstable: return "unstable";
  case CloseReason::decommission: return "decommission";
  case CloseReason::unspecified: return "unspecified";
  case CloseReason::manifest_timeout: return "manifest_timeout";
  case CloseReason::insufficient_funds: return "insufficient_funds";
  }
  return "unknown";
}

std::optional<CloseReason> close_reason_from(std::string_view name) {
  static constexpr CloseReason k_all[] = {CloseReason::none,        CloseReason::owner,
                                          CloseReason::unstable,    CloseReason::decommission,
                                          CloseReason::unspecified, CloseReason::manifest_timeout,
                                          CloseReason::insufficient_funds};
  std::uint32_t number = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
  bool numeric = ec == std::errc() && end == name.data() + name.size() && !name.empty();
  for (CloseReason reason : k_all) {
    if (numeric ? static_cast<std::uint32_t>(reason) == number : name == to_string(reason)) {
      return reason;
    }
  }
  return std::nullopt;
}

} // namespace akt::market
