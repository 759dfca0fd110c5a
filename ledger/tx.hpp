#pragma once
// Signed transactions. The signed bytes are the canonical JSON (sorted keys, compact) of
// {"chain_id","msg","sequence","signer"}, so a signature binds the chain, the account's
// sequence (no replay, no reordering) and the exact message. A transaction carries its
// public key; the ledger checks that it hashes to the signer's address.
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "ledger/keys.hpp"
#include "market/msgs.hpp"
#include "util/result.hpp"

namespace akt::ledger {

struct SignedTx {
  std::string chain_id;
  market::Address signer;
  std::string pubkey;      // hex of the 33-byte compressed key
  std::uint64_t sequence = 0;  // the signer's next sequence (0 for a fresh account)
  market::Msg msg;
  std::string signature;   // hex of the 64-byte r||s, low-S
};

// The exact bytes that are signed.
std::string sign_bytes(std::string_view chain_id, std::uint64_t sequence, std::string_view signer,
                       const market::Msg& msg);

// Builds and signs a transaction from `key` (the signer is the key's address).
SignedTx sign_tx(const PrivateKey& key, std::string_view chain_id, std::uint64_t sequence, market::Msg msg);

// Stateless checks: chain id, the public key parses and hashes to the signer, and the
// signature is valid over sign_bytes. Errors are ErrorKind::refused (invalid for a
// malformed field) and say what was wrong.
Status verify_tx_signature(const SignedTx& tx, std::string_view expected_chain_id);

// Hex sha256 of the canonical JSON of the whole signed transaction.
std::string tx_hash(const SignedTx& tx);

// verify_tx_signature plus the encodings a ledger stores, computed once (the message is
// encoded a single time for both the signed bytes and the body), so that a batch can do
// all of it in parallel before applying in order.
struct CheckedTx {
  std::string body;  // to_json(tx).dump()
  std::string hash;  // sha256 of body == tx_hash(tx)
};

// Public keys already parsed and matched to their address. Decompressing a point and
// hashing it to an address cost a fifth of a verification, and a ledger sees the same
// few signers again and again. Safe to share between threads; bounded in size.
class SignerCache {
public:
  explicit SignerCache(std::size_t capacity = 1 << 16) : m_capacity(capacity) {}
  // The key of `pubkey_hex`, refused when it is malformed or does not hash to `signer`.
  Result<PublicKey> key_for(const std::string& pubkey_hex, const std::string& signer);

private:
  std::size_t m_capacity;
  std::shared_mutex m_mutex;
  std::unordered_map<std::string, std::pair<PublicKey, std::string>> m_keys;  // hex -> (key, its address)
};

// `signers`, when given, remembers keys across calls.
Result<CheckedTx> check_tx(const SignedTx& tx, std::string_view expected_chain_id, SignerCache* signers = nullptr);

// JSON transport form: {"chain_id","signer","pubkey","sequence","msg","signature"};
// sequence is a decimal string like every other 64-bit number in akt's JSON.
nlohmann::json to_json(const SignedTx& tx);
// Strict: unknown or missing fields are refused (ErrorKind::invalid) with the key path.
Result<SignedTx> signed_tx_from_json(const nlohmann::json& json);

} // namespace akt::ledger
