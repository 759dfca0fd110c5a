#include "market/apply.hpp"

#include <algorithm>
#include <set>

#include "market/escrow.hpp"

namespace akt::market {

namespace {

constexpr std::size_t k_max_text = 1024;
constexpr std::size_t k_max_attributes = 64;

Error refused(std::string message) { return make_error(ErrorKind::refused, std::move(message)); }
Error invalid(std::string message) { return make_error(ErrorKind::invalid, std::move(message)); }

bool is_hex64(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

Status check_address(const Address& address, const char* what) {
  if (address.empty() || address.size() > 128) {
    return invalid(std::string(what) + " must be an address of 1 to 128 characters");
  }
  return ok();
}

Status check_coin(const State& state, const Coin& coin, const char* what) {
  if (std::find(state.params.denoms.begin(), state.params.denoms.end(), coin.denom) == state.params.denoms.end()) {
    std::string allowed;
    for (const auto& denom : state.params.denoms) {
      allowed += (allowed.empty() ? "" : ", ") + denom;
    }
    return invalid(std::string(what) + " denom \"" + coin.denom + "\" is not accepted (use one of: " + allowed + ")");
  }
  if (coin.amount == 0) {
    return invalid(std::string(what) + " must be positive");
  }
  return ok();
}

Status check_attributes(const sdl::Attributes& attributes, const char* what) {
  if (attributes.size() > k_max_attributes) {
    return invalid(std::string(what) + ": at most 64 attributes");
  }
  std::set<std::string> keys;
  for (const auto& attribute : attributes) {
    if (attribute.key.empty() || attribute.key.size() > k_max_text || attribute.value.size() > k_max_text) {
      return invalid(std::string(what) + ": an attribute key must be 1 to 1024 characters, a value at most 1024");
    }
    if (!keys.insert(attribute.key).second) {
      return invalid(std::string(what) + ": attribute \"" + attribute.key + "\" appears twice");
    }
  }
  return ok();
}

Status check_funds(const State& state, const Address& who, const Coin& coin) {
  Amount have = balance_of(state, who, coin.denom);
  if (have < coin.amount) {
    return refused("insufficient funds: " + who + " has " + std::to_string(have) + coin.denom + ", needs " +
                   std::to_string(coin.amount) + coin.denom);
  }
  return ok();
}

// Glob with '*' matching any run of characters, for attribute keys.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool has_attribute(const sdl::Attributes& have, const sdl::Attribute& want) {
  return std::any_of(have.begin(), have.end(), [&](const sdl::Attribute& a) {
    return a.value == want.value && (glob_match(a.key, want.key) || glob_match(want.key, a.key));
  });
}

bool subset(const sdl::Attributes& want, const sdl::Attributes& have) {
  return std::all_of(want.begin(), want.end(), [&](const sdl::Attribute& a) { return has_attribute(have, a); });
}

Event event(EventType type, Height height) {
  Event e;
  e.type = type;
  e.height = height;
  return e;
}
Event event(EventType type, Height height, const DeploymentId& id) {
  Event e = event(type, height);
  e.owner = id.owner;
  e.dseq = id.dseq;
  return e;
}
Event event(EventType type, Height height, const GroupId& id) {
  Event e = event(type, height, id.deployment());
  e.gseq = id.gseq;
  return e;
}
Event event(EventType type, Height height, const OrderId& id) {
  Event e = event(type, height, id.group());
  e.oseq = id.oseq;
  return e;
}
Event event(EventType type, Height height, const BidId& id) {
  Event e = event(type, height, id.order());
  e.provider = id.provider;
  return e;
}

// Mutations below cannot fail: every credit is bounded by the supply, which fits 64 bits,
// and every debit was checked by the caller.
class Applier {
public:
  Applier(State& state, Height height) : m_state(state), m_height(height) {}

  std::vector<Event> events;

  void credit(const Address& to, const std::string& denom, Amount amount) {
    if (amount > 0) {
      m_state.balances[to][denom] += amount;
    }
  }
  void debit(const Address& from, const std::string& denom, Amount amount) {
    if (amount > 0) {
      m_state.balances[from][denom] -= amount;
    }
  }

  // Takes `amount` out of an account, consuming deposits first-in first-out.
  void consume(Account& account, Amount amount) {
    account.balance -= amount;
    account.transferred += amount;
    auto it = account.deposits.begin();
    while (amount > 0 && it != account.deposits.end()) {
      Amount take = std::min(amount, it->amount);
      it->amount -= take;
      amount -= take;
      ++it;
    }
    account.deposits.erase(std::remove_if(account.deposits.begin(), account.deposits.end(),
                                          [](const Deposit& d) { return d.amount == 0; }),
                           account.deposits.end());
  }

  // Returns every remaining deposit to its depositor.
  void refund(Account& account, AccountState final_state) {
    for (const Deposit& deposit : account.deposits) {
      credit(deposit.depositor, account.denom, deposit.amount);
      Event e = event(EventType::refunded, m_height);
      e.address = deposit.depositor;
      e.amount = Coin{account.denom, deposit.amount};
      e.owner = m_refund_owner;
      e.dseq = m_refund_dseq;
      events.push_back(e);
    }
    account.deposits.clear();
    account.balance = 0;
    account.settled_at = std::max(account.settled_at, m_height);
    if (account.state == AccountState::open) {
      account.state = final_state;
    }
  }

