#include "ledger/tx.hpp"

#include <charconv>
#include <mutex>

#include "market/codec.hpp"

namespace akt::ledger {
namespace {

using Json = nlohmann::json;

Error tx_error(ErrorKind kind, std::string path, std::string message) {
  Error e = make_error(kind, std::move(message));
  e.path = std::move(path);
  return e;
}

Result<std::uint64_t> parse_u64(const Json& value, const char* path) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (!value.is_string()) return tx_error(ErrorKind::invalid, path, "expected a decimal string");
  const std::string& text = value.get_ref<const std::string&>();
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return tx_error(ErrorKind::invalid, path, "expected an unsigned 64-bit decimal, got \"" + text + "\"");
  return out;
}

Result<std::string> string_field(const Json& json, const char* key) {
  if (!json.contains(key)) return tx_error(ErrorKind::invalid, key, "missing field");
  if (!json[key].is_string()) return tx_error(ErrorKind::invalid, key, "expected a string");
  return json[key].get<std::string>();
}

// The canonical encodings of a transaction, spelled out field by field in the sorted key
// order that nlohmann's dump uses, so the message is encoded once for both of them.
struct Encoding {
  std::string chain_id, msg, sequence, signer;  // each already a JSON value

  Encoding(std::string_view chain, std::uint64_t seq, std::string_view signer_address, const market::Msg& m)
      : chain_id(Json(std::string(chain)).dump()),
        msg(market::to_json(m).dump()),
        sequence("\"" + std::to_string(seq) + "\""),
        signer(Json(std::string(signer_address)).dump()) {}

  std::string signed_bytes() const {
    return R"({"chain_id":)" + chain_id + R"(,"msg":)" + msg + R"(,"sequence":)" + sequence + R"(,"signer":)" +
           signer + "}";
  }
  std::string body(std::string_view pubkey, std::string_view signature) const {
    return R"({"chain_id":)" + chain_id + R"(,"msg":)" + msg + R"(,"pubkey":)" + Json(std::string(pubkey)).dump() +
           R"(,"sequence":)" + sequence + R"(,"signature":)" + Json(std::string(signature)).dump() +
           R"(,"signer":)" + signer + "}";
  }
};

} // namespace

std::string sign_bytes(std::string_view chain_id, std::uint64_t sequence, std::string_view signer,
                       const market::Msg& msg) {
  return Encoding(chain_id, sequence, signer, msg).signed_bytes();
}

SignedTx sign_tx(const PrivateKey& key, std::string_view chain_id, std::uint64_t sequence, market::Msg msg) {
  SignedTx tx;
  tx.chain_id = std::string(chain_id);
  tx.signer = key.address();
  tx.pubkey = key.public_key().hex();
  tx.sequence = sequence;
  tx.msg = std::move(msg);
  Signature sig = key.sign(sign_bytes(tx.chain_id, tx.sequence, tx.signer, tx.msg));
  tx.signature = util::to_hex(sig);
  return tx;
}

namespace {

// The key of `pubkey_hex`, refused when it is malformed or does not hash to `signer`.
Result<PublicKey> signer_key(const std::string& pubkey_hex, const std::string& signer) {
  Result<PublicKey> pub = PublicKey::from_hex(pubkey_hex);
  if (!pub) return tx_error(ErrorKind::invalid, "pubkey", pub.error().message);
  std::string address = pub->address();
  if (address != signer)
    return tx_error(ErrorKind::refused, "pubkey",
                    "public key belongs to " + address + ", not to the signer " + signer +
                        "; only the holder of " + signer + "'s key may sign for it");
  return pub;
}

} // namespace

Result<PublicKey> SignerCache::key_for(const std::string& pubkey_hex, const std::string& signer) {
  {
    std::shared_lock lock(m_mutex);
    if (auto it = m_keys.find(pubkey_hex); it != m_keys.end() && it->second.second == signer) return it->second.first;
  }
  Result<PublicKey> pub = signer_key(pubkey_hex, signer);
  if (!pub) return pub;
  std::unique_lock lock(m_mutex);
  if (m_keys.size() >= m_capacity) m_keys.clear();
  m_keys.emplace(pubkey_hex, std::make_pair(*pub, signer));
  return pub;
}

