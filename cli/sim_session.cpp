#include "cli/sim_session.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "cli/exit_codes.hpp"
#include "cli/ledger_util.hpp"
#include "cli/output.hpp"
#include "runtime/docker/config.hpp"
#include "runtime/docker/http_engine.hpp"

namespace akt::cli {
namespace {

std::optional<std::string> passphrase_from_env() {
  if (const char* p = std::getenv("AKT_KEYRING_PASSPHRASE"); p && *p) return std::string(p);
  return std::nullopt;
}

bool is_url(const std::string& spec) { return spec.rfind("http://", 0) == 0 || spec.rfind("https://", 0) == 0; }

class OfflineEndpoint final : public sim::ProviderEndpoint {
public:
  explicit OfflineEndpoint(const std::string& name)
      : m_error(make_error(ErrorKind::unreachable, sim::offline_message(name))) {}
  Status send_manifest(const market::LeaseId&, const std::string&) override { return m_error; }
  Result<sim::TenantLeaseStatus> status(const market::LeaseId&) override { return m_error; }
  Status logs(const market::LeaseId&, const runtime::docker::LeaseLogOptions&, const runtime::docker::LogLineFn&) override {
    return m_error;
  }
  Result<int> exec(const market::LeaseId&, const std::string&, const std::vector<std::string>&,
                   const runtime::docker::ExecIo&) override {
    return m_error;
  }
  Result<std::vector<runtime::docker::LeaseEvent>> events(const market::LeaseId&) override { return m_error; }
  Result<std::vector<sim::OrderDecision>> decisions(const std::string&, std::uint64_t) override { return m_error; }

private:
  Error m_error;
};

} // namespace

int report_error(const Error& error) {
  print_error(error);
  return exit_code_for(error.kind);
}

Result<std::unique_ptr<runtime::docker::Engine>> open_docker_engine() {
  runtime::docker::Environment env;
  for (const char* name : {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH", "DOCKER_API_VERSION", "HOME"})
    if (const char* v = std::getenv(name); v) env[name] = v;
  Result<runtime::docker::EngineConfig> config = runtime::docker::engine_config_from(env);
  if (!config) return config.error();
  std::unique_ptr<runtime::docker::Engine> engine = runtime::docker::make_http_engine(*config);
  Result<runtime::docker::PingInfo> ping = engine->ping();
  if (!ping) return ping.error();
  return engine;
}

Result<std::unique_ptr<SimSession>> open_sim_session(const Context& ctx, WithMarket with_market) {
  auto session = std::make_unique<SimSession>();
  session->home = ctx.home();
  session->served = is_url(ctx.global.ledger);
  Result<std::unique_ptr<ledger::Ledger>> ledger = open_ledger(ctx);
  if (!ledger) return ledger.error();
  session->ledger = std::move(*ledger);
  if (with_market == WithMarket::no || (session->served && with_market != WithMarket::also_served)) return session;

  Result<std::unique_ptr<runtime::docker::Engine>> engine = open_docker_engine();
  if (engine) session->engine = std::move(*engine);
  else session->docker_error = engine.error().message;
  sim::MarketplaceOptions market_options;
  market_options.home = session->home;
  market_options.passphrase = passphrase_from_env();
  market_options.engine = session->engine.get();
  Result<std::unique_ptr<sim::Marketplace>> market = sim::Marketplace::open(*session->ledger, market_options);
  if (market) session->market = std::move(*market);
  else if (market.error().kind != ErrorKind::not_found) return market.error();
  return session;
}

Result<ledger::PrivateKey> tenant_key(const Context& ctx) {
  Result<std::string> name = acting_key_name(ctx);
  if (!name) return name.error();
  return load_key(ctx, *name);
}

void run_provider_round(SimSession& session, ProviderPass pass) {
  if (session.served || !session.market) return;
  auto reports = pass == ProviderPass::tear_down_only ? session.market->tear_down_ended() : session.market->round();
  for (auto& [name, report] : reports) {
    if (!report) {
      print_warning("provider " + name + ": " + report.error().message);
      continue;
    }
    for (const std::string& e : report->errors) print_warning("provider " + name + ": " + e);
  }
}

Result<std::unique_ptr<sim::ProviderEndpoint>> provider_endpoint(SimSession& session, const market::Address& provider,
                                                                 const ledger::PrivateKey& tenant) {
  if (!session.served) {
    if (!session.market)
      return make_error(ErrorKind::not_found, (session.home / "sim.yaml").string() +
                                                  ": no simulated network to run the lease; create one with `akt sim init`");
    sim::Provider* p = session.market->find(provider);
    if (!p) return make_error(ErrorKind::not_found, "provider " + provider + " is not a simulated provider of sim.yaml");
    if (session.market->is_offline(*p)) return std::unique_ptr<sim::ProviderEndpoint>(new OfflineEndpoint(p->name()));
    if (!session.market->has_runtime())
      return make_error(ErrorKind::unreachable, session.docker_error);  // it says what to start or set
    return sim::make_local_endpoint(*p, session.market->decisions());
  }
  Result<market::Provider> info = session.ledger->provider(provider);
  if (!info) return info.error();
  if (info->host_uri.empty()) return make_error(ErrorKind::unreachable, "provider " + provider + " has no host URI");
  return sim::make_http_endpoint(info->host_uri, tenant, session.clock);
}

namespace {

// A provider that is down or does not answer decides nothing, yet it is one of the
// answers to "why no bid": each open order it has not decided on gets an "offline" entry.
struct Silent {
  std::string address;
  std::string name;
  std::string reason;
};

void add_silent_providers(SimSession& session, const std::string& owner, std::uint64_t dseq,
                          const std::vector<Silent>& silent, std::vector<sim::OrderDecision>& decisions) {
  if (silent.empty()) return;
  ledger::OrderFilter filter;
  filter.owner = owner;
  filter.dseq = dseq;
  filter.state = market::OrderState::open;
  Result<std::vector<market::Order>> orders = session.ledger->orders(filter);
  if (!orders || orders->empty()) return;
  Result<market::Height> height = session.ledger->height();
  for (const Silent& p : silent) {
    for (const market::Order& order : *orders) {
      bool decided = std::any_of(decisions.begin(), decisions.end(), [&](const sim::OrderDecision& d) {
        return d.provider == p.address && d.gseq == order.id.gseq && d.oseq == order.id.oseq;
      });
      if (decided) continue;
      sim::OrderDecision d;
      d.provider = p.address;
      d.provider_name = p.name;
      d.owner = owner;
      d.dseq = dseq;
      d.gseq = order.id.gseq;
      d.oseq = order.id.oseq;
      d.height = height ? static_cast<std::int64_t>(*height) : 0;
      d.reason = p.reason;
      decisions.push_back(std::move(d));
    }
  }
}

} // namespace

std::vector<sim::OrderDecision> collect_decisions(SimSession& session, const std::string& owner, std::uint64_t dseq,
                                                  const ledger::PrivateKey* tenant) {
  std::vector<sim::OrderDecision> out;
  sim::FileDecisionStore local(sim::decisions_dir(session.home));
  if (Result<std::vector<sim::OrderDecision>> mine = local.for_deployment(owner, dseq)) out = std::move(*mine);
  std::vector<Silent> silent;
  if (!session.served && session.market) {
    for (sim::Provider* p : session.market->providers()) {
      bool switched_off = !p->config().online;
      if (!switched_off && !session.market->is_offline(*p)) continue;
      silent.push_back({p->address(), p->name(),
                        "offline: " + (switched_off ? "provider " + p->name() + " is offline (online: false in sim.yaml)"
                                                    : sim::offline_message(p->name()))});
    }
  }
  if (session.served && tenant) {
    Result<std::vector<market::Provider>> providers = session.ledger->providers();
    if (providers)
      for (const market::Provider& p : *providers) {
        if (p.host_uri.empty()) continue;
        std::unique_ptr<sim::ProviderEndpoint> endpoint = sim::make_http_endpoint(p.host_uri, *tenant, session.clock);
        Result<std::vector<sim::OrderDecision>> theirs = endpoint->decisions(owner, dseq);
        if (!theirs) {
          if (theirs.error().kind == ErrorKind::unreachable) {
            // The transport's own words, without the signed request URL before them.
            const std::string& message = theirs.error().message;
            std::size_t last = message.rfind(": ");
            std::string why = last == std::string::npos ? message : message.substr(last + 2);
            std::string name = provider_label(session, p.owner);
            // A provider taken down says so itself; one that is gone says nothing.
            bool down = why.find(" is offline (") != std::string::npos;
            silent.push_back({p.owner, name == p.owner ? std::string() : name,
                              down ? "offline: " + why
                                   : "offline: provider does not answer at " + p.host_uri + " (" + why + ")"});
          }
          continue;
        }
        for (const sim::OrderDecision& d : *theirs) {
          bool known = false;
          for (const sim::OrderDecision& e : out)
            known = known || (e.provider == d.provider && e.gseq == d.gseq && e.oseq == d.oseq);
          if (!known) out.push_back(d);
        }
      }
  }
  add_silent_providers(session, owner, dseq, silent, out);
  return out;
}

std::string provider_text(const std::string& name, const std::string& address) {
  return name.empty() || name == address ? address : name + " (" + address + ")";
}

std::string provider_label(SimSession& session, const std::string& address) {
  if (session.market)
    if (sim::Provider* p = session.market->find(address)) return p->name();
  return address;
}

void add_provider_hooks(CLI::App& app, Context& ctx) {
  app.final_callback([&app, &ctx] {
    auto chosen = [&app](const char* family, const char* command) {
      for (CLI::App* sub : app.get_subcommands()) {
        std::string n = sub->get_name();
        if (n != family && n != std::string(family) + "s") continue;
        for (CLI::App* leaf : sub->get_subcommands())
          if (leaf->get_name() == command) return true;
      }
      return false;
    };
    bool deployment_closed = chosen("deployment", "close");
    // Commands that open orders are followed by a round too, so that `bids list` right
    // after `deployment create` shows the providers' bids or their reasons for none.
    if (!(deployment_closed || chosen("lease", "close") || chosen("ledger", "advance") ||
          chosen("group", "close") || chosen("group", "pause") || chosen("group", "start") ||
          chosen("deployment", "create") || chosen("deployment", "update")))
      return;
    if (!ctx.selected) return;
    Command inner = std::move(ctx.selected);
    // A closed deployment opens no order and changes nothing else in the market: its
    // providers only remove its containers, and the tenant does not wait for more.
    ProviderPass pass = deployment_closed ? ProviderPass::tear_down_only : ProviderPass::full_round;
    ctx.selected = [inner, &ctx, pass] {
      int rc = inner();
      if (rc != k_exit_ok) return rc;
      Result<std::unique_ptr<SimSession>> session = open_sim_session(ctx, WithMarket::yes);
      if (session) run_provider_round(**session, pass);
      return rc;
    };
  });
}

} // namespace akt::cli
