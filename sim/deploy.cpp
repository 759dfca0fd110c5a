#include "sim/deploy.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "ledger/tx.hpp"
#include "market/codec.hpp"

namespace akt::sim {
namespace {

using Ms = std::chrono::milliseconds;

Error with_kind(ErrorKind kind, std::string message) { return make_error(kind, std::move(message)); }

void say(const DeployHooks& hooks, const std::string& line) {
  if (hooks.progress) hooks.progress(line);
}

std::string cleanup_hint(const market::DeploymentId& id, bool closed, const DeployInput& input) {
  if (closed)
    return "deployment " + std::to_string(id.dseq) + " was closed; retry with `akt deploy " + input.sdl_path + "`";
  return "deployment " + std::to_string(id.dseq) + " was kept; retry with `akt deploy " + input.sdl_path +
         " --dseq " + std::to_string(id.dseq) + "` or clean up with `akt deployment close --dseq " +
         std::to_string(id.dseq) + "`";
}

// Open orders of the deployment's groups that have no lease yet, by group.
Result<std::vector<market::Order>> open_orders(ledger::Ledger& ledger, const market::DeploymentId& id) {
  ledger::OrderFilter filter;
  filter.owner = id.owner;
  filter.dseq = id.dseq;
  filter.state = market::OrderState::open;
  return ledger.orders(filter);
}

// Waits until every service of the lease has available ≥ replicas.
Result<TenantLeaseStatus> wait_ready(ProviderEndpoint& endpoint, const market::LeaseId& id,
                                     const ledger::Clock& clock, std::int64_t deadline_ms,
                                     const DeployHooks& hooks) {
  std::string last;
  while (true) {
    Result<TenantLeaseStatus> status = endpoint.status(id);
    if (status) {
      bool ready = !status->status.services.empty();
      for (const auto& [name, s] : status->status.services)
        if (s.available < s.replicas || s.replicas == 0) ready = false;
      if (ready) return status;
      last.clear();
      for (const std::string& e : status->status.errors) last += (last.empty() ? "" : "; ") + e;
      if (!status->last_error.empty()) return with_kind(ErrorKind::provider, status->last_error);
    } else if (status.error().kind != ErrorKind::not_found) {
      return status.error();
    }
    if (clock.now_ms() >= deadline_ms)
      return with_kind(ErrorKind::provider, "lease " + market::to_string(id) +
                                                ": services not ready before the timeout" +
                                                (last.empty() ? std::string() : ": " + last));
    hooks.sleep(Ms(100));
  }
}

struct Collected {
  std::vector<market::Bid> bids;
  std::vector<OrderDecision> decisions;
};

Result<Collected> collect_bids(ledger::Ledger& ledger, const market::DeploymentId& id,
                               const ledger::Clock& clock, const DeployOptions& options,
                               const DeployHooks& hooks, std::int64_t deadline_ms) {
  std::int64_t window_end = std::min(deadline_ms, clock.now_ms() + options.bid_window.count());
  Collected out;
  while (true) {
    if (hooks.provider_round) hooks.provider_round();
    Result<std::vector<market::Order>> orders = open_orders(ledger, id);
    if (!orders) return orders.error();
    ledger::BidFilter filter;
    filter.owner = id.owner;
    filter.dseq = id.dseq;
    filter.state = market::BidState::open;
    Result<std::vector<market::Bid>> bids = ledger.bids(filter);
    if (!bids) return bids.error();
    out.bids = std::move(*bids);
    out.decisions = hooks.decisions ? hooks.decisions(id.owner, id.dseq) : std::vector<OrderDecision>{};
    std::size_t responders = hooks.responders ? hooks.responders() : 0;
    bool all_answered = responders > 0;
    for (const market::Order& order : *orders) {
      std::set<std::string> answered;
      for (const market::Bid& b : out.bids)
        if (b.id.order() == order.id) answered.insert(b.id.provider);
      for (const OrderDecision& d : out.decisions)
        if (d.gseq == order.id.gseq && d.oseq == order.id.oseq) answered.insert(d.provider);
      if (answered.size() < responders) all_answered = false;
    }
    if (all_answered || clock.now_ms() >= window_end) return out;
    hooks.sleep(Ms(100));
  }
}

Status close_deployment(ledger::Ledger& ledger, const ledger::PrivateKey& tenant, const market::DeploymentId& id,
                        const DeployHooks& hooks) {
  Result<ledger::TxReceipt> r = submit_as(ledger, tenant, market::MsgCloseDeployment{id});
  if (hooks.provider_round) hooks.provider_round();  // the provider tears the containers down
  if (!r) return r.error();
  return ok();
}

std::string no_bid_message(const market::Order& order, const std::string& group_name,
                           const std::vector<OrderDecision>& decisions, const std::vector<market::RankedBid>& ranked,
                           const DeployOptions& options, const std::string& wanted) {
  std::string msg = "no acceptable bid for group \"" + group_name + "\" (order " + market::to_string(order.id) + ")";
  std::map<std::string, std::string> names;
  for (const OrderDecision& d : decisions)
    if (!d.provider_name.empty()) names[d.provider] = d.provider_name;
  auto name_of = [&](const std::string& address) {
    auto it = names.find(address);
    return it == names.end() ? address : it->second;
  };
  std::vector<std::string> reasons;
  for (const OrderDecision& d : decisions)
    if (d.gseq == order.id.gseq && d.oseq == order.id.oseq && !d.bid)
      reasons.push_back(name_of(d.provider) + ": " + d.reason);
  for (const market::RankedBid& r : ranked) {
    if (r.eligible) continue;
    // The other bidders of a deploy that names its provider are passed over, not wanting.
    std::string why = options.selection == Selection::provider && r.id.provider != wanted
                          ? "bid passed over: --select provider=" + options.provider + " picks another provider"
                          : "bid excluded: " + r.excluded_because;
    reasons.push_back(name_of(r.id.provider) + ": " + why);
  }
  if (reasons.empty()) reasons.push_back("no provider answered within the bid window (try a longer --bid-window)");
  for (const std::string& r : reasons) msg += "\n  " + r;
  return msg;
}

// A failure of the chosen provider (it could not take the manifest or run the group), which
// the next-ranked provider may not share. Refusals and bad input would fail anywhere.
bool provider_side(const Error& error) {
  return error.kind == ErrorKind::provider || error.kind == ErrorKind::unreachable;
}

struct Chosen {
  market::RankedBid bid;
  market::Policy policy;
  std::string group_name;
};

// The best open bid on `order` under the tenant's selection, from a provider not in `skip`.
Result<Chosen> choose(const market::Order& order, const Collected& collected, const market::State& state,
                      const DeployOptions& options, const std::string& wanted, const std::set<market::Address>& skip) {
  std::vector<market::Bid> bids;
  std::map<market::Address, market::BidderInfo> bidders;
  for (const market::Bid& b : collected.bids) {
    if (b.id.order() != order.id || skip.count(b.id.provider)) continue;
    bids.push_back(b);
    bidders[b.id.provider] = market::bidder_info(state, b.id.provider);
  }
  market::Policy policy = options.selection == Selection::policy ? options.policy : market::default_policy();
  if (options.selection == Selection::provider)
    for (const market::Bid& b : bids)
      if (b.id.provider != wanted) policy.excluded_providers.insert(b.id.provider);
  std::vector<market::RankedBid> ranked = market::rank(bids, bidders, policy);
  auto group = state.groups.find(order.id.group());
  std::string group_name = group != state.groups.end() ? group->second.spec.name : "?";
  if (ranked.empty() || !ranked.front().eligible)
    return with_kind(ErrorKind::no_bid, no_bid_message(order, group_name, collected.decisions, ranked, options, wanted));
  return Chosen{ranked.front(), std::move(policy), std::move(group_name)};
}

// A lease this run created, and what its group has been through.
struct NewLease {
  std::size_t index = 0;               // in DeployOutcome::leases
  std::optional<Error> failure;        // its provider could not take the manifest
};

// One failure as it was; several as the list of providers tried.
std::string attempts_text(const LeaseOutcome& lease) {
  if (lease.replaced.size() == 1) return lease.replaced.front().error;
  std::string text = "group " + lease.group + ": no provider tried could run it (" +
                     std::to_string(lease.replaced.size()) + " tried):";
  for (const FailedLease& failed : lease.replaced)
    text += "\n  lease " + market::to_string(failed.lease) + ": " + failed.error;
  return text;
}

} // namespace

Result<ledger::TxReceipt> submit_as(ledger::Ledger& ledger, const ledger::PrivateKey& key, market::Msg msg) {
  Result<ledger::ChainInfo> info = ledger.info();
  if (!info) return info.error();
  for (int attempt = 0;; ++attempt) {
    Result<ledger::AccountInfo> account = ledger.account(key.address());
    if (!account) return account.error();
    Result<ledger::TxReceipt> receipt =
        ledger.submit(ledger::sign_tx(key, info->chain_id, account->next_sequence, msg));
    if (receipt || attempt > 0 || receipt.error().message.find("sequence") == std::string::npos) return receipt;
  }
}

std::vector<std::string> describe_decisions(const std::vector<OrderDecision>& decisions) {
  std::vector<std::string> out;
  for (const OrderDecision& d : decisions)
    out.push_back((d.provider_name.empty() ? d.provider : d.provider_name + " (" + d.provider + ")") + ": gseq " +
                  std::to_string(d.gseq) + " oseq " + std::to_string(d.oseq) + ": " +
                  (d.bid ? "bid " + d.price : "declined: " + d.reason));
  return out;
}

Result<DeployOutcome> deploy(ledger::Ledger& ledger, const ledger::PrivateKey& tenant, const ledger::Clock& clock,
                             const DeployInput& input, const DeployOptions& options, const DeployHooks& hooks) {
  std::int64_t deadline = clock.now_ms() + options.timeout.count();
  DeployOutcome outcome;
  outcome.version = input.version;
  outcome.id = market::DeploymentId{tenant.address(), options.dseq ? *options.dseq
                                                                   : static_cast<std::uint64_t>(clock.now_ms())};
  const market::DeploymentId& id = outcome.id;
  bool created = false;

  // A provider named with --select must exist before anything is created for it.
  std::string wanted = options.selection == Selection::provider && hooks.resolve_provider
                           ? hooks.resolve_provider(options.provider)
                           : options.provider;
  if (options.selection == Selection::provider) {
    if (hooks.provider_round) hooks.provider_round();  // simulated providers register in their first round
    Result<market::Provider> known = ledger.provider(wanted);
    if (!known && known.error().kind != ErrorKind::not_found) return known.error();
    if (!known)
      return with_kind(ErrorKind::not_found, "--select provider=" + options.provider +
                                                 ": no registered provider has that name or address "
                                                 "(`akt provider list` lists them)");
  }

  Result<market::Deployment> existing = ledger.deployment(id);
  // A dseq akt picked (milliseconds) may be taken by a deploy started in the same
  // millisecond: take the next free one rather than updating someone else's deployment.
  for (int tries = 0; !options.dseq && existing && tries < 1000; ++tries) {
    outcome.id.dseq += 1;
    existing = ledger.deployment(id);
  }
  if (!existing && existing.error().kind != ErrorKind::not_found) return existing.error();
  if (existing) {
    if (existing->state == market::DeploymentState::closed)
      return with_kind(ErrorKind::refused, "deployment " + std::to_string(id.dseq) +
                                               " is closed; deploy without --dseq for a new one");
    Result<std::vector<market::Group>> groups = ledger.groups(ledger::GroupFilter{id.owner, id.dseq, std::nullopt, std::nullopt});
    if (!groups) return groups.error();
    std::vector<sdl::GroupSpec> specs;
    for (const market::Group& g : *groups) specs.push_back(g.spec);
    if (specs != input.groups)
      return with_kind(ErrorKind::invalid,
                       "deployment " + std::to_string(id.dseq) +
                           ": the SDL changes resources, counts, prices or placement, and a deployment's groups "
                           "cannot be updated (MARKET.md); close it with `akt deployment close --dseq " +
                           std::to_string(id.dseq) + "` and run `akt deploy " + input.sdl_path +
                           "` for a new deployment");
    if (existing->hash == input.version) {
      outcome.action = DeployAction::unchanged;
    } else {
      say(hooks, "updating deployment " + std::to_string(id.dseq) + " to version " + input.version.substr(0, 12));
      Result<ledger::TxReceipt> r =
          submit_as(ledger, tenant, market::MsgUpdateDeployment{id, input.groups, input.version});
      if (!r) return r.error();
      outcome.action = DeployAction::updated;
    }
  } else {
    Result<ledger::TxReceipt> r = make_error(ErrorKind::failure, "no attempt");
    for (int tries = 0; tries < 100; ++tries) {
      say(hooks, "creating deployment " + std::to_string(id.dseq));
      r = submit_as(ledger, tenant, market::MsgCreateDeployment{id, input.groups, input.version, options.deposit});
      // Another deploy may have taken the dseq since it was found free.
      if (r || options.dseq || r.error().message.find("already exists") == std::string::npos) break;
      outcome.id.dseq += 1;
    }
    if (!r) return r.error();
    created = true;
  }

  auto fail = [&](Error error) -> Result<DeployOutcome> {
    bool closed = false;
    if (created && options.close_on_failure) closed = static_cast<bool>(close_deployment(ledger, tenant, id, hooks));
    error.message += "\n" + cleanup_hint(id, closed, input);
    return error;
  };

  // Leases that already run (an update or a no-op re-run) get the manifest again.
  ledger::LeaseFilter lease_filter;
  lease_filter.owner = id.owner;
  lease_filter.dseq = id.dseq;
  lease_filter.state = market::LeaseState::active;
  Result<std::vector<market::Lease>> active = ledger.leases(lease_filter);
  if (!active) return fail(active.error());
  std::vector<market::Lease> leases = *active;
  if (outcome.action == DeployAction::updated) {
    for (const market::Lease& lease : leases) {
      Result<std::unique_ptr<ProviderEndpoint>> endpoint = hooks.endpoint(lease.id.provider);
      if (!endpoint) return fail(endpoint.error());
      say(hooks, "sending the new manifest to " + lease.id.provider);
      if (Status s = (*endpoint)->send_manifest(lease.id, input.manifest_json); !s) return fail(s.error());
    }
  }

  // Groups without an active lease need bids. Leases of this run whose provider cannot run
  // the group are replaced by the next-ranked bid of another provider, up to `attempts`.
  std::vector<NewLease> fresh;
  for (const market::Lease& lease : leases) {
    LeaseOutcome lo;
    lo.lease = lease;
    outcome.leases.push_back(std::move(lo));
  }
  auto take = [&](const Chosen& chosen, NewLease& attempt) -> Status {
    if (hooks.runtime_ready)
      if (Status ready = hooks.runtime_ready(); !ready) return ready.error();
    LeaseOutcome& lo = outcome.leases[attempt.index];
    say(hooks, "group " + chosen.group_name + ": leasing " + chosen.bid.id.provider + " at " +
                   market::format_dec_coin(chosen.bid.price) + "/block (" + market::explain(chosen.bid, chosen.policy) + ")");
    Result<ledger::TxReceipt> r = submit_as(ledger, tenant, market::MsgCreateLease{chosen.bid.id});
    if (!r) return r.error();
    lo.lease = market::Lease{};
    lo.lease.id = chosen.bid.id;
    lo.lease.price = chosen.bid.price;
    lo.lease.created_at = r->height;
    lo.group = chosen.group_name;
    lo.why = market::explain(chosen.bid, chosen.policy);
    attempt.failure.reset();
    Result<std::unique_ptr<ProviderEndpoint>> endpoint = hooks.endpoint(chosen.bid.id.provider);
    Status sent = endpoint ? Status(ok()) : Status(endpoint.error());
    if (endpoint) {
      say(hooks, "sending the manifest to " + chosen.bid.id.provider);
      sent = (*endpoint)->send_manifest(chosen.bid.id, input.manifest_json);
    }
    if (sent) return ok();
    if (!provider_side(sent.error())) return sent.error();
    attempt.failure = sent.error();
    return ok();
  };
  // Closes the failed lease of `attempt` (which opens the group's next order), collects
  // bids again and takes the best one from a provider not yet tried.
  auto replace = [&](NewLease& attempt, const Error& error) -> Status {
    LeaseOutcome& lo = outcome.leases[attempt.index];
    lo.replaced.push_back(FailedLease{lo.lease.id, error.message});
    Error final_error{attempts_text(lo), std::nullopt, {}, error.kind};
    if (!provider_side(error) || lo.replaced.size() >= options.attempts || clock.now_ms() >= deadline)
      return final_error;
    say(hooks, error.message + "\nclosing lease " + market::to_string(lo.lease.id) +
                   " and trying the next bid for group " + lo.group);
    if (Result<ledger::TxReceipt> r = submit_as(ledger, tenant, market::MsgCloseLease{lo.lease.id}); !r) {
      final_error.message += "\nclosing lease " + market::to_string(lo.lease.id) + " failed: " + r.error().message;
      return final_error;
    }
    Result<Collected> collected = collect_bids(ledger, id, clock, options, hooks, deadline);
    if (!collected) return collected.error();
    Result<std::vector<market::Order>> open = open_orders(ledger, id);
    if (!open) return open.error();
    auto order = std::find_if(open->begin(), open->end(),
                              [&](const market::Order& o) { return o.id.gseq == lo.lease.id.gseq; });
    if (order == open->end()) {
      final_error.message += "\nno new order opened for group " + lo.group + " after closing the lease";
      return final_error;
    }
    Result<market::State> state = ledger.snapshot();
    if (!state) return state.error();
    std::set<market::Address> tried;  // providers that failed the group in this run
    for (const FailedLease& failed : lo.replaced) tried.insert(failed.lease.provider);
    Result<Chosen> chosen = choose(*order, *collected, *state, options, wanted, tried);
    if (!chosen) {
      final_error.message += "\nno other provider to try: " + chosen.error().message;
      return final_error;
    }
    return take(*chosen, attempt);
  };

  Result<std::vector<market::Order>> orders = open_orders(ledger, id);
  if (!orders) return fail(orders.error());
  if (!orders->empty()) {
    say(hooks, "collecting bids for up to " + std::to_string(options.bid_window.count()) + " ms");
    Result<Collected> collected = collect_bids(ledger, id, clock, options, hooks, deadline);
    if (!collected) return fail(collected.error());
    Result<market::State> state = ledger.snapshot();
    if (!state) return fail(state.error());
    for (const market::Order& order : *orders) {
      Result<Chosen> chosen = choose(order, *collected, *state, options, wanted, {});
      if (!chosen) return fail(chosen.error());
      outcome.leases.emplace_back();
      fresh.push_back(NewLease{outcome.leases.size() - 1, std::nullopt});
      if (Status s = take(*chosen, fresh.back()); !s) return fail(s.error());
    }
  }

  // Every lease, new or old, must be ready.
  for (std::size_t i = 0; i < outcome.leases.size(); ++i) {
    auto attempt = std::find_if(fresh.begin(), fresh.end(), [&](const NewLease& n) { return n.index == i; });
    while (true) {
      LeaseOutcome& lo = outcome.leases[i];
      Result<TenantLeaseStatus> status = [&]() -> Result<TenantLeaseStatus> {
        if (attempt != fresh.end() && attempt->failure) return *attempt->failure;
        Result<std::unique_ptr<ProviderEndpoint>> endpoint = hooks.endpoint(lo.lease.id.provider);
        if (!endpoint) return endpoint.error();
        say(hooks, "waiting for lease " + market::to_string(lo.lease.id) + " to be ready");
        return wait_ready(**endpoint, lo.lease.id, clock, deadline, hooks);
      }();
      if (status) {
        lo.status = std::move(*status);
        break;
      }
      if (attempt == fresh.end()) return fail(status.error());
      if (Status replaced = replace(*attempt, status.error()); !replaced) return fail(replaced.error());
    }
    LeaseOutcome& lo = outcome.leases[i];
    if (Result<market::Provider> provider = ledger.provider(lo.lease.id.provider)) lo.provider = *provider;
  }
  std::sort(outcome.leases.begin(), outcome.leases.end(),
            [](const LeaseOutcome& a, const LeaseOutcome& b) { return a.lease.id < b.lease.id; });
  return outcome;
}

} // namespace akt::sim
