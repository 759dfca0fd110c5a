#include "util/bech32.hpp"

#include <stdexcept>

namespace akt::util {
namespace {

constexpr char k_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t k_max_length = 90;

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t k_gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                             0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= k_gen[i];
    }
  }
  return chk;
}

std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31));
  return out;
}

int charset_index(char c) {
  for (int i = 0; i < 32; ++i) {
    if (k_charset[i] == c) return i;
  }
  return -1;
}

Error bech32_error(std::string message) { return make_error(ErrorKind::invalid, std::move(message)); }

} // namespace

std::string bech32_encode(std::string_view hrp, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> values = hrp_expand(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  std::uint32_t mod = polymod(values) ^ 1;
  std::string out(hrp);
  out.push_back('1');
  for (std::uint8_t d : data) {
    if (d > 31) throw std::logic_error("bech32_encode: value out of 5-bit range");
    out.push_back(k_charset[d]);
  }
  for (int i = 0; i < 6; ++i) out.push_back(k_charset[(mod >> (5 * (5 - i))) & 31]);
  return out;
}

Result<Bech32Decoded> bech32_decode(std::string_view text) {
  if (text.size() > k_max_length)
    return bech32_error("bech32 string is longer than 90 characters");
  bool lower = false;
  bool upper = false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return bech32_error("bech32 string has a character out of range");
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return bech32_error("bech32 string mixes upper and lower case");
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0)
    return bech32_error("bech32 string has no human-readable part");
  if (sep + 7 > text.size()) return bech32_error("bech32 checksum is too short");
  Bech32Decoded out;
  for (std::size_t i = 0; i < sep; ++i) {
    char c = text[i];
    out.hrp.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  std::vector<std::uint8_t> values;
  for (std::size_t i = sep + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    int idx = charset_index(c);
    if (idx < 0) return bech32_error("bech32 string has an invalid character");
    values.push_back(static_cast<std::uint8_t>(idx));
  }
  std::vector<std::uint8_t> check = hrp_expand(out.hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (polymod(check) != 1) return bech32_error("bech32 checksum is invalid");
  out.data.assign(values.begin(), values.end() - 6);
  return out;
}

Result<std::vector<std::uint8_t>> convert_bits(const std::vector<std::uint8_t>& in, int from_bits,
                                               int to_bits, bool pad) {
  std::uint32_t acc = 0;
  int bits = 0;
  const std::uint32_t maxv = (1u << to_bits) - 1;
  std::vector<std::uint8_t> out;
  for (std::uint8_t value : in) {
    if ((value >> from_bits) != 0) return bech32_error("bech32 data value out of range");
    acc = (acc << from_bits) | value;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<std::uint8_t>((acc << (to_bits - bits)) & maxv));
  } else if (bits >= from_bits || ((acc << (to_bits - bits)) & maxv) != 0) {
    return bech32_error("bech32 data has invalid padding");
  }
  return out;
}

std::string bech32_encode_bytes(std::string_view hrp, const std::vector<std::uint8_t>& bytes) {
  Result<std::vector<std::uint8_t>> five = convert_bits(bytes, 8, 5, true);
  return bech32_encode(hrp, *five);
}

Result<std::vector<std::uint8_t>> bech32_decode_bytes(std::string_view expected_hrp,
                                                      std::string_view text) {
  Result<Bech32Decoded> decoded = bech32_decode(text);
  if (!decoded) return decoded.error();
  if (decoded->hrp != expected_hrp)
    return bech32_error("address prefix is \"" + decoded->hrp + "\", expected \"" +
                        std::string(expected_hrp) + "\"");
  return convert_bits(decoded->data, 5, 8, false);
}

} // namespace akt::util
