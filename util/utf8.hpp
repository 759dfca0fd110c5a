#pragma once
// UTF-8 well-formedness as Go's unicode/utf8 defines it: no overlong forms, no surrogates,
// nothing above U+10FFFF. Text that reaches a signed transaction or a JSON document must
// pass, since neither can carry arbitrary bytes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

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

// ok() for UTF-8 text, else an invalid-input error at the first bad byte of file `origin`
// that says `what` must be UTF-8 ("sim.yaml", "a policy file").
Status require_utf8(std::string_view text, const std::string& origin, std::string_view what);

} // namespace akt::util
