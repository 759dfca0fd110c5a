#include "ledger/keys.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#ifdef AKT_HAVE_SECP256K1
#include <secp256k1.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/bech32.hpp"

namespace akt::ledger {
namespace {

using Json = nlohmann::json;

struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct BnCtxFree { void operator()(BN_CTX* p) const { BN_CTX_free(p); } };
struct GroupFree { void operator()(EC_GROUP* p) const { EC_GROUP_free(p); } };
struct PointFree { void operator()(EC_POINT* p) const { EC_POINT_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct SigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };
struct BldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };

using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

[[noreturn]] void openssl_bug(const char* what) {
  throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

// The curve's constants, built once per call site that needs them; cheap enough
// next to a signature operation and free of shared mutable state.
struct Curve {
  std::unique_ptr<EC_GROUP, GroupFree> group{EC_GROUP_new_by_curve_name(NID_secp256k1)};
  BnPtr half_order{BN_new()};
  Curve() {
    if (!group || !half_order) openssl_bug("secp256k1 group");
    if (BN_rshift1(half_order.get(), EC_GROUP_get0_order(group.get())) != 1) openssl_bug("half order");
  }
  const BIGNUM* order() const { return EC_GROUP_get0_order(group.get()); }
};

const Curve& curve() {
  static const Curve k_curve;  // immutable after construction
  return k_curve;
}

Error key_error(ErrorKind kind, std::string message) { return make_error(kind, std::move(message)); }

PkeyPtr pkey_from_params(OSSL_PARAM_BLD* bld, int selection) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) openssl_bug("fromdata init");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) return PkeyPtr();
  return PkeyPtr(raw);
}

} // namespace

// ---- PublicKey --------------------------------------------------------------------

#ifdef AKT_HAVE_SECP256K1
namespace {
// libsecp256k1 verifies about ten times faster than OpenSSL's generic prime-curve code,
// which is what lets a ledger check tens of thousands of signatures a second. The
// context is only read after creation, which the library documents as thread-safe.
const secp256k1_context* secp_context() {
  static const secp256k1_context* const k_context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return k_context;
}
} // namespace
#endif

struct PublicKey::Impl {
#ifdef AKT_HAVE_SECP256K1
  secp256k1_pubkey secp{};
#else
  PkeyPtr pkey;
#endif
};

PublicKey::PublicKey(const PublicKey& other) = default;
PublicKey& PublicKey::operator=(const PublicKey& other) = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

namespace {

// An OpenSSL key for a compressed point; null when the point is not on the curve.
PkeyPtr openssl_public_key(const util::Bytes& compressed) {
  const Curve& c = curve();
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(c.group.get()));
  if (!point) openssl_bug("point");
  if (EC_POINT_oct2point(c.group.get(), point.get(), compressed.data(), compressed.size(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(c.group.get(), point.get()) ||
      EC_POINT_is_on_curve(c.group.get(), point.get(), nullptr) != 1)
    return PkeyPtr();
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, compressed.data(),
                                       compressed.size()) != 1)
    openssl_bug("param build");
  return pkey_from_params(bld.get(), EVP_PKEY_PUBLIC_KEY);
}

} // namespace

Result<PublicKey> PublicKey::from_bytes(const util::Bytes& compressed) {
  if (compressed.size() != 33 || (compressed[0] != 0x02 && compressed[0] != 0x03))
    return key_error(ErrorKind::invalid, "public key must be 33 bytes of a compressed secp256k1 point");
  auto impl = std::make_shared<Impl>();
#ifdef AKT_HAVE_SECP256K1
  if (secp256k1_ec_pubkey_parse(secp_context(), &impl->secp, compressed.data(), compressed.size()) != 1)
    return key_error(ErrorKind::invalid, "public key is not a point of secp256k1");
#else
  impl->pkey = openssl_public_key(compressed);
  if (!impl->pkey) return key_error(ErrorKind::invalid, "public key is not a point of secp256k1");
#endif
  PublicKey out;
  std::copy(compressed.begin(), compressed.end(), out.m_bytes.begin());
  out.m_impl = std::move(impl);
  return out;
}

Result<PublicKey> PublicKey::from_hex(std::string_view hex) {
  util::Bytes bytes;
  if (!util::from_hex(hex, bytes)) return key_error(ErrorKind::invalid, "public key is not hex");
  return from_bytes(bytes);
}

