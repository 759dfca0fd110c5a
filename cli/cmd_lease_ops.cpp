// What a tenant does with a running lease through its provider: status, logs, events,
// shell; and `akt deployment explain`. The `lease` and `deployment` families may already
// exist (market commands); these commands join them.
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <limits>
#include <optional>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/sim_session.hpp"
#include "market/codec.hpp"
#include "sim/deploy.hpp"
#include "sim/provider.hpp"

namespace akt::cli {
namespace {

CLI::App* family(CLI::App& app, const std::string& name, const std::string& description) {
  for (CLI::App* sub : app.get_subcommands({}))
    if (sub->get_name() == name) return sub;
  CLI::App* created = app.add_subcommand(name, description);
  created->alias(name + "s");
  created->require_subcommand(1);
  return created;
}

struct LeaseFlags {
  std::string lease;  // full id
  std::uint64_t dseq = 0;
  std::uint32_t gseq = 0;
};

void add_lease_flags(CLI::App* cmd, LeaseFlags& f) {
  cmd->add_option("--lease", f.lease, "Lease id OWNER/DSEQ/GSEQ/OSEQ/PROVIDER");
  cmd->add_option("--dseq", f.dseq, "Deployment sequence (its active lease)");
  cmd->add_option("--gseq", f.gseq, "Group (default: the only or first one)");
}

struct Opened {
  std::unique_ptr<SimSession> session;
  ledger::PrivateKey tenant;
  market::LeaseId lease;
  std::unique_ptr<sim::ProviderEndpoint> endpoint;
};

Result<Opened> open_lease(Context& ctx, const LeaseFlags& f) {
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::yes);
  if (!session) return session.error();
  Result<ledger::PrivateKey> tenant = tenant_key(ctx);
  if (!tenant) return tenant.error();
  run_provider_round(**session);
  market::LeaseId id;
  if (!f.lease.empty()) {
    Result<market::LeaseId> parsed = sim::parse_lease_id(f.lease);
    if (!parsed) return parsed.error();
    id = *parsed;
  } else {
    if (f.dseq == 0) return make_error(ErrorKind::invalid, "name the lease: --lease ID or --dseq N");
    ledger::LeaseFilter filter;
    filter.owner = tenant->address();
    filter.dseq = f.dseq;
    if (f.gseq) filter.gseq = f.gseq;
    Result<std::vector<market::Lease>> leases = (*session)->ledger->leases(filter);
    if (!leases) return leases.error();
    if (leases->empty())
      return make_error(ErrorKind::not_found, "deployment " + std::to_string(f.dseq) + " has no lease (`akt deployment explain " +
                                                  std::to_string(f.dseq) + "` says why)");
    const market::Lease* best = &leases->back();
    for (const market::Lease& l : *leases)
      if (l.state == market::LeaseState::active) best = &l;
    id = best->id;
  }
  Result<std::unique_ptr<sim::ProviderEndpoint>> endpoint = provider_endpoint(**session, id.provider, *tenant);
  if (!endpoint) return endpoint.error();
  return Opened{std::move(*session), std::move(*tenant), id, std::move(*endpoint)};
}

int run_status(Context& ctx, const LeaseFlags& f) {
  Result<Opened> o = open_lease(ctx, f);
  if (!o) return report_error(o.error());
  ledger::LeaseFilter filter{o->lease.owner, o->lease.dseq, o->lease.gseq, o->lease.oseq, o->lease.provider, std::nullopt};
  Result<std::vector<market::Lease>> on_ledger = o->session->ledger->leases(filter);
  std::string state = on_ledger && !on_ledger->empty() ? market::to_string(on_ledger->front().state) : "unknown";
  std::string reason = on_ledger && !on_ledger->empty() && on_ledger->front().reason != market::CloseReason::none
                           ? market::to_string(on_ledger->front().reason)
                           : "";
  if (state != "active") {
    if (ctx.json())
      fmt::print("{}\n", nlohmann::json{{"lease", market::to_string(o->lease)}, {"state", state}, {"reason", reason},
                                        {"services", nlohmann::json::object()}, {"forwarded_ports", nlohmann::json::object()},
                                        {"ips", nlohmann::json::object()}, {"errors", nlohmann::json::array()}}.dump());
    else
      fmt::print("lease {} {}{}\n", market::to_string(o->lease), state, reason.empty() ? "" : " (" + reason + ")");
    return k_exit_ok;
  }
  Result<sim::TenantLeaseStatus> status = o->endpoint->status(o->lease);
  if (!status) return report_error(status.error());
  if (ctx.json()) {
    nlohmann::json j = nlohmann::json::parse(sim::lease_status_json(status->status));
    j["lease"] = market::to_string(o->lease);
    j["state"] = state;
    fmt::print("{}\n", j.dump());
    return k_exit_ok;
  }
  fmt::print("lease {} {}\n", market::to_string(o->lease), state);
  for (const auto& [name, s] : status->status.services) {
    std::string uris;
    for (const std::string& u : s.uris) uris += (uris.empty() ? "" : ", ") + u;
    fmt::print("  service {}: {}/{} available, {} total{}\n", name, s.available, s.replicas, s.total,
               uris.empty() ? "" : ", " + uris);
  }
  for (const auto& [name, ports] : status->status.forwarded_ports)
    for (const runtime::docker::ForwardedPort& p : ports)
      fmt::print("  port {}: {}:{} -> {}/{}\n", name, p.host, p.external_port, p.port, p.proto);
  for (const std::string& e : status->status.errors) fmt::print("  error: {}\n", e);
  return k_exit_ok;
}

struct LogFlags {
  LeaseFlags lease;
  std::string service;
  bool follow = false;
  int tail = -1;
};

int run_logs(Context& ctx, const LogFlags& f) {
  Result<Opened> o = open_lease(ctx, f.lease);
  if (!o) return report_error(o.error());
  runtime::docker::LeaseLogOptions options;
  if (!f.service.empty()) options.service = f.service;
  options.follow = f.follow;
  if (f.tail >= 0) options.tail = static_cast<std::uint32_t>(f.tail);
  Status s = o->endpoint->logs(o->lease, options, [&ctx](const runtime::docker::LogLine& line) {
    if (ctx.json())
      fmt::print("{}\n", nlohmann::json{{"service", line.service}, {"replica", line.replica}, {"text", line.text}}.dump());
    else fmt::print("[{}-{}] {}\n", line.service, line.replica, line.text);
    std::fflush(stdout);
    return true;
  });
  if (!s) return report_error(s.error());
  return k_exit_ok;
}

int run_events(Context& ctx, const LeaseFlags& f) {
  Result<Opened> o = open_lease(ctx, f);
  if (!o) return report_error(o.error());
  ledger::EventQuery query;
  query.deployment = o->lease.deployment();
  Result<ledger::EventPage> page = o->session->ledger->events(query);
  if (!page) return report_error(page.error());
  Result<std::vector<runtime::docker::LeaseEvent>> containers = o->endpoint->events(o->lease);
  nlohmann::json market_events = nlohmann::json::array();
  for (const ledger::EventRecord& r : page->events)
    if (market::concerns(r.event, o->lease) || r.event.gseq == 0) market_events.push_back(market::to_json(r.event));
  nlohmann::json container_events = nlohmann::json::array();
  if (containers)
    for (const runtime::docker::LeaseEvent& e : *containers)
      container_events.push_back({{"service", e.service}, {"replica", e.replica}, {"action", e.action},
                                  {"exit_code", e.exit_code}, {"time", e.time}});
  if (ctx.json()) {
    fmt::print("{}\n", nlohmann::json{{"market", market_events}, {"containers", container_events}}.dump());
    return k_exit_ok;
  }
  for (const ledger::EventRecord& r : page->events)
    if (market::concerns(r.event, o->lease) || r.event.gseq == 0)
      fmt::print("{}\n", market::describe(r.event));
  if (containers)
    for (const runtime::docker::LeaseEvent& e : *containers)
      fmt::print("container {}-{}: {}{}\n", e.service, e.replica, e.action,
                 e.action == "die" ? " (exit " + std::to_string(e.exit_code) + ")" : "");
  else print_warning("container events unavailable: " + containers.error().message);
  return k_exit_ok;
}

struct ShellFlags {
  LeaseFlags lease;
  std::string service;
  std::vector<std::string> argv;
  std::uint32_t replica = 0;
  bool pass_stdin = false;
  bool tty = false;
};

// The local terminal in raw mode while a remote shell owns it: keys, ^C included, go to
// the command as typed. Restored however the command ends.
class RawTerminal {
public:
  explicit RawTerminal(int fd) : m_fd(fd) {
    if (::tcgetattr(fd, &m_saved) != 0) return;
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    m_active = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (m_active) ::tcsetattr(m_fd, TCSANOW, &m_saved);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

private:
  int m_fd;
  termios m_saved{};
  bool m_active = false;
};

int run_shell(Context& ctx, const ShellFlags& f) {
  if (f.argv.empty()) return report_error(make_error(ErrorKind::invalid, "give the command after --: akt lease shell SERVICE -- CMD..."));
  const bool interactive = f.pass_stdin && ::isatty(STDIN_FILENO) == 1;
  if (f.tty && f.pass_stdin && !interactive)
    return report_error(make_error(ErrorKind::invalid, "--tty with --stdin needs a terminal on stdin; to pipe "
                                                       "input into the command, drop --tty"));
  Result<Opened> o = open_lease(ctx, f.lease);
  if (!o) return report_error(o.error());
  runtime::docker::ExecIo io;
  io.replica = f.replica;
  io.on_stdout = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); std::fflush(stdout); };
  io.on_stderr = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stderr); };
  if (f.pass_stdin) io.stdin_fd = STDIN_FILENO;
  io.tty = f.tty;
  winsize size{};
  if (f.tty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0)
    io.console = runtime::docker::ConsoleSize{size.ws_row, size.ws_col};
  Result<int> code = [&] {
    std::optional<RawTerminal> raw;
    if (f.tty && interactive) raw.emplace(STDIN_FILENO);
    return o->endpoint->exec(o->lease, f.service, f.argv, io);
  }();
  if (!code) return report_error(code.error());
  return *code;
}

