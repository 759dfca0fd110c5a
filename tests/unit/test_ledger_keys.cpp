#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ledger/keys.hpp"
#include "util/bech32.hpp"
#include "temp_dir.hpp"

using namespace akt;
using namespace akt::ledger;

using akt::testing::TempDir;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

} // namespace

TEST_CASE("ledger::PrivateKey derives the Tendermint secp256k1 test vector") {
  // tendermint crypto/secp256k1 secp256k1_test.go: priv, compressed pub and address
  // 1CKZ9Nx4zgds8tU7nJHotKSDr4a9bYJCa3, whose base58check payload is the hash160 below.
  Result<PrivateKey> key = PrivateKey::from_hex("a96e62ed3955e65be32703f12d87b6b5cf26039ecfa948dc5107a495418e5330");
  REQUIRE(key);
  CHECK(key->public_key().hex() == "02950e1cdfcb133d6024109fd489f734eeb4502418e538c28481f22bce276f248c");
  Result<std::vector<std::uint8_t>> raw = util::bech32_decode_bytes("akash", key->address());
  REQUIRE(raw);
  CHECK(util::to_hex(*raw) == "7c2bb42a8be69791ec763e51f5a49bcd41e82237");
  CHECK(key->address().rfind("akash1", 0) == 0);
  CHECK(validate_address(key->address()));
}

TEST_CASE("ledger::PrivateKey::sign produces low-S signatures that verify") {
  PrivateKey key = PrivateKey::generate();
  PrivateKey other = PrivateKey::generate();
  CHECK(key.address() != other.address());
  for (int i = 0; i < 20; ++i) {
    std::string message = "message " + std::to_string(i);
    Signature sig = key.sign(message);
    CHECK(key.public_key().verify(message, sig));
    CHECK_FALSE(key.public_key().verify(message + "!", sig));
    CHECK_FALSE(other.public_key().verify(message, sig));
    // s must be in the lower half: top bit of s clear is necessary (n/2 < 2^255).
    CHECK((sig[32] & 0x80) == 0);
    Signature tampered = sig;
    tampered[5] ^= 1;
    CHECK_FALSE(key.public_key().verify(message, tampered));
  }
}

TEST_CASE("ledger::PublicKey::verify refuses the high-S twin of a valid signature") {
  PrivateKey key = PrivateKey::generate();
  Signature sig = key.sign("hello");
  // n - s, computed byte-wise with the secp256k1 order.
  util::Bytes order;
  REQUIRE(util::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", order));
  Signature high = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = int(order[std::size_t(i)]) - int(sig[std::size_t(32 + i)]) - borrow;
    borrow = v < 0 ? 1 : 0;
    high[std::size_t(32 + i)] = static_cast<std::uint8_t>(v < 0 ? v + 256 : v);
  }
  CHECK(key.public_key().verify("hello", sig));
  CHECK_FALSE(key.public_key().verify("hello", high));
}

TEST_CASE("ledger::PublicKey::from_bytes refuses bad points") {
  CHECK_FALSE(PublicKey::from_hex("02"));
  CHECK_FALSE(PublicKey::from_hex("04950e1cdfcb133d6024109fd489f734eeb4502418e538c28481f22bce276f248c"));
  CHECK_FALSE(PublicKey::from_hex("zz"));
  // x = 5 is not on secp256k1 (y^2 = 132 is not a square modulo p).
  CHECK_FALSE(PublicKey::from_hex("020000000000000000000000000000000000000000000000000000000000000005"));
  CHECK(PublicKey::from_hex("02950e1cdfcb133d6024109fd489f734eeb4502418e538c28481f22bce276f248c"));
  CHECK_FALSE(PrivateKey::from_hex("0000000000000000000000000000000000000000000000000000000000000000"));
  CHECK_FALSE(PrivateKey::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
}

TEST_CASE("ledger::validate_address") {
  PrivateKey key = PrivateKey::generate();
  CHECK(validate_address(key.address()));
  std::string bad = key.address();
  bad.back() = bad.back() == 'q' ? 'p' : 'q';
  CHECK_FALSE(validate_address(bad));
  CHECK_FALSE(validate_address("cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"));
  CHECK_FALSE(validate_address(""));
}

TEST_CASE("ledger::Keyring stores keys with private modes") {
  TempDir tmp{"akt-keys"};
  Keyring ring(tmp.path / "keys");
  PrivateKey key = PrivateKey::generate();
  Result<KeyInfo> added = ring.add("alice", key, std::nullopt);
  REQUIRE(added);
  CHECK(added->address == key.address());
  CHECK_FALSE(added->encrypted);
  CHECK(mode_of(tmp.path / "keys") == 0700);
  CHECK(mode_of(tmp.path / "keys" / "alice.json") == 0600);

  SUBCASE("load returns the same key") {
    Result<PrivateKey> loaded = ring.load("alice", std::nullopt);
    REQUIRE(loaded);
    CHECK(loaded->secret() == key.secret());
  }
  SUBCASE("add refuses an existing name") {
    Result<KeyInfo> again = ring.add("alice", PrivateKey::generate(), std::nullopt);
    REQUIRE_FALSE(again);
    CHECK(again.error().message == "a key named \"alice\" already exists; pick another name or delete it first");
    CHECK(ring.load("alice", std::nullopt)->address() == key.address());
  }
  SUBCASE("list, show, find, remove") {
    REQUIRE(ring.add("bob", PrivateKey::generate(), std::nullopt));
    Result<std::vector<KeyInfo>> all = ring.list();
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].name == "alice");
    CHECK((*all)[1].name == "bob");
    CHECK(ring.show("alice")->pubkey_hex == key.public_key().hex());
    CHECK(ring.find_by_address(key.address())->name == "alice");
    CHECK(ring.remove("alice"));
    Result<KeyInfo> gone = ring.show("alice");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().kind == ErrorKind::not_found);
    CHECK(ring.remove("alice").error().kind == ErrorKind::not_found);
  }
  SUBCASE("names are validated") {
    CHECK_FALSE(ring.add("../evil", PrivateKey::generate(), std::nullopt));
    CHECK_FALSE(ring.add(".hidden", PrivateKey::generate(), std::nullopt));
    CHECK_FALSE(ring.add("", PrivateKey::generate(), std::nullopt));
    CHECK_FALSE(ring.show("a/b"));
  }
}