std::string PublicKey::hex() const { return util::to_hex(m_bytes); }

std::string PublicKey::address() const { return address_of(m_bytes); }

bool PublicKey::verify(std::string_view message, const Signature& signature) const {
  return verify_digest(util::sha256(message), signature);
}

bool PublicKey::verify_digest(const std::array<std::uint8_t, 32>& digest, const Signature& signature) const {
  if (!m_impl) return false;
#ifdef AKT_HAVE_SECP256K1
  secp256k1_ecdsa_signature parsed;
  if (secp256k1_ecdsa_signature_parse_compact(secp_context(), &parsed, signature.data()) != 1) return false;
  // Refuses high-S itself: only the normalized (low-S) form verifies.
  return secp256k1_ecdsa_verify(secp_context(), &parsed, digest.data(), &m_impl->secp) == 1;
#else
  return verify_digest_openssl(digest, signature);
#endif
}

bool PublicKey::verify_digest_openssl(const std::array<std::uint8_t, 32>& digest, const Signature& signature) const {
  if (!m_impl) return false;
  const Curve& c = curve();
  BnPtr r(BN_bin2bn(signature.data(), 32, nullptr));
  BnPtr s(BN_bin2bn(signature.data() + 32, 32, nullptr));
  if (!r || !s) openssl_bug("bn");
  // Cosmos accepts only canonical low-S signatures: anything else is a malleated copy.
  if (BN_is_zero(r.get()) || BN_is_zero(s.get()) || BN_cmp(r.get(), c.order()) >= 0 ||
      BN_cmp(s.get(), c.half_order.get()) > 0)
    return false;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) openssl_bug("sig");
  (void)r.release();
  (void)s.release();
  unsigned char der[80];
  unsigned char* cursor = der;
  int der_len = i2d_ECDSA_SIG(sig.get(), &cursor);
  if (der_len <= 0 || der_len > static_cast<int>(sizeof der)) openssl_bug("der");
#ifdef AKT_HAVE_SECP256K1
  PkeyPtr pkey = openssl_public_key(util::Bytes(m_bytes.begin(), m_bytes.end()));
  if (!pkey) return false;
  EVP_PKEY* verifier = pkey.get();
#else
  EVP_PKEY* verifier = m_impl->pkey.get();
#endif
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(verifier, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) openssl_bug("verify init");
  return EVP_PKEY_verify(ctx.get(), der, static_cast<std::size_t>(der_len), digest.data(), digest.size()) == 1;
}

// ---- PrivateKey -------------------------------------------------------------------

struct PrivateKey::Impl {
  util::Bytes secret;
  ~Impl() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

PrivateKey::PrivateKey(const PrivateKey& other) = default;
PrivateKey& PrivateKey::operator=(const PrivateKey& other) = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

PrivateKey PrivateKey::generate() {
  const Curve& c = curve();
  for (;;) {
    util::Bytes secret(32);
    if (RAND_priv_bytes(secret.data(), static_cast<int>(secret.size())) != 1) openssl_bug("rand");
    BnPtr d(BN_bin2bn(secret.data(), 32, nullptr));
    if (!BN_is_zero(d.get()) && BN_cmp(d.get(), c.order()) < 0) {
      Result<PrivateKey> key = from_bytes(secret);
      OPENSSL_cleanse(secret.data(), secret.size());
      if (key) return std::move(key).value();
    }
  }
}

namespace {

// The scalar as an OpenSSL big number, or null when it is not in [1, n-1].
BnPtr secret_scalar(const util::Bytes& secret) {
  BnPtr d(BN_secure_new());
  if (!d || !BN_bin2bn(secret.data(), 32, d.get())) openssl_bug("bn");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), curve().order()) >= 0) return BnPtr();
  return d;
}

#ifndef AKT_HAVE_SECP256K1
// d·G in compressed form, computed by OpenSSL.
util::Bytes openssl_public_point(const BIGNUM* d) {
  const Curve& c = curve();
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(c.group.get()));
  std::unique_ptr<BN_CTX, BnCtxFree> bn_ctx(BN_CTX_new());
  if (!point || !bn_ctx || EC_POINT_mul(c.group.get(), point.get(), d, nullptr, nullptr, bn_ctx.get()) != 1)
    openssl_bug("point mul");
  util::Bytes pub(33);
  if (EC_POINT_point2oct(c.group.get(), point.get(), POINT_CONVERSION_COMPRESSED, pub.data(), pub.size(),
                         bn_ctx.get()) != 33)
    openssl_bug("point2oct");
  return pub;
}
#endif

