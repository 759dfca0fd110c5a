#include "util/hash.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace akt::util {
namespace {

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, const void* data, std::size_t size) {
  std::array<std::uint8_t, N> out{};
  unsigned int written = 0;
  if (EVP_Digest(data, size, out.data(), &written, md, nullptr) != 1 || written != N)
    throw std::runtime_error("OpenSSL digest failed");
  return out;
}

} // namespace

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  return digest<32>(EVP_sha256(), data.data(), data.size());
}

std::array<std::uint8_t, 32> sha256(const Bytes& data) {
  return digest<32>(EVP_sha256(), data.data(), data.size());
}

std::array<std::uint8_t, 20> ripemd160(const Bytes& data) {
  // OpenSSL 3 moved RIPEMD-160 to the legacy provider in some builds; fetch it
  // explicitly so a missing provider is a clear failure rather than a null digest.
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, "RIPEMD160", nullptr),
                                                     &EVP_MD_free);
  if (!md) throw std::runtime_error("OpenSSL has no RIPEMD160 digest");
  return digest<20>(md.get(), data.data(), data.size());
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = k_digits[data[i] >> 4];
    out[2 * i + 1] = k_digits[data[i] & 0xf];
  }
  return out;
}

bool from_hex(std::string_view hex, Bytes& out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return true;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

} // namespace akt::util
