// The market command families: deployment, group, order, bids, lease, escrow, provider,
// audit. Each acts on the ledger chosen by --ledger (embedded file by default), signs with
// the --from key, and prints text or one JSON document (-o json).
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <sstream>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ledger_util.hpp"
#include "cli/output.hpp"
#include "cli/sim_session.hpp"
#include "cli/tx_util.hpp"
#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"
#include "market/codec.hpp"
#include "market/rank.hpp"
#include "sdl/json.hpp"
#include "sdl/sdl.hpp"

namespace akt::cli {

namespace {

using market::Json;

int fail(const Error& error) {
  print_error(error);
  return exit_code_for(error.kind);
}

void print_json(const Json& doc) { fmt::print("{}\n", doc.dump(2, ' ', false, Json::error_handler_t::replace)); }

// The acting key's address: --from NAME or an akash1… address held in the keyring.
Result<market::Address> from_address(const Context& ctx) {
  Result<std::string> name = acting_key_name(ctx);
  if (!name) return name.error();
  return resolve_address(ctx, *name);
}

// --owner ADDRESS (or key name), else the acting key's address.
Result<market::Address> owner_or_from(const Context& ctx, const std::string& owner) {
  if (!owner.empty()) return resolve_address(ctx, owner);
  Result<market::Address> from = from_address(ctx);
  if (!from) {
    Error e = from.error();
    e.message = "no owner: pass --owner ADDRESS or --from NAME (" + e.message + ")";
    return e;
  }
  return from;
}

// Signs with the acting key; an akash1… --from is mapped to the keyring's name for it.
Result<ledger::TxReceipt> submit(ledger::Ledger& ledger, const Context& ctx, market::Msg msg) {
  Result<std::string> name = acting_key_name(ctx);
  if (!name) return name.error();
  if (name->rfind("akash1", 0) == 0) {
    Result<ledger::KeyInfo> info = keyring(ctx).find_by_address(*name);
    if (!info) return info.error();
    *name = info->name;
  }
  return sign_and_submit(ctx, ledger, *name, std::move(msg));
}

int print_receipt(const Context& ctx, const Result<ledger::TxReceipt>& receipt, const std::string& done) {
  if (!receipt) return fail(receipt.error());
  if (ctx.json()) {
    print_json(receipt_json(*receipt));
  } else {
    fmt::print("{} at height {}\n", done, receipt->height);
    for (const auto& e : receipt->events) fmt::print("  {}\n", market::describe(e));
  }
  return k_exit_ok;
}

// Runs `fn` with an open ledger, turning any error into the exit code.
template <typename Fn>
int with_ledger(const Context& ctx, Fn&& fn) {
  Result<std::unique_ptr<ledger::Ledger>> ledger = open_ledger(ctx);
  if (!ledger) return fail(ledger.error());
  return fn(**ledger);
}

template <typename T>
int print_list(const Context& ctx, const Result<std::vector<T>>& items, const std::function<std::string(const T&)>& line) {
  if (!items) return fail(items.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& item : *items) out.push_back(market::to_json(item));
    print_json(out);
  } else if (items->empty()) {
    fmt::print(stderr, "nothing found\n");
  } else {
    for (const auto& item : *items) fmt::print("{}\n", line(item));
  }
  return k_exit_ok;
}

Result<sdl::Attributes> parse_attributes(const std::vector<std::string>& pairs) {
  sdl::Attributes out;
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(ErrorKind::invalid, "attribute \"" + pair + "\" must read KEY=VALUE");
    }
    out.push_back({pair.substr(0, eq), pair.substr(eq + 1)});
  }
  return out;
}

Result<sdl::Compiled> compile(const std::string& file) {
  sdl::CompileResult result = sdl::compile_file(file);
  if (!result.ok()) {
    for (std::size_t i = 0; i + 1 < result.errors.size(); ++i) print_error(result.errors[i]);
    return result.errors.back();
  }
  return std::move(*result.compiled);
}

std::string bid_line(const market::Bid& b) {
  return fmt::format("{}  {}  {}/block  deposit {}", market::to_string(b.id), market::to_string(b.state),
                     market::format_dec_coin(b.price), market::format_coin(b.deposit));
}
std::string lease_line(const market::Lease& l) {
  std::string text = fmt::format("{}  {}  {}/block  since {}", market::to_string(l.id), market::to_string(l.state),
                                 market::format_dec_coin(l.price), l.created_at);
  if (l.state != market::LeaseState::active) text += fmt::format("  closed {} ({})", l.closed_at, market::to_string(l.reason));
  return text;
}

// ---- ids from flags -----------------------------------------------------------------

struct IdFlags {
  std::string owner;
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
  std::uint32_t oseq = 0;
  std::string provider;
};

void add_owner(CLI::App* cmd, IdFlags& f) { cmd->add_option("--owner", f.owner, "Deployment owner (default: the --from key)"); }
void add_dseq(CLI::App* cmd, IdFlags& f, bool required = true) {
  auto* o = cmd->add_option("--dseq", f.dseq, "Deployment sequence");
  if (required) o->required();
}

