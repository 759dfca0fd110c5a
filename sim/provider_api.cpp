#include "sim/provider_api.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "market/codec.hpp"
#include "util/hash.hpp"

namespace akt::sim {
namespace {

// Feeds bytes to a command's stdin through a socket pair whose other end a thread fills
// and closes: a socket, so that a command that stops reading fails the write with EPIPE
// (MSG_NOSIGNAL) instead of raising SIGPIPE in the provider.
class ExecInputPipe {
public:
  ExecInputPipe() = default;
  ExecInputPipe(const ExecInputPipe&) = delete;
  ExecInputPipe& operator=(const ExecInputPipe&) = delete;
  ~ExecInputPipe() {
    if (m_read >= 0) ::close(m_read);  // a writer blocked on a full pipe gets EPIPE
    if (m_writer.joinable()) m_writer.join();
  }

  Status open(util::Bytes input) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      return make_error(ErrorKind::failure, std::string("socket pair for the command's input: ") + std::strerror(errno));
    m_read = fds[0];
    m_writer = std::thread([fd = fds[1], input = std::move(input)] {
      std::size_t done = 0;
      while (done < input.size()) {
        const ssize_t n = ::send(fd, input.data() + done, input.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
    return ok();
  }
  int read_end() const { return m_read; }

private:
  int m_read = -1;
  std::thread m_writer;
};

constexpr std::size_t k_max_exec_output = 1u << 20;

std::string escape(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool is_auth_param(const std::string& name) {
  return name == "akt_pubkey" || name == "akt_ts" || name == "akt_sig";
}

std::optional<std::string> auth_value(const ledger::HttpRequest& request, const std::string& param,
                                      const std::string& header) {
  if (std::optional<std::string> v = request.query_value(param)) return v;
  return request.header(header);
}

bool parse_i64(std::string_view text, std::int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

Result<market::LeaseId> lease_of(const ledger::HttpRequest& request, const Provider& provider) {
  std::string text = request.param("owner") + "/" + request.param("dseq") + "/" +
                     request.param("gseq") + "/" + request.param("oseq") + "/" + provider.address();
  return parse_lease_id(text);
}

ledger::HttpResponse refuse(const AuthResult& auth) {
  return ledger::HttpResponse::error(auth.status, auth.reason, "refused");
}

} // namespace

std::string canonical_query(const QueryParams& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (is_auth_param(k)) continue;
    if (!out.empty()) out += '&';
    out += escape(k) + "=" + escape(v);
  }
  return out;
}

std::string request_sign_bytes(std::string_view method, std::string_view path, const QueryParams& query,
                               std::string_view body, std::int64_t timestamp_ms) {
  return "akt-provider-request\n" + std::string(method) + "\n" + std::string(path) + "\n" +
         canonical_query(query) + "\n" + util::sha256_hex(body) + "\n" + std::to_string(timestamp_ms);
}

std::string signed_target(const ledger::PrivateKey& key, std::string_view method, std::string_view path,
                          const QueryParams& query, std::string_view body, std::int64_t now_ms) {
  ledger::Signature signature = key.sign(request_sign_bytes(method, path, query, body, now_ms));
  std::string target = std::string(path) + "?";
  std::string q = canonical_query(query);
  if (!q.empty()) target += q + "&";
  target += "akt_pubkey=" + key.public_key().hex() + "&akt_ts=" + std::to_string(now_ms) +
            "&akt_sig=" + util::to_hex(signature);
  return target;
}

AuthResult authenticate(const ledger::HttpRequest& request, std::string_view expected_owner,
                        std::int64_t now_ms) {
  std::optional<std::string> pubkey = auth_value(request, "akt_pubkey", "x-akt-pubkey");
  std::optional<std::string> ts = auth_value(request, "akt_ts", "x-akt-timestamp");
  std::optional<std::string> sig = auth_value(request, "akt_sig", "x-akt-signature");
  if (!pubkey || !ts || !sig)
    return {401, {}, "unsigned request: only the lease owner may use this route; sign it with the owner's key "
                     "(akt does this for `akt lease ...` commands)"};
  std::int64_t timestamp = 0;
  if (!parse_i64(*ts, timestamp)) return {401, {}, "malformed request timestamp \"" + *ts + "\""};
  std::int64_t skew = now_ms - timestamp;
  if (skew > k_max_request_skew_ms || -skew > k_max_request_skew_ms)
    return {401, {}, "stale request: signed at " + *ts + " ms, provider time is " + std::to_string(now_ms) +
                         " ms (more than 60 s apart); check the clocks and retry"};
  Result<ledger::PublicKey> key = ledger::PublicKey::from_hex(*pubkey);
  if (!key) return {401, {}, "malformed request public key: " + key.error().message};
  util::Bytes sig_bytes;
  if (!util::from_hex(*sig, sig_bytes) || sig_bytes.size() != 64)
    return {401, {}, "malformed request signature"};
  ledger::Signature signature{};
  std::copy(sig_bytes.begin(), sig_bytes.end(), signature.begin());
  QueryParams query;
  for (const auto& [k, v] : request.query)
    if (!is_auth_param(k)) query.emplace(k, v);
  if (!key->verify(request_sign_bytes(request.method, request.path, query, request.body, timestamp), signature))
    return {401, {}, "invalid request signature (signed over a different method, path, query, body or time)"};
  std::string address = key->address();
  if (address != expected_owner)
    return {403, address, "forbidden: " + address + " is not the owner " + std::string(expected_owner) +
                              " of this lease; only the owner may use it"};
  return {200, address, {}};
}

ledger::HttpRouter provider_router(Provider& provider, DecisionStore& decisions, const ledger::Clock& clock,
                                   std::function<bool()> is_down) {
  ledger::HttpRouter router;
  // Route handlers wrapped so that a provider taken down answers nothing but /status.
  auto up = [&provider, is_down](ledger::HttpHandler handler) -> ledger::HttpHandler {
    return [&provider, is_down, handler = std::move(handler)](const ledger::HttpRequest& request) {
      if (is_down && is_down())
        return ledger::error_response(make_error(ErrorKind::unreachable, offline_message(provider.name())));
      return handler(request);
    };
  };
  const std::string lease_path = "/lease/{owner}/{dseq}/{gseq}/{oseq}";

  router.get("/status", [&provider](const ledger::HttpRequest&) {
    return ledger::HttpResponse::json(200, {{"name", provider.name()},
                                            {"address", provider.address()},
                                            {"host_uri", provider.config().host_uri}});
  });

  // Wraps a lease route: parse the lease id, authenticate the owner.
  auto lease_route = [&provider, &clock, &up](auto handler) {
    return up([&provider, &clock, handler](const ledger::HttpRequest& request) -> ledger::HttpResponse {
      Result<market::LeaseId> id = lease_of(request, provider);
      if (!id) return ledger::error_response(id.error());
      AuthResult auth = authenticate(request, id->owner, clock.now_ms());
      if (auth.status != 200) return refuse(auth);
      return handler(request, *id);
    });
  };

  router.post(lease_path + "/manifest",
              lease_route([&provider](const ledger::HttpRequest& request, const market::LeaseId& id) {
                Status s = provider.accept_manifest(id, request.body);
                if (!s) return ledger::error_response(s.error());
                return ledger::HttpResponse::json(200, {{"accepted", true}});
              }));

  router.get(lease_path + "/status",
             lease_route([&provider](const ledger::HttpRequest&, const market::LeaseId& id) {
               Result<TenantLeaseStatus> status = provider.lease_status(id);
               if (!status) return ledger::error_response(status.error());
               nlohmann::json j = nlohmann::json::parse(lease_status_json(status->status));
               j["manifest_version"] = status->manifest_version;
               if (!status->last_error.empty()) j["last_error"] = status->last_error;
               return ledger::HttpResponse::json(200, j);
             }));

  router.get(lease_path + "/events",
             lease_route([&provider](const ledger::HttpRequest&, const market::LeaseId& id) {
               Result<std::vector<runtime::docker::LeaseEvent>> events = provider.lease_events(id);
               if (!events) return ledger::error_response(events.error());
               nlohmann::json array = nlohmann::json::array();
               for (const runtime::docker::LeaseEvent& e : *events)
                 array.push_back({{"service", e.service},
                                  {"replica", e.replica},
                                  {"action", e.action},
                                  {"exit_code", e.exit_code},
                                  {"time", e.time}});
               return ledger::HttpResponse::json(200, array);
             }));

  router.get(lease_path + "/logs",
             lease_route([&provider](const ledger::HttpRequest& request, const market::LeaseId& id) {
               runtime::docker::LeaseLogOptions options;
               options.service = request.query_value("service");
               options.follow = request.query_value("follow").value_or("") == "1";
               if (std::optional<std::string> tail = request.query_value("tail")) {
                 std::int64_t n = 0;
                 if (!parse_i64(*tail, n) || n < 0 || n > 1'000'000)
                   return ledger::HttpResponse::error(400, "tail: expected a count 0..1000000", "invalid");
                 options.tail = static_cast<std::uint32_t>(n);
               }
               return ledger::HttpResponse::streamed(
                   "application/x-ndjson", [&provider, id, options](const ledger::ChunkWriter& write) {
                     Status s = provider.lease_logs(id, options, [&](const runtime::docker::LogLine& line) {
                       nlohmann::json j = {{"service", line.service},
                                           {"replica", line.replica},
                                           {"stream", line.stream == runtime::docker::StreamKind::stderr_
                                                          ? "stderr"
                                                          : "stdout"},
                                           {"text", line.text}};
                       return write(j.dump() + "\n");
                     });
                     if (!s) write(nlohmann::json{{"error", s.error().message}}.dump() + "\n");
                   });
             }));

  router.post(lease_path + "/exec",
              lease_route([&provider](const ledger::HttpRequest& request, const market::LeaseId& id) {
                nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
                if (body.is_discarded() || !body.is_object() || !body.contains("service") ||
                    !body["service"].is_string() || !body.contains("argv") || !body["argv"].is_array() ||
                    body["argv"].empty())
                  return ledger::HttpResponse::error(400, "exec: expected {\"service\": NAME, \"argv\": [...]}",
                                                     "invalid");
                std::vector<std::string> argv;
                for (const nlohmann::json& a : body["argv"]) {
                  if (!a.is_string()) return ledger::HttpResponse::error(400, "exec: argv must be strings", "invalid");
                  argv.push_back(a.get<std::string>());
                }
                util::Bytes input;
                if (body.contains("stdin_hex") &&
                    (!body["stdin_hex"].is_string() || !util::from_hex(body["stdin_hex"].get<std::string>(), input)))
                  return ledger::HttpResponse::error(400, "exec: stdin_hex must be hex text", "invalid");
                std::string out, err;
                runtime::docker::ExecIo io;
                io.replica = body.value("replica", 0u);
                // The input reaches the command through a pipe that a thread fills.
                ExecInputPipe pipe;
                if (body.contains("stdin_hex")) {
                  if (Status opened = pipe.open(std::move(input)); !opened) return ledger::error_response(opened.error());
                  io.stdin_fd = pipe.read_end();
                }
                io.on_stdout = [&out](std::string_view s) {
                  if (out.size() < k_max_exec_output) out.append(s.substr(0, k_max_exec_output - out.size()));
                };
                io.on_stderr = [&err](std::string_view s) {
                  if (err.size() < k_max_exec_output) err.append(s.substr(0, k_max_exec_output - err.size()));
                };
                Result<int> code = provider.lease_exec(id, body["service"].get<std::string>(), argv, io);
                if (!code) return ledger::error_response(code.error());
                return ledger::HttpResponse::json(200, {{"exit_code", *code}, {"stdout", out}, {"stderr", err}});
              }));

  router.get("/decisions/{owner}/{dseq}", up([&provider, &decisions, &clock](const ledger::HttpRequest& request) {
    std::int64_t dseq = 0;
    if (!parse_i64(request.param("dseq"), dseq) || dseq < 0)
      return ledger::HttpResponse::error(400, "dseq: expected a number", "invalid");
    AuthResult auth = authenticate(request, request.param("owner"), clock.now_ms());
    if (auth.status != 200) return refuse(auth);
    Result<std::vector<OrderDecision>> all =
        decisions.for_deployment(request.param("owner"), static_cast<std::uint64_t>(dseq));
    if (!all) return ledger::error_response(all.error());
    std::vector<OrderDecision> mine;
    for (const OrderDecision& d : *all)
      if (d.provider == provider.address()) mine.push_back(d);
    return ledger::HttpResponse::json(200, nlohmann::json::parse(decision_to_json(mine)));
  }));
  return router;
}

} // namespace akt::sim
