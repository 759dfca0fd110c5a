// `akt deploy SDL`: the whole tenant flow in one command (sim/deploy.hpp), in either shape.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/sim_session.hpp"
#include "market/codec.hpp"
#include "sdl/json.hpp"
#include "sdl/sdl.hpp"
#include "sim/config.hpp"
#include "sim/deploy.hpp"

namespace akt::cli {
namespace {

struct DeployFlags {
  std::string sdl;
  std::uint64_t dseq = 0;
  std::string deposit = "5000000uakt";
  std::string bid_window = "5s";
  std::vector<std::string> select{"cheapest"};
  std::string timeout = "120s";
  std::string on_failure = "close";
  unsigned attempts = 3;
};

// "5s", "1m30s", "500ms" → milliseconds.
std::optional<std::chrono::milliseconds> parse_ms(const std::string& text) {
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size() - 2, n);
    if (ec != std::errc() || p != text.data() + text.size() - 2 || n > 86'400'000) return std::nullopt;
    return std::chrono::milliseconds(n);
  }
  std::optional<std::chrono::seconds> s = sim::parse_duration(text);
  if (!s) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*s);
}

Result<sim::DeployOptions> deploy_options(const DeployFlags& f, const CLI::App& cmd) {
  sim::DeployOptions o;
  if (cmd.count("--dseq")) o.dseq = f.dseq;
  Result<market::Coin> deposit = market::parse_coin(f.deposit);
  if (!deposit) return Error{"--deposit: " + deposit.error().message, std::nullopt, {}, ErrorKind::invalid};
  o.deposit = *deposit;
  std::optional<std::chrono::milliseconds> window = parse_ms(f.bid_window);
  std::optional<std::chrono::milliseconds> timeout = parse_ms(f.timeout);
  if (!window) return make_error(ErrorKind::invalid, "--bid-window: expected a duration like 5s, got \"" + f.bid_window + "\"");
  if (!timeout) return make_error(ErrorKind::invalid, "--timeout: expected a duration like 120s, got \"" + f.timeout + "\"");
  o.bid_window = *window;
  o.timeout = *timeout;
  if (f.on_failure != "close" && f.on_failure != "keep")
    return make_error(ErrorKind::invalid, "--on-failure: expected close or keep, got \"" + f.on_failure + "\"");
  o.close_on_failure = f.on_failure == "close";
  o.attempts = f.attempts;
  const std::string& how = f.select.empty() ? std::string("cheapest") : f.select[0];
  if (how == "cheapest" && f.select.size() <= 1) {
    o.selection = sim::Selection::cheapest;
  } else if (how == "policy" && f.select.size() == 2) {
    std::ifstream in(f.select[1]);
    if (!in) return make_error(ErrorKind::not_found, "--select policy: cannot read \"" + f.select[1] + "\"");
    std::stringstream text;
    text << in.rdbuf();
    Result<market::Policy> policy = market::parse_policy(text.str(), f.select[1]);
    if (!policy) return policy.error();
    o.selection = sim::Selection::policy;
    o.policy = *policy;
  } else if (how.rfind("provider=", 0) == 0 && f.select.size() == 1 && how.size() > 9) {
    o.selection = sim::Selection::provider;
    o.provider = how.substr(9);
  } else {
    return make_error(ErrorKind::invalid, "--select: expected cheapest, policy FILE or provider=NAME|ADDRESS");
  }
  return o;
}

// Price per block and per month at the network's block rate.
std::pair<std::string, std::string> price_texts(const sdl::DecCoin& price) {
  std::optional<util::Decimal> month = price.amount.checked_mul_int(sim::k_network_blocks_per_month);
  return {market::format_dec_coin(price),
          month ? market::format_dec_coin(sdl::DecCoin{price.denom, *month}) : std::string("?")};
}

// Leases of the group that this deploy closed because their provider could not run it.
nlohmann::json replaced_json(SimSession& session, const sim::LeaseOutcome& lease) {
  nlohmann::json out = nlohmann::json::array();
  for (const sim::FailedLease& failed : lease.replaced)
    out.push_back({{"id", market::to_string(failed.lease)},
                   {"provider", failed.lease.provider},
                   {"provider_name", provider_label(session, failed.lease.provider)},
                   {"error", failed.error}});
  return out;
}