int run_explain(Context& ctx, std::uint64_t dseq) {
  Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::yes);
  if (!session) return report_error(session.error());
  Result<ledger::PrivateKey> tenant = tenant_key(ctx);
  if (!tenant) return report_error(tenant.error());
  run_provider_round(**session);
  ledger::Ledger& l = *(*session)->ledger;
  market::DeploymentId id{tenant->address(), dseq};
  Result<market::Deployment> dep = l.deployment(id);
  if (!dep) return report_error(dep.error());
  Result<std::vector<market::Group>> groups = l.groups(ledger::GroupFilter{id.owner, id.dseq, std::nullopt, std::nullopt});
  Result<std::vector<market::Order>> orders = l.orders(ledger::OrderFilter{id.owner, id.dseq, std::nullopt, std::nullopt, std::nullopt});
  ledger::BidFilter bf;
  bf.owner = id.owner;
  bf.dseq = id.dseq;
  Result<std::vector<market::Bid>> bids = l.bids(bf);
  ledger::LeaseFilter lf;
  lf.owner = id.owner;
  lf.dseq = id.dseq;
  Result<std::vector<market::Lease>> leases = l.leases(lf);
  if (!groups || !orders || !bids || !leases) return report_error(make_error(ErrorKind::unreachable, "ledger query failed"));
  std::vector<sim::OrderDecision> decisions = collect_decisions(**session, id.owner, id.dseq, &*tenant);
  if (ctx.json()) {
    nlohmann::json j = {{"deployment", market::to_json(*dep)}, {"groups", nlohmann::json::array()},
                        {"orders", nlohmann::json::array()}, {"bids", nlohmann::json::array()},
                        {"leases", nlohmann::json::array()}, {"decisions", nlohmann::json::parse(sim::decision_to_json(decisions))}};
    for (const market::Group& g : *groups) j["groups"].push_back(market::to_json(g));
    for (const market::Order& o : *orders) j["orders"].push_back(market::to_json(o));
    for (const market::Bid& b : *bids) j["bids"].push_back(market::to_json(b));
    for (const market::Lease& x : *leases) j["leases"].push_back(market::to_json(x));
    fmt::print("{}\n", j.dump());
    return k_exit_ok;
  }
  fmt::print("deployment {} {} (version {})\n", market::to_string(id), market::to_string(dep->state), dep->hash.substr(0, 12));
  for (const market::Group& g : *groups) {
    fmt::print("group {} \"{}\": {}\n", g.id.gseq, g.spec.name, market::to_string(g.state));
    for (const market::Order& o : *orders) {
      if (o.id.gseq != g.id.gseq) continue;
      fmt::print("  order {}: {}\n", o.id.oseq, market::to_string(o.state));
      for (const market::Bid& b : *bids)
        if (b.id.order() == o.id)
          fmt::print("    bid {}: {} {}/block\n", provider_text(provider_label(**session, b.id.provider), b.id.provider),
                     market::to_string(b.state), market::format_dec_coin(b.price));
      for (const sim::OrderDecision& d : decisions)
        if (d.gseq == o.id.gseq && d.oseq == o.id.oseq && !d.bid)
          fmt::print("    declined by {}: {}\n", provider_text(d.provider_name, d.provider), d.reason);
      for (const market::Lease& x : *leases)
        if (x.id.order() == o.id)
          fmt::print("    lease {}: {}{}\n", provider_label(**session, x.id.provider), market::to_string(x.state),
                     x.reason != market::CloseReason::none ? std::string(" (") + market::to_string(x.reason) + ")" : "");
    }
  }
  return k_exit_ok;
}

} // namespace