// The bid (or lease) a tenant means: --provider on --dseq, narrowed by --gseq/--oseq.
Result<market::BidId> resolve_bid(ledger::Ledger& ledger, const market::Address& owner, const IdFlags& f,
                                  std::optional<market::BidState> state) {
  ledger::BidFilter filter;
  filter.owner = owner;
  filter.dseq = f.dseq;
  filter.provider = f.provider;
  if (f.gseq) filter.gseq = f.gseq;
  if (f.oseq) filter.oseq = f.oseq;
  filter.state = state;
  Result<std::vector<market::Bid>> bids = ledger.bids(filter);
  if (!bids) return bids.error();
  if (bids->empty()) {
    return make_error(ErrorKind::not_found, fmt::format("no {}bid from {} on deployment {}/{}", state ? std::string(market::to_string(*state)) + " " : "",
                                                        f.provider, owner, f.dseq));
  }
  if (bids->size() > 1) {
    return make_error(ErrorKind::invalid, fmt::format("{} bids from {} on deployment {}/{}: pass --gseq and --oseq",
                                                      bids->size(), f.provider, owner, f.dseq));
  }
  return bids->front().id;
}

Result<market::LeaseId> resolve_lease(ledger::Ledger& ledger, const market::Address& owner, const IdFlags& f) {
  ledger::LeaseFilter filter;
  filter.owner = owner;
  filter.dseq = f.dseq;
  if (!f.provider.empty()) filter.provider = f.provider;
  if (f.gseq) filter.gseq = f.gseq;
  if (f.oseq) filter.oseq = f.oseq;
  Result<std::vector<market::Lease>> leases = ledger.leases(filter);
  if (!leases) return leases.error();
  // Prefer the active lease when several orders of the deployment were leased.
  std::vector<market::Lease> active;
  for (const auto& l : *leases) if (l.state == market::LeaseState::active) active.push_back(l);
  const std::vector<market::Lease>& pick = active.empty() ? *leases : active;
  if (pick.empty()) {
    std::string from = f.provider.empty() ? "" : " from " + f.provider;
    return make_error(ErrorKind::not_found, fmt::format("no lease{} on deployment {}/{}", from, owner, f.dseq));
  }
  if (pick.size() > 1) {
    std::string which;
    for (const market::Lease& l : pick) which += "\n  " + market::to_string(l.id);
    return make_error(ErrorKind::invalid, "several leases match; pick one with --provider, --gseq and --oseq:" + which);
  }
  return pick.front().id;
}

// ---- deployment ---------------------------------------------------------------------