nlohmann::json outcome_json(SimSession& session, const sim::DeployOutcome& outcome) {
  nlohmann::json leases = nlohmann::json::array();
  for (const sim::LeaseOutcome& l : outcome.leases) {
    auto [block, month] = price_texts(l.lease.price);
    leases.push_back({{"id", market::to_string(l.lease.id)},
                      {"group", l.group},
                      {"provider", l.lease.id.provider},
                      {"provider_name", provider_label(session, l.lease.id.provider)},
                      {"host_uri", l.provider.host_uri},
                      {"price_per_block", block},
                      {"price_per_month", month},
                      {"selected_because", l.why},
                      {"status", nlohmann::json::parse(sim::lease_status_json(l.status.status))},
                      {"replaced", replaced_json(session, l)}});
  }
  const char* action = outcome.action == sim::DeployAction::created   ? "created"
                       : outcome.action == sim::DeployAction::updated ? "updated"
                                                                     : "unchanged";
  return {{"deployment", {{"owner", outcome.id.owner}, {"dseq", std::to_string(outcome.id.dseq)},
                          {"version", outcome.version}, {"action", action}}},
          {"leases", leases}};
}

void print_outcome(SimSession& session, const sim::DeployOutcome& outcome) {
  const char* action = outcome.action == sim::DeployAction::created   ? "created"
                       : outcome.action == sim::DeployAction::updated ? "updated in place"
                                                                     : "unchanged";
  fmt::print("deployment {} {} (version {})\n", market::to_string(outcome.id), action, outcome.version.substr(0, 12));
  for (const sim::LeaseOutcome& l : outcome.leases) {
    auto [block, month] = price_texts(l.lease.price);
    fmt::print("lease {}\n", market::to_string(l.lease.id));
    fmt::print("  provider  {} ({}){}\n", provider_label(session, l.lease.id.provider), l.lease.id.provider,
               l.provider.host_uri.empty() ? "" : " at " + l.provider.host_uri);
    // People read a month's cost in whole micro-units; -o json keeps the exact figure.
    std::optional<util::Decimal> exact_month = l.lease.price.amount.checked_mul_int(sim::k_network_blocks_per_month);
    std::string month_text =
        exact_month ? "~" + util::int128_to_string(exact_month->ceil()) + l.lease.price.denom : month;
    fmt::print("  price     {}/block, {}/month at {} blocks\n", block, month_text, sim::k_network_blocks_per_month);
    if (!l.why.empty()) fmt::print("  chosen    {}\n", l.why);
    for (const sim::FailedLease& failed : l.replaced)
      fmt::print("  replaced  {} ({}): {}\n", provider_label(session, failed.lease.provider),
                 market::to_string(failed.lease), failed.error);
    for (const auto& [name, s] : l.status.status.services) {
      std::string uris;
      for (const std::string& u : s.uris) uris += (uris.empty() ? "" : ", ") + u;
      fmt::print("  service   {}: {}/{} ready{}\n", name, s.available, s.replicas, uris.empty() ? "" : ", " + uris);
    }
    for (const auto& [name, ports] : l.status.status.forwarded_ports)
      for (const runtime::docker::ForwardedPort& p : ports)
        fmt::print("  port      {}: {}:{} -> {}/{}\n", name, p.host, p.external_port, p.port, p.proto);
  }
}

// A pipeline reading -o json gets one document on failure too: the error's first line,
// each reason after it (a provider's, a lease tried, the command to clean up) as an
// entry, and the exit code.
nlohmann::json failure_json(const Error& error) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= error.message.size()) {
    std::size_t end = error.message.find('\n', start);
    if (end == std::string::npos) end = error.message.size();
    std::string line = error.message.substr(start, end - start);
    line.erase(0, line.find_first_not_of(' '));
    if (!line.empty()) lines.push_back(std::move(line));
    start = end + 1;
  }
  nlohmann::json details = nlohmann::json::array();
  for (std::size_t i = 1; i < lines.size(); ++i) details.push_back(lines[i]);
  return {{"error",
           {{"message", lines.empty() ? std::string() : lines.front()},
            {"details", details},
            {"exit_code", exit_code_for(error.kind)}}}};
}

