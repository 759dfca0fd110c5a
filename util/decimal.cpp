#include "util/decimal.hpp"

#include <cstdint>
#include <limits>

namespace akt::util {
namespace {

constexpr int128 k_int128_max = static_cast<int128>((~static_cast<uint128>(0)) >> 1);

} // namespace

std::string int128_to_string(int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  uint128 magnitude =
      negative ? static_cast<uint128>(-(value + 1)) + 1 : static_cast<uint128>(value);
  // 19 digits at a time: one 128-bit division per chunk instead of one per digit.
  constexpr std::uint64_t k_chunk = 10'000'000'000'000'000'000ULL;
  char buffer[48];
  char* end = buffer + sizeof buffer;
  char* begin = end;
  while (magnitude >= k_chunk) {
    std::uint64_t part = static_cast<std::uint64_t>(magnitude % k_chunk);
    magnitude /= k_chunk;
    for (int i = 0; i < 19; ++i, part /= 10) *--begin = static_cast<char>('0' + part % 10);
  }
  for (auto part = static_cast<std::uint64_t>(magnitude); part > 0; part /= 10)
    *--begin = static_cast<char>('0' + part % 10);
  if (negative) *--begin = '-';
  return std::string(begin, end);
}

std::optional<int128> parse_int128(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  // Overflow is checked against constants: a 128-bit division per digit is slow.
  constexpr int128 k_max_tenth = k_int128_max / 10;
  constexpr int k_max_last = static_cast<int>(k_int128_max % 10);
  int128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (value > k_max_tenth || (value == k_max_tenth && digit > k_max_last)) return std::nullopt;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

Result<Decimal> Decimal::parse(std::string_view text) {
  const std::string_view original = text;
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return Error{"decimal string cannot be empty", std::nullopt, ""};
  std::string_view whole = text;
  std::string_view fraction;
  std::size_t dot = text.find('.');
  if (dot != std::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
    if (fraction.find('.') != std::string_view::npos)
      return Error{"invalid decimal string", std::nullopt, ""};
    if (fraction.empty() || whole.empty()) return Error{"invalid decimal length", std::nullopt, ""};
  }
  if (fraction.size() > static_cast<std::size_t>(k_precision)) {
    return Error{"value '" + std::string(text) + "' exceeds max precision by " +
                     std::to_string(k_precision - static_cast<int>(fraction.size())) +
                     " decimal places: max precision " + std::to_string(k_precision),
                 std::nullopt, ""};
  }
  std::string combined = std::string(whole) + std::string(fraction) +
                         std::string(static_cast<std::size_t>(k_precision) - fraction.size(), '0');
  // big.Int.SetString accepts one leading sign; anything else that is not a digit fails.
  std::string_view digits = combined;
  bool inner_negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    inner_negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  bool all_digits = !digits.empty();
  for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
  if (!all_digits)
    return Error{"failed to set decimal string with base 10: " + combined, std::nullopt, ""};
  std::optional<int128> raw = parse_int128(digits);
  if (!raw) return Error{"decimal '" + std::string(original) + "' out of range", std::nullopt, ""};
  int128 value = *raw;
  if (inner_negative) value = -value;
  if (negative) value = -value;
  return from_raw(value);
}

std::string Decimal::to_string() const {
  bool negative = m_raw < 0;
  std::string digits = int128_to_string(negative ? -m_raw : m_raw);
  if (digits.size() <= static_cast<std::size_t>(k_precision))
    digits.insert(0, static_cast<std::size_t>(k_precision) + 1 - digits.size(), '0');
  digits.insert(digits.size() - k_precision, ".");
  return negative ? "-" + digits : digits;
}

std::string Decimal::to_short_string() const {
  std::string text = to_string();
  std::size_t keep = text.find_last_not_of('0');
  if (text[keep] == '.') --keep;
  text.resize(keep + 1);
  return text;
}

int128 Decimal::ceil() const {
  int128 whole = m_raw / k_one;
  if (m_raw % k_one > 0) ++whole;
  return whole;
}

std::optional<Decimal> Decimal::checked_add(Decimal other) const {
  int128 out = 0;
  if (__builtin_add_overflow(m_raw, other.m_raw, &out)) return std::nullopt;
  return from_raw(out);
}

std::optional<Decimal> Decimal::checked_sub(Decimal other) const {
  int128 out = 0;
  if (__builtin_sub_overflow(m_raw, other.m_raw, &out)) return std::nullopt;
  return from_raw(out);
}

std::optional<Decimal> Decimal::checked_mul_int(int128 factor) const {
  int128 out = 0;
  if (__builtin_mul_overflow(m_raw, factor, &out)) return std::nullopt;
  return from_raw(out);
}

std::optional<Decimal> Decimal::checked_div_int(int128 divisor) const {
  if (divisor == 0) return std::nullopt;
  return from_raw(m_raw / divisor);
}

} // namespace akt::util
