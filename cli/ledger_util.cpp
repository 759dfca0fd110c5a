#include "cli/ledger_util.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstdio>

#include "ledger/embedded.hpp"

namespace akt::cli {

const ledger::Clock& system_clock() {
  static const ledger::SystemClock k_clock;
  return k_clock;
}

std::string ledger_spec(const Context& ctx) {
  if (!ctx.global.ledger.empty()) return ctx.global.ledger;
  return (ctx.home() / "ledger.db").string();
}

Result<std::unique_ptr<ledger::Ledger>> open_ledger(const Context& ctx) {
  ledger::OpenOptions options;
  options.clock = &system_clock();
  options.create_if_missing = ctx.global.ledger.empty();
  return ledger::open_ledger(ctx.global.ledger, ctx.home(), options);
}

ledger::Keyring keyring(const Context& ctx) { return ledger::Keyring(ctx.home() / "keys"); }

bool interactive() { return ::isatty(STDIN_FILENO) == 1; }

namespace {

// Reads one line from the terminal with echo off.
std::optional<std::string> ask_hidden(std::string_view prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  (void)!::write(fd, prompt.data(), prompt.size());
  termios old {};
  bool restore = ::tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') {
    if (line.size() < 4096) line.push_back(c);
  }
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return line;
}

} // namespace

std::optional<std::string> read_passphrase(std::string_view prompt) {
  if (const char* env = std::getenv("AKT_KEYRING_PASSPHRASE"); env) return std::string(env);
  if (!interactive()) return std::nullopt;
  return ask_hidden(prompt);
}

Result<std::optional<std::string>> new_passphrase(std::string_view name) {
  if (const char* env = std::getenv("AKT_KEYRING_PASSPHRASE"); env) {
    if (!*env) return std::optional<std::string>();
    return std::optional<std::string>(env);
  }
  if (!interactive()) return std::optional<std::string>();
  std::optional<std::string> first =
      ask_hidden("Passphrase to encrypt key \"" + std::string(name) + "\" (empty for none): ");
  if (!first || first->empty()) return std::optional<std::string>();
  std::optional<std::string> second = ask_hidden("Repeat the passphrase: ");
  if (!second || *second != *first)
    return make_error(ErrorKind::invalid, "the passphrases differ; run the command again");
  return first;
}

Result<ledger::PrivateKey> load_key(const Context& ctx, const std::string& name) {
  ledger::Keyring ring = keyring(ctx);
  Result<ledger::KeyInfo> info = ring.show(name);
  if (!info) return info.error();
  std::optional<std::string> passphrase;
  if (info->encrypted) passphrase = read_passphrase("Passphrase for key \"" + name + "\": ");
  return ring.load(name, passphrase);
}

Result<std::string> resolve_address(const Context& ctx, std::string_view name_or_address) {
  if (name_or_address.rfind("akash1", 0) == 0) {
    if (Status valid = ledger::validate_address(name_or_address); !valid) return valid.error();
    return std::string(name_or_address);
  }
  Result<ledger::KeyInfo> info = keyring(ctx).show(name_or_address);
  if (!info) {
    Error e = info.error();
    if (e.kind == ErrorKind::not_found)
      e.message = "\"" + std::string(name_or_address) + "\" is neither an akash1… address nor a key name; list keys with `akt keys list`";
    return e;
  }
  return info->address;
}

Result<std::string> acting_key_name(const Context& ctx, const std::string& explicit_name) {
  if (!explicit_name.empty()) return explicit_name;
  if (!ctx.global.from.empty()) return ctx.global.from;
  return make_error(ErrorKind::invalid, "no key to sign with: pass --from KEY or set AKT_FROM (create one with `akt keys add NAME`)");
}

bool confirm(std::string_view question) {
  if (!interactive()) return false;
  std::fprintf(stderr, "%.*s [y/N] ", static_cast<int>(question.size()), question.data());
  std::fflush(stderr);
  char buffer[64] = {};
  if (!std::fgets(buffer, sizeof buffer, stdin)) return false;
  return buffer[0] == 'y' || buffer[0] == 'Y';
}

} // namespace akt::cli
