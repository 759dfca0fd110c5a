#pragma once
// Digests used by the protocol: sha256 for manifest versions and signatures,
// ripemd160 for addresses. Backed by OpenSSL.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace akt::util {

using Bytes = std::vector<std::uint8_t>;

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::array<std::uint8_t, 32> sha256(const Bytes& data);
std::array<std::uint8_t, 20> ripemd160(const Bytes& data);

std::string to_hex(const std::uint8_t* data, std::size_t size);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& data) { return to_hex(data.data(), N); }
inline std::string to_hex(const Bytes& data) { return to_hex(data.data(), data.size()); }
// Empty optional-like result: returns false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, Bytes& out);

std::string sha256_hex(std::string_view data);

} // namespace akt::util