  // Moves a payment's earnings to the provider.
  void pay_out(Payment& payment) {
    if (payment.balance == 0) {
      return;
    }
    credit(payment.id.provider, payment.rate.denom, payment.balance);
    Event e = event(EventType::payment_withdrawn, m_height, payment.id);
    e.amount = Coin{payment.rate.denom, payment.balance};
    events.push_back(e);
    payment.withdrawn += payment.balance;
    payment.balance = 0;
  }

  void commit_settlement(const SettlementPlan& plan) {
    Account& account = m_state.accounts.at(plan.account);
    if (account.state != AccountState::open) {
      return;
    }
    consume(account, plan.paid);
    account.settled_at = plan.height;
    for (const auto& [lease, amount] : plan.payments) {
      Payment& payment = m_state.payments.at(lease);
      payment.charged += amount;
      payment.balance += amount;
      payment.settled_at = plan.height;
    }
    if (plan.paid > 0) {
      Event e = event(EventType::account_settled, m_height);
      e.amount = Coin{account.denom, plan.paid};
      e.owner = m_refund_owner;
      e.dseq = m_refund_dseq;
      events.push_back(e);
    }
  }


  void open_order(Group& group) {
    ++group.last_oseq;
    OrderId id{group.id.owner, group.id.dseq, group.id.gseq, group.last_oseq};
    m_state.orders[id] = Order{id, OrderState::open, m_height, 0};
    Event e = event(EventType::order_opened, m_height, id);
    e.state = to_string(OrderState::open);
    events.push_back(e);
  }

  void close_bid(Bid& bid, BidState final_state) {
    bid.state = final_state;
    bid.closed_at = m_height;
    auto account = m_state.accounts.find(account_id(bid.id));
    if (account != m_state.accounts.end()) {
      std::string owner = m_refund_owner;
      std::uint64_t dseq = m_refund_dseq;
      m_refund_owner = bid.id.owner;
      m_refund_dseq = bid.id.dseq;
      refund(account->second, AccountState::closed);
      m_refund_owner = owner;
      m_refund_dseq = dseq;
    }
    Event e = event(final_state == BidState::lost ? EventType::bid_lost : EventType::bid_closed, m_height, bid.id);
    e.state = to_string(final_state);
    events.push_back(e);
  }

  void close_lease(Lease& lease, LeaseState final_state, CloseReason reason) {
    lease.state = final_state;
    lease.reason = reason;
    lease.closed_at = m_height;
    auto payment = m_state.payments.find(lease.id);
    if (payment != m_state.payments.end()) {
      pay_out(payment->second);
      if (payment->second.state == PaymentState::open) {
        payment->second.state =
            final_state == LeaseState::insufficient_funds ? PaymentState::overdrawn : PaymentState::closed;
      }
    }
    Event e = event(EventType::lease_closed, m_height, lease.id);
    e.reason = reason;
    e.state = to_string(final_state);
    events.push_back(e);
  }

  void close_order(Order& order) {
    order.state = OrderState::closed;
    order.closed_at = m_height;
    Event e = event(EventType::order_closed, m_height, order.id);
    e.state = to_string(OrderState::closed);
    events.push_back(e);
  }

  // Closes the group's current order with its bids and lease.
  void close_group_contents(const GroupId& id, LeaseState lease_state, CloseReason reason) {
    const Order* current = current_order(m_state, id);
    if (current == nullptr) {
      return;
    }
    Order& order = m_state.orders.at(current->id);
    BidId first{order.id.owner, order.id.dseq, order.id.gseq, order.id.oseq, {}};
    for (auto it = m_state.bids.lower_bound(first); it != m_state.bids.end() && it->first.order() == order.id; ++it) {
      Bid& bid = it->second;
      if (bid.state == BidState::active) {
        auto lease = m_state.leases.find(bid.id);
        if (lease != m_state.leases.end() && lease->second.state == LeaseState::active) {
          close_lease(lease->second, lease_state, reason);
        }
        close_bid(bid, BidState::closed);
      } else if (bid.state == BidState::open) {
        close_bid(bid, BidState::closed);
      }
    }
    close_order(order);
  }

  void set_group_state(Group& group, GroupState state, EventType type) {
    group.state = state;
    if (state == GroupState::closed || state == GroupState::insufficient_funds) {
      group.closed_at = m_height;
    }
    Event e = event(type, m_height, group.id);
    e.state = to_string(state);
    events.push_back(e);
  }

