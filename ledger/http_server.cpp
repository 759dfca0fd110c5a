// The one translation unit that includes cpp-httplib (it compiles slowly): HttpServer
// adapts httplib's server to HttpRouter.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "ledger/http_server.hpp"

namespace akt::ledger {

namespace {

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

HttpRequest to_request(const httplib::Request& in) {
  HttpRequest out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [key, value] : in.params) out.query.emplace(key, value);
  for (const auto& [key, value] : in.headers) out.headers[lower(key)] = value;
  out.body = in.body;
  out.remote_address = in.remote_addr;
  return out;
}

void write_response(const HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [key, value] : in.headers) out.set_header(key, value);
  if (!in.stream) {
    out.set_content(in.body, in.content_type);
    return;
  }
  // The producer runs once, on this connection's worker, and writes every chunk itself.
  StreamProducer producer = in.stream;
  out.set_chunked_content_provider(in.content_type, [producer](std::size_t, httplib::DataSink& sink) {
    ChunkWriter write = [&sink](std::string_view chunk) {
      if (chunk.empty()) return sink.is_writable();
      return sink.is_writable() && sink.write(chunk.data(), chunk.size());
    };
    producer(write);
    sink.done();
    return true;
  });
}

std::string status_message(int status) {
  switch (status) {
  case 400: return "bad request";
  case 404: return "not found";
  case 405: return "method not allowed";
  case 408: return "request timeout";
  case 413: return "request body too large";
  case 414: return "request URI too long";
  case 431: return "request header fields too large";
  default: return "HTTP status " + std::to_string(status);
  }
}

} // namespace

struct HttpServer::Impl {
  HttpRouter router;
  HttpServerOptions options;
  httplib::Server server;
  std::thread thread;
  std::mutex mutex;
  int port = -1;
  bool running = false;
  std::atomic<bool> listening_done{false};
};

HttpServer::HttpServer(HttpRouter router, HttpServerOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->router = std::move(router);
  m_impl->options = std::move(options);
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  std::lock_guard lock(m_impl->mutex);
  if (m_impl->running) return ok();
  Impl& impl = *m_impl;
  httplib::Server& server = impl.server;
  const HttpServerOptions& options = impl.options;

  std::size_t threads = options.threads == 0 ? 1 : options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout);
  server.set_write_timeout(options.write_timeout);
  server.set_keep_alive_timeout(
      std::max<time_t>(1, std::chrono::duration_cast<std::chrono::seconds>(options.keep_alive_timeout).count()));
  server.set_keep_alive_max_count(100000);
  server.set_tcp_nodelay(true);
  // The library's default adds SO_REUSEPORT, which lets a second server bind a port
  // that is already served; SO_REUSEADDR alone only skips TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  auto handle = [&impl](const httplib::Request& req, httplib::Response& res) {
    write_response(impl.router.dispatch(to_request(req)), res);
  };
  for (const char* pattern : {R"(/.*)"}) {
    server.Get(pattern, handle);
    server.Post(pattern, handle);
    server.Put(pattern, handle);
    server.Patch(pattern, handle);
    server.Delete(pattern, handle);
    server.Options(pattern, handle);
  }
  // Failures the library detects itself (413, 400, 414) get the same JSON error shape.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    HttpResponse error = HttpResponse::error(res.status, status_message(res.status),
                                             to_string(error_kind_for_status(res.status)));
    res.set_content(error.body, error.content_type);
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      message += ": ";
      message += e.what();
    } catch (...) {
    }
    HttpResponse error = HttpResponse::error(500, message, "failure");
    res.status = 500;
    res.set_content(error.body, error.content_type);
  });

  int port = options.port == 0 ? server.bind_to_any_port(options.host)
                               : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) {
    return make_error(ErrorKind::unreachable, "cannot listen on " + options.host + ":" +
                                                  std::to_string(options.port) +
                                                  ": address in use or not available");
  }
  impl.port = port;
  impl.running = true;
  impl.listening_done = false;
  impl.thread = std::thread([&impl] {
    impl.server.listen_after_bind();
    impl.listening_done = true;
  });
  // stop() only takes effect once the accept loop runs, so wait for it here; otherwise
  // a quick start/stop pair would leave the loop running forever.
  while (!server.is_running() && !impl.listening_done) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return ok();
}

void HttpServer::stop() {
  std::lock_guard lock(m_impl->mutex);
  if (!m_impl->running) return;
  m_impl->server.stop();
  if (m_impl->thread.joinable()) m_impl->thread.join();
  m_impl->running = false;
}

int HttpServer::port() const { return m_impl->port; }

std::string HttpServer::url() const {
  const std::string& host = m_impl->options.host;
  bool ipv6 = host.find(':') != std::string::npos;
  std::string shown = host == "0.0.0.0" ? "127.0.0.1" : host;
  return "http://" + (ipv6 ? "[" + shown + "]" : shown) + ":" + std::to_string(m_impl->port);
}

} // namespace akt::ledger
