// akt ledger init|fund|advance|status: the local ledger file (`serve` lives with the
// HTTP server).
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>
#include <memory>

#include "cli/cmd_ledger_serve.hpp"
#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ledger_util.hpp"
#include "cli/output.hpp"
#include "cli/tx_util.hpp"
#include "ledger/embedded.hpp"
#include "market/codec.hpp"

namespace akt::cli {
namespace {

using Json = nlohmann::json;

struct LedgerOptions {
  std::string chain_id = "akt-local-1";
  std::string block_interval = "1s";
  bool faucet = true;
  std::vector<std::string> genesis;
  std::string target;
  std::string amount;
  std::uint64_t blocks = 0;
};

int fail(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

// "6s", "500ms", "1500" (milliseconds).
Result<std::uint64_t> parse_interval(const std::string& text) {
  std::string digits = text;
  std::uint64_t scale = 1;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    digits = text.substr(0, text.size() - 2);
  } else if (text.size() > 1 && text.back() == 's') {
    digits = text.substr(0, text.size() - 1);
    scale = 1000;
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
      value > 86'400'000 / scale)
    return make_error(ErrorKind::invalid, "--block-interval: expected a positive duration like 1s, 6s or 500ms, got \"" + text + "\"");
  return value * scale;
}

// "1000000uakt", or a bare number of uakt.
Result<market::Coin> parse_amount(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return parse_amount(text + "uakt");
  Result<market::Coin> coin = market::parse_coin(text);
  if (!coin) return make_error(ErrorKind::invalid, "amount \"" + text + "\": " + coin.error().message + " (expected e.g. 5000000uakt)");
  return coin;
}

std::string format_ms(std::uint64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_time(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm {};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int print_status(const Context& ctx, const ledger::ChainInfo& info) {
  if (ctx.json()) {
    Json doc = {{"ledger", ledger_spec(ctx)},
                {"chain_id", info.chain_id},
                {"height", info.height},
                {"block_interval_ms", info.block_interval_ms},
                {"genesis_time_ms", info.genesis_time_ms},
                {"genesis_time", format_time(info.genesis_time_ms)},
                {"height_offset", info.height_offset},
                {"faucet", info.faucet},
                {"params", market::to_json(info.params)}};
    fmt::print("{}\n", doc.dump(2));
    return k_exit_ok;
  }
  fmt::print("ledger:         {}\n", ledger_spec(ctx));
  fmt::print("chain id:       {}\n", info.chain_id);
  fmt::print("height:         {}\n", info.height);
  fmt::print("block interval: {}\n", format_ms(info.block_interval_ms));
  fmt::print("genesis:        {}\n", format_time(info.genesis_time_ms));
  if (info.height_offset) fmt::print("advanced by:    {} blocks\n", info.height_offset);
  fmt::print("faucet:         {}\n", info.faucet ? "enabled" : "disabled");
  return k_exit_ok;
}

int run_init(const Context& ctx, const LedgerOptions& o) {
  std::string spec = ledger_spec(ctx);
  if (spec.rfind("http://", 0) == 0 || spec.rfind("https://", 0) == 0)
    return fail(make_error(ErrorKind::invalid, "`akt ledger init` creates a local ledger file; " + spec +
                                                   " is a served ledger, initialized by `akt ledger serve`"));
  ledger::GenesisOptions genesis;
  genesis.chain_id = o.chain_id;
  if (genesis.chain_id.empty() || genesis.chain_id.size() > 64)
    return fail(make_error(ErrorKind::invalid, "--chain-id must be 1-64 characters"));
  Result<std::uint64_t> interval = parse_interval(o.block_interval);
  if (!interval) return fail(interval.error());
  genesis.block_interval_ms = *interval;
  genesis.faucet = o.faucet;
  for (const std::string& entry : o.genesis) {
    std::size_t eq = entry.find('=');
    if (eq == std::string::npos)
      return fail(make_error(ErrorKind::invalid, "--genesis \"" + entry + "\": expected ACCOUNT=AMOUNT, e.g. alice=100000000uakt"));
    Result<std::string> address = resolve_address(ctx, entry.substr(0, eq));
    if (!address) return fail(address.error());
    Result<market::Coin> coin = parse_amount(entry.substr(eq + 1));
    if (!coin) return fail(coin.error());
    genesis.accounts.emplace_back(*address, *coin);
  }
  Result<std::unique_ptr<ledger::EmbeddedLedger>> created = ledger::EmbeddedLedger::init(spec, system_clock(), genesis);
  if (!created) return fail(created.error());
  Result<ledger::ChainInfo> info = (*created)->info();
  if (!info) return fail(info.error());
  if (!ctx.json()) fmt::print("created ledger {}\n", spec);
  return print_status(ctx, *info);
}

int run_status(const Context& ctx) {
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::ChainInfo> info = (*opened)->info();
  if (!info) return fail(info.error());
  return print_status(ctx, *info);
}

int run_fund(const Context& ctx, const LedgerOptions& o) {
  Result<std::string> address = resolve_address(ctx, o.target);
  if (!address) return fail(address.error());
  Result<market::Coin> coin = parse_amount(o.amount);
  if (!coin) return fail(coin.error());
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::TxReceipt> receipt = (*opened)->fund(*address, *coin);
  if (!receipt) return fail(receipt.error());
  Result<ledger::AccountInfo> account = (*opened)->account(*address);
  if (!account) return fail(account.error());
  market::Amount balance = account->balances.count(coin->denom) ? account->balances.at(coin->denom) : 0;
  if (ctx.json()) {
    Json doc = receipt_json(*receipt);
    doc["address"] = *address;
    doc["amount"] = market::format_coin(*coin);
    doc["balance"] = market::format_coin(market::Coin{coin->denom, balance});
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("funded {} with {} at height {}; balance {}\n", *address, market::format_coin(*coin), receipt->height,
               market::format_coin(market::Coin{coin->denom, balance}));
  }
  return k_exit_ok;
}

int run_advance(const Context& ctx, const LedgerOptions& o) {
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::Height> height = (*opened)->advance(o.blocks);
  if (!height) return fail(height.error());
  if (ctx.json())
    fmt::print("{}\n", Json{{"advanced", o.blocks}, {"height", *height}}.dump(2));
  else
    fmt::print("advanced {} blocks; height {}\n", o.blocks, *height);
  return k_exit_ok;
}

int run_send(const Context& ctx, const LedgerOptions& o) {
  Result<std::string> to = resolve_address(ctx, o.target);
  if (!to) return fail(to.error());
  Result<market::Coin> coin = parse_amount(o.amount);
  if (!coin) return fail(coin.error());
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::TxReceipt> receipt = sign_and_submit(ctx, **opened, "", market::MsgSend{*to, *coin});
  if (!receipt) return fail(receipt.error());
  if (ctx.json()) {
    Json doc = receipt_json(*receipt);
    doc["to"] = *to;
    doc["amount"] = market::format_coin(*coin);
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("sent {} to {} at height {} (tx {})\n", market::format_coin(*coin), *to, receipt->height,
               receipt->tx_hash);
  }
  return k_exit_ok;
}

int run_account(const Context& ctx, const LedgerOptions& o) {
  Result<std::string> address = resolve_address(ctx, o.target);
  if (!address) return fail(address.error());
  Result<std::unique_ptr<ledger::Ledger>> opened = open_ledger(ctx);
  if (!opened) return fail(opened.error());
  Result<ledger::AccountInfo> account = (*opened)->account(*address);
  if (!account) return fail(account.error());
  if (ctx.json()) {
    Json balances = Json::object();
    for (const auto& [denom, amount] : account->balances) balances[denom] = std::to_string(amount);
    fmt::print("{}\n", Json{{"address", account->address},
                            {"balances", balances},
                            {"next_sequence", account->next_sequence},
                            {"pubkey", account->pubkey}}
                           .dump(2));
    return k_exit_ok;
  }
  fmt::print("address:       {}\n", account->address);
  if (account->balances.empty()) fmt::print("balance:       0\n");
  for (const auto& [denom, amount] : account->balances)
    fmt::print("balance:       {}\n", market::format_coin(market::Coin{denom, amount}));
  fmt::print("next sequence: {}\n", account->next_sequence);
  return k_exit_ok;
}

} // namespace

void add_ledger_commands(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ledger", "Create, inspect and move the local ledger");
  cmd->require_subcommand(1);
  cmd->fallthrough();
  auto o = std::make_shared<LedgerOptions>();

  auto* init = cmd->add_subcommand("init", "Create a local ledger file ($AKT_HOME/ledger.db or --ledger FILE)");
  init->add_option("--chain-id", o->chain_id, "Chain id")->capture_default_str();
  init->add_option("--block-interval", o->block_interval, "Time per block: 1s, 6s, 500ms")->capture_default_str();
  init->add_flag("--faucet,!--no-faucet", o->faucet, "Allow `akt ledger fund` to mint (default on)");
  init->add_option("--genesis", o->genesis, "ACCOUNT=AMOUNT minted at genesis (key name or address); repeatable");
  init->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_init(ctx, *o); }; });

