// The market commands end to end: the real akt binary against an embedded ledger file in
// a temporary AKT_HOME, with keys and funds prepared through the ledger's own API.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "ledger/keys.hpp"
#include "ledger/ledger.hpp"

using namespace akt;

namespace {

struct Run {
  int code = -1;
  std::string out;
};

Run akt_run(const std::filesystem::path& home, const std::string& args) {
  std::string command = "AKT_HOME='" + home.string() + "' AKT_LEDGER= AKT_FROM= '" AKT_BINARY "' " + args + " 2>/dev/null";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

} // namespace

TEST_CASE("cli market: deploy, bid, rank, lease, escrow, close on an embedded ledger") {
  std::filesystem::path home = std::filesystem::temp_directory_path() /
                               ("akt-cli-market-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(home);
  ledger::Keyring keys(home / "keys");
  ledger::PrivateKey tenant = ledger::PrivateKey::generate();
  ledger::PrivateKey provider = ledger::PrivateKey::generate();
  REQUIRE(keys.add("tenant", tenant, std::nullopt));
  REQUIRE(keys.add("provider", provider, std::nullopt));
  {
    ledger::SystemClock clock;
    ledger::OpenOptions options;
    options.clock = &clock;
    Result<std::unique_ptr<ledger::Ledger>> opened = ledger::open_ledger("", home, options);
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : to_string(opened.error())));
    REQUIRE((*opened)->fund(tenant.address(), {"uakt", 50'000'000}).has_value());
    REQUIRE((*opened)->fund(provider.address(), {"uakt", 5'000'000}).has_value());
  }
  const std::string T = tenant.address();
  const std::string P = provider.address();
  const std::string sdl = std::string(AKT_SOURCE_DIR) + "/examples/web-service.yaml";

  CHECK(akt_run(home, "provider register --from provider --host-uri https://p1.example:8443 --attr region=us-west").code == 0);
  Run created = akt_run(home, "deployment create " + sdl + " --from tenant --dseq 100 --deposit 5000000uakt -o json");
  REQUIRE(created.code == 0);
  CHECK(nlohmann::json::parse(created.out)["events"].size() >= 2);

  Run orders = akt_run(home, "orders list --owner " + T + " -o json");
  REQUIRE(orders.code == 0);
  auto order_list = nlohmann::json::parse(orders.out);
  REQUIRE(order_list.size() == 1);
  CHECK(order_list[0]["state"] == "open");

  CHECK(akt_run(home, "bid create --from provider --owner " + T + " --dseq 100 --price 0.5uakt").code == 0);
  // Above the order's maximum: refused by the ledger, exit 5.
  CHECK(akt_run(home, "bid create --from tenant --owner " + T + " --dseq 100 --price 999999uakt").code == 5);

  Run ranked = akt_run(home, "bids list --owner " + T + " --dseq 100 --rank --explain -o json");
  REQUIRE(ranked.code == 0);
  auto ranking = nlohmann::json::parse(ranked.out);
  REQUIRE(ranking.size() == 1);
  CHECK(ranking[0]["rank"] == 1);
  CHECK(ranking[0]["explanation"].get<std::string>().find("price 0.5uakt/block") != std::string::npos);

  CHECK(akt_run(home, "lease create --from tenant --dseq 100 --provider " + P).code == 0);
  Run leases = akt_run(home, "leases list --owner " + T + " -o json");
  REQUIRE(leases.code == 0);
  CHECK(nlohmann::json::parse(leases.out)[0]["state"] == "active");

  Run runway = akt_run(home, "escrow runway --from tenant --dseq 100 -o json");
  REQUIRE(runway.code == 0);
  CHECK(nlohmann::json::parse(runway.out)["runway_blocks"].is_string());

  // Same manifest again: nothing to update, refused (5). Unknown deployment: not found (3).
  CHECK(akt_run(home, "deployment update " + sdl + " --from tenant --dseq 100").code == 5);
  CHECK(akt_run(home, "deployment show --from tenant --dseq 999").code == 3);
  // No acting key: bad usage (2).
  CHECK(akt_run(home, "deployment close --dseq 100").code == 2);

  CHECK(akt_run(home, "deployment close --from tenant --dseq 100").code == 0);
  Run shown = akt_run(home, "deployment show --from tenant --dseq 100 -o json");
  REQUIRE(shown.code == 0);
  auto doc = nlohmann::json::parse(shown.out);
  CHECK(doc["deployment"]["state"] == "closed");
  CHECK(doc["leases"][0]["reason"] == "owner");
  std::filesystem::remove_all(home);
}