void add_deployment(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("deployment", "Create, inspect, update and close deployments");
  cmd->alias("deployments");
  cmd->require_subcommand(1);
  cmd->fallthrough();

  struct CreateArgs { std::string file; std::uint64_t dseq = 0; std::string deposit; };
  auto create_args = std::make_shared<CreateArgs>();
  auto* create = cmd->add_subcommand("create", "Post an SDL as a new deployment (one order per group)");
  create->fallthrough();
  create->add_option("sdl", create_args->file, "SDL file")->required();
  create->add_option("--dseq", create_args->dseq, "Deployment sequence (default: the current height)");
  create->add_option("--deposit", create_args->deposit, "Escrow deposit, e.g. 5000000uakt (default: the minimum)");
  create->callback([create_args, &ctx] {
    ctx.selected = [create_args, &ctx] {
      Result<sdl::Compiled> compiled = compile(create_args->file);
      if (!compiled) return fail(compiled.error());
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = from_address(ctx);
        if (!owner) return fail(owner.error());
        Result<ledger::ChainInfo> info = ledger.info();
        if (!info) return fail(info.error());
        std::uint64_t dseq = create_args->dseq != 0 ? create_args->dseq : std::max<std::uint64_t>(info->height, 1);
        std::string denom = compiled->groups.empty() || compiled->groups[0].resources.empty()
                                ? "uakt" : compiled->groups[0].resources[0].price.denom;
        market::Coin deposit{denom, info->params.min_deposit};
        if (!create_args->deposit.empty()) {
          Result<market::Coin> parsed = market::parse_coin(create_args->deposit);
          if (!parsed) return fail(parsed.error());
          deposit = *parsed;
        }
        market::MsgCreateDeployment msg{{*owner, dseq}, compiled->groups, sdl::manifest_version(compiled->manifest), deposit};
        return print_receipt(ctx, submit(ledger, ctx, msg), fmt::format("deployment {}/{} created", *owner, dseq));
      });
    };
  });

  struct ListArgs { IdFlags id; std::string state; };
  auto list_args = std::make_shared<ListArgs>();
  auto* list = cmd->add_subcommand("list", "List deployments");
  list->fallthrough();
  add_owner(list, list_args->id);
  list->add_option("--state", list_args->state, "active or closed");
  list->callback([list_args, &ctx] {
    ctx.selected = [list_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        ledger::DeploymentFilter filter;
        if (!list_args->id.owner.empty()) filter.owner = list_args->id.owner;
        else if (Result<market::Address> from = from_address(ctx)) filter.owner = *from;
        if (!list_args->state.empty()) {
          filter.state = market::deployment_state_from(list_args->state);
          if (!filter.state) return fail(make_error(ErrorKind::invalid, "--state must be active or closed"));
        }
        return print_list<market::Deployment>(ctx, ledger.deployments(filter), [](const market::Deployment& d) {
          return fmt::format("{}  {}  version {}  created at {}", market::to_string(d.id), market::to_string(d.state),
                             d.hash.substr(0, 12), d.created_at);
        });
      });
    };
  });

  auto show_args = std::make_shared<IdFlags>();
  auto* show = cmd->add_subcommand("show", "Show a deployment with its groups, orders, leases and escrow");
  show->fallthrough();
  add_owner(show, *show_args);
  add_dseq(show, *show_args);
  show->callback([show_args, &ctx] {
    ctx.selected = [show_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, show_args->owner);
        if (!owner) return fail(owner.error());
        market::DeploymentId id{*owner, show_args->dseq};
        Result<market::Deployment> d = ledger.deployment(id);
        if (!d) return fail(d.error());
        Result<std::vector<market::Group>> groups = ledger.groups({*owner, id.dseq, {}, {}});
        Result<std::vector<market::Order>> orders = ledger.orders({*owner, id.dseq, {}, {}, {}});
        Result<std::vector<market::Lease>> leases = ledger.leases({*owner, id.dseq, {}, {}, {}, {}});
        Result<ledger::EscrowView> escrow = ledger.escrow(id);
        if (!groups) return fail(groups.error());
        if (!orders) return fail(orders.error());
        if (!leases) return fail(leases.error());
        if (!escrow) return fail(escrow.error());
        if (ctx.json()) {
          Json doc = {{"deployment", market::to_json(*d)}, {"groups", Json::array()}, {"orders", Json::array()},
                      {"leases", Json::array()}, {"escrow", market::to_json(escrow->account)}};
          for (const auto& g : *groups) doc["groups"].push_back(market::to_json(g));
          for (const auto& o : *orders) doc["orders"].push_back(market::to_json(o));
          for (const auto& l : *leases) doc["leases"].push_back(market::to_json(l));
          print_json(doc);
          return k_exit_ok;
        }
        fmt::print("deployment {}  {}  version {}\n", market::to_string(d->id), market::to_string(d->state), d->hash);
        for (const auto& g : *groups) fmt::print("  group {} ({})  {}\n", g.id.gseq, g.spec.name, market::to_string(g.state));
        for (const auto& o : *orders) fmt::print("  order {}  {}\n", market::to_string(o.id), market::to_string(o.state));
        for (const auto& l : *leases) fmt::print("  lease {}\n", lease_line(l));
        fmt::print("  escrow {}{}  ({})\n", escrow->account.balance, escrow->account.denom,
                   market::to_string(escrow->account.state));
        return k_exit_ok;
      });
    };
  });

  struct UpdateArgs { std::string file; IdFlags id; };
  auto update_args = std::make_shared<UpdateArgs>();
  auto* update = cmd->add_subcommand("update", "Send a new manifest version (resources cannot change)");
  update->fallthrough();
  update->add_option("sdl", update_args->file, "SDL file")->required();
  add_owner(update, update_args->id);
  add_dseq(update, update_args->id);
  update->callback([update_args, &ctx] {
    ctx.selected = [update_args, &ctx] {
      Result<sdl::Compiled> compiled = compile(update_args->file);
      if (!compiled) return fail(compiled.error());
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, update_args->id.owner);
        if (!owner) return fail(owner.error());
        market::MsgUpdateDeployment msg{{*owner, update_args->id.dseq}, compiled->groups,
                                        sdl::manifest_version(compiled->manifest)};
        return print_receipt(ctx, submit(ledger, ctx, msg), "deployment updated");
      });
    };
  });

  auto close_args = std::make_shared<IdFlags>();
  auto* close = cmd->add_subcommand("close", "Close a deployment: pay providers, refund the rest");
  close->fallthrough();
  add_owner(close, *close_args);
  add_dseq(close, *close_args);
  close->callback([close_args, &ctx] {
    ctx.selected = [close_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, close_args->owner);
        if (!owner) return fail(owner.error());
        return print_receipt(ctx, submit(ledger, ctx, market::MsgCloseDeployment{{*owner, close_args->dseq}}),
                             "deployment closed");
      });
    };
  });

  struct DepositArgs { IdFlags id; std::string amount; };
  auto deposit_args = std::make_shared<DepositArgs>();
  auto* deposit = cmd->add_subcommand("deposit", "Add funds to a deployment's escrow (anyone may)");
  deposit->fallthrough();
  add_owner(deposit, deposit_args->id);
  add_dseq(deposit, deposit_args->id);
  deposit->add_option("amount", deposit_args->amount, "Amount, e.g. 5000000uakt")->required();
  deposit->callback([deposit_args, &ctx] {
    ctx.selected = [deposit_args, &ctx] {
      Result<market::Coin> amount = market::parse_coin(deposit_args->amount);
      if (!amount) return fail(amount.error());
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, deposit_args->id.owner);
        if (!owner) return fail(owner.error());
        return print_receipt(ctx, submit(ledger, ctx, market::MsgDeposit{{*owner, deposit_args->id.dseq}, *amount}),
                             "deposit added");
      });
    };
  });
}

// ---- group ----------------------------------------------------------------------------

void add_group(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("group", "Pause, start or close a deployment's group");
  cmd->alias("groups");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  const char* names[] = {"pause", "start", "close"};
  const char* help[] = {"Pause a group: close its order, bids and lease", "Start a paused group: open a new order",
                        "Close a group for good"};
  for (int i = 0; i < 3; ++i) {
    auto args = std::make_shared<IdFlags>();
    auto* sub = cmd->add_subcommand(names[i], help[i]);
    sub->fallthrough();
    add_owner(sub, *args);
    add_dseq(sub, *args);
    sub->add_option("--gseq", args->gseq, "Group sequence")->required();
    sub->callback([args, &ctx, i] {
      ctx.selected = [args, &ctx, i] {
        return with_ledger(ctx, [&](ledger::Ledger& ledger) {
          Result<market::Address> owner = owner_or_from(ctx, args->owner);
          if (!owner) return fail(owner.error());
          market::GroupId id{*owner, args->dseq, args->gseq};
          market::Msg msg = i == 0 ? market::Msg(market::MsgPauseGroup{id})
                          : i == 1 ? market::Msg(market::MsgStartGroup{id})
                                   : market::Msg(market::MsgCloseGroup{id});
          return print_receipt(ctx, submit(ledger, ctx, msg), "group " + market::to_string(id) + " updated");
        });
      };
    });
  }
}

