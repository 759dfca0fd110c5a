#pragma once
// Number and unit parsing with the exact acceptance and error texts of the Go functions
// the network uses (strconv.ParseFloat/ParseUint, the SDL's unit suffixes, time.ParseDuration).
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace akt::sdl::units {

// Go's %q: double-quoted with Go escapes.
std::string go_quote(std::string_view text);

// strconv.ParseFloat(text, 64); errors read `strconv.ParseFloat: parsing "x": invalid syntax`.
Result<double> parse_float(std::string_view text);
// strconv.ParseUint(text, 10, bits).
Result<std::uint64_t> parse_uint(std::string_view text, int bits);

// CPU units in millicpu as Go's cpuQuantity: "100m", "0.5", "2"; Go's uint32 conversion.
Result<std::uint32_t> cpu_millis(std::string_view text);
// Bytes with the suffixes k Ki M Mi G Gi T Ti P Pi E Ei (binary_only: Ki..Ei), truncated
// as Go's uint64(float64) conversion.
Result<std::uint64_t> bytes(std::string_view text, bool binary_only = false);
// Go's time.ParseDuration, in nanoseconds.
Result<std::int64_t> duration(std::string_view text);

} // namespace akt::sdl::units