#ifdef AKT_HAVE_SECP256K1
// Signing gets a context of its own, blinded once with fresh randomness against timing
// and power side channels, as the library recommends; it is only read afterwards.
const secp256k1_context* secp_signing_context() {
  static const secp256k1_context* const k_context = [] {
    secp256k1_context* context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // The kernel's generator: seeding OpenSSL's would cost more than every signature a
    // command makes.
    unsigned char seed[32];
    if (::getrandom(seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) openssl_bug("getrandom");
    if (secp256k1_context_randomize(context, seed) != 1) openssl_bug("secp256k1 randomize");
    OPENSSL_cleanse(seed, sizeof seed);
    return context;
  }();
  return k_context;
}
#endif

} // namespace

Result<PrivateKey> PrivateKey::from_bytes(const util::Bytes& secret) {
  if (secret.size() != 32) return key_error(ErrorKind::invalid, "private key must be 32 bytes");
  util::Bytes pub(33);
#ifdef AKT_HAVE_SECP256K1
  // libsecp256k1 derives the point some fifty times faster than OpenSSL's generic curve
  // code, which every command that loads a key pays for.
  secp256k1_pubkey point;
  if (secp256k1_ec_seckey_verify(secp_context(), secret.data()) != 1)
    return key_error(ErrorKind::invalid, "private key is out of range for secp256k1");
  if (secp256k1_ec_pubkey_create(secp_signing_context(), &point, secret.data()) != 1) openssl_bug("secp256k1 pubkey");
  std::size_t length = pub.size();
  if (secp256k1_ec_pubkey_serialize(secp_context(), pub.data(), &length, &point, SECP256K1_EC_COMPRESSED) != 1 ||
      length != 33)
    openssl_bug("secp256k1 serialize");
#else
  BnPtr d = secret_scalar(secret);
  if (!d) return key_error(ErrorKind::invalid, "private key is out of range for secp256k1");
  pub = openssl_public_point(d.get());
#endif
  Result<PublicKey> public_key = PublicKey::from_bytes(pub);
  if (!public_key) openssl_bug("derived public key");
  PrivateKey out(std::move(public_key).value());
  auto impl = std::make_shared<Impl>();
  impl->secret = secret;
  out.m_impl = std::move(impl);
  return out;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view hex) {
  util::Bytes bytes;
  if (!util::from_hex(hex, bytes)) return key_error(ErrorKind::invalid, "private key is not hex");
  Result<PrivateKey> key = from_bytes(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

util::Bytes PrivateKey::secret() const { return m_impl->secret; }

Signature PrivateKey::sign(std::string_view message) const { return sign_digest(util::sha256(message)); }

Signature PrivateKey::sign_digest(const std::array<std::uint8_t, 32>& digest) const {
#ifdef AKT_HAVE_SECP256K1
  // RFC 6979 nonces; the signature comes out in the low-S form Cosmos requires.
  secp256k1_ecdsa_signature signature;
  if (secp256k1_ecdsa_sign(secp_signing_context(), &signature, digest.data(), m_impl->secret.data(), nullptr,
                           nullptr) != 1)
    openssl_bug("secp256k1 sign");
  Signature out{};
  if (secp256k1_ecdsa_signature_serialize_compact(secp_context(), out.data(), &signature) != 1)
    openssl_bug("secp256k1 serialize signature");
  return out;
#else
  return sign_digest_openssl(digest);
#endif
}

Signature PrivateKey::sign_digest_openssl(const std::array<std::uint8_t, 32>& digest) const {
  BnPtr d = secret_scalar(m_impl->secret);
  if (!d) openssl_bug("secret out of range");
  const CompressedPubKey& pub = m_public.bytes();  // derived when the key was loaded
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) != 1)
    openssl_bug("param build");
  PkeyPtr pkey = pkey_from_params(bld.get(), EVP_PKEY_KEYPAIR);
  if (!pkey) openssl_bug("fromdata keypair");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) openssl_bug("sign init");
  unsigned char der[80];
  std::size_t der_len = sizeof der;
  if (EVP_PKEY_sign(ctx.get(), der, &der_len, digest.data(), digest.size()) != 1) openssl_bug("sign");
  const unsigned char* cursor = der;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len)));
  if (!sig) openssl_bug("d2i sig");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  const Curve& c = curve();
  BnPtr low_s(BN_dup(s));
  if (!low_s) openssl_bug("bn dup");
  if (BN_cmp(low_s.get(), c.half_order.get()) > 0 && BN_sub(low_s.get(), c.order(), s) != 1) openssl_bug("bn sub");
  Signature out{};
  if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(low_s.get(), out.data() + 32, 32) != 32)
    openssl_bug("bn2bin");
  return out;
}