// ---- order ----------------------------------------------------------------------------

void add_order(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("order", "List orders");
  cmd->alias("orders");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  struct Args { IdFlags id; std::string state; };
  auto args = std::make_shared<Args>();
  auto* list = cmd->add_subcommand("list", "List orders (every group, every order)");
  list->fallthrough();
  add_owner(list, args->id);
  add_dseq(list, args->id, false);
  list->add_option("--state", args->state, "open, active or closed");
  list->callback([args, &ctx] {
    ctx.selected = [args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        ledger::OrderFilter filter;
        if (!args->id.owner.empty()) filter.owner = args->id.owner;
        if (args->id.dseq) filter.dseq = args->id.dseq;
        if (!args->state.empty()) {
          filter.state = market::order_state_from(args->state);
          if (!filter.state) return fail(make_error(ErrorKind::invalid, "--state must be open, active or closed"));
        }
        return print_list<market::Order>(ctx, ledger.orders(filter), [](const market::Order& o) {
          return fmt::format("{}  {}  opened at {}", market::to_string(o.id), market::to_string(o.state), o.created_at);
        });
      });
    };
  });
}

// ---- bids -----------------------------------------------------------------------------

// What ranking knows about each bidder, from three small queries per distinct provider
// (a bid list names few providers), never from the whole market.
Result<std::map<market::Address, market::BidderInfo>> bidder_infos(ledger::Ledger& ledger,
                                                                   const std::vector<market::Bid>& bids) {
  std::map<market::Address, market::BidderInfo> out;
  for (const auto& b : bids) {
    const market::Address& address = b.id.provider;
    if (out.count(address)) continue;
    Result<market::Provider> record = ledger.provider(address);
    if (!record && record.error().kind != ErrorKind::not_found) return record.error();
    Result<std::vector<market::AuditorSignature>> audits = ledger.audits({address, {}});
    if (!audits) return audits.error();
    Result<market::ProviderStats> stats = ledger.provider_stats(address);
    if (!stats) return stats.error();
    out.emplace(address, market::bidder_info(address, record ? &*record : nullptr, *audits, *stats));
  }
  return out;
}

// An order without bids and what each provider decided about it.
struct Declined {
  market::Order order;
  std::vector<sim::OrderDecision> decisions;
};

// Orders without any bid: every order of a deployment given by --dseq, otherwise the open
// ones. The providers' decisions come from the local decision files and, when served, each
// provider's API (signed with the --from key when there is one).
Result<std::vector<Declined>> declined_orders(const Context& ctx, ledger::Ledger& ledger, const IdFlags& id) {
  ledger::OrderFilter of;
  bool has_key = static_cast<bool>(acting_key_name(ctx));
  std::string owner = id.owner;
  if (!owner.empty()) {
    if (Result<market::Address> resolved = resolve_address(ctx, owner)) owner = *resolved;
  } else if (has_key) {
    if (Result<market::Address> from = from_address(ctx)) owner = *from;
  }
  if (!owner.empty()) of.owner = owner;
  if (id.dseq) of.dseq = id.dseq;
  else of.state = market::OrderState::open;
  Result<std::vector<market::Order>> orders = ledger.orders(of);
  if (!orders) return orders.error();
  std::vector<Declined> out;
  std::unique_ptr<SimSession> session;
  std::optional<ledger::PrivateKey> key;
  std::map<market::DeploymentId, std::vector<sim::OrderDecision>> per_deployment;
  for (const market::Order& order : *orders) {
    ledger::BidFilter bf;
    bf.owner = order.id.owner;
    bf.dseq = order.id.dseq;
    bf.gseq = order.id.gseq;
    bf.oseq = order.id.oseq;
    Result<std::vector<market::Bid>> any = ledger.bids(bf);
    if (!any) return any.error();
    if (!any->empty()) continue;
    if (!session) {
      Result<std::unique_ptr<SimSession>> opened = open_sim_session(ctx, WithMarket::no);
      if (!opened) return opened.error();
      session = std::move(*opened);
      if (has_key)
        if (Result<ledger::PrivateKey> k = tenant_key(ctx)) key = std::move(*k);
    }
    market::DeploymentId dep{order.id.owner, order.id.dseq};
    auto found = per_deployment.find(dep);
    if (found == per_deployment.end())
      found = per_deployment.emplace(dep, collect_decisions(*session, dep.owner, dep.dseq, key ? &*key : nullptr)).first;
    Declined d{order, {}};
    for (const sim::OrderDecision& decision : found->second)
      if (!decision.bid && decision.gseq == order.id.gseq && decision.oseq == order.id.oseq)
        d.decisions.push_back(decision);
    out.push_back(std::move(d));
  }
  return out;
}