void add_lease_ops_commands(CLI::App& app, Context& ctx) {
  CLI::App* lease = family(app, "lease", "Leases: status, logs, events and shell of a running lease");

  auto status = std::make_shared<LeaseFlags>();
  CLI::App* status_cmd = lease->add_subcommand("status", "The lease's services, URIs and forwarded ports (the provider's lease-status)");
  add_lease_flags(status_cmd, *status);
  status_cmd->callback([status, &ctx] { ctx.selected = [status, &ctx] { return run_status(ctx, *status); }; });

  auto logs = std::make_shared<LogFlags>();
  CLI::App* logs_cmd = lease->add_subcommand("logs", "The lease's container logs");
  add_lease_flags(logs_cmd, logs->lease);
  logs_cmd->add_option("--service", logs->service, "Only this service");
  logs_cmd->add_flag("-f,--follow", logs->follow, "Keep streaming");
  logs_cmd->add_option("--tail", logs->tail, "Only the last N lines")->check(CLI::Range(0, std::numeric_limits<int>::max()));
  logs_cmd->callback([logs, &ctx] { ctx.selected = [logs, &ctx] { return run_logs(ctx, *logs); }; });

  auto events = std::make_shared<LeaseFlags>();
  CLI::App* events_cmd = lease->add_subcommand("events", "Market and container events of the lease");
  add_lease_flags(events_cmd, *events);
  events_cmd->callback([events, &ctx] { ctx.selected = [events, &ctx] { return run_events(ctx, *events); }; });

  auto shell = std::make_shared<ShellFlags>();
  CLI::App* shell_cmd = lease->add_subcommand("shell", "Run a command in a service: akt lease shell SERVICE -- CMD...");
  add_lease_flags(shell_cmd, shell->lease);
  shell_cmd->add_option("service", shell->service, "Service name")->required();
  shell_cmd->add_option("command", shell->argv, "Command and arguments (after --)");
  shell_cmd->add_option("--replica", shell->replica, "Which replica of the service (from 0)")->capture_default_str();
  shell_cmd->add_flag("-i,--stdin", shell->pass_stdin, "Pass this terminal's or pipe's input to the command");
  shell_cmd->add_flag("-t,--tty", shell->tty, "Run the command in a terminal (with -i: an interactive shell)");
  shell_cmd->callback([shell, &ctx] { ctx.selected = [shell, &ctx] { return run_shell(ctx, *shell); }; });

  CLI::App* deployment = family(app, "deployment", "Deployments");
  auto dseq = std::make_shared<std::uint64_t>(0);
  CLI::App* explain = deployment->add_subcommand("explain", "Why a deployment has (or lacks) bids and leases, per provider");
  explain->add_option("dseq", *dseq, "Deployment sequence")->required();
  explain->callback([dseq, &ctx] { ctx.selected = [dseq, &ctx] { return run_explain(ctx, *dseq); }; });
}

} // namespace akt::cli