  // Closes a deployment and everything in it; an overdraft closes with insufficient_funds.
  void close_deployment(Deployment& deployment, bool overdrawn) {
    LeaseState lease_state = overdrawn ? LeaseState::insufficient_funds : LeaseState::closed;
    CloseReason reason = overdrawn ? CloseReason::insufficient_funds : CloseReason::owner;
    GroupState group_state = overdrawn ? GroupState::insufficient_funds : GroupState::closed;
    m_refund_owner = deployment.id.owner;
    m_refund_dseq = deployment.id.dseq;
    if (overdrawn) {
      Event e = event(EventType::account_overdrawn, m_height, deployment.id);
      e.state = to_string(AccountState::overdrawn);
      events.push_back(e);
    }
    for (auto it = m_state.groups.lower_bound(GroupId{deployment.id.owner, deployment.id.dseq, 0});
         it != m_state.groups.end() && it->first.deployment() == deployment.id; ++it) {
      Group& group = it->second;
      if (group.state == GroupState::closed || group.state == GroupState::insufficient_funds) {
        continue;
      }
      close_group_contents(group.id, lease_state, reason);
      set_group_state(group, group_state, EventType::group_closed);
    }
    auto account = m_state.accounts.find(account_id(deployment.id));
    if (account != m_state.accounts.end()) {
      if (overdrawn) {
        account->second.state = AccountState::overdrawn;
      }
      refund(account->second, AccountState::closed);
    }
    deployment.state = DeploymentState::closed;
    deployment.closed_at = m_height;
    Event e = event(EventType::deployment_closed, m_height, deployment.id);
    e.reason = reason;
    e.state = to_string(DeploymentState::closed);
    events.push_back(e);
  }

  // Settles a deployment's account; an overdraft closes the whole deployment.
  // Returns true when the deployment closed.
  bool settle(const SettlementPlan& plan, const DeploymentId& id) {
    m_refund_owner = id.owner;
    m_refund_dseq = id.dseq;
    commit_settlement(plan);
    if (plan.overdrawn) {
      close_deployment(m_state.deployments.at(id), true);
      return true;
    }
    return false;
  }

  State& m_state;
  Height m_height;

private:
  std::string m_refund_owner;
  std::uint64_t m_refund_dseq = 0;
};

Status check_group_spec(const State& state, const sdl::GroupSpec& spec, std::string& denom, std::size_t index) {
  std::string where = "group " + std::to_string(index + 1) + " (" + spec.name + ")";
  if (spec.name.empty() || spec.name.size() > k_max_text) {
    return invalid(where + ": a group needs a name of 1 to 1024 characters");
  }
  if (spec.resources.empty() || spec.resources.size() > 64) {
    return invalid(where + ": a group needs 1 to 64 resource units");
  }
  if (Status s = check_attributes(spec.requirements.attributes.value_or(sdl::Attributes{}), where.c_str()); !s) {
    return s;
  }
  for (const auto& unit : spec.resources) {
    if (unit.count == 0) {
      return invalid(where + ": a resource unit's count must be at least 1");
    }
    if (unit.price.amount.is_negative()) {
      return invalid(where + ": a price must not be negative");
    }
    if (denom.empty()) {
      denom = unit.price.denom;
    } else if (unit.price.denom != denom) {
      return invalid(where + ": every price must use one denom (" + denom + " and " + unit.price.denom + " found)");
    }
  }
  if (std::find(state.params.denoms.begin(), state.params.denoms.end(), denom) == state.params.denoms.end()) {
    return invalid(where + ": price denom \"" + denom + "\" is not accepted");
  }
  return ok();
}

Status owner_only(const Address& owner, const Address& signer, const std::string& what) {
  if (owner != signer) {
    return refused("only the owner " + owner + " may " + what + "; " + signer + " is not the owner");
  }
  return ok();
}

// Ensures the deployment exists and is active.
Result<Deployment*> active_deployment(State& state, const DeploymentId& id) {
  auto it = state.deployments.find(id);
  if (it == state.deployments.end()) {
    return make_error(ErrorKind::not_found, "no deployment " + to_string(id));
  }
  if (it->second.state != DeploymentState::active) {
    return refused("deployment " + to_string(id) + " is closed");
  }
  return &it->second;
}

// A settlement plan for a transaction that must not proceed on an overdrawn account.
Result<SettlementPlan> solvent_plan(const State& state, const DeploymentId& id, Height height) {
  Result<SettlementPlan> plan = plan_settlement(state, id, height);
  if (!plan) {
    return plan;
  }
  if (plan->overdrawn) {
    return refused("the escrow account of deployment " + to_string(id) + " is overdrawn at height " +
                   std::to_string(height) + "; it closes for insufficient funds on its next settlement (a deposit cannot revive it)");
  }
  return plan;
}

struct Visitor {
  State& state;
  const Address& signer;
  Height height;
  Applier& out;

  using R = Status;