Json declined_json(const Declined& d) {
  Json item = {{"order", market::to_json(d.order.id)}, {"state", market::to_string(d.order.state)},
               {"bids", 0}, {"declined", Json::array()}};
  for (const sim::OrderDecision& x : d.decisions)
    item["declined"].push_back({{"provider", x.provider}, {"provider_name", x.provider_name},
                                {"height", x.height}, {"reason", x.reason}});
  return item;
}

void print_declined(const std::vector<Declined>& declined) {
  for (const Declined& d : declined) {
    fmt::print("order {} ({}): no bids\n", market::to_string(d.order.id), market::to_string(d.order.state));
    if (d.decisions.empty())
      fmt::print("  no provider has decided on it yet (no simulated provider saw it, or none answered)\n");
    for (const sim::OrderDecision& x : d.decisions)
      fmt::print("  declined by {}: {}\n", provider_text(x.provider_name, x.provider), x.reason);
  }
}

void add_bids(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("bids", "List, rank, create and close bids");
  cmd->alias("bid");
  cmd->require_subcommand(1);
  cmd->fallthrough();

  struct ListArgs { IdFlags id; std::string state; bool rank = false; std::string policy; bool explain = false; };
  auto args = std::make_shared<ListArgs>();
  auto* list = cmd->add_subcommand("list", "List bids over every group and order; --rank orders them by a policy");
  list->fallthrough();
  add_owner(list, args->id);
  add_dseq(list, args->id, false);
  list->add_option("--provider", args->id.provider, "Only this provider's bids");
  list->add_option("--state", args->state, "open, active, lost or closed");
  list->add_flag("--rank", args->rank, "Rank the bids of each order (default policy: lowest price)");
  list->add_option("--policy", args->policy, "Ranking policy file (YAML or JSON); implies --rank");
  list->add_flag("--explain", args->explain, "Say why each bid ranks where it does; implies --rank");
  list->callback([args, &ctx] {
    ctx.selected = [args, &ctx] {
      market::Policy policy = market::default_policy();
      if (!args->policy.empty()) {
        std::ifstream in(args->policy);
        if (!in) return fail(make_error(ErrorKind::not_found, "cannot read policy file " + args->policy));
        std::stringstream text;
        text << in.rdbuf();
        Result<market::Policy> parsed = market::parse_policy(text.str(), args->policy);
        if (!parsed) return fail(parsed.error());
        policy = *parsed;
      }
      bool ranked = args->rank || args->explain || !args->policy.empty();
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        ledger::BidFilter filter;
        if (!args->id.owner.empty()) filter.owner = args->id.owner;
        if (args->id.dseq) filter.dseq = args->id.dseq;
        if (!args->id.provider.empty()) filter.provider = args->id.provider;
        if (!args->state.empty()) {
          filter.state = market::bid_state_from(args->state);
          if (!filter.state) return fail(make_error(ErrorKind::invalid, "--state must be open, active, lost or closed"));
        }
        // Only open bids can still be leased, so ranking looks at those unless told otherwise.
        if (ranked && !filter.state) filter.state = market::BidState::open;
        Result<std::vector<market::Bid>> bids = ledger.bids(filter);
        if (!bids) return fail(bids.error());
        // Orders nobody bid on, with each provider's reason, unless the list is narrowed to
        // one provider or state (then "no bids" would not mean nobody bid).
        std::vector<Declined> declined;
        if (args->id.provider.empty() && args->state.empty()) {
          Result<std::vector<Declined>> found = declined_orders(ctx, ledger, args->id);
          if (!found) return fail(found.error());
          declined = std::move(*found);
        }
        if (!ranked) {
          if (ctx.json()) {
            Json out = Json::array();
            for (const auto& b : *bids) out.push_back(market::to_json(b));
            for (const Declined& d : declined) out.push_back(declined_json(d));
            print_json(out);
            return k_exit_ok;
          }
          if (bids->empty() && declined.empty()) fmt::print(stderr, "nothing found\n");
          for (const auto& b : *bids) fmt::print("{}\n", bid_line(b));
          print_declined(declined);
          return k_exit_ok;
        }
        Result<std::map<market::Address, market::BidderInfo>> bidders = bidder_infos(ledger, *bids);
        if (!bidders) return fail(bidders.error());
        Json out = Json::array();
        for (const auto& [order, ranking] : market::rank_orders(std::move(*bids), *bidders, policy)) {
          if (!ctx.json()) fmt::print("order {}\n", market::to_string(order));
          int place = 0;
          for (const auto& r : ranking) {
            ++place;
            std::string why = args->explain ? market::explain(r, policy) : std::string();
            if (ctx.json()) {
              Json item = {{"order", market::to_json(order)}, {"rank", place}, {"bid", market::to_json(r.id)},
                           {"price", market::to_json(r.price)}, {"eligible", r.eligible},
                           {"score", std::to_string(r.score)}};
              if (args->explain) item["explanation"] = why;
              out.push_back(item);
            } else {
              fmt::print("  {}. {}  {}/block{}\n", place, r.id.provider, market::format_dec_coin(r.price),
                         args->explain ? "  — " + why : (r.eligible ? "" : "  (excluded)"));
            }
          }
        }
        if (ctx.json()) {
          for (const Declined& d : declined) out.push_back(declined_json(d));
          print_json(out);
        } else {
          print_declined(declined);
        }
        return k_exit_ok;
      });
    };
  });

  struct CreateArgs { IdFlags id; std::string price; std::string deposit = "500000uakt"; };
  auto create_args = std::make_shared<CreateArgs>();
  auto* create = cmd->add_subcommand("create", "Bid on an order as the --from provider");
  create->fallthrough();
  create->add_option("--owner", create_args->id.owner, "Deployment owner")->required();
  add_dseq(create, create_args->id);
  create->add_option("--gseq", create_args->id.gseq, "Group sequence")->default_val(1);
  create->add_option("--oseq", create_args->id.oseq, "Order sequence")->default_val(1);
  create->add_option("--price", create_args->price, "Price per block, e.g. 1.5uakt")->required();
  create->add_option("--deposit", create_args->deposit, "Bid deposit")->capture_default_str();
  create->callback([create_args, &ctx] {
    ctx.selected = [create_args, &ctx] {
      Result<market::DecCoin> price = market::parse_dec_coin(create_args->price);
      if (!price) return fail(price.error());
      Result<market::Coin> deposit = market::parse_coin(create_args->deposit);
      if (!deposit) return fail(deposit.error());
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> provider = from_address(ctx);
        if (!provider) return fail(provider.error());
        const IdFlags& f = create_args->id;
        market::MsgCreateBid msg{{f.owner, f.dseq, f.gseq, f.oseq}, *provider, *price, *deposit};
        return print_receipt(ctx, submit(ledger, ctx, msg), "bid created");
      });
    };
  });

  auto close_args = std::make_shared<IdFlags>();
  auto* close = cmd->add_subcommand("close", "Close the --from provider's bid");
  close->fallthrough();
  close->add_option("--owner", close_args->owner, "Deployment owner")->required();
  add_dseq(close, *close_args);
  close->add_option("--gseq", close_args->gseq, "Group sequence")->default_val(1);
  close->add_option("--oseq", close_args->oseq, "Order sequence")->default_val(1);
  auto close_reason = std::make_shared<std::string>("unspecified");
  close->add_option("--reason", *close_reason,
                    "Why a running lease is given up: unstable, decommission, unspecified, manifest_timeout")
      ->check(CLI::IsMember({"unstable", "decommission", "unspecified", "manifest_timeout"}))
      ->default_val("unspecified");
  close->callback([close_args, close_reason, &ctx] {
    ctx.selected = [close_args, close_reason, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> provider = from_address(ctx);
        if (!provider) return fail(provider.error());
        const IdFlags& f = *close_args;
        market::CloseReason reason = market::close_reason_from(*close_reason).value_or(market::CloseReason::unspecified);
        return print_receipt(ctx,
                             submit(ledger, ctx, market::MsgCloseBid{{f.owner, f.dseq, f.gseq, f.oseq, *provider}, reason}),
                             "bid closed");
      });
    };
  });
}

