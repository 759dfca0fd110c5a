#include <doctest/doctest.h>

#include "sim/inventory.hpp"
#include "tests/unit/sim_fixtures.hpp"

using namespace akt;
using namespace akt::sim;
using namespace akt::sim::testing;

TEST_CASE("sim::Inventory places every replica on a single node") {
  Inventory inv({node("a", 4000, 16 * k_gi), node("b", 4000, 16 * k_gi)});
  SUBCASE("two 3-CPU replicas need two nodes") {
    FitResult fit = inv.fit(group({unit(1, 3000, 1 * k_gi, 2)}));
    REQUIRE(fit.fits);
    REQUIRE(fit.reservation.replicas.size() == 2);
    CHECK(fit.reservation.replicas[0].node == 0);
    CHECK(fit.reservation.replicas[1].node == 1);
  }
  SUBCASE("a replica is never split across nodes") {
    FitResult fit = inv.fit(group({unit(1, 6000, 1 * k_gi, 1)}));
    CHECK_FALSE(fit.fits);
    CHECK(fit.shortfall.what == "6000m free CPU");
  }
  SUBCASE("three 3-CPU replicas do not fit two 4-CPU nodes") {
    FitResult fit = inv.fit(group({unit(1, 3000, 1 * k_gi, 3)}));
    CHECK_FALSE(fit.fits);
    CHECK(fit.shortfall.what == "room for all 3 replicas on identical hardware (3000m CPU, 1Gi memory each)");
  }
  SUBCASE("units share what is left") {
    FitResult fit = inv.fit(group({unit(1, 4000, 1 * k_gi, 1), unit(2, 4000, 1 * k_gi, 1)}));
    REQUIRE(fit.fits);
    CHECK(fit.reservation.replicas[0].node != fit.reservation.replicas[1].node);
  }
  SUBCASE("memory shortfall") {
    FitResult fit = inv.fit(group({unit(1, 1000, 32 * k_gi, 1)}));
    CHECK_FALSE(fit.fits);
    CHECK(fit.shortfall.what == "32Gi free memory");
  }
  SUBCASE("storage class shortfall") {
    auto u = unit(1, 1000, 1 * k_gi, 1);
    u.resources.storage.push_back(sdl::Storage{"data", 10 * k_gi, {{"class", "beta3"}, {"persistent", "true"}}});
    FitResult fit = inv.fit(group({u}));
    CHECK_FALSE(fit.fits);
    CHECK(fit.shortfall.what == "10Gi free beta3 storage");
  }
}

TEST_CASE("sim::Inventory keeps all replicas of a service on identical hardware") {
  // One big node of class x and one of class y: two replicas fit only if they can share a class.
  Inventory inv({node("x1", 4000, 16 * k_gi, 0, "", "x"), node("y1", 4000, 16 * k_gi, 0, "", "y"),
                 node("y2", 4000, 16 * k_gi, 0, "", "y")});
  FitResult fit = inv.fit(group({unit(1, 3000, 1 * k_gi, 2)}));
  REQUIRE(fit.fits);
  CHECK(fit.reservation.replicas[0].node == 1);
  CHECK(fit.reservation.replicas[1].node == 2);

  Inventory mixed({node("x1", 4000, 16 * k_gi, 0, "", "x"), node("y1", 4000, 16 * k_gi, 0, "", "y")});
  CHECK_FALSE(mixed.fit(group({unit(1, 3000, 1 * k_gi, 2)})).fits);
}

TEST_CASE("sim::Inventory allocates concrete GPU device ids") {
  NodeConfig h = node("h", 64000, 512 * k_gi, 4, "h100");
  NodeConfig mixed = node("m", 64000, 512 * k_gi, 0);
  mixed.gpus = {{"0", "nvidia", "rtx4090", "24Gi", "pcie"}, {"1", "nvidia", "a100", "80Gi", "pcie"},
                {"2", "nvidia", "rtx4090", "24Gi", "pcie"}};
  SUBCASE("lowest free ids of the requested model") {
    Inventory inv({h});
    auto u = unit(1, 1000, 1 * k_gi, 1);
    gpu(u, 2, {"vendor/nvidia/model/h100/ram/80Gi/interface/sxm"});
    FitResult fit = inv.fit(group({u}));
    REQUIRE(fit.fits);
    CHECK(fit.reservation.replicas[0].gpu_ids == std::vector<std::string>{"0", "1"});
    REQUIRE(inv.reserve("o1", fit.reservation));
    CHECK(inv.free_gpu_count(0) == 2);
    FitResult next = inv.fit(group({u}));
    REQUIRE(next.fits);
    CHECK(next.reservation.replicas[0].gpu_ids == std::vector<std::string>{"2", "3"});
    REQUIRE(inv.reserve("o2", next.reservation));
    FitResult none = inv.fit(group({u}));
    CHECK_FALSE(none.fits);
    CHECK(none.shortfall.what == "2 free nvidia h100 80Gi sxm GPUs");
    CHECK(inv.release("o1"));
    FitResult again = inv.fit(group({u}));
    REQUIRE(again.fits);
    CHECK(again.reservation.replicas[0].gpu_ids == std::vector<std::string>{"0", "1"});
  }
  SUBCASE("one model per replica, skipping other models") {
    Inventory inv({mixed});
    auto u = unit(1, 1000, 1 * k_gi, 1);
    gpu(u, 2, {"vendor/nvidia/model/rtx4090"});
    FitResult fit = inv.fit(group({u}));
    REQUIRE(fit.fits);
    CHECK(fit.reservation.replicas[0].gpu_ids == std::vector<std::string>{"0", "2"});
  }
  SUBCASE("wildcard model takes any, but never mixes models in one replica") {
    Inventory inv({mixed});
    auto u = unit(1, 1000, 1 * k_gi, 1);
    gpu(u, 2, {"vendor/nvidia/model/*"});
    FitResult fit = inv.fit(group({u}));
    REQUIRE(fit.fits);
    CHECK(fit.reservation.replicas[0].gpu_ids == std::vector<std::string>{"0", "2"});
    gpu(u, 3, {"vendor/nvidia/model/*"});
    u.resources.gpu.attributes.resize(1);
    CHECK_FALSE(inv.fit(group({u})).fits);
  }
  SUBCASE("ram and interface must match when given") {
    Inventory inv({mixed});
    auto u = unit(1, 1000, 1 * k_gi, 1);
    gpu(u, 1, {"vendor/nvidia/model/a100/ram/40Gi"});
    CHECK_FALSE(inv.fit(group({u})).fits);
    u.resources.gpu.attributes = {{"vendor/nvidia/model/a100/ram/80Gi/interface/pcie", "true"}};
    FitResult fit = inv.fit(group({u}));
    REQUIRE(fit.fits);
    CHECK(fit.reservation.replicas[0].gpu_ids == std::vector<std::string>{"1"});
  }
}