  R operator()(const MsgFund& msg) {
    if (!state.params.faucet_enabled) {
      return refused("the faucet is disabled on this ledger; ask an account with funds to send some");
    }
    if (Status s = check_address(msg.to, "fund: recipient"); !s) return s;
    if (Status s = check_coin(state, msg.amount, "fund: amount"); !s) return s;
    if (msg.amount.amount > state.params.faucet_max) {
      return refused("the faucet gives at most " + std::to_string(state.params.faucet_max) + msg.amount.denom + " at once");
    }
    if (Status s = mint(state, msg.to, msg.amount); !s) return s;
    Event e = event(EventType::funded, height);
    e.address = msg.to;
    e.amount = msg.amount;
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgSend& msg) {
    if (Status s = check_address(msg.to, "send: recipient"); !s) return s;
    if (Status s = check_coin(state, msg.amount, "send: amount"); !s) return s;
    if (Status s = check_funds(state, signer, msg.amount); !s) return s;
    out.debit(signer, msg.amount.denom, msg.amount.amount);
    out.credit(msg.to, msg.amount.denom, msg.amount.amount);
    Event e = event(EventType::sent, height);
    e.owner = signer;
    e.address = msg.to;
    e.amount = msg.amount;
    out.events.push_back(e);
    return ok();
  }

  Status check_provider_fields(const std::string& host_uri, const sdl::Attributes& attributes, const ProviderInfo& info) {
    if (host_uri.empty() || host_uri.size() > k_max_text) {
      return invalid("a provider needs a host URI of 1 to 1024 characters");
    }
    if (std::optional<std::string> problem = host_uri_problem(host_uri)) {
      return invalid("host URI \"" + host_uri + "\" is not valid: " + *problem +
                     "; write it like https://provider.example.com:8443");
    }
    if (info.email.size() > k_max_text || info.website.size() > k_max_text) {
      return invalid("a provider's email and website are at most 1024 characters");
    }
    return check_attributes(attributes, "provider attributes");
  }

  R operator()(const MsgRegisterProvider& msg) {
    if (state.providers.count(signer) != 0) {
      return refused("provider " + signer + " is already registered; update it instead");
    }
    if (Status s = check_provider_fields(msg.host_uri, msg.attributes, msg.info); !s) return s;
    state.providers[signer] = Provider{signer, msg.host_uri, msg.attributes, msg.info};
    Event e = event(EventType::provider_registered, height);
    e.provider = signer;
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgUpdateProvider& msg) {
    auto it = state.providers.find(signer);
    if (it == state.providers.end()) {
      return make_error(ErrorKind::not_found, "no provider " + signer + " is registered; register it first");
    }
    if (Status s = check_provider_fields(msg.host_uri, msg.attributes, msg.info); !s) return s;
    it->second = Provider{signer, msg.host_uri, msg.attributes, msg.info};
    Event e = event(EventType::provider_updated, height);
    e.provider = signer;
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgSignProviderAttributes& msg) {
    if (state.providers.count(msg.provider) == 0) {
      return make_error(ErrorKind::not_found, "no provider " + msg.provider + " is registered");
    }
    if (Status s = check_attributes(msg.attributes, "audited attributes"); !s) return s;
    state.audits[{msg.provider, signer}] = AuditorSignature{signer, msg.provider, msg.attributes};
    Event e = event(EventType::provider_audited, height);
    e.provider = msg.provider;
    e.address = signer;
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgCreateDeployment& msg) {
    if (Status s = owner_only(msg.id.owner, signer, "create deployments for " + msg.id.owner); !s) return s;
    if (msg.id.dseq == 0) {
      return invalid("dseq must be a positive number");
    }
    if (state.deployments.count(msg.id) != 0) {
      return refused("deployment " + to_string(msg.id) + " already exists; choose another dseq");
    }
    if (!is_hex64(msg.hash)) {
      return invalid("the deployment version must be 64 hex digits (the manifest's sha256)");
    }
    if (msg.groups.empty() || msg.groups.size() > state.params.max_groups) {
      return invalid("a deployment needs 1 to " + std::to_string(state.params.max_groups) + " groups");
    }
    std::string denom;
    std::set<std::string> names;
    for (std::size_t i = 0; i < msg.groups.size(); ++i) {
      if (Status s = check_group_spec(state, msg.groups[i], denom, i); !s) return s;
      if (!names.insert(msg.groups[i].name).second) {
        return invalid("group name \"" + msg.groups[i].name + "\" appears twice");
      }
      if (Result<DecCoin> max = group_max_price(msg.groups[i]); !max) return max.error();
    }
    if (msg.deposit.denom != denom) {
      return invalid("the deposit's denom (" + msg.deposit.denom + ") must be the price denom (" + denom + ")");
    }
    if (msg.deposit.amount < state.params.min_deposit) {
      return refused("the deposit " + std::to_string(msg.deposit.amount) + denom + " is below the minimum of " +
                     std::to_string(state.params.min_deposit) + denom);
    }
    if (Status s = check_funds(state, signer, msg.deposit); !s) return s;

    out.debit(signer, denom, msg.deposit.amount);
    state.deployments[msg.id] = Deployment{msg.id, DeploymentState::active, msg.hash, height, 0};
    Event created = event(EventType::deployment_created, height, msg.id);
    created.amount = msg.deposit;
    created.state = to_string(DeploymentState::active);
    out.events.push_back(created);
    Account account;
    account.id = account_id(msg.id);
    account.scope = AccountScope::deployment;
    account.owner = signer;
    account.denom = denom;
    account.balance = msg.deposit.amount;
    account.deposits.push_back(Deposit{signer, msg.deposit.amount});
    account.settled_at = height;
    state.accounts[account.id] = account;
    for (std::size_t i = 0; i < msg.groups.size(); ++i) {
      GroupId id{msg.id.owner, msg.id.dseq, static_cast<std::uint32_t>(i + 1)};
      Group& group = state.groups[id];
      group = Group{id, GroupState::open, msg.groups[i], 0, height, 0};
      out.open_order(group);
    }
    return ok();
  }