// ---- Addresses --------------------------------------------------------------------

std::string address_of(const CompressedPubKey& pubkey) {
  std::array<std::uint8_t, 32> sha = util::sha256(std::string_view(reinterpret_cast<const char*>(pubkey.data()), pubkey.size()));
  std::array<std::uint8_t, 20> rip = util::ripemd160(util::Bytes(sha.begin(), sha.end()));
  return util::bech32_encode_bytes(k_address_prefix, util::Bytes(rip.begin(), rip.end()));
}

Status validate_address(std::string_view address) {
  Result<std::vector<std::uint8_t>> bytes = util::bech32_decode_bytes(k_address_prefix, address);
  if (!bytes) return key_error(ErrorKind::invalid, "invalid address \"" + std::string(address) + "\": " + bytes.error().message);
  if (bytes->size() != 20)
    return key_error(ErrorKind::invalid, "invalid address \"" + std::string(address) + "\": expected 20 bytes");
  for (char ch : address) {
    if (ch >= 'A' && ch <= 'Z')
      return key_error(ErrorKind::invalid, "invalid address \"" + std::string(address) + "\": use lower case");
  }
  return ok();
}

// ---- Keyring ----------------------------------------------------------------------

namespace {

constexpr std::uint64_t k_scrypt_n = 1u << 15;
constexpr std::uint64_t k_scrypt_r = 8;
constexpr std::uint64_t k_scrypt_p = 1;
constexpr std::size_t k_max_key_file = 64 * 1024;

std::array<std::uint8_t, 32> derive_key(const std::string& passphrase, const util::Bytes& salt, std::uint64_t n,
                                        std::uint64_t r, std::uint64_t p) {
  std::array<std::uint8_t, 32> key{};
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), n, r, p,
                     256ull * 1024 * 1024, key.data(), key.size()) != 1)
    openssl_bug("scrypt");
  return key;
}

struct Sealed {
  util::Bytes salt, iv, ciphertext, tag;
};

Sealed seal(const util::Bytes& secret, const std::string& passphrase, const std::string& aad) {
  Sealed out;
  out.salt.resize(16);
  out.iv.resize(12);
  out.tag.resize(16);
  if (RAND_bytes(out.salt.data(), 16) != 1 || RAND_bytes(out.iv.data(), 12) != 1) openssl_bug("rand");
  std::array<std::uint8_t, 32> key = derive_key(passphrase, out.salt, k_scrypt_n, k_scrypt_r, k_scrypt_p);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  out.ciphertext.resize(secret.size());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &len, secret.data(), static_cast<int>(secret.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.tag.data()) != 1)
    openssl_bug("aes-gcm seal");
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

std::optional<util::Bytes> unseal(const Sealed& sealed, const std::string& passphrase, const std::string& aad,
                                  std::uint64_t n, std::uint64_t r, std::uint64_t p) {
  std::array<std::uint8_t, 32> key = derive_key(passphrase, sealed.salt, n, r, p);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  util::Bytes plain(sealed.ciphertext.size() + 16);
  int len = 0;
  int total = 0;
  util::Bytes tag = sealed.tag;
  bool good = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(sealed.iv.size()), nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), sealed.iv.data()) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), plain.data(), &len, sealed.ciphertext.data(),
                                static_cast<int>(sealed.ciphertext.size())) == 1;
  total = len;
  good = good && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), plain.data() + total, &len) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!good) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  plain.resize(static_cast<std::size_t>(total + len));
  return plain;
}

