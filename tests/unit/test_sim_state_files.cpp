// The files that every akt process's providers share: decisions and provider memories
// written by several processes at once all survive.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "sim/decisions.hpp"
#include "sim/state_files.hpp"
#include "temp_dir.hpp"

using namespace akt;

TEST_CASE("sim decisions: two stores on one folder (two processes) lose none of each other's decisions") {
  testing::TempDir dir{"akt-decisions"};
  // Separate stores share no mutex, as separate processes would not.
  sim::FileDecisionStore first(dir.path);
  sim::FileDecisionStore second(dir.path);
  constexpr std::uint32_t k_each = 150;
  auto record = [](sim::FileDecisionStore& store, const std::string& provider) {
    for (std::uint32_t g = 1; g <= k_each; ++g) {
      sim::OrderDecision d;
      d.provider = provider;
      d.owner = "akash1tenant";
      d.dseq = 9;
      d.gseq = g;
      d.oseq = 1;
      d.reason = "declined: no_capacity";
      REQUIRE(store.record(d));
    }
  };
  std::thread a([&] { record(first, "akash1providera"); });
  std::thread b([&] { record(second, "akash1providerb"); });
  a.join();
  b.join();
  Result<std::vector<sim::OrderDecision>> all = first.for_deployment("akash1tenant", 9);
  REQUIRE(all);
  CHECK(all->size() == 2 * k_each);
}

TEST_CASE("sim state files: two processes updating one provider's memory keep each other's leases") {
  testing::TempDir dir{"akt-memory"};
  sim::ProviderMemoryStore first(dir.path / "memory.json");
  sim::ProviderMemoryStore second(dir.path / "memory.json");
  constexpr int k_each = 100;
  auto update = [](sim::ProviderMemoryStore& store, const std::string& prefix) {
    for (int i = 0; i < k_each; ++i) {
      REQUIRE(store.update([&](sim::ProviderMemory& memory) {
        memory.leases[prefix + std::to_string(i)].manifest_version = "v" + std::to_string(i);
      }));
    }
  };
  std::thread a([&] { update(first, "a/"); });
  std::thread b([&] { update(second, "b/"); });
  a.join();
  b.join();
  Result<sim::ProviderMemory> memory = first.load();
  REQUIRE(memory);
  CHECK(memory->leases.size() == 2 * k_each);
  CHECK(memory->leases.at("b/42").manifest_version == "v42");
}
