#pragma once
// A small JSON-over-HTTP server: routes (method + path pattern with {params}), handlers
// that turn a request into a response, a body size limit, a thread pool, start/stop.
// The ledger server and the simulator's provider API both serve through it. Only
// http_server.cpp sees the HTTP library, so the rest of the code compiles quickly and
// the router can be tested without sockets.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/result.hpp"

namespace akt::ledger {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::map<std::string, std::string> params;  // from the route's {name} segments
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;

  // The path parameter `name` (the router guarantees the route's own names are present).
  const std::string& param(const std::string& name) const;
  // The first query value of `name`, if any.
  std::optional<std::string> query_value(const std::string& name) const;
  std::optional<std::string> header(const std::string& name) const;
};

// Writes one chunk of a streamed response; false means the client went away and the
// producer should stop.
using ChunkWriter = std::function<bool(std::string_view chunk)>;
// Produces a streamed body by calling the writer until done; runs on the connection's
// worker thread, so it may block (waiting for new log lines, for instance).
using StreamProducer = std::function<void(const ChunkWriter& write)>;

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is sent chunked from this producer and `body` is ignored.
  StreamProducer stream;

  // `value` serialized compactly.
  static HttpResponse json(int status, const nlohmann::json& value);
  // {"error": message} with the given status; `kind` adds {"kind": ...} when non-empty.
  static HttpResponse error(int status, std::string_view message, std::string_view kind = {});
  // A chunked response of `content_type` produced by `producer`.
  static HttpResponse streamed(std::string content_type, StreamProducer producer);
};

// The HTTP status that reports an akt error of the given kind to a client, and back.
int http_status_for(ErrorKind kind);
ErrorKind error_kind_for_status(int status);
// An error as the JSON body {"error": message, "kind": "..."} and its status.
HttpResponse error_response(const Error& error);
std::string_view to_string(ErrorKind kind);
std::optional<ErrorKind> error_kind_from_string(std::string_view name);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Matches method + path against patterns such as "/v1/deployments/{owner}/{dseq}". A
// {name} segment matches one non-empty path segment; "{name...}" as the last segment
// matches the rest of the path. Literal segments win over parameters when both match.
class HttpRouter {
public:
  void add(std::string method, std::string pattern, HttpHandler handler);
  void get(std::string pattern, HttpHandler handler) { add("GET", std::move(pattern), std::move(handler)); }
  void post(std::string pattern, HttpHandler handler) { add("POST", std::move(pattern), std::move(handler)); }
  void put(std::string pattern, HttpHandler handler) { add("PUT", std::move(pattern), std::move(handler)); }
  void del(std::string pattern, HttpHandler handler) { add("DELETE", std::move(pattern), std::move(handler)); }

  // Runs the matching handler; 404 when no pattern matches the path, 405 when the path
  // matches under other methods only. A handler that throws becomes a 500 with the
  // message: one bad request never takes the server down.
  HttpResponse dispatch(HttpRequest request) const;

private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  std::vector<Route> m_routes;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port; HttpServer::port() says which
  // Keep-alive connections hold a worker each, so this bounds concurrent clients.
  std::size_t threads = 64;
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  // An idle kept-alive connection is closed after this; stop() may wait this long.
  std::chrono::milliseconds keep_alive_timeout{2000};
};

class HttpServer {
public:
  HttpServer(HttpRouter router, HttpServerOptions options);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on background threads; fails (unreachable) when the
  // address cannot be bound.
  Status start();
  // Stops accepting, finishes in-flight requests, joins the threads. Idempotent.
  void stop();
  // The bound port (after start) and "http://host:port".
  int port() const;
  std::string url() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Splits "host:port" ("127.0.0.1:8080", "[::1]:0", ":8080" = 127.0.0.1); fails on a bad port.
Result<std::pair<std::string, int>> parse_listen_address(std::string_view text);

} // namespace akt::ledger
