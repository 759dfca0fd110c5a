// akt ledger serve | check.
#include "cli/cmd_ledger_serve.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ledger_util.hpp"
#include "cli/output.hpp"
#include "ledger/ledger_server.hpp"
#include "market/invariants.hpp"
#include "market/state.hpp"

namespace akt::cli {
namespace {

using Json = nlohmann::json;

struct ServeOptions {
  std::string listen = "127.0.0.1:8657";
  std::size_t threads = 64;
  std::size_t max_body_kib = 1024;
  std::size_t max_batch = 2048;
  bool allow_advance = true;
};

int fail(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

bool is_url(const std::string& spec) { return spec.rfind("http://", 0) == 0 || spec.rfind("https://", 0) == 0; }

int run_serve(const Context& ctx, const ServeOptions& o) {
  std::string spec = ledger_spec(ctx);
  if (is_url(spec))
    return fail(make_error(ErrorKind::invalid, "`akt ledger serve` serves a ledger file; --ledger " + spec +
                                                   " is already a served ledger (give a file path)"));
  Result<std::pair<std::string, int>> address = ledger::parse_listen_address(o.listen);
  if (!address) return fail(address.error());

  // Signals are taken by sigwait below, never by a handler: block them before any
  // thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::ChainInfo> info = (*opened)->info();
  if (!info) return fail(info.error());

  ledger::LedgerServerOptions options;
  options.http.host = address->first;
  options.http.port = address->second;
  options.http.threads = o.threads;
  options.http.max_body_bytes = o.max_body_kib * 1024;
  options.max_batch = o.max_batch;
  options.allow_advance = o.allow_advance;
  ledger::LedgerServer server(**opened, options);
  if (Status s = server.start(); !s) return fail(s.error());

  if (ctx.json()) {
    fmt::print("{}\n", Json{{"url", server.url()}, {"ledger", spec}, {"chain_id", info->chain_id}}.dump());
  } else {
    fmt::print("serving ledger {} (chain {}) at {}\n", spec, info->chain_id, server.url());
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  fmt::print(stderr, "akt: {} received; finishing requests in flight\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  ledger::GroupCommitter::Stats stats = server.stats();
  fmt::print(stderr, "akt: stopped; {} transactions in {} commits (largest {})\n", stats.transactions, stats.commits,
             stats.largest_commit);
  return k_exit_ok;
}

int run_check(const Context& ctx) {
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::Height> height = (*opened)->height();
  if (!height) return fail(height.error());
  Result<market::State> state = (*opened)->snapshot();
  if (!state) return fail(state.error());
  Status invariants = market::check_invariants(*state);
  std::string hash = market::state_hash(*state);
  if (ctx.json()) {
    Json doc = {{"ledger", ledger_spec(ctx)},
                {"height", std::to_string(*height)},
                {"state_hash", hash},
                {"invariants", invariants ? "hold" : "violated"},
                {"deployments", state->deployments.size()},
                {"leases", state->leases.size()}};
    if (!invariants) doc["error"] = invariants.error().message;
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("ledger:      {}\n", ledger_spec(ctx));
    fmt::print("height:      {}\n", *height);
    fmt::print("state hash:  {}\n", hash);
    fmt::print("invariants:  {}\n", invariants ? "hold" : "VIOLATED");
  }
  if (!invariants) {
    Error e = invariants.error();
    e.message = "invariant violated: " + e.message + "; the ledger file is damaged, keep a copy for inspection";
    return fail(e);
  }
  return k_exit_ok;
}

} // namespace

void add_ledger_serve_command(CLI::App& ledger_cmd, Context& ctx) {
  auto o = std::make_shared<ServeOptions>();
  auto* serve = ledger_cmd.add_subcommand("serve", "Serve the ledger file over HTTP so many processes share one market");
  serve->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  serve->add_option("--threads", o->threads, "Worker threads (each kept-alive client holds one)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve->add_option("--max-body-kib", o->max_body_kib, "Largest request body in KiB (larger: 413)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  serve->add_option("--max-batch", o->max_batch, "Most transactions committed together")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  serve->add_flag("--allow-advance,!--no-advance", o->allow_advance,
                  "Let clients move the chain forward (`akt ledger advance`); default on");
  serve->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_serve(ctx, *o); }; });

  auto* check = ledger_cmd.add_subcommand("check", "Verify the market's invariants and print the state hash");
  check->callback([&ctx] { ctx.selected = [&ctx] { return run_check(ctx); }; });
}

} // namespace akt::cli
