// The marketplace of sim.yaml's providers: how many of them can answer an order now,
// which is what a deploy waits for before its bid window ends early.
#include <doctest/doctest.h>

#include <memory>

#include "sim/config.hpp"
#include "sim/marketplace.hpp"
#include "ledger_fixture.hpp"
#include "temp_dir.hpp"

using namespace akt;

namespace {

struct Network {
  testing::TempDir home{"akt-marketplace"};
  ledger::ManualClock clock{1'700'000'000'000};
  std::unique_ptr<ledger::EmbeddedLedger> ledger = ledger::testing::fresh_ledger(home.path, clock);
  std::unique_ptr<sim::Marketplace> market;

  explicit Network(const sim::NetworkConfig& config) {
    REQUIRE(sim::save_config(config, home.path / "sim.yaml"));
    sim::MarketplaceOptions options;
    options.home = home.path;
    Result<std::unique_ptr<sim::Marketplace>> opened = sim::Marketplace::open(*ledger, options);
    REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().message));
    market = std::move(*opened);
  }
};

} // namespace

TEST_CASE("sim marketplace: a provider offline for the latest round is not waited for") {
  sim::NetworkConfig config = sim::default_network();
  REQUIRE(config.providers.size() >= 4);
  for (sim::ProviderConfig& p : config.providers) p.reliability.offline = 0.0;
  config.providers[0].reliability.offline = 1.0;  // misses every round
  config.providers[1].online = false;             // switched off in sim.yaml
  Network network(config);
  const std::size_t all = config.providers.size();

  // Before any round nothing says the first provider is away.
  CHECK(network.market->answering() == all - 1);
  for (auto& [name, report] : network.market->round()) REQUIRE_MESSAGE(report, name);
  CHECK(network.market->answering() == all - 2);

  REQUIRE(network.market->faults().set_offline(config.providers[2].name, true));
  CHECK(network.market->answering() == all - 3);
  REQUIRE(network.market->faults().set_offline(config.providers[2].name, false));
  CHECK(network.market->answering() == all - 2);
}

TEST_CASE("sim marketplace: a provider back online after an offline round is waited for again") {
  sim::NetworkConfig config = sim::default_network();
  for (sim::ProviderConfig& p : config.providers) p.reliability.offline = 0.0;
  Network network(config);
  sim::Provider* first = network.market->find(config.providers[0].name);
  REQUIRE(first);
  REQUIRE(network.market->faults().set_offline(first->name(), true));
  REQUIRE(network.market->round(*first));
  REQUIRE(network.market->faults().set_offline(first->name(), false));
  // Its last round was offline; the next one is not.
  CHECK(network.market->answering() == config.providers.size() - 1);
  REQUIRE(network.market->round(*first));
  CHECK(network.market->answering() == config.providers.size());
}
