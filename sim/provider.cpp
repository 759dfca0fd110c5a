#include "sim/provider.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "ledger/tx.hpp"
#include "market/codec.hpp"
#include "sdl/json.hpp"
#include "sim/bid_engine.hpp"
#include "util/hash.hpp"
#include "util/parallel.hpp"

namespace akt::sim {
namespace {

using market::BidState;
using market::CloseReason;
using market::LeaseState;
using market::OrderState;

std::string order_text(const market::OrderId& id) { return market::to_string(id); }

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

} // namespace

Result<market::LeaseId> parse_lease_id(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                        : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::uint64_t dseq = 0, gseq = 0, oseq = 0;
  if (parts.size() != 5 || parts[0].empty() || parts[4].empty() || !parse_u64(parts[1], dseq) ||
      !parse_u64(parts[2], gseq) || !parse_u64(parts[3], oseq) || gseq > UINT32_MAX ||
      oseq > UINT32_MAX)
    return make_error(ErrorKind::invalid,
                      "lease id \"" + std::string(text) +
                          "\": expected OWNER/DSEQ/GSEQ/OSEQ/PROVIDER (see `akt lease list`)");
  market::LeaseId id;
  id.owner = std::string(parts[0]);
  id.dseq = dseq;
  id.gseq = static_cast<std::uint32_t>(gseq);
  id.oseq = static_cast<std::uint32_t>(oseq);
  id.provider = std::string(parts[4]);
  return id;
}

runtime::docker::LeaseRef lease_ref(const market::LeaseId& id) {
  return runtime::docker::LeaseRef{id.owner, id.dseq, id.gseq, id.oseq, id.provider};
}

std::string lease_status_json(const runtime::docker::LeaseStatus& status) {
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [name, s] : status.services)
    services[name] = {{"name", s.name},
                      {"available", s.available},
                      {"total", s.total},
                      {"uris", s.uris},
                      {"replicas", s.replicas},
                      {"ready_replicas", s.ready_replicas},
                      {"available_replicas", s.available_replicas}};
  nlohmann::json ports = nlohmann::json::object();
  for (const auto& [name, list] : status.forwarded_ports) {
    nlohmann::json array = nlohmann::json::array();
    for (const runtime::docker::ForwardedPort& p : list)
      array.push_back({{"host", p.host},
                       {"port", p.port},
                       {"externalPort", p.external_port},
                       {"proto", p.proto},
                       {"name", p.name}});
    ports[name] = array;
  }
  nlohmann::json j = {{"services", services},
                      {"forwarded_ports", ports},
                      {"ips", nlohmann::json::object()},
                      {"errors", status.errors}};
  return j.dump();
}

std::string offline_message(const std::string& name) {
  return "provider " + name + " is offline (`akt sim fault " + name + " up` brings it back)";
}

Provider::Provider(ProviderSetup setup, ledger::Ledger& ledger, DecisionStore& decisions,
                   runtime::docker::LeaseRuntime* runtime, ProcessRunner* scripts)
    : m_config(std::move(setup.config)),
      m_key(std::move(setup.key)),
      m_auditor_keys(std::move(setup.auditor_keys)),
      m_address(m_key.address()),
      m_ledger(ledger),
      m_decisions(decisions),
      m_runtime(runtime),
      m_scripts(scripts),
      m_memory_store(setup.state_dir / "memory.json") {}

Result<Provider::Chain> Provider::chain() {
  Result<ledger::ChainInfo> info = m_ledger.info();
  if (!info) return info.error();
  return Chain{info->chain_id, info->height, info->block_interval_ms, info->params};
}

Result<ledger::TxReceipt> Provider::send(const ledger::PrivateKey& key, market::Msg msg,
                                         const Chain& chain) {
  // A sequence raced by another process of the same key is retried once with a fresh one.
  for (int attempt = 0;; ++attempt) {
    Result<ledger::AccountInfo> account = m_ledger.account(key.address());
    if (!account) return account.error();
    ledger::SignedTx tx = ledger::sign_tx(key, chain.chain_id, account->next_sequence, msg);
    Result<ledger::TxReceipt> receipt = m_ledger.submit(tx);
    if (receipt || attempt > 0 || receipt.error().message.find("sequence") == std::string::npos)
      return receipt;
  }
}

