#include <doctest/doctest.h>

#include "ledger/tx.hpp"

#include "market/codec.hpp"

using namespace akt;
using namespace akt::ledger;

namespace {

const PrivateKey& alice() {
  static const PrivateKey key = PrivateKey::generate();
  return key;
}
const PrivateKey& bob() {
  static const PrivateKey key = PrivateKey::generate();
  return key;
}

SignedTx send(const PrivateKey& from, std::uint64_t sequence, std::string chain = "akt-test-1") {
  return sign_tx(from, chain, sequence, market::MsgSend{bob().address(), market::Coin{"uakt", 5}});
}

} // namespace

TEST_CASE("ledger::sign_bytes is the canonical JSON of chain, message, sequence and signer") {
  market::Msg msg = market::MsgSend{"akash1to\"quoted", market::Coin{"uakt", 7}};
  nlohmann::json doc = {{"signer", "akash1from"},
                        {"chain_id", "c\n1"},
                        {"sequence", "42"},
                        {"msg", market::to_json(msg)}};
  CHECK(sign_bytes("c\n1", 42, "akash1from", msg) == doc.dump());
}

TEST_CASE("ledger::check_tx stores the transport JSON and its hash") {
  SignedTx tx = send(alice(), 3);
  Result<CheckedTx> checked = check_tx(tx, "akt-test-1");
  REQUIRE(checked);
  CHECK(checked->body == to_json(tx).dump());
  CHECK(checked->hash == tx_hash(tx));
}

TEST_CASE("ledger::check_tx refuses, with or without a signer cache") {
  SignerCache cache;
  for (SignerCache* signers : {static_cast<SignerCache*>(nullptr), &cache}) {
    CAPTURE(signers != nullptr);
    REQUIRE(check_tx(send(alice(), 0), "akt-test-1", signers));

    Result<CheckedTx> other_chain = check_tx(send(alice(), 0, "other-1"), "akt-test-1", signers);
    REQUIRE_FALSE(other_chain);
    CHECK(other_chain.error().path == "chain_id");

    SignedTx impostor = send(alice(), 1);
    impostor.signer = bob().address();  // alice's key claims bob's account
    Result<CheckedTx> refused = check_tx(impostor, "akt-test-1", signers);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::refused);
    CHECK(refused.error().message.find("not to the signer " + bob().address()) != std::string::npos);

    SignedTx tampered = send(alice(), 2);
    tampered.sequence = 3;  // the signature binds the sequence
    Result<CheckedTx> bad_sig = check_tx(tampered, "akt-test-1", signers);
    REQUIRE_FALSE(bad_sig);
    CHECK(bad_sig.error().path == "signature");

    SignedTx garbled = send(alice(), 4);
    garbled.pubkey = "02zz";
    Result<CheckedTx> bad_key = check_tx(garbled, "akt-test-1", signers);
    REQUIRE_FALSE(bad_key);
    CHECK(bad_key.error().kind == ErrorKind::invalid);
    CHECK(bad_key.error().path == "pubkey");
  }
}

TEST_CASE("ledger::SignerCache keeps working past its capacity") {
  SignerCache cache(1);
  for (int round = 0; round < 3; ++round) {
    CHECK(check_tx(send(alice(), 0), "akt-test-1", &cache));
    CHECK(check_tx(send(bob(), 0), "akt-test-1", &cache));
  }
  Result<PublicKey> wrong = cache.key_for(alice().public_key().hex(), bob().address());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().kind == ErrorKind::refused);
}
