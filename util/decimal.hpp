#pragma once
// Fixed-point decimal with 18 fractional digits, the shape of Cosmos' LegacyDec that
// Akash uses for prices and escrow balances. Never floating point: every operation is
// exact or refused (overflow returns nullopt, and callers turn that into an error).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace akt::util {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

class Decimal {
public:
  static constexpr int k_precision = 18;
  static constexpr int128 k_one = static_cast<int128>(1'000'000'000'000'000'000LL);

  constexpr Decimal() = default;
  static constexpr Decimal from_raw(int128 raw) { Decimal d; d.m_raw = raw; return d; }
  static constexpr Decimal from_int(std::int64_t units) { return from_raw(static_cast<int128>(units) * k_one); }

  // Parses "12", "0.5", "-3.25" exactly as Cosmos' LegacyNewDecFromStr, with its error
  // texts ("decimal string cannot be empty", "invalid decimal length", ...). Values whose
  // magnitude does not fit 128 bits are refused as out of range.
  static Result<Decimal> parse(std::string_view text);

  // "250.000000000000000000": always 18 fractional digits, as LegacyDec.String().
  std::string to_string() const;
  // Shortest exact form without trailing zeros ("250", "0.5"), for people.
  std::string to_short_string() const;

  constexpr int128 raw() const { return m_raw; }
  constexpr bool is_zero() const { return m_raw == 0; }
  constexpr bool is_negative() const { return m_raw < 0; }
  // Whole units, rounded toward zero / toward +infinity.
  int128 truncate() const { return m_raw / k_one; }
  int128 ceil() const;

  std::optional<Decimal> checked_add(Decimal other) const;
  std::optional<Decimal> checked_sub(Decimal other) const;
  std::optional<Decimal> checked_mul_int(int128 factor) const;
  // Exact quotient rounded toward zero; nullopt on division by zero or overflow.
  std::optional<Decimal> checked_div_int(int128 divisor) const;

  friend constexpr auto operator<=>(const Decimal&, const Decimal&) = default;

private:
  int128 m_raw = 0;
};

// Decimal text of a 128-bit integer.
std::string int128_to_string(int128 value);
// Parses an optionally signed decimal integer that fits 128 bits.
std::optional<int128> parse_int128(std::string_view text);

} // namespace akt::util
