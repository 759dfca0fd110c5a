#pragma once
// Bech32 (BIP-173) as Cosmos addresses use it: a human-readable prefix ("akash"), a
// separator '1', 5-bit data and a 6-character checksum. Only the original bech32
// constant is supported; bech32m is not used by Cosmos account addresses.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace akt::util {

struct Bech32Decoded {
  std::string hrp;                 // lower case
  std::vector<std::uint8_t> data;  // 5-bit groups, checksum removed
};

// Encodes 5-bit `data` under `hrp` (lower case expected). Throws on a value > 31 (a bug).
std::string bech32_encode(std::string_view hrp, const std::vector<std::uint8_t>& data);
// Decodes and checks the checksum, case rules and length (at most 90 characters).
Result<Bech32Decoded> bech32_decode(std::string_view text);

// Regroups bits (8 -> 5 to encode bytes, 5 -> 8 to decode them). With pad == false,
// leftover bits must be zero padding of fewer than from_bits bits, else nullopt-like failure.
Result<std::vector<std::uint8_t>> convert_bits(const std::vector<std::uint8_t>& in, int from_bits,
                                               int to_bits, bool pad);

// Bytes -> bech32 address text ("akash1..."), and back; decoding checks the prefix.
std::string bech32_encode_bytes(std::string_view hrp, const std::vector<std::uint8_t>& bytes);
Result<std::vector<std::uint8_t>> bech32_decode_bytes(std::string_view expected_hrp,
                                                      std::string_view text);

} // namespace akt::util