// ---- lease ----------------------------------------------------------------------------

void add_lease(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("lease", "Create, inspect, close and withdraw from leases");
  cmd->alias("leases");
  cmd->require_subcommand(1);
  cmd->fallthrough();

  auto add_lease_flags = [](CLI::App* sub, IdFlags& f, bool provider_required) {
    add_owner(sub, f);
    add_dseq(sub, f);
    auto* p = sub->add_option("--provider", f.provider,
                              provider_required ? "Provider address" : "Provider address (default: the only active lease)");
    if (provider_required) p->required();
    sub->add_option("--gseq", f.gseq, "Group sequence (when several match)");
    sub->add_option("--oseq", f.oseq, "Order sequence (when several match)");
  };

  auto create_args = std::make_shared<IdFlags>();
  auto* create = cmd->add_subcommand("create", "Accept a provider's open bid");
  create->fallthrough();
  add_lease_flags(create, *create_args, true);
  create->callback([create_args, &ctx] {
    ctx.selected = [create_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = from_address(ctx);
        if (!owner) return fail(owner.error());
        Result<market::BidId> bid = resolve_bid(ledger, *owner, *create_args, market::BidState::open);
        if (!bid) return fail(bid.error());
        return print_receipt(ctx, submit(ledger, ctx, market::MsgCreateLease{*bid}), "lease " + market::to_string(*bid) + " created");
      });
    };
  });

  struct ListArgs { IdFlags id; std::string state; };
  auto list_args = std::make_shared<ListArgs>();
  auto* list = cmd->add_subcommand("list", "List leases");
  list->fallthrough();
  add_owner(list, list_args->id);
  add_dseq(list, list_args->id, false);
  list->add_option("--provider", list_args->id.provider, "Only this provider's leases");
  list->add_option("--state", list_args->state, "active, insufficient_funds or closed");
  list->callback([list_args, &ctx] {
    ctx.selected = [list_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        ledger::LeaseFilter filter;
        if (!list_args->id.owner.empty()) filter.owner = list_args->id.owner;
        if (list_args->id.dseq) filter.dseq = list_args->id.dseq;
        if (!list_args->id.provider.empty()) filter.provider = list_args->id.provider;
        if (!list_args->state.empty()) {
          filter.state = market::lease_state_from(list_args->state);
          if (!filter.state) return fail(make_error(ErrorKind::invalid, "--state must be active, insufficient_funds or closed"));
        }
        return print_list<market::Lease>(ctx, ledger.leases(filter), lease_line);
      });
    };
  });

  auto show_args = std::make_shared<IdFlags>();
  auto* show = cmd->add_subcommand("show", "Show one lease and its payment");
  show->fallthrough();
  add_lease_flags(show, *show_args, false);
  show->callback([show_args, &ctx] {
    ctx.selected = [show_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, show_args->owner);
        if (!owner) return fail(owner.error());
        Result<market::LeaseId> id = resolve_lease(ledger, *owner, *show_args);
        if (!id) return fail(id.error());
        ledger::LeaseFilter filter{id->owner, id->dseq, id->gseq, id->oseq, id->provider, {}};
        Result<std::vector<market::Lease>> leases = ledger.leases(filter);
        if (!leases) return fail(leases.error());
        Result<ledger::EscrowView> escrow = ledger.escrow(id->deployment());
        if (!escrow) return fail(escrow.error());
        const market::Lease& lease = leases->front();
        const market::Payment* payment = nullptr;
        for (const auto& p : escrow->payments) if (p.id == *id) payment = &p;
        if (ctx.json()) {
          Json doc = {{"lease", market::to_json(lease)}};
          if (payment) doc["payment"] = market::to_json(*payment);
          print_json(doc);
        } else {
          fmt::print("{}\n", lease_line(lease));
          if (payment) fmt::print("  earned {}{}, withdrawn {}{}\n", payment->balance, payment->rate.denom,
                                  payment->withdrawn, payment->rate.denom);
        }
        return k_exit_ok;
      });
    };
  });

  auto close_args = std::make_shared<IdFlags>();
  auto* close = cmd->add_subcommand("close", "Close a lease (the group re-opens an order)");
  close->fallthrough();
  add_lease_flags(close, *close_args, false);
  close->callback([close_args, &ctx] {
    ctx.selected = [close_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> owner = owner_or_from(ctx, close_args->owner);
        if (!owner) return fail(owner.error());
        Result<market::LeaseId> id = resolve_lease(ledger, *owner, *close_args);
        if (!id) return fail(id.error());
        return print_receipt(ctx, submit(ledger, ctx, market::MsgCloseLease{*id, market::CloseReason::none}), "lease closed");
      });
    };
  });

  auto withdraw_args = std::make_shared<IdFlags>();
  auto* withdraw = cmd->add_subcommand("withdraw", "As the provider, withdraw what a lease has earned");
  withdraw->fallthrough();
  withdraw->add_option("--owner", withdraw_args->owner, "Deployment owner")->required();
  add_dseq(withdraw, *withdraw_args);
  withdraw->add_option("--gseq", withdraw_args->gseq, "Group sequence");
  withdraw->add_option("--oseq", withdraw_args->oseq, "Order sequence");
  withdraw->callback([withdraw_args, &ctx] {
    ctx.selected = [withdraw_args, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Address> provider = from_address(ctx);
        if (!provider) return fail(provider.error());
        IdFlags f = *withdraw_args;
        f.provider = *provider;
        Result<market::LeaseId> id = resolve_lease(ledger, f.owner, f);
        if (!id) return fail(id.error());
        return print_receipt(ctx, submit(ledger, ctx, market::MsgWithdraw{*id}), "withdrawn");
      });
    };
  });
}

