#include <doctest/doctest.h>

#include <string>

#include "util/bech32.hpp"
#include "util/hash.hpp"

using namespace akt;

TEST_CASE("util::bech32_decode accepts the BIP-173 valid vectors") {
  const char* valid[] = {
      "A12UEL5L",
      "a12uel5l",
      "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
      "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
      "?1ezyfcl",
  };
  for (const char* text : valid) {
    CAPTURE(text);
    Result<util::Bech32Decoded> decoded = util::bech32_decode(text);
    REQUIRE(decoded);
    std::string lowered(text);
    for (char& c : lowered) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    CHECK(util::bech32_encode(decoded->hrp, decoded->data) == lowered);
  }
}

TEST_CASE("util::bech32_decode refuses the BIP-173 invalid vectors") {
  const std::string invalid[] = {
      std::string("\x20") + "1nwldj5",
      std::string("\x7f") + "1axkwrx",
      std::string("\x80") + "1eym55h",
      "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
      "pzry9x0s0muk",
      "1pzry9x0s0muk",
      "x1b4n0q5v",
      "li1dgmt3",
      std::string("de1lg7wt") + "\xff",
      "A1G7SGD8",
      "10a06t8",
      "1qzzfhee",
  };
  for (const std::string& text : invalid) {
    CAPTURE(text);
    CHECK(!util::bech32_decode(text));
  }
}

TEST_CASE("util::bech32_decode_bytes round-trips a 20-byte address") {
  util::Bytes bytes(20);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 13);
  std::string text = util::bech32_encode_bytes("akash", bytes);
  CHECK(text.rfind("akash1", 0) == 0);
  Result<std::vector<std::uint8_t>> back = util::bech32_decode_bytes("akash", text);
  REQUIRE(back);
  CHECK(*back == bytes);
  Result<std::vector<std::uint8_t>> wrong = util::bech32_decode_bytes("cosmos", text);
  REQUIRE(!wrong);
  CHECK(wrong.error().message == "address prefix is \"akash\", expected \"cosmos\"");
}

TEST_CASE("util::bech32 BIP-173 segwit vector bytes") {
  // BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4: witness v0 program 751e76e8199196d454941c45d1b3a323f1433bd6.
  Result<util::Bech32Decoded> decoded = util::bech32_decode("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4");
  REQUIRE(decoded);
  CHECK(decoded->hrp == "bc");
  REQUIRE(!decoded->data.empty());
  CHECK(decoded->data[0] == 0);
  std::vector<std::uint8_t> program(decoded->data.begin() + 1, decoded->data.end());
  Result<std::vector<std::uint8_t>> bytes = util::convert_bits(program, 5, 8, false);
  REQUIRE(bytes);
  CHECK(util::to_hex(*bytes) == "751e76e8199196d454941c45d1b3a323f1433bd6");
}
