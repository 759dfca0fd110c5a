#include <doctest/doctest.h>

#include <string>

#include "util/utf8.hpp"

using namespace akt::util;

TEST_CASE("util::first_invalid_utf8 follows Go's unicode/utf8") {
  CHECK_FALSE(first_invalid_utf8(""));
  CHECK_FALSE(first_invalid_utf8("plain ascii"));
  CHECK_FALSE(first_invalid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  CHECK(first_invalid_utf8("ab\xff") == 2u);
  CHECK(first_invalid_utf8("\xc0\xaf") == 0u);          // overlong '/'
  CHECK(first_invalid_utf8("x\xed\xa0\x80") == 1u);     // a surrogate
  CHECK(first_invalid_utf8("\xf4\x90\x80\x80") == 0u);  // above U+10FFFF
  CHECK(first_invalid_utf8("ok\xe2\x82") == 2u);        // cut short
  CHECK(first_invalid_utf8("\x80") == 0u);              // a lone continuation byte
}

TEST_CASE("util::position_of counts lines and characters") {
  const std::string text = "ab\n\xc3\xa9x\ny";
  CHECK(position_of(text, 0).line == 1);
  CHECK(position_of(text, 0).column == 1);
  CHECK(position_of(text, 5).line == 2);
  CHECK(position_of(text, 5).column == 2);  // x follows the two-byte é
  CHECK(position_of(text, 7).line == 3);
  CHECK(position_of(text, 7).column == 1);
}