Result<Json> read_key_file(const std::filesystem::path& path, std::string_view name) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return key_error(ErrorKind::not_found, "no key named \"" + std::string(name) + "\"; list keys with `akt keys list` or create one with `akt keys add " + std::string(name) + "`");
  std::ifstream in(path, std::ios::binary);
  if (!in) return key_error(ErrorKind::failure, "cannot read " + path.string());
  std::string text;
  text.resize(k_max_key_file + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > k_max_key_file) return key_error(ErrorKind::invalid, path.string() + ": key file is too large");
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("address") || !doc["address"].is_string() ||
      !doc.contains("pubkey") || !doc["pubkey"].is_string())
    return key_error(ErrorKind::invalid, path.string() + ": not an akt key file");
  return doc;
}

KeyInfo info_of(const Json& doc, std::string_view name) {
  KeyInfo info;
  info.name = std::string(name);
  info.address = doc["address"].get<std::string>();
  info.pubkey_hex = doc["pubkey"].get<std::string>();
  info.encrypted = doc.contains("crypto");
  return info;
}

std::string json_str(const Json& doc, const char* key) {
  return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : std::string();
}

util::Bytes hex_field(const Json& doc, const char* key) {
  util::Bytes out;
  if (!util::from_hex(json_str(doc, key), out)) out.clear();
  return out;
}

Status ensure_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return key_error(ErrorKind::failure, "cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0)
    return key_error(ErrorKind::failure, "cannot set mode 0700 on " + dir.string() + ": " + std::strerror(errno));
  return ok();
}

// Writes beside the target and links it into place, so a key file is either whole or
// absent, and an existing key is never replaced.
Status write_new_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error(ErrorKind::failure, "cannot create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  bool good = true;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { good = false; break; }
    done += static_cast<std::size_t>(n);
  }
  good = good && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!good) {
    ::unlink(tmp.c_str());
    return key_error(ErrorKind::failure, "cannot write " + tmp.string());
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (link_errno == EEXIST) return key_error(ErrorKind::invalid, "a key file already exists at " + path.string());
    return key_error(ErrorKind::failure, "cannot create " + path.string() + ": " + std::strerror(link_errno));
  }
  return ok();
}

} // namespace

Status validate_key_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.')
    return key_error(ErrorKind::invalid, "key name \"" + std::string(name) + "\" must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with '.'");
  for (char c : name) {
    bool good = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!good)
      return key_error(ErrorKind::invalid, "key name \"" + std::string(name) + "\" must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with '.'");
  }
  return ok();
}

std::filesystem::path Keyring::path_of(std::string_view name) const {
  return m_dir / (std::string(name) + ".json");
}

Result<KeyInfo> Keyring::add(std::string_view name, const PrivateKey& key, const std::optional<std::string>& passphrase) {
  if (Status valid = validate_key_name(name); !valid) return valid.error();
  if (Status dir = ensure_dir(m_dir); !dir) return dir.error();
  std::error_code ec;
  if (std::filesystem::exists(path_of(name), ec))
    return key_error(ErrorKind::invalid, "a key named \"" + std::string(name) + "\" already exists; pick another name or delete it first");
  Json doc;
  doc["name"] = std::string(name);
  doc["type"] = "secp256k1";
  doc["address"] = key.address();
  doc["pubkey"] = key.public_key().hex();
  util::Bytes secret = key.secret();
  if (passphrase) {
    Sealed sealed = seal(secret, *passphrase, key.address());
    doc["crypto"] = {{"kdf", "scrypt"},
                     {"n", k_scrypt_n},
                     {"r", k_scrypt_r},
                     {"p", k_scrypt_p},
                     {"salt", util::to_hex(sealed.salt)},
                     {"cipher", "aes-256-gcm"},
                     {"iv", util::to_hex(sealed.iv)},
                     {"ciphertext", util::to_hex(sealed.ciphertext)},
                     {"tag", util::to_hex(sealed.tag)}};
  } else {
    doc["secret"] = util::to_hex(secret);
  }
  OPENSSL_cleanse(secret.data(), secret.size());
  if (Status written = write_new_file(path_of(name), doc.dump(2) + "\n"); !written) return written.error();
  return info_of(doc, name);
}

