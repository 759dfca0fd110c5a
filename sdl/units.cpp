#include "sdl/units.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>

namespace akt::sdl::units {
namespace {

Error fail(std::string message) { return make_error(ErrorKind::invalid, std::move(message)); }

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Go's uint64(f) on amd64 for f >= 0.
std::uint64_t go_to_uint64(double f) {
  if (std::isnan(f) || f < 0) return 0x8000000000000000ULL;
  if (f < 9223372036854775808.0) return static_cast<std::uint64_t>(static_cast<std::int64_t>(f));
  if (f < 18446744073709551616.0) return static_cast<std::uint64_t>(f);
  return 0x8000000000000000ULL;
}

// Go's uint32(f) on amd64: through int64, keep the low 32 bits.
std::uint32_t go_to_uint32(double f) {
  if (std::isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0) return 0;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(static_cast<std::int64_t>(f)) & 0xffffffffULL);
}

} // namespace

std::string go_quote(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\a': out += "\\a"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\v': out += "\\v"; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
  return out;
}

Result<double> parse_float(std::string_view text) {
  const std::string s(text);
  auto syntax = [&] { return fail("strconv.ParseFloat: parsing " + go_quote(s) + ": invalid syntax"); };
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (ieq(body, "inf") || ieq(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (ieq(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  static const std::regex decimal("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  static const std::regex hexa("[+-]?0[xX](_?[0-9a-fA-F])*(\\.[0-9a-fA-F_]*)?[pP][+-]?[0-9]+");
  std::string cleaned = s;
  if (std::regex_match(s, hexa)) {
    cleaned.erase(std::remove(cleaned.begin(), cleaned.end(), '_'), cleaned.end());
  } else if (!std::regex_match(s, decimal)) {
    return syntax();
  }
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(cleaned.c_str(), &end);
  if (end != cleaned.c_str() + cleaned.size()) return syntax();
  if (errno == ERANGE && std::isinf(value)) {
    return fail("strconv.ParseFloat: parsing " + go_quote(s) + ": value out of range");
  }
  return value;
}

Result<std::uint64_t> parse_uint(std::string_view text, int bits) {
  const std::string s(text);
  if (s.empty()) return fail("strconv.ParseUint: parsing " + go_quote(s) + ": invalid syntax");
  std::uint64_t value = 0;
  const std::uint64_t max = bits >= 64 ? std::numeric_limits<std::uint64_t>::max() : ((1ULL << bits) - 1);
  bool overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return fail("strconv.ParseUint: parsing " + go_quote(s) + ": invalid syntax");
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (max - digit) / 10) overflow = true;
    else value = value * 10 + digit;
  }
  if (overflow) return fail("strconv.ParseUint: parsing " + go_quote(s) + ": value out of range");
  return value;
}

Result<std::uint32_t> cpu_millis(std::string_view text) {
  if (!text.empty() && text.back() == 'm') {
    auto v = parse_uint(text.substr(0, text.size() - 1), 32);
    if (!v) return v.error();
    return static_cast<std::uint32_t>(*v);
  }
  auto f = parse_float(text);
  if (!f) return f.error();
  if (*f < 0) return fail("invalid: negative value not allowed");
  return go_to_uint32(*f * 1000);
}

Result<std::uint64_t> bytes(std::string_view text, bool binary_only) {
  struct Suffix {
    const char* name;
    double unit;
    bool binary;
  };
  static const Suffix suffixes[] = {
      {"k", 1e3, false},  {"Ki", 1024.0, true},
      {"M", 1e6, false},  {"Mi", 1048576.0, true},
      {"G", 1e9, false},  {"Gi", 1073741824.0, true},
      {"T", 1e12, false}, {"Ti", 1099511627776.0, true},
      {"P", 1e15, false}, {"Pi", 1125899906842624.0, true},
      {"E", 1e18, false}, {"Ei", 1152921504606846976.0, true},
  };
  std::string_view number = text;
  double unit = 1;
  for (const Suffix& s : suffixes) {
    if (binary_only && !s.binary) continue;
    std::string_view name = s.name;
    if (text.size() >= name.size() && text.substr(text.size() - name.size()) == name) {
      number = text.substr(0, text.size() - name.size());
      unit = s.unit;
      break;
    }
  }
  auto f = parse_float(number);
  if (!f) return f.error();
  double value = *f * unit;
  if (value < 0) return fail("invalid: negative value not allowed");
  return go_to_uint64(value);
}

Result<std::int64_t> duration(std::string_view text) {
  const std::string orig(text);
  auto invalid = [&] { return fail("time: invalid duration " + go_quote(orig)); };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::int64_t{0};
  if (s.empty()) return invalid();
  struct Unit {
    const char* name;
    double nanos;
  };
  static const Unit table[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                               {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  long double total = 0;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::string_view whole = s.substr(0, i);
    std::string_view frac;
    bool dot = false;
    if (i < s.size() && s[i] == '.') {
      dot = true;
      std::size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      frac = s.substr(i + 1, j - i - 1);
      i = j;
    }
    if (whole.empty() && frac.empty()) return invalid();
    (void)dot;
    std::size_t u = i;
    while (u < s.size() && s[u] != '.' && (s[u] < '0' || s[u] > '9')) ++u;
    std::string_view unit_name = s.substr(i, u - i);
    if (unit_name.empty()) return fail("time: missing unit in duration " + go_quote(orig));
    const Unit* found = nullptr;
    for (const Unit& un : table) {
      if (unit_name == un.name) found = &un;
    }
    if (!found) {
      return fail("time: unknown unit " + go_quote(std::string(unit_name)) + " in duration " + go_quote(orig));
    }
    long double value = 0;
    for (char c : whole) value = value * 10 + (c - '0');
    long double scale = 1;
    for (char c : frac) {
      scale /= 10;
      value += (c - '0') * scale;
    }
    total += value * found->nanos;
    if (total > 9223372036854775807.0L) return invalid();
    s.remove_prefix(u);
  }
  auto nanos = static_cast<std::int64_t>(total);
  return negative ? -nanos : nanos;
}

} // namespace akt::sdl::units