  R operator()(const MsgUpdateDeployment& msg) {
    if (Status s = owner_only(msg.id.owner, signer, "update deployment " + to_string(msg.id)); !s) return s;
    Result<Deployment*> deployment = active_deployment(state, msg.id);
    if (!deployment) return deployment.error();
    if (!is_hex64(msg.hash)) {
      return invalid("the deployment version must be 64 hex digits (the manifest's sha256)");
    }
    std::vector<sdl::GroupSpec> existing;
    for (auto it = state.groups.lower_bound(GroupId{msg.id.owner, msg.id.dseq, 0});
         it != state.groups.end() && it->first.deployment() == msg.id; ++it) {
      existing.push_back(it->second.spec);
    }
    if (existing != msg.groups) {
      return refused("groups are different than the existing deployment, you cannot update groups; "
                     "a resource change is a new deployment");
    }
    if ((*deployment)->hash == msg.hash) {
      return refused("the deployment version is unchanged; an update must change the manifest");
    }
    (*deployment)->hash = msg.hash;
    Event e = event(EventType::deployment_updated, height, msg.id);
    e.state = to_string(DeploymentState::active);
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgCloseDeployment& msg) {
    if (Status s = owner_only(msg.id.owner, signer, "close deployment " + to_string(msg.id)); !s) return s;
    Result<Deployment*> deployment = active_deployment(state, msg.id);
    if (!deployment) return deployment.error();
    Result<SettlementPlan> plan = plan_settlement(state, msg.id, height);
    if (!plan) return plan.error();
    if (!out.settle(*plan, msg.id)) {
      out.close_deployment(**deployment, false);
    }
    return ok();
  }

  R operator()(const MsgDeposit& msg) {
    Result<Deployment*> deployment = active_deployment(state, msg.deployment);
    if (!deployment) return deployment.error();
    if (Status s = check_coin(state, msg.amount, "deposit"); !s) return s;
    Account& account = state.accounts.at(account_id(msg.deployment));
    if (msg.amount.denom != account.denom) {
      return invalid("deployment " + to_string(msg.deployment) + " is funded in " + account.denom + ", not " + msg.amount.denom);
    }
    if (Status s = check_funds(state, signer, msg.amount); !s) return s;
    Result<SettlementPlan> plan = solvent_plan(state, msg.deployment, height);
    if (!plan) return plan.error();
    out.settle(*plan, msg.deployment);
    out.debit(signer, msg.amount.denom, msg.amount.amount);
    account.balance += msg.amount.amount;
    if (!account.deposits.empty() && account.deposits.back().depositor == signer) {
      account.deposits.back().amount += msg.amount.amount;
    } else {
      account.deposits.push_back(Deposit{signer, msg.amount.amount});
    }
    Event e = event(EventType::deposit_added, height, msg.deployment);
    e.address = signer;
    e.amount = msg.amount;
    out.events.push_back(e);
    return ok();
  }

  Result<Group*> owned_group(const GroupId& id, const std::string& what) {
    if (Status s = owner_only(id.owner, signer, what + " group " + to_string(id)); !s) return s.error();
    auto it = state.groups.find(id);
    if (it == state.groups.end()) {
      return make_error(ErrorKind::not_found, "no group " + to_string(id));
    }
    Result<Deployment*> deployment = active_deployment(state, id.deployment());
    if (!deployment) return deployment.error();
    return &it->second;
  }

  R operator()(const MsgPauseGroup& msg) {
    Result<Group*> group = owned_group(msg.id, "pause");
    if (!group) return group.error();
    if ((*group)->state != GroupState::open) {
      return refused("group " + to_string(msg.id) + " is " + to_string((*group)->state) + "; only an open group can be paused");
    }
    Result<SettlementPlan> plan = plan_settlement(state, msg.id.deployment(), height);
    if (!plan) return plan.error();
    if (out.settle(*plan, msg.id.deployment())) return ok();
    out.close_group_contents(msg.id, LeaseState::closed, CloseReason::owner);
    out.set_group_state(**group, GroupState::paused, EventType::group_paused);
    return ok();
  }

  R operator()(const MsgStartGroup& msg) {
    Result<Group*> group = owned_group(msg.id, "start");
    if (!group) return group.error();
    if ((*group)->state != GroupState::paused && (*group)->state != GroupState::insufficient_funds) {
      return refused("group " + to_string(msg.id) + " is " + to_string((*group)->state) +
                     "; only a paused group can be started");
    }
    (*group)->closed_at = 0;
    out.set_group_state(**group, GroupState::open, EventType::group_started);
    out.open_order(**group);
    return ok();
  }