TEST_CASE("sim::Inventory bounds hostile orders") {
  Inventory inv({node("a", 4000, 16 * k_gi)});
  auto u = unit(1, 0, 0, 4000000000u);
  u.resources.storage.clear();
  FitResult fit = inv.fit(group({u}));
  CHECK_FALSE(fit.fits);
  CHECK(fit.shortfall.what == "room for 4000000000 replicas (at most 100000 per order)");
}

TEST_CASE("sim::Inventory reservations") {
  Inventory inv({node("a", 4000, 16 * k_gi)});
  sdl::GroupSpec g = group({unit(1, 3000, 8 * k_gi, 1)});
  FitResult fit = inv.fit(g);
  REQUIRE(fit.fits);
  REQUIRE(inv.reserve("o1", fit.reservation));
  CHECK(inv.free(0).cpu == 1000);
  CHECK(inv.free(0).memory == 8 * k_gi);
  CHECK(inv.free(0).storage[static_cast<std::size_t>(StorageClass::ephemeral)] == 99 * k_gi);
  CHECK(inv.reservation("o1")->order_id == "o1");
  CHECK(inv.reservation_count() == 1);
  // The same order cannot reserve twice, and the capacity cannot be promised twice.
  CHECK_FALSE(inv.reserve("o1", fit.reservation));
  Status twice = inv.reserve("o2", fit.reservation);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("no longer free") != std::string::npos);
  CHECK_FALSE(inv.fit(g).fits);
  CHECK(inv.release("o1"));
  CHECK_FALSE(inv.release("o1"));
  CHECK(inv.free(0).cpu == 4000);
  CHECK(inv.free(0).memory == 16 * k_gi);
  CHECK(inv.reservation_count() == 0);
  CHECK(inv.fit(g).fits);
}

TEST_CASE("sim::parse_gpu_requirements") {
  auto reqs = parse_gpu_requirements({{"vendor/nvidia/model/a100/ram/80Gi/interface/sxm", "true"},
                                      {"vendor/nvidia/model/*", "true"}});
  REQUIRE(reqs);
  REQUIRE(reqs->size() == 2);
  CHECK((*reqs)[0] == GpuRequirement{"nvidia", "a100", "80Gi", "sxm"});
  CHECK((*reqs)[1] == GpuRequirement{"nvidia", "*", "", ""});
  CHECK(describe((*reqs)[1]) == "nvidia (any model)");
  CHECK_FALSE(parse_gpu_requirements({{"vendor/nvidia", "true"}}));
  CHECK_FALSE(parse_gpu_requirements({{"vendor/nvidia/model/a100/speed/fast", "true"}}));
  CHECK(gpu_matches({"nvidia", "*", "", ""}, {"0", "nvidia", "h100", "80Gi", "sxm"}));
  CHECK_FALSE(gpu_matches({"amd", "*", "", ""}, {"0", "nvidia", "h100", "80Gi", "sxm"}));
  CHECK_FALSE(gpu_matches({"nvidia", "h100", "", "pcie"}, {"0", "nvidia", "h100", "80Gi", "sxm"}));
}

TEST_CASE("sim::volume_class") {
  CHECK(volume_class({"v", 1, {}}) == StorageClass::ephemeral);
  CHECK(volume_class({"v", 1, {{"persistent", "false"}}}) == StorageClass::ephemeral);
  CHECK(volume_class({"v", 1, {{"class", "default"}, {"persistent", "true"}}}) == StorageClass::standard);
  CHECK(volume_class({"v", 1, {{"class", "beta2"}, {"persistent", "true"}}}) == StorageClass::beta2);
  CHECK(volume_class({"v", 1, {{"class", "ram"}, {"persistent", "false"}}}) == StorageClass::ram);
}