// ---- escrow ---------------------------------------------------------------------------

void add_escrow(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("escrow", "Show a deployment's escrow and how long it lasts");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  for (int i = 0; i < 2; ++i) {
    auto args = std::make_shared<IdFlags>();
    auto* sub = cmd->add_subcommand(i == 0 ? "show" : "runway",
                                    i == 0 ? "Escrow account and payments, settled to now (read-only)"
                                           : "Blocks and time the escrow still covers at the current rates");
    sub->fallthrough();
    add_owner(sub, *args);
    add_dseq(sub, *args);
    sub->callback([args, &ctx, i] {
      ctx.selected = [args, &ctx, i] {
        return with_ledger(ctx, [&](ledger::Ledger& ledger) {
          Result<market::Address> owner = owner_or_from(ctx, args->owner);
          if (!owner) return fail(owner.error());
          Result<ledger::EscrowView> view = ledger.escrow({*owner, args->dseq});
          if (!view) return fail(view.error());
          Result<ledger::ChainInfo> info = ledger.info();
          if (!info) return fail(info.error());
          std::optional<std::uint64_t> seconds;
          if (view->runway_blocks) {
            util::uint128 ms = static_cast<util::uint128>(*view->runway_blocks) * info->block_interval_ms;
            seconds = ms / 1000 > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(ms / 1000);
          }
          if (ctx.json()) {
            Json doc = {{"height", std::to_string(view->height)}, {"account", market::to_json(view->account)},
                        {"burn_rate", market::to_json(view->burn_rate)}, {"overdrawn", view->overdrawn},
                        {"runway_blocks", view->runway_blocks ? Json(std::to_string(*view->runway_blocks)) : Json(nullptr)},
                        {"runway_seconds", seconds ? Json(std::to_string(*seconds)) : Json(nullptr)}};
            if (i == 0) {
              doc["payments"] = Json::array();
              for (const auto& p : view->payments) doc["payments"].push_back(market::to_json(p));
            }
            print_json(doc);
            return k_exit_ok;
          }
          const market::Account& a = view->account;
          fmt::print("escrow {}  {}  balance {}{} at height {}\n", a.id, market::to_string(a.state), a.balance, a.denom,
                     view->height);
          if (i == 0) {
            for (const auto& d : a.deposits) fmt::print("  deposit {}{} from {}\n", d.amount, a.denom, d.depositor);
            for (const auto& p : view->payments) {
              fmt::print("  payment {}  {}/block  earned {}  withdrawn {}  {}\n", market::to_string(p.id),
                         market::format_dec_coin(p.rate), p.balance, p.withdrawn, market::to_string(p.state));
            }
          }
          fmt::print("burn rate {}/block; ", market::format_dec_coin(view->burn_rate));
          if (view->overdrawn) fmt::print("overdrawn: the deployment closes at its next settlement\n");
          else if (!view->runway_blocks) fmt::print("nothing is being charged\n");
          else fmt::print("runway {} blocks (about {} s)\n", *view->runway_blocks, *seconds);
          return k_exit_ok;
        });
      };
    });
  }
}