  R operator()(const MsgCloseGroup& msg) {
    Result<Group*> group = owned_group(msg.id, "close");
    if (!group) return group.error();
    if ((*group)->state == GroupState::closed || (*group)->state == GroupState::insufficient_funds) {
      return refused("group " + to_string(msg.id) + " is already " + to_string((*group)->state));
    }
    Result<SettlementPlan> plan = plan_settlement(state, msg.id.deployment(), height);
    if (!plan) return plan.error();
    if (out.settle(*plan, msg.id.deployment())) return ok();
    out.close_group_contents(msg.id, LeaseState::closed, CloseReason::owner);
    out.set_group_state(**group, GroupState::closed, EventType::group_closed);
    return ok();
  }

  R operator()(const MsgCreateBid& msg) {
    if (msg.provider != signer) {
      return refused("only the provider " + msg.provider + " may bid for itself; " + signer + " signed");
    }
    if (state.providers.count(signer) == 0) {
      return refused(signer + " is not a registered provider; register with a host URI before bidding");
    }
    auto order = state.orders.find(msg.order);
    if (order == state.orders.end()) {
      return make_error(ErrorKind::not_found, "no order " + to_string(msg.order));
    }
    if (order->second.state != OrderState::open) {
      return refused("order " + to_string(msg.order) + " is " + to_string(order->second.state) + "; bids go to open orders");
    }
    const Group& group = state.groups.at(msg.order.group());
    if (group.state != GroupState::open) {
      return refused("group " + to_string(group.id) + " is " + to_string(group.state));
    }
    if (Result<Deployment*> d = active_deployment(state, msg.order.deployment()); !d) return d.error();
    BidId id{msg.order.owner, msg.order.dseq, msg.order.gseq, msg.order.oseq, signer};
    if (state.bids.count(id) != 0) {
      return refused("provider " + signer + " already bid on order " + to_string(msg.order) + " (one bid per provider per order)");
    }
    std::size_t count = 0;
    for (auto it = state.bids.lower_bound(BidId{msg.order.owner, msg.order.dseq, msg.order.gseq, msg.order.oseq, {}});
         it != state.bids.end() && it->first.order() == msg.order; ++it) {
      ++count;
    }
    if (count >= state.params.max_bids_per_order) {
      return refused("order " + to_string(msg.order) + " already has " + std::to_string(count) + " bids, the most allowed");
    }
    Result<DecCoin> max = group_max_price(group.spec);
    if (!max) return max.error();
    if (msg.price.denom != max->denom) {
      return refused("the bid's denom " + msg.price.denom + " differs from the order's " + max->denom);
    }
    if (msg.price.amount.is_negative()) {
      return invalid("a bid price must not be negative");
    }
    if (msg.price.amount > max->amount) {
      return refused("the bid price " + msg.price.amount.to_short_string() + msg.price.denom +
                     " is above the order's maximum " + max->amount.to_short_string() + max->denom);
    }
    if (msg.deposit.denom != max->denom) {
      return refused("the bid deposit must be in " + max->denom);
    }
    if (msg.deposit.amount < state.params.bid_deposit) {
      return refused("the bid deposit " + std::to_string(msg.deposit.amount) + msg.deposit.denom + " is below the minimum of " +
                     std::to_string(state.params.bid_deposit) + msg.deposit.denom);
    }
    if (Status s = check_funds(state, signer, msg.deposit); !s) return s;
    if (Status s = provider_matches(state, signer, group.spec); !s) return s;

    out.debit(signer, msg.deposit.denom, msg.deposit.amount);
    Account account;
    account.id = account_id(id);
    account.scope = AccountScope::bid;
    account.owner = signer;
    account.denom = msg.deposit.denom;
    account.balance = msg.deposit.amount;
    account.deposits.push_back(Deposit{signer, msg.deposit.amount});
    account.settled_at = height;
    state.accounts[account.id] = account;
    state.bids[id] = Bid{id, BidState::open, msg.price, msg.deposit, height, 0};
    Event e = event(EventType::bid_created, height, id);
    e.price = msg.price;
    e.amount = msg.deposit;
    e.state = to_string(BidState::open);
    out.events.push_back(e);
    return ok();
  }

  R operator()(const MsgCloseBid& msg) {
    auto bid = state.bids.find(msg.id);
    if (bid == state.bids.end()) {
      return make_error(ErrorKind::not_found, "no bid " + to_string(msg.id));
    }
    if (msg.id.provider != signer) {
      return refused("only the provider " + msg.id.provider + " may close its bid; " + signer + " is not it");
    }
    CloseReason reason = msg.reason == CloseReason::none ? CloseReason::unspecified : msg.reason;
    if (!is_provider_reason(reason)) {
      return refused(std::string("a provider closes a bid with a provider reason (unstable, decommission, "
                                 "unspecified, manifest_timeout), not ") + to_string(reason));
    }
    if (bid->second.state == BidState::open) {
      out.close_bid(bid->second, BidState::closed);
      return ok();
    }
    if (bid->second.state != BidState::active) {
      return refused("bid " + to_string(msg.id) + " is already " + to_string(bid->second.state));
    }
    // A provider walking away from a running lease: the group pauses, no new order.
    Result<SettlementPlan> plan = plan_settlement(state, msg.id.deployment(), height);
    if (!plan) return plan.error();
    if (out.settle(*plan, msg.id.deployment())) return ok();
    out.close_group_contents(msg.id.group(), LeaseState::closed, reason);
    out.set_group_state(state.groups.at(msg.id.group()), GroupState::paused, EventType::group_paused);
    return ok();
  }

