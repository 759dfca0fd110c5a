#include "market/events.hpp"

namespace akt::market {

namespace {

const char* const k_event_names[] = {
    "funded",          "sent",          "provider_registered", "provider_updated",  "provider_audited",
    "deployment_created", "deployment_updated", "deployment_closed", "group_paused", "group_started",
    "group_closed",    "order_opened",  "order_closed",        "bid_created",       "bid_closed",
    "bid_lost",        "lease_created", "lease_closed",        "deposit_added",     "account_settled",
    "account_overdrawn", "payment_withdrawn", "refunded",
};

} // namespace

const char* to_string(EventType type) { return k_event_names[static_cast<int>(type)]; }

std::optional<EventType> event_type_from(std::string_view name) {
  for (std::size_t i = 0; i < std::size(k_event_names); ++i) {
    if (name == k_event_names[i]) {
      return static_cast<EventType>(i);
    }
  }
  return std::nullopt;
}

bool concerns(const Event& event, const DeploymentId& id) { return event.owner == id.owner && event.dseq == id.dseq; }

bool concerns(const Event& event, const LeaseId& id) {
  if (!concerns(event, id.deployment())) {
    return false;
  }
  // Deployment-wide events (closed, overdrawn, settled) concern every lease of it.
  if (event.gseq == 0) {
    return true;
  }
  if (event.gseq != id.gseq) {
    return false;
  }
  if (event.oseq == 0) {
    return true;
  }
  return event.oseq == id.oseq && (event.provider.empty() || event.provider == id.provider);
}

std::string describe(const Event& event) {
  std::string subject;
  if (!event.provider.empty() && event.oseq != 0) {
    subject = to_string(BidId{event.owner, event.dseq, event.gseq, event.oseq, event.provider});
  } else if (event.oseq != 0) {
    subject = to_string(OrderId{event.owner, event.dseq, event.gseq, event.oseq});
  } else if (event.gseq != 0) {
    subject = to_string(GroupId{event.owner, event.dseq, event.gseq});
  } else if (event.dseq != 0) {
    subject = to_string(DeploymentId{event.owner, event.dseq});
  } else if (!event.provider.empty()) {
    subject = event.provider;
  } else {
    subject = event.address;
  }
  std::string text = "height " + std::to_string(event.height) + ": " + to_string(event.type) + " " + subject;
  if (event.reason) {
    text += " reason=" + std::string(to_string(*event.reason));
  }
  if (event.price) {
    text += " price=" + event.price->amount.to_short_string() + event.price->denom + "/block";
  }
  if (event.amount) {
    text += " amount=" + std::to_string(event.amount->amount) + event.amount->denom;
  }
  if (!event.address.empty() && subject != event.address) {
    text += " address=" + event.address;
  }
  return text;
}

} // namespace akt::market
