#include <benchmark/benchmark.h>

#include "util/decimal.hpp"

// Escrow settles every payment on each touch of an account; parsing and summing
// prices is on that path.
static void BM_decimal_parse_and_sum(benchmark::State& state) {
  for (auto _ : state) {
    akt::util::Decimal total;
    for (int i = 0; i < 100; ++i) total = *total.checked_add(*akt::util::Decimal::parse("123.456789"));
    benchmark::DoNotOptimize(total);
  }
}
BENCHMARK(BM_decimal_parse_and_sum);
