#pragma once
// A small JSON-over-HTTP client on libcurl. One instance keeps one connection alive
// between calls (keep-alive reuse); calls on one instance are serialized, so share an
// instance only where serial calls are fine and make one per thread for parallelism.
// A server that cannot be reached (refused, DNS, timeout) is ErrorKind::unreachable
// with the URL in the message; any HTTP answer, even 500, is a response, not an error.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace akt::ledger {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  // The whole call, including the body; zero means no limit (for streams).
  std::chrono::milliseconds timeout{30000};
  std::size_t max_response_bytes = 64u << 20;  // larger answers fail instead of filling memory
  std::string user_agent = "akt/0.1";
  // Extra CA bundle for https (empty: the system's).
  std::string ca_file;
};

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

// Receives a streamed body chunk by chunk; return false to stop reading.
using ChunkReader = std::function<bool(std::string_view chunk)>;

class HttpClient {
public:
  // `base_url` is "http://host:port" or "https://host:port/prefix"; paths are appended.
  explicit HttpClient(std::string base_url, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpClientResponse> get(std::string_view path);
  Result<HttpClientResponse> post_json(std::string_view path, std::string_view json_body);
  // Any method; `body` is sent as application/json when non-empty or method is POST/PUT.
  Result<HttpClientResponse> request(std::string_view method, std::string_view path, std::string_view body);
  // GET whose body is handed to `reader` as it arrives (chunked streams such as logs).
  // The result carries status and headers; the body is left empty.
  Result<HttpClientResponse> get_stream(std::string_view path, const ChunkReader& reader,
                                        std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  const std::string& base_url() const { return m_base_url; }

private:
  struct Impl;
  std::string m_base_url;
  std::unique_ptr<Impl> m_impl;
};

// A non-2xx answer as an akt error: the server's {"error","kind"} when it sent one,
// otherwise the status (404 not_found, 409 refused, 5xx failure...) with the URL.
Error http_error(const HttpClientResponse& response, std::string_view url);

// Percent-encodes one path segment or query value.
std::string url_escape(std::string_view text);

} // namespace akt::ledger