TEST_CASE("ledger::Keyring encrypts with a passphrase") {
  TempDir tmp{"akt-keys"};
  Keyring ring(tmp.path / "keys");
  PrivateKey key = PrivateKey::generate();
  REQUIRE(ring.add("sealed", key, std::string("correct horse")));
  std::ifstream in(tmp.path / "keys" / "sealed.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find(util::to_hex(key.secret())) == std::string::npos);
  CHECK(text.find("aes-256-gcm") != std::string::npos);
  CHECK(ring.show("sealed")->encrypted);

  Result<PrivateKey> none = ring.load("sealed", std::nullopt);
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::refused);
  Result<PrivateKey> wrong = ring.load("sealed", std::string("wrong"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message == "wrong passphrase for key \"sealed\"");
  Result<PrivateKey> right = ring.load("sealed", std::string("correct horse"));
  REQUIRE(right);
  CHECK(right->secret() == key.secret());
}

TEST_CASE("ledger::PublicKey::verify_digest agrees with the OpenSSL verifier") {
  PrivateKey key = PrivateKey::generate();
  for (int i = 0; i < 10; ++i) {
    std::array<std::uint8_t, 32> digest = util::sha256("m" + std::to_string(i));
    Signature sig = key.sign_digest(digest);
    CHECK(key.public_key().verify_digest(digest, sig));
    CHECK(key.public_key().verify_digest_openssl(digest, sig));
    sig[40] ^= 4;
    CHECK(key.public_key().verify_digest(digest, sig) == key.public_key().verify_digest_openssl(digest, sig));
  }
}

TEST_CASE("ledger::PrivateKey derives the public point of secp256k1 (G for 1, -G for n-1)") {
  Result<PrivateKey> one = PrivateKey::from_hex("0000000000000000000000000000000000000000000000000000000000000001");
  REQUIRE(one);
  CHECK(one->public_key().hex() == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  Result<PrivateKey> last = PrivateKey::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
  REQUIRE(last);
  CHECK(last->public_key().hex() == "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  CHECK_FALSE(PrivateKey::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
  CHECK_FALSE(PrivateKey::from_hex("0000000000000000000000000000000000000000000000000000000000000000"));
}

TEST_CASE("ledger::PrivateKey::sign_digest and the OpenSSL signer both make low-S signatures either verifier accepts") {
  // n/2: an S above it is the malleated twin of a valid signature.
  const std::string half_order = "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0";
  for (int i = 0; i < 10; ++i) {
    PrivateKey key = PrivateKey::generate();
    std::array<std::uint8_t, 32> digest = util::sha256("message " + std::to_string(i));
    for (const Signature& sig : {key.sign_digest(digest), key.sign_digest_openssl(digest)}) {
      CHECK(key.public_key().verify_digest(digest, sig));
      CHECK(key.public_key().verify_digest_openssl(digest, sig));
      CHECK(util::to_hex(util::Bytes(sig.begin() + 32, sig.end())) <= half_order);
    }
  }
}
