#pragma once
// UTF-8 well-formedness as Go's unicode/utf8 defines it: no overlong forms, no surrogates,
// nothing above U+10FFFF. Text that reaches a signed transaction or a JSON document must
// pass, since neither can carry arbitrary bytes.
#include <cstddef>
#include <optional>
#include <string_view>

namespace akt::util {

// Length of the valid UTF-8 sequence at s[i] (1 for ASCII), or 0 when it is invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// Offset of the first byte that does not start a valid sequence; nullopt for valid text.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

// 1-based line and column (in characters) of byte `offset` of `text`, for error locations.
struct TextPosition {
  int line = 1;
  int column = 1;
};
TextPosition position_of(std::string_view text, std::size_t offset);

} // namespace akt::util
