#include "util/result.hpp"

namespace akt {

std::string to_string(const Location& location) {
  std::string out = location.origin;
  if (location.line > 0) {
    out += ':' + std::to_string(location.line);
    if (location.column > 0) out += ':' + std::to_string(location.column);
  }
  return out;
}

std::string to_string(const Error& error) {
  std::string out;
  if (error.where) out += to_string(*error.where) + ": ";
  if (!error.path.empty()) out += error.path + ": ";
  out += error.message;
  return out;
}

} // namespace akt
