#pragma once
// secp256k1 keys as Cosmos accounts use them: 33-byte compressed public keys, 64-byte
// compact r||s signatures over sha256 with s in the lower half of the order (low-S,
// so a signature cannot be malleated), and bech32 "akash" addresses of
// ripemd160(sha256(compressed public key)). Backed by OpenSSL 3 EVP; no OpenSSL type
// appears here. The keyring keeps one file per key under $AKT_HOME/keys.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.hpp"
#include "util/result.hpp"

namespace akt::ledger {

inline constexpr std::string_view k_address_prefix = "akash";

using Signature = std::array<std::uint8_t, 64>;        // r || s, big endian, low-S
using CompressedPubKey = std::array<std::uint8_t, 33>;  // 0x02/0x03 || x

class PublicKey {
public:
  // Parses and checks a compressed point (on the curve, not infinity).
  static Result<PublicKey> from_bytes(const util::Bytes& compressed);
  static Result<PublicKey> from_hex(std::string_view hex);

  const CompressedPubKey& bytes() const { return m_bytes; }
  std::string hex() const;
  // bech32 "akash1..." of ripemd160(sha256(bytes)).
  std::string address() const;

  // True when `signature` is a valid low-S signature of sha256(message).
  bool verify(std::string_view message, const Signature& signature) const;
  bool verify_digest(const std::array<std::uint8_t, 32>& digest, const Signature& signature) const;
  // The OpenSSL path, whichever verifier is built in; tests compare the two.
  bool verify_digest_openssl(const std::array<std::uint8_t, 32>& digest, const Signature& signature) const;

  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

private:
  struct Impl;
  PublicKey() = default;
  CompressedPubKey m_bytes{};
  std::shared_ptr<const Impl> m_impl;  // immutable, so copies share it
};

class PrivateKey {
public:
  // A fresh key from OpenSSL's CSPRNG.
  static PrivateKey generate();
  // A 32-byte big-endian scalar in [1, n-1].
  static Result<PrivateKey> from_bytes(const util::Bytes& secret);
  static Result<PrivateKey> from_hex(std::string_view hex);

  util::Bytes secret() const;
  const PublicKey& public_key() const { return m_public; }
  std::string address() const { return m_public.address(); }

  // Signs sha256(message) in the low-S form; deterministic only in validity, not in bytes.
  Signature sign(std::string_view message) const;
  Signature sign_digest(const std::array<std::uint8_t, 32>& digest) const;
  // The OpenSSL path, whichever signer is built in; tests compare the two.
  Signature sign_digest_openssl(const std::array<std::uint8_t, 32>& digest) const;

  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

private:
  struct Impl;
  explicit PrivateKey(PublicKey pub) : m_public(std::move(pub)) {}
  PublicKey m_public;
  std::shared_ptr<const Impl> m_impl;
};

// Address of a public key (bech32 "akash").
std::string address_of(const CompressedPubKey& pubkey);
// Checks an "akash1..." address: bech32 checksum, prefix and a 20-byte payload.
Status validate_address(std::string_view address);

// ---- Keyring ----------------------------------------------------------------------

struct KeyInfo {
  std::string name;
  std::string address;
  std::string pubkey_hex;
  bool encrypted = false;
};

// Names are 1-64 characters of [A-Za-z0-9._-], not starting with '.'.
Status validate_key_name(std::string_view name);

// One JSON file per key, `<dir>/<name>.json`, mode 0600 in a 0700 directory. With a
// passphrase the secret is sealed with AES-256-GCM under a scrypt-derived key; without
// one it is stored as hex (a test or CI keyring). Passphrases are arguments: reading
// them (a TTY, AKT_KEYRING_PASSPHRASE) is the caller's business.
class Keyring {
public:
  explicit Keyring(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  const std::filesystem::path& dir() const { return m_dir; }
  // Refuses an existing name (ErrorKind::invalid) so a key is never overwritten.
  Result<KeyInfo> add(std::string_view name, const PrivateKey& key,
                      const std::optional<std::string>& passphrase);
  Result<std::vector<KeyInfo>> list() const;  // sorted by name
  Result<KeyInfo> show(std::string_view name) const;  // not_found when absent
  // The secret; a wrong or missing passphrase for an encrypted key is ErrorKind::refused.
  Result<PrivateKey> load(std::string_view name, const std::optional<std::string>& passphrase) const;
  Status remove(std::string_view name);
  // Finds the key whose address is `address`; not_found when none.
  Result<KeyInfo> find_by_address(std::string_view address) const;

private:
  std::filesystem::path path_of(std::string_view name) const;
  std::filesystem::path m_dir;
};

} // namespace akt::ledger
