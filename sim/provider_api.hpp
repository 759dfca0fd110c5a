#pragma once
// The provider API of a simulated provider, served over HTTP in the served shape
// (`akt sim serve`) at the provider's host URI:
//
//   POST /lease/{owner}/{dseq}/{gseq}/{oseq}/manifest   body: the manifest JSON
//   GET  /lease/{owner}/{dseq}/{gseq}/{oseq}/status     MARKET.md lease-status JSON
//   GET  /lease/{owner}/{dseq}/{gseq}/{oseq}/logs       ?service=&tail=&follow=1, NDJSON stream
//   GET  /lease/{owner}/{dseq}/{gseq}/{oseq}/events     container events, JSON array
//   POST /lease/{owner}/{dseq}/{gseq}/{oseq}/exec       {"service","argv","replica"} →
//                                                       {"exit_code","stdout","stderr"}
//   GET  /decisions/{owner}/{dseq}                      this provider's bid decisions
//   GET  /status                                        name, address (no auth)
//
// Only the lease's (deployment's) owner may call the lease and decision routes. A request
// is signed by the owner's key over "akt-provider-request\n" METHOD "\n" PATH "\n"
// CANONICAL-QUERY "\n" hex(sha256(body)) "\n" TIMESTAMP-MS; the public key, timestamp and
// signature travel as query parameters akt_pubkey, akt_ts and akt_sig (or headers
// x-akt-pubkey, x-akt-timestamp, x-akt-signature). A missing, malformed, stale (more than
// a minute off) or invalid signature is 401; a valid one by another account is 403.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "ledger/clock.hpp"
#include "ledger/http_server.hpp"
#include "ledger/keys.hpp"
#include "sim/provider.hpp"
#include "util/result.hpp"

namespace akt::sim {

inline constexpr std::int64_t k_max_request_skew_ms = 60'000;
// Input for `lease shell --stdin` travels in the exec request, hex-encoded, within the
// provider API's 4 MiB bodies.
inline constexpr std::size_t k_max_exec_input = 1u << 20;

using QueryParams = std::map<std::string, std::string>;

// The bytes a tenant signs for one request. `query` excludes the akt_* auth parameters.
std::string request_sign_bytes(std::string_view method, std::string_view path,
                               const QueryParams& query, std::string_view body,
                               std::int64_t timestamp_ms);
// "a=1&b=2": sorted, percent-escaped values.
std::string canonical_query(const QueryParams& query);

// The full path with query (including the auth parameters) of a signed request.
std::string signed_target(const ledger::PrivateKey& key, std::string_view method, std::string_view path,
                          const QueryParams& query, std::string_view body, std::int64_t now_ms);

struct AuthResult {
  int status = 200;       // 200, 401 or 403
  std::string address;    // the signer, when the signature is valid
  std::string reason;     // why not, when status != 200
};
// Checks the request's signature at `now_ms`, and that the signer is `expected_owner`.
AuthResult authenticate(const ledger::HttpRequest& request, std::string_view expected_owner,
                        std::int64_t now_ms);

// The routes above for one provider. `clock` checks request freshness. While `is_down`
// says so (`akt sim fault NAME down`), every route but /status answers as an unreachable
// provider would, as the embedded shape does.
ledger::HttpRouter provider_router(Provider& provider, DecisionStore& decisions, const ledger::Clock& clock,
                                   std::function<bool()> is_down = {});

} // namespace akt::sim
