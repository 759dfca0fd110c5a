// The `akt sim` commands that run providers: serve (served shape), fault, reconcile.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <ctime>
#include <memory>
#include <vector>

#include "cli/cmd_sim.hpp"
#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/sim_session.hpp"
#include "ledger/http_server.hpp"
#include "sim/provider_api.hpp"

namespace akt::cli {
namespace {

nlohmann::json report_json(const sim::RoundReport& r) {
  return {{"offline", r.offline},         {"registered", r.registered},   {"bids", r.bids},
          {"declines", r.declines},       {"closed_bids", r.closed_bids}, {"closed_leases", r.closed_leases},
          {"torn_down", r.torn_down},     {"dead", r.dead},               {"errors", r.errors}};
}

int run_reconcile(Context& ctx) {
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::also_served);
  if (!session) return report_error(session.error());
  if (!(*session)->market) return report_error(make_error(ErrorKind::not_found, "no sim.yaml; run `akt sim init`"));
  nlohmann::json out = nlohmann::json::object();
  int rc = k_exit_ok;
  for (auto& [name, report] : (*session)->market->round()) {
    if (!report) {
      print_error("provider " + name + ": " + report.error().message);
      rc = exit_code_for(report.error().kind);
      continue;
    }
    out[name] = report_json(*report);
    if (!ctx.json()) {
      for (const std::string& t : report->torn_down) fmt::print("{}: removed containers of {}\n", name, t);
      for (const std::string& c : report->closed_leases) fmt::print("{}: closed lease {}\n", name, c);
      for (const std::string& d : report->dead) fmt::print("{}: lease {} is active but its containers are gone\n", name, d);
      for (const std::string& e : report->errors) print_warning(name + ": " + e);
    }
  }
  if (ctx.json()) fmt::print("{}\n", out.dump());
  return rc;
}

struct FaultFlags {
  std::string provider;
  std::string state;
};

int run_fault(Context& ctx, const FaultFlags& f) {
  if (f.state != "down" && f.state != "up")
    return report_error(make_error(ErrorKind::invalid, "expected down or up, got \"" + f.state + "\""));
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::also_served);
  if (!session) return report_error(session.error());
  if (!(*session)->market) return report_error(make_error(ErrorKind::not_found, "no sim.yaml; run `akt sim init`"));
  sim::Provider* p = (*session)->market->find(f.provider);
  if (!p) return report_error(make_error(ErrorKind::not_found, "no provider " + f.provider + " in sim.yaml (`akt sim show`)"));
  bool down = f.state == "down";
  if (Status s = (*session)->market->faults().set_offline(p->name(), down); !s) return report_error(s.error());
  // An outage: the provider's containers stop with it. When it comes back its health
  // check finds the services unavailable and, past the health window, closes the leases.
  std::size_t stopped = 0;
  if (down && (*session)->engine) {
    Result<std::vector<runtime::docker::ContainerSummary>> containers =
        (*session)->engine->container_list({{runtime::docker::k_label_provider, p->address()}}, false);
    if (containers)
      for (const runtime::docker::ContainerSummary& c : *containers)
        if ((*session)->engine->container_stop(c.id, 1)) ++stopped;
  }
  if (ctx.json())
    fmt::print("{}\n", nlohmann::json{{"provider", p->name()}, {"state", f.state}, {"stopped_containers", stopped}}.dump());
  else
    fmt::print("provider {} is {}{}\n", p->name(), down ? "offline" : "online",
               down ? fmt::format(" ({} containers stopped)", stopped) : std::string());
  return k_exit_ok;
}

struct ServeFlags {
  std::string interval = "1s";
};

int run_serve(Context& ctx, const ServeFlags& flags) {
  std::optional<std::chrono::seconds> interval = sim::parse_duration(flags.interval);
  if (!interval || interval->count() < 1) return report_error(make_error(ErrorKind::invalid, "--interval: expected a duration like 1s"));
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::no);
  if (!session) return report_error(session.error());
  Result<std::unique_ptr<runtime::docker::Engine>> engine = open_docker_engine();
  if (!engine) print_warning("no Docker engine: providers bid but cannot run leases: " + engine.error().message);
  sim::MarketplaceOptions options;
  options.home = (*session)->home;
  options.engine = engine ? engine->get() : nullptr;
  Result<std::unique_ptr<sim::Marketplace>> market = sim::Marketplace::open(*(*session)->ledger, options);
  if (!market) return report_error(market.error());

  std::vector<std::unique_ptr<ledger::HttpServer>> servers;
  for (sim::Provider* p : (*market)->providers()) {
    std::string uri = p->config().host_uri;
    std::size_t scheme = uri.find("://");
    std::string hostport = scheme == std::string::npos ? uri : uri.substr(scheme + 3);
    if (std::size_t slash = hostport.find('/'); slash != std::string::npos) hostport.resize(slash);
    Result<std::pair<std::string, int>> listen = ledger::parse_listen_address(hostport);
    if (!listen) return report_error(Error{"provider " + p->name() + " host_uri: " + listen.error().message, std::nullopt, {}, ErrorKind::invalid});
    ledger::HttpServerOptions server_options;
    server_options.host = listen->first;
    server_options.port = listen->second;
    server_options.max_body_bytes = 4u << 20;
    servers.push_back(std::make_unique<ledger::HttpServer>(
        sim::provider_router(*p, (*market)->decisions(), (*session)->clock,
                             [m = market->get(), p] { return m->is_offline(*p); }),
        server_options));
    if (Status s = servers.back()->start(); !s) return report_error(s.error());
    fmt::print(stderr, "provider {} ({}) serving at {}\n", p->name(), p->address(), servers.back()->url());
  }
  // Rounds until SIGINT or SIGTERM, waited for synchronously (no handler, no global).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  while (true) {
    for (auto& [name, report] : (*market)->round()) {
      if (!report) { print_warning("provider " + name + ": " + report.error().message); continue; }
      for (const std::string& e : report->errors) print_warning(name + ": " + e);
      for (const std::string& c : report->closed_leases) fmt::print(stderr, "{}: closed lease {}\n", name, c);
      for (const std::string& t : report->torn_down) fmt::print(stderr, "{}: removed {}\n", name, t);
    }
    timespec wait{static_cast<std::time_t>(interval->count()), 0};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) break;
  }
  for (auto& s : servers) s->stop();
  return k_exit_ok;
}

} // namespace

void add_sim_runtime_commands(CLI::App& sim, Context& ctx) {
  CLI::App* reconcile = sim.add_subcommand("reconcile", "One round of every provider: remove containers of closed leases, report dead ones");
  reconcile->callback([&ctx] { ctx.selected = [&ctx] { return run_reconcile(ctx); }; });

  auto fault = std::make_shared<FaultFlags>();
  CLI::App* fault_cmd = sim.add_subcommand("fault", "Take a provider offline (down) or bring it back (up)");
  fault_cmd->add_option("provider", fault->provider, "Provider name")->required();
  fault_cmd->add_option("state", fault->state, "down or up")->required();
  fault_cmd->callback([fault, &ctx] { ctx.selected = [fault, &ctx] { return run_fault(ctx, *fault); }; });

  auto serve = std::make_shared<ServeFlags>();
  CLI::App* serve_cmd = sim.add_subcommand("serve", "Run every provider and serve its API at its host URI (served shape)");
  serve_cmd->add_option("--interval", serve->interval, "Time between provider rounds")->capture_default_str();
  serve_cmd->callback([serve, &ctx] { ctx.selected = [serve, &ctx] { return run_serve(ctx, *serve); }; });
}

} // namespace akt::cli