sim::DeployHooks deploy_hooks(SimSession& session, const ledger::PrivateKey& tenant, bool quiet) {
  sim::DeployHooks hooks;
  hooks.provider_round = [&session] { run_provider_round(session); };
  hooks.responders = [&session]() -> std::size_t {
    if (!session.served && session.market) return session.market->answering();
    Result<std::vector<market::Provider>> providers = session.ledger->providers();
    return providers ? providers->size() : 0;
  };
  hooks.endpoint = [&session, &tenant](const market::Address& provider) {
    return provider_endpoint(session, provider, tenant);
  };
  // In-process providers run their leases on this process's one engine: without it none
  // of them could, so no lease is taken and no provider is tried in vain.
  if (!session.served && !session.engine)
    hooks.runtime_ready = [&session]() -> Status {
      return make_error(ErrorKind::unreachable,
                        "the simulated providers run leases on Docker, which does not answer: " + session.docker_error);
    };
  hooks.decisions = [&session, &tenant](const std::string& owner, std::uint64_t dseq) {
    return collect_decisions(session, owner, dseq, &tenant);
  };
  hooks.resolve_provider = [&session](const std::string& name) -> std::string {
    if (session.market)
      if (sim::Provider* p = session.market->find(name)) return p->address();
    return name;
  };
  hooks.progress = [quiet](std::string_view line) {
    if (!quiet) fmt::print(stderr, "{}\n", line);
  };
  hooks.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  return hooks;
}

int run_deploy(Context& ctx, const DeployFlags& flags, const CLI::App& cmd) {
  sdl::CompileResult compiled = sdl::compile_file(flags.sdl);
  if (!compiled.ok()) {
    for (const Error& e : compiled.errors) print_error(e);
    return k_exit_invalid_input;
  }
  Result<sim::DeployOptions> options = deploy_options(flags, cmd);
  if (!options) return report_error(options.error());
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::yes);
  if (!session) return report_error(session.error());
  Result<ledger::PrivateKey> tenant = tenant_key(ctx);
  if (!tenant) return report_error(tenant.error());
  auto fail = [&ctx](const Error& error) {
    if (ctx.json()) fmt::print("{}\n", failure_json(error).dump());
    return report_error(error);
  };
  if (!(*session)->served && !(*session)->market)
    return fail(make_error(ErrorKind::not_found, ((*session)->home / "sim.yaml").string() +
                                                     ": no simulated providers; create them with `akt sim init`"));
  sim::DeployInput input{compiled.compiled->groups, sdl::manifest_json(compiled.compiled->manifest),
                         sdl::manifest_version(compiled.compiled->manifest), flags.sdl};
  sim::DeployHooks hooks = deploy_hooks(**session, *tenant, ctx.json());
  Result<sim::DeployOutcome> outcome = sim::deploy(*(*session)->ledger, *tenant, (*session)->clock, input, *options, hooks);
  if (!outcome) return fail(outcome.error());
  if (ctx.json()) fmt::print("{}\n", outcome_json(**session, *outcome).dump());
  else print_outcome(**session, *outcome);
  return k_exit_ok;
}

} // namespace

void add_deploy_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<DeployFlags>();
  CLI::App* cmd = app.add_subcommand("deploy", "Deploy an SDL: deployment, bids, lease, manifest, ready services");
  cmd->add_option("sdl", flags->sdl, "SDL file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--dseq", flags->dseq, "Deployment sequence: reuse one to update it in place");
  cmd->add_option("--deposit", flags->deposit, "Escrow deposit")->capture_default_str();
  cmd->add_option("--bid-window", flags->bid_window, "How long to collect bids")->capture_default_str();
  cmd->add_option("--select", flags->select, "cheapest | policy FILE | provider=NAME|ADDRESS")->expected(1, 2);
  cmd->add_option("--timeout", flags->timeout, "Give up after this long")->capture_default_str();
  cmd->add_option("--on-failure", flags->on_failure, "close (default) or keep what was created")->capture_default_str();
  cmd->add_option("--attempts", flags->attempts,
                  "Providers to try per group: one that cannot run it is replaced by the next-ranked bid")
      ->check(CLI::Range(1u, 20u))
      ->capture_default_str();
  cmd->callback([flags, cmd, &ctx] { ctx.selected = [flags, cmd, &ctx] { return run_deploy(ctx, *flags, *cmd); }; });
}

} // namespace akt::cli
