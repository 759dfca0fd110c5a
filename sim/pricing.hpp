#pragma once
// What a provider asks for a group, per block. Two ways, as Akash providers do: rates
// (the reference script's USD targets, a GPU price table) computed exactly in 18-decimal
// fixed point, or an external price script that reads the order as JSON on stdin and
// prints the price; a non-zero exit means "no bid" and its stderr says why.
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "sim/config.hpp"
#include "sim/inventory.hpp"
#include "util/decimal.hpp"
#include "util/result.hpp"

namespace akt::sim {

// The order's maximum: sum of unit price * count. Refused when units mix denoms.
Result<sdl::DecCoin> order_max_price(const sdl::GroupSpec& group);

// USD a month for the group at these rates (exact, truncated at 18 decimals).
Result<util::Decimal> monthly_usd(const Rates& rates, const sdl::GroupSpec& group);
// Micro-units per block: monthly * 1e6 / blocks_per_month, truncated.
Result<util::Decimal> rates_price(const Pricing& pricing, const sdl::GroupSpec& group);
// The same with the group's unit_demands, worked out once for many providers.
Result<util::Decimal> rates_price(const Pricing& pricing, const sdl::GroupSpec& group,
                                  std::span<const UnitDemand> demands);

// The script's stdin, shaped like the provider's: {"resources":[{"cpu","memory",
// "storage":[{"class","size"}],"gpu":{"units","attributes":{"vendor":{...}}},"count",
// "endpoint_quantity","ip_lease_quantity"}],"price":{"denom","amount"},"price_precision":18}
std::string price_script_input(const sdl::GroupSpec& group, const sdl::DecCoin& max_price);

struct ProcessRequest {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::string stdin_data;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_output = 64 * 1024;  // per stream; the rest is dropped
};

struct ProcessOutput {
  int exit_code = 0;     // 128 + signal when killed by one
  bool timed_out = false;
  std::string stdout_data;
  std::string stderr_data;
};

// Runs a program to completion. Errors are for failures to run it at all.
class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  virtual Result<ProcessOutput> run(const ProcessRequest& request) = 0;
};

// posix_spawn with pipes for stdin/stdout/stderr; kills the child at the timeout.
class PosixProcessRunner final : public ProcessRunner {
public:
  Result<ProcessOutput> run(const ProcessRequest& request) override;
};

// Runs the price script. The result is the price per block; a non-zero exit is an error
// of kind no_bid reading "requested rate is too low: <stderr>", a timeout likewise
// ("price script timed out after 5000 ms"), unparsable output is a failure.
Result<util::Decimal> script_price(ProcessRunner& runner, const Pricing& pricing,
                                   const sdl::GroupSpec& group, const sdl::DecCoin& max_price);

} // namespace akt::sim