Result<CheckedTx> check_tx(const SignedTx& tx, std::string_view expected_chain_id, SignerCache* signers) {
  if (tx.chain_id != expected_chain_id)
    return tx_error(ErrorKind::refused, "chain_id",
                    "transaction is for chain \"" + tx.chain_id + "\" but this ledger is \"" +
                        std::string(expected_chain_id) + "\"");
  Result<PublicKey> pub = signers ? signers->key_for(tx.pubkey, tx.signer) : signer_key(tx.pubkey, tx.signer);
  if (!pub) return pub.error();
  util::Bytes sig_bytes;
  if (!util::from_hex(tx.signature, sig_bytes) || sig_bytes.size() != 64)
    return tx_error(ErrorKind::invalid, "signature", "expected 64 bytes of hex (r||s)");
  Signature sig{};
  std::copy(sig_bytes.begin(), sig_bytes.end(), sig.begin());
  Encoding encoding(tx.chain_id, tx.sequence, tx.signer, tx.msg);
  if (!pub->verify(encoding.signed_bytes(), sig))
    return tx_error(ErrorKind::refused, "signature",
                    "signature does not match the transaction; only the holder of " + tx.signer +
                        "'s key may sign for it");
  CheckedTx out;
  out.body = encoding.body(tx.pubkey, tx.signature);
  out.hash = util::sha256_hex(out.body);
  return out;
}

Status verify_tx_signature(const SignedTx& tx, std::string_view expected_chain_id) {
  Result<CheckedTx> checked = check_tx(tx, expected_chain_id);
  if (!checked) return checked.error();
  return ok();
}

nlohmann::json to_json(const SignedTx& tx) {
  Json doc = Json::object();
  doc["chain_id"] = tx.chain_id;
  doc["signer"] = tx.signer;
  doc["pubkey"] = tx.pubkey;
  doc["sequence"] = std::to_string(tx.sequence);
  doc["msg"] = market::to_json(tx.msg);
  doc["signature"] = tx.signature;
  return doc;
}

std::string tx_hash(const SignedTx& tx) { return util::sha256_hex(to_json(tx).dump()); }

Result<SignedTx> signed_tx_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return tx_error(ErrorKind::invalid, "", "transaction must be a JSON object");
  for (const auto& item : json.items()) {
    const std::string& key = item.key();
    if (key != "chain_id" && key != "signer" && key != "pubkey" && key != "sequence" && key != "msg" &&
        key != "signature")
      return tx_error(ErrorKind::invalid, key, "unknown field");
  }
  SignedTx tx;
  Result<std::string> chain_id = string_field(json, "chain_id");
  if (!chain_id) return chain_id.error();
  tx.chain_id = std::move(*chain_id);
  Result<std::string> signer = string_field(json, "signer");
  if (!signer) return signer.error();
  tx.signer = std::move(*signer);
  Result<std::string> pubkey = string_field(json, "pubkey");
  if (!pubkey) return pubkey.error();
  tx.pubkey = std::move(*pubkey);
  Result<std::string> signature = string_field(json, "signature");
  if (!signature) return signature.error();
  tx.signature = std::move(*signature);
  if (!json.contains("sequence")) return tx_error(ErrorKind::invalid, "sequence", "missing field");
  Result<std::uint64_t> sequence = parse_u64(json["sequence"], "sequence");
  if (!sequence) return sequence.error();
  tx.sequence = *sequence;
  if (!json.contains("msg")) return tx_error(ErrorKind::invalid, "msg", "missing field");
  Result<market::Msg> msg = market::msg_from_json(json["msg"]);
  if (!msg) {
    Error e = msg.error();
    e.path = e.path.empty() ? "msg" : "msg." + e.path;
    return e;
  }
  tx.msg = std::move(*msg);
  return tx;
}

} // namespace akt::ledger