  R operator()(const MsgCreateLease& msg) {
    if (Status s = owner_only(msg.bid.owner, signer, "create a lease on order " + to_string(msg.bid.order())); !s) return s;
    auto bid = state.bids.find(msg.bid);
    if (bid == state.bids.end()) {
      return make_error(ErrorKind::not_found, "no bid " + to_string(msg.bid));
    }
    if (bid->second.state != BidState::open) {
      return refused("bid " + to_string(msg.bid) + " is " + to_string(bid->second.state) + "; a lease needs an open bid");
    }
    Order& order = state.orders.at(msg.bid.order());
    if (order.state != OrderState::open) {
      return refused("order " + to_string(order.id) + " is " + to_string(order.state));
    }
    Group& group = state.groups.at(msg.bid.group());
    if (group.state != GroupState::open) {
      return refused("group " + to_string(group.id) + " is " + to_string(group.state));
    }
    if (Result<Deployment*> d = active_deployment(state, msg.bid.deployment()); !d) return d.error();
    Result<SettlementPlan> plan = solvent_plan(state, msg.bid.deployment(), height);
    if (!plan) return plan.error();

    out.settle(*plan, msg.bid.deployment());
    Bid& winner = bid->second;
    winner.state = BidState::active;
    order.state = OrderState::active;
    state.leases[msg.bid] = Lease{msg.bid, LeaseState::active, winner.price, CloseReason::none, height, 0};
    Payment payment;
    payment.id = msg.bid;
    payment.account = account_id(msg.bid.deployment());
    payment.rate = winner.price;
    payment.started_at = height;
    payment.settled_at = height;
    state.payments[msg.bid] = payment;
    Event e = event(EventType::lease_created, height, msg.bid);
    e.price = winner.price;
    e.state = to_string(LeaseState::active);
    out.events.push_back(e);
    for (auto it = state.bids.lower_bound(BidId{order.id.owner, order.id.dseq, order.id.gseq, order.id.oseq, {}});
         it != state.bids.end() && it->first.order() == order.id; ++it) {
      if (it->second.state == BidState::open) {
        out.close_bid(it->second, BidState::lost);
      }
    }
    return ok();
  }

  R operator()(const MsgCloseLease& msg) {
    auto lease = state.leases.find(msg.id);
    if (lease == state.leases.end()) {
      return make_error(ErrorKind::not_found, "no lease " + to_string(msg.id));
    }
    bool by_owner = signer == msg.id.owner;
    bool by_provider = signer == msg.id.provider;
    if (!by_owner && !by_provider) {
      return refused("only the owner " + msg.id.owner + " or the provider " + msg.id.provider +
                     " may close lease " + to_string(msg.id));
    }
    CloseReason reason = msg.reason;
    if (by_owner) {
      if (reason != CloseReason::none && reason != CloseReason::owner) {
        return refused(std::string("the owner closes a lease with reason owner, not ") + to_string(reason));
      }
      reason = CloseReason::owner;
    } else {
      if (reason == CloseReason::none) {
        reason = CloseReason::unspecified;
      }
      if (!is_provider_reason(reason)) {
        return refused(std::string("a provider closes a lease with a provider reason (10000-19999), not ") + to_string(reason));
      }
    }
    if (lease->second.state != LeaseState::active) {
      return refused("lease " + to_string(msg.id) + " is already " + to_string(lease->second.state) + " (" +
                     to_string(lease->second.reason) + ")");
    }
    Result<SettlementPlan> plan = plan_settlement(state, msg.id.deployment(), height);
    if (!plan) return plan.error();
    if (out.settle(*plan, msg.id.deployment())) return ok();
    Group& group = state.groups.at(msg.id.group());
    out.close_group_contents(msg.id.group(), LeaseState::closed, reason);
    if (by_owner) {
      // The group stays open: a new order lets providers bid again.
      out.open_order(group);
    } else {
      out.set_group_state(group, GroupState::paused, EventType::group_paused);
    }
    return ok();
  }

