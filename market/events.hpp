#pragma once
// What a transaction did, in the order it happened. Providers watch them (an order
// opened: bid; a lease created: run it; a lease closed: tear down) and `akt lease events`
// prints them. JSON form in market/codec.hpp.
#include <optional>
#include <string>
#include <vector>

#include "market/types.hpp"

namespace akt::market {

enum class EventType {
  funded,
  sent,
  provider_registered,
  provider_updated,
  provider_audited,
  deployment_created,
  deployment_updated,
  deployment_closed,
  group_paused,
  group_started,
  group_closed,
  order_opened,
  order_closed,
  bid_created,
  bid_closed,
  bid_lost,
  lease_created,
  lease_closed,
  deposit_added,
  account_settled,
  account_overdrawn,
  payment_withdrawn,
  refunded,
};

const char* to_string(EventType type);  // "lease_closed"
std::optional<EventType> event_type_from(std::string_view name);

// One record shape for every event: the id fields that apply are set (owner/dseq for a
// deployment, + gseq for a group, + oseq for an order, + provider for a bid or lease).
struct Event {
  EventType type = EventType::funded;
  Height height = 0;
  Address owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  Address provider;
  Address address;  // the other party where one exists: recipient, depositor, auditor
  std::optional<CloseReason> reason;
  std::optional<Coin> amount;
  std::optional<DecCoin> price;
  std::string state;  // the object's state after the event, where it has one
  friend bool operator==(const Event&, const Event&) = default;
};

// Does the event concern this deployment (or one of its groups, orders, bids, leases)?
bool concerns(const Event& event, const DeploymentId& id);
bool concerns(const Event& event, const LeaseId& id);

// One line for people: "lease akash1…/5/1/1/akash1… closed: insufficient_funds".
std::string describe(const Event& event);

} // namespace akt::market