std::uint64_t Provider::blocks(std::chrono::seconds duration, const Chain& chain) const {
  return blocks_for(duration, std::chrono::milliseconds(chain.block_interval_ms));
}

std::optional<market::Height> Provider::early_close_height(const std::string& lease, market::Height created_at) const {
  // early_close is a lease's chance of being closed early at all, not a chance per block:
  // per block, even a small one ends nearly every lease within minutes.
  constexpr market::Height k_window_blocks = 3600;
  if (m_config.reliability.early_close <= 0 || draw(0, "early_close/" + lease) >= m_config.reliability.early_close)
    return std::nullopt;
  return created_at + 1 + static_cast<market::Height>(draw(0, "early_close_at/" + lease) * k_window_blocks);
}

double Provider::draw(market::Height height, std::string_view what) const {
  std::string seed_text = std::to_string(m_config.reliability.seed) + "/" + m_config.name + "/" +
                          std::to_string(height) + "/" + std::string(what);
  std::array<std::uint8_t, 32> digest = util::sha256(seed_text);
  std::uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = (seed << 8) | digest[static_cast<std::size_t>(i)];
  std::mt19937_64 rng(seed);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Status Provider::ensure_registered(const Chain& chain, const market::State& state,
                                   RoundReport& report) {
  if (state.providers.find(m_address) == state.providers.end()) {
    market::MsgRegisterProvider msg;
    msg.host_uri = m_config.host_uri;
    msg.attributes = m_config.attributes;
    for (const sdl::Attribute& a : capability_attributes(m_config.nodes)) {
      bool present = std::any_of(msg.attributes.begin(), msg.attributes.end(),
                                 [&](const sdl::Attribute& b) { return b.key == a.key; });
      if (!present) msg.attributes.push_back(a);
    }
    Result<ledger::TxReceipt> r = send(m_key, msg, chain);
    if (!r) return Error{"register provider " + m_config.name + ": " + r.error().message,
                         std::nullopt, {}, r.error().kind};
    report.registered = true;
  }
  for (const Signature& signature : m_config.signatures) {
    auto key = std::find_if(m_auditor_keys.begin(), m_auditor_keys.end(),
                            [&](const auto& k) { return k.first == signature.auditor; });
    if (key == m_auditor_keys.end()) continue;
    auto existing = state.audits.find({m_address, key->second.address()});
    if (existing != state.audits.end() && existing->second.attributes == signature.attributes)
      continue;
    market::MsgSignProviderAttributes msg{m_address, signature.attributes};
    Result<ledger::TxReceipt> r = send(key->second, msg, chain);
    if (!r) return Error{"auditor " + signature.auditor + " signing " + m_config.name + ": " +
                             r.error().message,
                         std::nullopt, {}, r.error().kind};
  }
  return ok();
}

Status Provider::ensure_funds(const std::string& denom, const Chain& chain,
                              const market::State& state) {
  market::Amount have = market::balance_of(state, m_address, denom);
  if (have >= chain.params.bid_deposit * 2) return ok();
  // A simulated provider tops its bid deposits up from the faucet where there is one.
  market::Amount want = std::max<market::Amount>(chain.params.bid_deposit * 100, 100'000'000);
  want = std::min(want, chain.params.faucet_max);
  Result<ledger::TxReceipt> r = m_ledger.fund(m_address, market::Coin{denom, want});
  if (!r) return r.error();
  return ok();
}

Inventory Provider::rebuild_inventory(const market::State& state, const std::string& except) const {
  Inventory inventory(m_config.nodes);
  auto hold = [&](const market::BidId& id) {
    std::string order = order_text(id.order());
    if (order == except) return;
    auto group = state.groups.find(id.group());
    if (group == state.groups.end()) return;
    FitResult fit = inventory.fit(group->second.spec);
    if (fit.fits) (void)inventory.reserve(order, fit.reservation);
  };
  // Running leases first, so their placement does not depend on bids that come and go.
  for (const auto& [id, lease] : state.leases)
    if (id.provider == m_address && lease.state == LeaseState::active) hold(id);
  for (const auto& [id, bid] : state.bids)
    if (id.provider == m_address && bid.state == BidState::open) hold(id);
  return inventory;
}

void Provider::bid_on_new_orders(const Chain& chain, const market::State& state,
                                 RoundReport& report) {
  Inventory inventory = rebuild_inventory(state);
  std::vector<AuditorSignature> signatures;
  for (const auto& [key, audit] : state.audits)
    if (key.first == m_address) signatures.push_back(AuditorSignature{audit.auditor, audit.attributes});

  std::map<std::pair<std::string, std::uint64_t>, std::set<std::string>> decided;
  const ProviderProfile profile(m_config);
  for (const auto& [id, order] : state.orders) {
    if (order.state != OrderState::open) continue;
    market::BidId mine{id.owner, id.dseq, id.gseq, id.oseq, m_address};
    if (state.bids.count(mine)) continue;
    auto key = std::make_pair(id.owner, id.dseq);
    if (!decided.count(key)) {
      Result<std::vector<OrderDecision>> known = m_decisions.for_deployment(id.owner, id.dseq);
      std::set<std::string>& set = decided[key];
      if (known)
        for (const OrderDecision& d : *known)
          if (d.provider == m_address)
            set.insert(order_text(market::OrderId{d.owner, d.dseq, d.gseq, d.oseq}));
    }
    std::string order_id = order_text(id);
    if (decided[key].count(order_id)) continue;
    auto group = state.groups.find(id.group());
    if (group == state.groups.end()) continue;

    OrderDecision record;
    record.provider = m_address;
    record.provider_name = m_config.name;
    record.owner = id.owner;
    record.dseq = id.dseq;
    record.gseq = id.gseq;
    record.oseq = id.oseq;
    record.height = static_cast<std::int64_t>(chain.height);

    Result<sdl::DecCoin> max_price = order_max_price(group->second.spec);
    if (!max_price) {
      record.reason = "invalid order: " + max_price.error().message;
    } else {
      OrderView view{group->second.spec, order_id, *max_price, id.owner};
      BidContext context;
      context.signatures = signatures;
      context.scripts = m_scripts;
      Decision decision = decide(profile, inventory, OrderProfile(view), context);
      if (!decision.bid) {
        record.reason = std::string(to_string(decision.decline.code)) + ": " + decision.decline.message;
      } else {
        Status funded = ensure_funds(decision.price.denom, chain, state);
        market::MsgCreateBid msg{id, m_address, decision.price,
                                 market::Coin{decision.price.denom, chain.params.bid_deposit}};
        Result<ledger::TxReceipt> posted =
            funded ? send(m_key, msg, chain) : Result<ledger::TxReceipt>(funded.error());
        if (posted) {
          record.bid = true;
          record.price = market::format_dec_coin(decision.price);
          (void)inventory.reserve(order_id, decision.reservation);
          report.bids.push_back(order_id);
        } else {
          record.reason = "bid refused by the ledger: " + posted.error().message;
        }
      }
    }
    if (!record.bid) report.declines.push_back(order_id + ": " + record.reason);
    decided[key].insert(order_id);
    if (Status s = m_decisions.record(record); !s) report.errors.push_back(s.error().message);
  }
}

void Provider::close_stale_bids(const Chain& chain, const market::State& state,
                                RoundReport& report) {
  std::uint64_t timeout = blocks(m_config.bid_timeout, chain);
  for (const auto& [id, bid] : state.bids) {
    if (id.provider != m_address || bid.state != BidState::open) continue;
    if (chain.height < bid.created_at + timeout) continue;
    Result<ledger::TxReceipt> r = send(m_key, market::MsgCloseBid{id}, chain);
    if (r) report.closed_bids.push_back(market::to_string(id));
    else report.errors.push_back("close bid " + market::to_string(id) + ": " + r.error().message);
  }
}

void Provider::close_lease(const market::LeaseId& id, CloseReason reason, const Chain& chain,
                           RoundReport& report) {
  Result<ledger::TxReceipt> r = send(m_key, market::MsgCloseBid{id, reason}, chain);
  std::string text = market::to_string(id);
  if (!r) {
    report.errors.push_back("close lease " + text + ": " + r.error().message);
    return;
  }
  report.closed_leases.push_back(text + ": " + market::to_string(reason));
  if (Status s = teardown(text, false); !s) report.errors.push_back(s.error().message);
  else report.torn_down.push_back(text);
}

Status Provider::teardown(const std::string& lease_id, bool remove_volumes) {
  if (!m_runtime) return ok();
  Result<runtime::docker::LeaseRef> ref = runtime::docker::LeaseRef::parse(lease_id);
  if (!ref) return ref.error();
  return m_runtime->teardown(*ref, remove_volumes);
}

void Provider::watch_leases(const Chain& chain, const market::State& state, RoundReport& report) {
  Result<ProviderMemory> loaded = m_memory_store.load();
  ProviderMemory memory = loaded ? std::move(*loaded) : ProviderMemory{};
  // What this pass learns, applied at the end to the memory as it is then: another akt
  // process may have taken a manifest for one of these leases in the meantime.
  std::map<std::string, std::int64_t> won_at;
  std::map<std::string, std::int64_t> unhealthy_since;
  std::set<std::string> forget;
  std::uint64_t manifest_timeout = blocks(m_config.manifest_timeout, chain);
  std::uint64_t health_window = blocks(m_config.health_window, chain);
  std::set<market::DeploymentId> withdrawn;

  for (const auto& [id, lease] : state.leases) {
    if (id.provider != m_address || lease.state != LeaseState::active) continue;
    std::string text = market::to_string(id);
    LeaseMemory& m = memory.leases[text];
    if (m.won_at == 0) {
      m.won_at = static_cast<std::int64_t>(lease.created_at);
      won_at[text] = m.won_at;
    }

    // Funds monitor: withdraw what the lease earned; the settlement this causes is what
    // finds an overdraft and closes the deployment (MARKET.md "Funds monitor").
    market::DeploymentId dep = id.deployment();
    if (!withdrawn.count(dep)) {
      withdrawn.insert(dep);
      Result<ledger::EscrowView> escrow = m_ledger.escrow(dep);
      bool due = escrow && escrow->overdrawn;
      for (const market::Payment& p : escrow ? escrow->payments : std::vector<market::Payment>{})
        if (p.id == id && chain.height >= p.settled_at + 60) due = true;
      if (due) {
        Result<ledger::TxReceipt> r = send(m_key, market::MsgWithdraw{id}, chain);
        if (!r) report.errors.push_back("withdraw " + text + ": " + r.error().message);
      }
    }

    if (m.manifest_version.empty()) {
      if (chain.height >= lease.created_at + manifest_timeout) {
        close_lease(id, CloseReason::manifest_timeout, chain, report);
        forget.insert(text);
      }
      continue;
    }
    if (std::optional<market::Height> at = early_close_height(text, lease.created_at); at && chain.height >= *at) {
      close_lease(id, CloseReason::unstable, chain, report);
      forget.insert(text);
      continue;
    }
    if (!m_runtime) continue;
    Result<runtime::docker::LeaseStatus> status = m_runtime->status(lease_ref(id));
    bool healthy = status && status->healthy();
    if (!status && status.error().kind == ErrorKind::not_found) report.dead.push_back(text);
    if (healthy) {
      if (m.unhealthy_since >= 0) unhealthy_since[text] = -1;
    } else if (m.unhealthy_since < 0) {
      unhealthy_since[text] = static_cast<std::int64_t>(chain.height);
    } else if (chain.height >= static_cast<market::Height>(m.unhealthy_since) + health_window) {
      close_lease(id, CloseReason::unstable, chain, report);
      forget.insert(text);
    }
  }
  // Forget leases the ledger shows ended. One it does not know yet was created after this
  // round's view of the ledger, and another process may be starting it.
  for (const auto& [text, m] : memory.leases) {
    Result<market::LeaseId> id = parse_lease_id(text);
    auto lease = id ? state.leases.find(*id) : state.leases.end();
    if (!id || (lease != state.leases.end() && lease->second.state != LeaseState::active)) forget.insert(text);
  }
  if (won_at.empty() && unhealthy_since.empty() && forget.empty()) return;
  Status saved = m_memory_store.update([&](ProviderMemory& now) {
    for (const auto& [text, height] : won_at)
      if (now.leases[text].won_at == 0) now.leases[text].won_at = height;
    for (const auto& [text, since] : unhealthy_since)
      if (auto it = now.leases.find(text); it != now.leases.end()) it->second.unhealthy_since = since;
    for (const std::string& text : forget) now.leases.erase(text);
  });
  if (!saved) report.errors.push_back(saved.error().message);
}

Status Provider::reconcile(RoundReport& report) {
  if (!m_runtime) return ok();
  Result<std::vector<std::string>> present = m_runtime->leases(m_address);
  if (!present) return present.error();
  Result<market::State> state = m_ledger.snapshot();
  if (!state) return state.error();
  std::vector<std::pair<std::string, bool>> gone;  // lease, its deployment closed
  for (const std::string& text : *present) {
    Result<market::LeaseId> id = parse_lease_id(text);
    if (!id) continue;
    auto lease = state->leases.find(*id);
    if (lease != state->leases.end() && lease->second.state == LeaseState::active) continue;
    auto dep = state->deployments.find(id->deployment());
    bool deployment_closed =
        dep == state->deployments.end() || dep->second.state == market::DeploymentState::closed;
    gone.emplace_back(text, deployment_closed);
  }
  // The leases of a closed deployment go together: Docker removes them concurrently.
  constexpr std::size_t k_parallel_leases = 4;
  std::vector<Status> results(gone.size(), ok());
  util::run_parallel(gone.size(), k_parallel_leases,
                     [&](std::size_t i) { results[i] = teardown(gone[i].first, gone[i].second); });
  for (std::size_t i = 0; i < gone.size(); ++i) {
    if (!results[i]) report.errors.push_back("teardown " + gone[i].first + ": " + results[i].error().message);
    else report.torn_down.push_back(gone[i].first);
  }
  return ok();
}

Result<RoundReport> Provider::round(bool offline, const market::State* market) {
  std::lock_guard lock(m_mutex);
  RoundReport report;
  Result<Chain> chain_info = chain();
  if (!chain_info) return chain_info.error();
  const Chain& c = *chain_info;
  if (offline || !m_config.online) {
    report.offline = true;
    return report;
  }
  // A flaky provider misses the market this round, but its host still removes what it no
  // longer holds: a tenant who closed a lease finds nothing of it left running.
  if (m_config.reliability.offline > 0 && draw(c.height, "offline") < m_config.reliability.offline) {
    report.offline = true;
    if (Status s = reconcile(report); !s) report.errors.push_back(s.error().message);
    return report;
  }
  std::optional<market::State> own;
  auto take_snapshot = [&]() -> Status {
    Result<market::State> taken = m_ledger.snapshot();
    if (!taken) return taken.error();
    own = std::move(*taken);
    market = &*own;
    return ok();
  };
  if (market == nullptr)
    if (Status s = take_snapshot(); !s) return s.error();
  if (Status s = ensure_registered(c, *market, report); !s) return s.error();
  if (report.registered)
    if (Status s = take_snapshot(); !s) return s.error();
  close_stale_bids(c, *market, report);
  bid_on_new_orders(c, *market, report);
  watch_leases(c, *market, report);
  if (Status s = reconcile(report); !s) report.errors.push_back(s.error().message);
  return report;
}

Result<RoundReport> Provider::tear_down_ended() {
  std::lock_guard lock(m_mutex);
  RoundReport report;
  if (Status s = reconcile(report); !s) return s.error();
  return report;
}

Result<market::Lease> Provider::my_active_lease(const market::LeaseId& id) {
  if (id.provider != m_address)
    return make_error(ErrorKind::not_found, "lease " + market::to_string(id) + " is not a lease of provider " +
                                                m_config.name + " (" + m_address + ")");
  ledger::LeaseFilter filter;
  filter.owner = id.owner;
  filter.dseq = id.dseq;
  filter.gseq = id.gseq;
  filter.oseq = id.oseq;
  filter.provider = id.provider;
  Result<std::vector<market::Lease>> leases = m_ledger.leases(filter);
  if (!leases) return leases.error();
  if (leases->empty())
    return make_error(ErrorKind::not_found, "lease " + market::to_string(id) + " does not exist");
  const market::Lease& lease = leases->front();
  if (lease.state != LeaseState::active)
    return make_error(ErrorKind::refused, "lease " + market::to_string(id) + " is " +
                                              market::to_string(lease.state) +
                                              (lease.reason != CloseReason::none
                                                   ? std::string(" (") + market::to_string(lease.reason) + ")"
                                                   : std::string()));
  return lease;
}

Result<runtime::docker::GpuAssignment> Provider::gpus_for(const market::LeaseId& id,
                                                          const sdl::ManifestGroup& group) {
  runtime::docker::GpuAssignment assignment;
  bool wants_gpu = std::any_of(group.services.begin(), group.services.end(),
                               [](const sdl::Service& s) { return s.resources.gpu.units > 0; });
  if (!wants_gpu) return assignment;
  Result<market::State> state = m_ledger.snapshot();
  if (!state) return state.error();
  auto spec = state->groups.find(id.group());
  if (spec == state->groups.end())
    return make_error(ErrorKind::not_found, "group of lease " + market::to_string(id) + " not found");
  Inventory inventory = rebuild_inventory(*state, order_text(id.order()));
  FitResult fit = inventory.fit(spec->second.spec);
  if (!fit.fits)
    return make_error(ErrorKind::provider, "provider " + m_config.name + " has no free capacity for lease " +
                                               market::to_string(id) + ": " + fit.shortfall.what);
  std::map<std::uint32_t, std::size_t> next;  // resource id → next placement
  for (const sdl::Service& service : group.services) {
    std::vector<std::vector<std::string>>& per_replica = assignment.devices[service.name];
    for (std::uint32_t r = 0; r < service.count; ++r) {
      std::size_t& cursor = next[service.resources.id];
      std::size_t seen = 0;
      std::vector<std::string> ids;
      for (const ReplicaPlacement& p : fit.reservation.replicas) {
        if (p.resource_id != service.resources.id) continue;
        if (seen++ == cursor) {
          ids = p.gpu_ids;
          break;
        }
      }
      ++cursor;
      per_replica.push_back(ids);
    }
  }
  return assignment;
}

Status Provider::accept_manifest(const market::LeaseId& id, const std::string& manifest_json) {
  std::lock_guard lock(m_mutex);
  std::string text = market::to_string(id);
  Result<market::Lease> lease = my_active_lease(id);
  if (!lease) return lease.error();
  Result<sdl::Manifest> manifest = sdl::manifest_from_json(manifest_json);
  if (!manifest)
    return make_error(ErrorKind::invalid, "manifest for lease " + text + " is not valid: " +
                                              manifest.error().message);
  Result<market::Deployment> deployment = m_ledger.deployment(id.deployment());
  if (!deployment) return deployment.error();
  std::string version = sdl::manifest_version(*manifest);
  if (version != deployment->hash)
    return make_error(ErrorKind::refused,
                      "manifest version " + version + " does not match deployment " +
                          market::to_string(id.deployment()) + " version " + deployment->hash +
                          ": send the manifest of the SDL the deployment was created or last "
                          "updated with, or update the deployment first (`akt deploy SDL --dseq " +
                          std::to_string(id.dseq) + "`)");
  Result<std::vector<market::Group>> groups = m_ledger.groups(ledger::GroupFilter{
      id.owner, id.dseq, id.gseq, std::nullopt});
  if (!groups) return groups.error();
  if (groups->empty()) return make_error(ErrorKind::not_found, "group of lease " + text + " not found");
  const std::string& group_name = groups->front().spec.name;
  auto group = std::find_if(manifest->begin(), manifest->end(),
                            [&](const sdl::ManifestGroup& g) { return g.name == group_name; });
  if (group == manifest->end())
    return make_error(ErrorKind::invalid, "manifest has no group \"" + group_name + "\" for lease " + text);

  Result<ledger::Height> height = m_ledger.height();
  Status result = ok();
  if (!m_runtime) {
    result = make_error(ErrorKind::unreachable, "provider " + m_config.name +
                                                    " cannot run containers: no Docker engine answers "
                                                    "(start dockerd or set DOCKER_HOST)");
  } else if (m_config.reliability.fail > 0 &&
             draw(height ? *height : 0, "fail/" + text) < m_config.reliability.fail) {
    result = make_error(ErrorKind::provider, "provider " + m_config.name +
                                                 " failed to start the workload (simulated failure, "
                                                 "reliability.fail in sim.yaml)");
  } else {
    Result<runtime::docker::GpuAssignment> gpus = gpus_for(id, *group);
    if (!gpus) result = gpus.error();
    else result = m_runtime->deploy(lease_ref(id), *group, *gpus);
  }
  // Recorded in the memory as it is now: the deploy took a while, and other akt processes
  // may have updated other leases meanwhile.
  Status saved = m_memory_store.update([&](ProviderMemory& now) {
    LeaseMemory& m = now.leases[text];
    if (m.won_at == 0) m.won_at = static_cast<std::int64_t>(lease->created_at);
    if (result) {
      m.manifest_version = version;
      m.manifest_at = height ? static_cast<std::int64_t>(*height) : 0;
      m.last_error.clear();
      m.unhealthy_since = -1;
    } else {
      m.last_error = result.error().message;
    }
  });
  if (!saved && result) return saved;
  if (!result)
    return Error{"provider " + m_config.name + " cannot run lease " + text + ": " +
                     result.error().message,
                 std::nullopt, {}, result.error().kind};
  return ok();
}

Result<TenantLeaseStatus> Provider::lease_status(const market::LeaseId& id) {
  std::lock_guard lock(m_mutex);
  TenantLeaseStatus out;
  Result<ProviderMemory> memory = m_memory_store.load();
  if (memory) {
    auto it = memory->leases.find(market::to_string(id));
    if (it != memory->leases.end()) {
      out.manifest_version = it->second.manifest_version;
      out.last_error = it->second.last_error;
    }
  }
  if (!m_runtime)
    return make_error(ErrorKind::unreachable, "provider " + m_config.name + ": no Docker engine answers");
  Result<runtime::docker::LeaseStatus> status = m_runtime->status(lease_ref(id));
  if (!status) {
    if (status.error().kind != ErrorKind::not_found) return status.error();
    // Nothing in Docker: an empty status whose errors say why.
    out.status.errors.push_back(out.last_error.empty()
                                    ? (out.manifest_version.empty() ? "no manifest received yet"
                                                                     : "no containers found for the lease")
                                    : out.last_error);
    return out;
  }
  out.status = std::move(*status);
  return out;
}

Status Provider::lease_logs(const market::LeaseId& id, const runtime::docker::LeaseLogOptions& options,
                            const runtime::docker::LogLineFn& line) {
  if (!m_runtime)
    return make_error(ErrorKind::unreachable, "provider " + m_config.name + ": no Docker engine answers");
  return m_runtime->logs(lease_ref(id), options, line);
}

Result<int> Provider::lease_exec(const market::LeaseId& id, const std::string& service,
                                 const std::vector<std::string>& argv,
                                 const runtime::docker::ExecIo& io) {
  if (!m_runtime)
    return make_error(ErrorKind::unreachable, "provider " + m_config.name + ": no Docker engine answers");
  if (Result<market::Lease> lease = my_active_lease(id); !lease) return lease.error();
  return m_runtime->exec(lease_ref(id), service, argv, io);
}

Result<std::vector<runtime::docker::LeaseEvent>> Provider::lease_events(const market::LeaseId& id) {
  if (!m_runtime)
    return make_error(ErrorKind::unreachable, "provider " + m_config.name + ": no Docker engine answers");
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  return m_runtime->events(lease_ref(id), 0, now);
}

} // namespace akt::sim
