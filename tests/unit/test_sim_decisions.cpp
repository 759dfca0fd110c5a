// The decision files that every akt process's providers write: decisions of several
// processes on one deployment all survive.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "sim/decisions.hpp"
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
