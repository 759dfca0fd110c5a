#pragma once
// What the ledger unit tests share: a scratch directory and a small group to deploy.
#include <doctest/doctest.h>

#include <memory>

#include "ledger/embedded.hpp"
#include "sdl/types.hpp"
#include "temp_dir.hpp"

namespace akt::ledger::testing {

using akt::testing::TempDir;

// A new embedded ledger at `dir`/ledger.db: chain akt-test-1, 1 s blocks, no accounts.
inline std::unique_ptr<EmbeddedLedger> fresh_ledger(const std::filesystem::path& dir, const Clock& clock) {
  GenesisOptions genesis;
  genesis.chain_id = "akt-test-1";
  genesis.block_interval_ms = 1000;
  Result<std::unique_ptr<EmbeddedLedger>> opened = EmbeddedLedger::init(dir / "ledger.db", clock, genesis);
  REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().message));
  return std::move(*opened);
}

// One replica of 1 CPU, 512 MiB and 1 GiB of storage at 1000uakt per block.
inline sdl::GroupSpec small_group() {
  sdl::GroupSpec group;
  group.name = "dcloud";
  sdl::ResourceUnit unit;
  unit.resources.id = 1;
  unit.resources.cpu.units = 1000;
  unit.resources.memory.size = 512ull * 1024 * 1024;
  unit.resources.storage.push_back(sdl::Storage{"default", 1024ull * 1024 * 1024, {}});
  unit.count = 1;
  unit.price = sdl::DecCoin{"uakt", util::Decimal::from_int(1000)};
  group.resources.push_back(unit);
  return group;
}

} // namespace akt::ledger::testing