  auto* fund = cmd->add_subcommand("fund", "Mint tokens into an account from the faucet");
  fund->add_option("account", o->target, "Address or key name")->required();
  fund->add_option("amount", o->amount, "Amount, e.g. 100000000uakt")->required();
  fund->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_fund(ctx, *o); }; });

  auto* advance = cmd->add_subcommand("advance", "Move the chain forward by N blocks (escrow and timeouts follow)");
  advance->add_option("--blocks", o->blocks, "Blocks to add")->required()->check(CLI::Range(1ull, 1'000'000'000ull));
  advance->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_advance(ctx, *o); }; });

  auto* send = cmd->add_subcommand("send", "Send tokens from the --from key to an account");
  send->add_option("to", o->target, "Address or key name")->required();
  send->add_option("amount", o->amount, "Amount, e.g. 1000000uakt")->required();
  send->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_send(ctx, *o); }; });

  auto* account = cmd->add_subcommand("account", "Show an account's balances and next sequence");
  account->alias("balance");
  account->add_option("account", o->target, "Address or key name")->required();
  account->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_account(ctx, *o); }; });

  auto* status = cmd->add_subcommand("status", "Show the ledger's chain id, height and block interval");
  status->callback([&ctx] { ctx.selected = [&ctx] { return run_status(ctx); }; });

  add_ledger_serve_command(*cmd, ctx);
}

} // namespace akt::cli