  R operator()(const MsgWithdraw& msg) {
    auto lease = state.leases.find(msg.id);
    if (lease == state.leases.end()) {
      return make_error(ErrorKind::not_found, "no lease " + to_string(msg.id));
    }
    if (signer != msg.id.provider) {
      return refused("only the provider " + msg.id.provider + " may withdraw from lease " + to_string(msg.id));
    }
    if (lease->second.state == LeaseState::active) {
      Result<SettlementPlan> plan = plan_settlement(state, msg.id.deployment(), height);
      if (!plan) return plan.error();
      if (out.settle(*plan, msg.id.deployment())) return ok();
    }
    auto payment = state.payments.find(msg.id);
    if (payment != state.payments.end()) {
      out.pay_out(payment->second);
    }
    return ok();
  }

  R operator()(const MsgSettle& msg) {
    auto deployment = state.deployments.find(msg.deployment);
    if (deployment == state.deployments.end()) {
      return make_error(ErrorKind::not_found, "no deployment " + to_string(msg.deployment));
    }
    if (deployment->second.state != DeploymentState::active) {
      return ok();
    }
    Result<SettlementPlan> plan = plan_settlement(state, msg.deployment, height);
    if (!plan) return plan.error();
    out.settle(*plan, msg.deployment);
    return ok();
  }
};

} // namespace

Result<DecCoin> group_max_price(const sdl::GroupSpec& spec) {
  DecCoin total;
  for (const auto& unit : spec.resources) {
    if (total.denom.empty()) {
      total.denom = unit.price.denom;
    } else if (total.denom != unit.price.denom) {
      return invalid("group " + spec.name + " mixes price denoms");
    }
    std::optional<util::Decimal> part = unit.price.amount.checked_mul_int(unit.count);
    std::optional<util::Decimal> sum = part ? total.amount.checked_add(*part) : std::nullopt;
    if (!sum) {
      return invalid("group " + spec.name + ": the total price overflows");
    }
    total.amount = *sum;
  }
  return total;
}

Status provider_matches(const State& state, const Address& provider, const sdl::GroupSpec& spec) {
  auto it = state.providers.find(provider);
  if (it == state.providers.end()) {
    return refused(provider + " is not a registered provider");
  }
  const sdl::Attributes& have = it->second.attributes;
  const sdl::Attributes want = spec.requirements.attributes.value_or(sdl::Attributes{});
  for (const auto& attribute : want) {
    if (!has_attribute(have, attribute)) {
      return refused("provider " + provider + " lacks attribute " + attribute.key + "=" + attribute.value +
                     " required by group " + spec.name);
    }
  }
  auto signed_for = [&](const Address& auditor) {
    auto audit = state.audits.find({provider, auditor});
    return audit != state.audits.end() && subset(want, audit->second.attributes);
  };
  if (spec.requirements.signed_by.all_of) {
    for (const auto& auditor : *spec.requirements.signed_by.all_of) {
      if (!signed_for(auditor)) {
        return refused("provider " + provider + " is not audited by " + auditor + " (group " + spec.name +
                       " requires signedBy.allOf)");
      }
    }
  }
  if (spec.requirements.signed_by.any_of && !spec.requirements.signed_by.any_of->empty()) {
    const auto& any = *spec.requirements.signed_by.any_of;
    if (std::none_of(any.begin(), any.end(), signed_for)) {
      return refused("provider " + provider + " is audited by none of group " + spec.name + "'s signedBy.anyOf auditors");
    }
  }
  for (const auto& unit : spec.resources) {
    for (const auto& storage : unit.resources.storage) {
      for (const auto& attribute : storage.attributes) {
        if (attribute.key != "class" || attribute.value == "default" || attribute.value == "ram" || attribute.value.empty()) {
          continue;
        }
        if (!has_attribute(have, sdl::Attribute{"capabilities/storage/*/class", attribute.value})) {
          return refused("provider " + provider + " offers no storage class " + attribute.value + " (group " + spec.name + ")");
        }
      }
    }
    if (unit.resources.gpu.units == 0) {
      continue;
    }
    for (const auto& attribute : unit.resources.gpu.attributes) {
      std::string key = "capabilities/gpu/" + attribute.key;
      bool found = false;
      auto star = key.find("/*");
      for (const auto& offered : have) {
        if (star != std::string::npos) {
          found = offered.key.compare(0, star + 1, key, 0, star + 1) == 0;
        } else {
          found = offered.key == key || (offered.key.size() > key.size() && offered.key.compare(0, key.size(), key) == 0 &&
                                         offered.key[key.size()] == '/');
        }
        if (found) {
          break;
        }
      }
      if (!found) {
        return refused("provider " + provider + " offers no GPU " + attribute.key + " (group " + spec.name + ")");
      }
    }
  }
  return ok();
}

Result<std::vector<Event>> apply(State& state, const Msg& msg, const Address& signer, Height height) {
  if (Status s = check_address(signer, "signer"); !s) {
    return s.error();
  }
  Applier out(state, height);
  Visitor visitor{state, signer, height, out};
  Status status = std::visit(visitor, msg);
  if (!status) {
    return status.error();
  }
  return std::move(out.events);
}

Status check(const State& state, const Msg& msg, const Address& signer, Height height) {
  State copy = state;
  Result<std::vector<Event>> result = apply(copy, msg, signer, height);
  if (!result) {
    return result.error();
  }
  return ok();
}

} // namespace akt::market
