// akt keys add|list|show|import|export|delete: the local keyring under $AKT_HOME/keys.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ledger_util.hpp"
#include "cli/output.hpp"
#include "ledger/keys.hpp"

namespace akt::cli {
namespace {

using Json = nlohmann::json;

struct KeysOptions {
  std::string name;
  std::string file;        // import: a file holding the hex secret ("-" = stdin)
  bool address_only = false;
};

Json key_json(const ledger::KeyInfo& info) {
  return {{"name", info.name}, {"address", info.address}, {"pubkey", info.pubkey_hex}, {"encrypted", info.encrypted}};
}

int fail(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

void print_key(const Context& ctx, const ledger::KeyInfo& info) {
  if (ctx.json()) {
    fmt::print("{}\n", key_json(info).dump(2));
    return;
  }
  fmt::print("name:      {}\naddress:   {}\npubkey:    {}\nencrypted: {}\n", info.name, info.address,
             info.pubkey_hex, info.encrypted ? "yes" : "no");
}

int store_key(const Context& ctx, const std::string& name, const ledger::PrivateKey& key) {
  ledger::Keyring ring = keyring(ctx);
  if (Result<ledger::KeyInfo> existing = ring.show(name); existing)
    return fail(make_error(ErrorKind::invalid, "a key named \"" + name + "\" already exists; pick another name or delete it first"));
  Result<std::optional<std::string>> passphrase = new_passphrase(name);
  if (!passphrase) return fail(passphrase.error());
  Result<ledger::KeyInfo> added = ring.add(name, key, *passphrase);
  if (!added) return fail(added.error());
  print_key(ctx, *added);
  return k_exit_ok;
}

int run_add(const Context& ctx, const KeysOptions& o) {
  return store_key(ctx, o.name, ledger::PrivateKey::generate());
}

int run_import(const Context& ctx, const KeysOptions& o) {
  std::string text;
  if (o.file.empty() || o.file == "-") {
    if (interactive()) fmt::print(stderr, "Paste the hex private key and press Enter:\n");
    std::getline(std::cin, text);
  } else {
    std::ifstream in(o.file);
    if (!in) return fail(make_error(ErrorKind::not_found, "cannot read " + o.file));
    std::getline(in, text);
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\n')) text.pop_back();
  if (text.size() > 200) return fail(make_error(ErrorKind::invalid, "expected 64 hex digits of a private key"));
  Result<ledger::PrivateKey> key = ledger::PrivateKey::from_hex(text);
  if (!key) return fail(make_error(ErrorKind::invalid, "cannot import: " + key.error().message + " (expected 64 hex digits)"));
  return store_key(ctx, o.name, *key);
}

int run_list(const Context& ctx) {
  Result<std::vector<ledger::KeyInfo>> keys = keyring(ctx).list();
  if (!keys) return fail(keys.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const ledger::KeyInfo& k : *keys) out.push_back(key_json(k));
    fmt::print("{}\n", out.dump(2));
    return k_exit_ok;
  }
  if (keys->empty()) {
    fmt::print(stderr, "no keys yet; create one with `akt keys add NAME`\n");
    return k_exit_ok;
  }
  std::size_t width = 4;
  for (const ledger::KeyInfo& k : *keys) width = std::max(width, k.name.size());
  fmt::print("{:<{}}  {:<44}  {}\n", "NAME", width, "ADDRESS", "ENCRYPTED");
  for (const ledger::KeyInfo& k : *keys)
    fmt::print("{:<{}}  {:<44}  {}\n", k.name, width, k.address, k.encrypted ? "yes" : "no");
  return k_exit_ok;
}

int run_show(const Context& ctx, const KeysOptions& o) {
  Result<ledger::KeyInfo> info = keyring(ctx).show(o.name);
  if (!info) return fail(info.error());
  if (o.address_only && !ctx.json()) {
    fmt::print("{}\n", info->address);
    return k_exit_ok;
  }
  print_key(ctx, *info);
  return k_exit_ok;
}

int run_export(const Context& ctx, const KeysOptions& o) {
  Result<ledger::PrivateKey> key = load_key(ctx, o.name);
  if (!key) return fail(key.error());
  std::string secret = util::to_hex(key->secret());
  if (ctx.json()) {
    fmt::print("{}\n", Json{{"name", o.name}, {"address", key->address()}, {"private_key", secret}}.dump(2));
  } else {
    print_warning("this is the unencrypted private key of \"" + o.name + "\"; whoever holds it controls " + key->address());
    fmt::print("{}\n", secret);
  }
  return k_exit_ok;
}

int run_delete(const Context& ctx, const KeysOptions& o) {
  ledger::Keyring ring = keyring(ctx);
  Result<ledger::KeyInfo> info = ring.show(o.name);
  if (!info) return fail(info.error());
  if (!ctx.global.yes) {
    if (!interactive())
      return fail(make_error(ErrorKind::invalid, "deleting key \"" + o.name + "\" needs confirmation; pass --yes"));
    if (!confirm("Delete key \"" + o.name + "\" (" + info->address + ")? It cannot be recovered without a backup."))
      return fail(make_error(ErrorKind::invalid, "not deleted"));
  }
  if (Status removed = ring.remove(o.name); !removed) return fail(removed.error());
  if (ctx.json())
    fmt::print("{}\n", Json{{"deleted", o.name}, {"address", info->address}}.dump(2));
  else
    fmt::print("deleted key {} ({})\n", o.name, info->address);
  return k_exit_ok;
}

} // namespace

void add_keys_commands(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "Manage signing keys in $AKT_HOME/keys");
  keys->alias("key");
  keys->require_subcommand(1);
  keys->fallthrough();
  auto o = std::make_shared<KeysOptions>();

  auto* add = keys->add_subcommand("add", "Create a new secp256k1 key (encrypted when a passphrase is given)");
  add->add_option("name", o->name, "Key name")->required();
  add->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_add(ctx, *o); }; });

  auto* import = keys->add_subcommand("import", "Import a hex private key from FILE or standard input");
  import->add_option("name", o->name, "Key name")->required();
  import->add_option("file", o->file, "File with the hex private key (default: standard input)");
  import->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_import(ctx, *o); }; });

  auto* list = keys->add_subcommand("list", "List keys");
  list->alias("ls");
  list->callback([&ctx] { ctx.selected = [&ctx] { return run_list(ctx); }; });

  auto* show = keys->add_subcommand("show", "Show a key's address and public key");
  show->add_option("name", o->name, "Key name")->required();
  show->add_flag("-a,--address", o->address_only, "Print only the address");
  show->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_show(ctx, *o); }; });

  auto* exp = keys->add_subcommand("export", "Print a key's private key as hex");
  exp->add_option("name", o->name, "Key name")->required();
  exp->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_export(ctx, *o); }; });

  auto* del = keys->add_subcommand("delete", "Delete a key (asks on a terminal, else needs --yes)");
  del->alias("rm");
  del->add_option("name", o->name, "Key name")->required();
  del->callback([&ctx, o] { ctx.selected = [&ctx, o] { return run_delete(ctx, *o); }; });
}

} // namespace akt::cli
