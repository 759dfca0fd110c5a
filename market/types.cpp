#include "market/types.hpp"

#include <charconv>

namespace akt::market {

std::string to_string(const DeploymentId& id) { return id.owner + "/" + std::to_string(id.dseq); }
std::string to_string(const GroupId& id) { return to_string(id.deployment()) + "/" + std::to_string(id.gseq); }
std::string to_string(const OrderId& id) { return to_string(id.group()) + "/" + std::to_string(id.oseq); }
std::string to_string(const BidId& id) { return to_string(id.order()) + "/" + id.provider; }

std::optional<std::string> host_uri_problem(std::string_view uri) {
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  for (char c : uri)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ') return "it contains a space or a control character";
  std::size_t colon = uri.find(':');
  bool has_scheme = colon != std::string_view::npos && colon > 0 && is_alpha(uri[0]);
  for (std::size_t i = 1; has_scheme && i < colon; ++i)
    has_scheme = is_alpha(uri[i]) || is_digit(uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.';
  if (!has_scheme) return "it is not an absolute URI (no scheme)";
  std::string scheme(uri.substr(0, colon));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (scheme != "http" && scheme != "https") return "its scheme is " + scheme + "; a provider is reached over https (or http)";
  std::string_view rest = uri.substr(colon + 1);
  rest = rest.substr(0, rest.find('#'));
  rest = rest.substr(0, rest.find('?'));
  if (rest.substr(0, 2) != "//") return "it names no host";
  rest.remove_prefix(2);
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) return "it has a path (" + std::string(rest.substr(slash)) + "); a host URI ends after the port";
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "its IPv6 host has no closing ]";
    host = authority.substr(0, close + 1);
    port = authority.substr(close + 1);
    if (!port.empty() && port.front() != ':') return "only a port may follow its IPv6 host";
  } else if (std::size_t last = authority.rfind(':'); last != std::string_view::npos) {
    host = authority.substr(0, last);
    port = authority.substr(last);
  }
  if (!port.empty()) {
    port.remove_prefix(1);
    for (char c : port)
      if (!is_digit(c)) return "its port \"" + std::string(port) + "\" is not a number";
  }
  if (host.empty()) return "it names no host";
  return std::nullopt;
}

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