Result<std::vector<KeyInfo>> Keyring::list() const {
  std::vector<KeyInfo> out;
  std::error_code ec;
  if (!std::filesystem::exists(m_dir, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(m_dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    std::string name = entry.path().stem().string();
    if (!validate_key_name(name)) continue;
    Result<Json> doc = read_key_file(entry.path(), name);
    if (!doc) continue;  // a stray file is not a key; `show` reports it by name
    out.push_back(info_of(*doc, name));
  }
  if (ec) return key_error(ErrorKind::failure, "cannot list " + m_dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) { return a.name < b.name; });
  return out;
}

Result<KeyInfo> Keyring::show(std::string_view name) const {
  if (Status valid = validate_key_name(name); !valid) return valid.error();
  Result<Json> doc = read_key_file(path_of(name), name);
  if (!doc) return doc.error();
  return info_of(*doc, name);
}

Result<PrivateKey> Keyring::load(std::string_view name, const std::optional<std::string>& passphrase) const {
  if (Status valid = validate_key_name(name); !valid) return valid.error();
  Result<Json> doc = read_key_file(path_of(name), name);
  if (!doc) return doc.error();
  std::string address = (*doc)["address"].get<std::string>();
  util::Bytes secret;
  if (doc->contains("crypto")) {
    const Json& crypto = (*doc)["crypto"];
    if (!passphrase)
      return key_error(ErrorKind::refused, "key \"" + std::string(name) + "\" is encrypted; give its passphrase on a terminal or in AKT_KEYRING_PASSPHRASE");
    if (!crypto.is_object() || json_str(crypto, "kdf") != "scrypt" || json_str(crypto, "cipher") != "aes-256-gcm" ||
        !crypto.contains("n") || !crypto["n"].is_number_unsigned() || !crypto.contains("r") ||
        !crypto["r"].is_number_unsigned() || !crypto.contains("p") || !crypto["p"].is_number_unsigned())
      return key_error(ErrorKind::invalid, path_of(name).string() + ": unsupported key encryption");
    std::uint64_t n = crypto["n"].get<std::uint64_t>();
    std::uint64_t r = crypto["r"].get<std::uint64_t>();
    std::uint64_t p = crypto["p"].get<std::uint64_t>();
    // Bounded so a crafted file cannot ask for unbounded memory or time.
    if (n < 2 || n > (1u << 20) || (n & (n - 1)) != 0 || r < 1 || r > 16 || p < 1 || p > 4)
      return key_error(ErrorKind::invalid, path_of(name).string() + ": scrypt parameters out of range");
    Sealed sealed{hex_field(crypto, "salt"), hex_field(crypto, "iv"), hex_field(crypto, "ciphertext"), hex_field(crypto, "tag")};
    if (sealed.salt.empty() || sealed.iv.size() != 12 || sealed.tag.size() != 16 || sealed.ciphertext.size() != 32)
      return key_error(ErrorKind::invalid, path_of(name).string() + ": damaged encrypted key");
    std::optional<util::Bytes> plain = unseal(sealed, *passphrase, address, n, r, p);
    if (!plain) return key_error(ErrorKind::refused, "wrong passphrase for key \"" + std::string(name) + "\"");
    secret = std::move(*plain);
  } else {
    secret = hex_field(*doc, "secret");
  }
  Result<PrivateKey> key = PrivateKey::from_bytes(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!key) return key_error(ErrorKind::invalid, path_of(name).string() + ": damaged key: " + key.error().message);
  if (key->address() != address)
    return key_error(ErrorKind::invalid, path_of(name).string() + ": the secret does not match the address " + address);
  return key;
}

Status Keyring::remove(std::string_view name) {
  if (Status valid = validate_key_name(name); !valid) return valid.error();
  std::filesystem::path path = path_of(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return key_error(ErrorKind::not_found, "no key named \"" + std::string(name) + "\"");
    return key_error(ErrorKind::failure, "cannot delete " + path.string() + ": " + std::strerror(errno));
  }
  return ok();
}

Result<KeyInfo> Keyring::find_by_address(std::string_view address) const {
  Result<std::vector<KeyInfo>> keys = list();
  if (!keys) return keys.error();
  for (const KeyInfo& info : *keys) {
    if (info.address == address) return info;
  }
  return key_error(ErrorKind::not_found, "no key with address " + std::string(address));
}

} // namespace akt::ledger