// ---- provider and audit -----------------------------------------------------------------

void add_provider(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("provider", "Register, update and inspect providers");
  cmd->alias("providers");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  for (int i = 0; i < 2; ++i) {
    struct Args { std::string host_uri; std::vector<std::string> attributes; std::string email; std::string website; };
    auto args = std::make_shared<Args>();
    auto* sub = cmd->add_subcommand(i == 0 ? "register" : "update",
                                    i == 0 ? "Register the --from key as a provider" : "Update the --from provider");
    sub->fallthrough();
    sub->add_option("--host-uri", args->host_uri, "Provider API URI")->required();
    sub->add_option("--attr,--attribute", args->attributes, "KEY=VALUE attribute (repeatable)");
    sub->add_option("--email", args->email, "Contact email");
    sub->add_option("--website", args->website, "Website");
    sub->callback([args, &ctx, i] {
      ctx.selected = [args, &ctx, i] {
        Result<sdl::Attributes> attributes = parse_attributes(args->attributes);
        if (!attributes) return fail(attributes.error());
        return with_ledger(ctx, [&](ledger::Ledger& ledger) {
          market::ProviderInfo info{args->email, args->website};
          market::Msg msg = i == 0 ? market::Msg(market::MsgRegisterProvider{args->host_uri, *attributes, info})
                                   : market::Msg(market::MsgUpdateProvider{args->host_uri, *attributes, info});
          return print_receipt(ctx, submit(ledger, ctx, msg), i == 0 ? "provider registered" : "provider updated");
        });
      };
    });
  }
  auto* list = cmd->add_subcommand("list", "List providers");
  list->fallthrough();
  list->callback([&ctx] {
    ctx.selected = [&ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        return print_list<market::Provider>(ctx, ledger.providers(), [](const market::Provider& p) {
          std::string attrs;
          for (const auto& a : p.attributes) attrs += " " + a.key + "=" + a.value;
          return fmt::format("{}  {}{}", p.owner, p.host_uri, attrs);
        });
      });
    };
  });
  auto address = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "Show a provider, its audits and lease history");
  show->fallthrough();
  show->add_option("address", *address, "Provider address")->required();
  show->callback([address, &ctx] {
    ctx.selected = [address, &ctx] {
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        Result<market::Provider> p = ledger.provider(*address);
        if (!p) return fail(p.error());
        Result<std::vector<market::AuditorSignature>> audits = ledger.audits({*address, {}});
        if (!audits) return fail(audits.error());
        Result<market::ProviderStats> stats = ledger.provider_stats(*address);
        if (!stats) return fail(stats.error());
        if (ctx.json()) {
          Json doc = {{"provider", market::to_json(*p)}, {"audits", Json::array()},
                      {"leases", {{"total", stats->leases}, {"active", stats->active},
                                  {"completed", stats->completed}, {"closed_by_provider", stats->closed_by_provider}}}};
          for (const auto& a : *audits) doc["audits"].push_back(market::to_json(a));
          print_json(doc);
          return k_exit_ok;
        }
        fmt::print("provider {}  {}\n", p->owner, p->host_uri);
        for (const auto& a : p->attributes) fmt::print("  {}={}\n", a.key, a.value);
        for (const auto& a : *audits) fmt::print("  audited by {} ({} attributes)\n", a.auditor, a.attributes.size());
        fmt::print("  leases: {} total, {} active, {} completed, {} closed by the provider\n", stats->leases, stats->active,
                   stats->completed, stats->closed_by_provider);
        return k_exit_ok;
      });
    };
  });
}

void add_audit(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("audit", "Sign a provider's attributes as an auditor");
  cmd->alias("audits");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  struct Args { std::string provider; std::vector<std::string> attributes; };
  auto args = std::make_shared<Args>();
  auto* sign = cmd->add_subcommand("sign", "Vouch for PROVIDER's KEY=VALUE attributes as the --from key");
  sign->fallthrough();
  sign->add_option("provider", args->provider, "Provider address")->required();
  sign->add_option("attributes", args->attributes, "KEY=VALUE attributes");
  sign->callback([args, &ctx] {
    ctx.selected = [args, &ctx] {
      Result<sdl::Attributes> attributes = parse_attributes(args->attributes);
      if (!attributes) return fail(attributes.error());
      return with_ledger(ctx, [&](ledger::Ledger& ledger) {
        return print_receipt(ctx, submit(ledger, ctx, market::MsgSignProviderAttributes{args->provider, *attributes}),
                             "attributes signed");
      });
    };
  });
}

} // namespace

void add_market_commands(CLI::App& app, Context& ctx) {
  add_deployment(app, ctx);
  add_group(app, ctx);
  add_order(app, ctx);
  add_bids(app, ctx);
  add_lease(app, ctx);
  add_escrow(app, ctx);
  add_provider(app, ctx);
  add_audit(app, ctx);
}

} // namespace akt::cli
