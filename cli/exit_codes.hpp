#pragma once
// The exit codes every akt command keeps (DESIGN.md, Conventions). Scripts depend on them.
#include "util/result.hpp"

namespace akt::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;        // unexpected failure
inline constexpr int k_exit_invalid_input = 2;  // bad usage or invalid input (a bad SDL)
inline constexpr int k_exit_not_found = 3;
inline constexpr int k_exit_no_bid = 4;         // no acceptable bid in time
inline constexpr int k_exit_refused = 5;        // refused by the ledger (auth, state, funds)
inline constexpr int k_exit_provider = 6;       // provider or runtime failure
inline constexpr int k_exit_unreachable = 7;    // cannot reach the ledger, a provider or Docker

constexpr int exit_code_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::invalid: return k_exit_invalid_input;
  case ErrorKind::failure: return k_exit_failure;
  case ErrorKind::not_found: return k_exit_not_found;
  case ErrorKind::no_bid: return k_exit_no_bid;
  case ErrorKind::refused: return k_exit_refused;
  case ErrorKind::provider: return k_exit_provider;
  case ErrorKind::unreachable: return k_exit_unreachable;
  }
  return k_exit_failure;
}

} // namespace akt::cli
