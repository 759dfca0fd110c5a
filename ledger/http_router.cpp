// Routing and the JSON response helpers; no HTTP library here (see http_server.cpp).
#include <charconv>
#include <exception>

#include <nlohmann/json.hpp>

#include "ledger/http_server.hpp"

namespace akt::ledger {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_rest_param(const std::string& segment) {
  return is_param(segment) && segment.size() > 5 && segment.compare(segment.size() - 4, 4, "...}") == 0;
}

// Matches and fills params; the score counts literal segments so literals win.
bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params, int& score) {
  params.clear();
  score = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& seg = pattern[i];
    if (is_rest_param(seg)) {
      if (i >= path.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < path.size(); ++j) {
        if (j > i) rest += '/';
        rest += path[j];
      }
      params[seg.substr(1, seg.size() - 5)] = rest;
      return true;
    }
    if (i >= path.size()) return false;
    if (is_param(seg)) {
      params[seg.substr(1, seg.size() - 2)] = path[i];
    } else if (seg == path[i]) {
      ++score;
    } else {
      return false;
    }
  }
  return pattern.size() == path.size();
}

} // namespace

const std::string& HttpRequest::param(const std::string& name) const {
  static const std::string empty;
  auto it = params.find(name);
  return it == params.end() ? empty : it->second;
}

std::optional<std::string> HttpRequest::query_value(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HttpRequest::header(const std::string& name) const {
  std::string lower;
  for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  auto it = headers.find(lower);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& value) {
  HttpResponse response;
  response.status = status;
  // Replace invalid UTF-8 instead of throwing: a response must always be writable.
  response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse HttpResponse::error(int status, std::string_view message, std::string_view kind) {
  nlohmann::json body = {{"error", std::string(message)}};
  if (!kind.empty()) body["kind"] = std::string(kind);
  return json(status, body);
}

HttpResponse HttpResponse::streamed(std::string content_type, StreamProducer producer) {
  HttpResponse response;
  response.content_type = std::move(content_type);
  response.stream = std::move(producer);
  return response;
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::invalid: return "invalid";
  case ErrorKind::failure: return "failure";
  case ErrorKind::not_found: return "not_found";
  case ErrorKind::no_bid: return "no_bid";
  case ErrorKind::refused: return "refused";
  case ErrorKind::provider: return "provider";
  case ErrorKind::unreachable: return "unreachable";
  }
  return "failure";
}

std::optional<ErrorKind> error_kind_from_string(std::string_view name) {
  for (ErrorKind kind : {ErrorKind::invalid, ErrorKind::failure, ErrorKind::not_found, ErrorKind::no_bid,
                         ErrorKind::refused, ErrorKind::provider, ErrorKind::unreachable}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

int http_status_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::invalid: return 400;
  case ErrorKind::failure: return 500;
  case ErrorKind::not_found: return 404;
  case ErrorKind::no_bid: return 408;
  case ErrorKind::refused: return 409;
  case ErrorKind::provider: return 502;
  case ErrorKind::unreachable: return 503;
  }
  return 500;
}

ErrorKind error_kind_for_status(int status) {
  switch (status) {
  case 404: return ErrorKind::not_found;
  case 408: return ErrorKind::no_bid;
  case 403:
  case 409: return ErrorKind::refused;
  case 502: return ErrorKind::provider;
  case 503:
  case 504: return ErrorKind::unreachable;
  default: break;
  }
  if (status >= 400 && status < 500) return ErrorKind::invalid;
  return ErrorKind::failure;
}

HttpResponse error_response(const Error& error) {
  nlohmann::json body = {{"error", error.message}, {"kind", std::string(to_string(error.kind))}};
  if (!error.path.empty()) body["path"] = error.path;
  if (error.where) {
    body["where"] = {{"origin", error.where->origin}, {"line", error.where->line}, {"column", error.where->column}};
  }
  return HttpResponse::json(http_status_for(error.kind), body);
}

void HttpRouter::add(std::string method, std::string pattern, HttpHandler handler) {
  m_routes.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

HttpResponse HttpRouter::dispatch(HttpRequest request) const {
  std::vector<std::string> path = split_path(request.path);
  const Route* best = nullptr;
  int best_score = -1;
  bool path_known = false;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> best_params;
  for (const Route& route : m_routes) {
    int score = 0;
    if (!match(route.segments, path, params, score)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    if (score > best_score) {
      best = &route;
      best_score = score;
      best_params = params;
    }
  }
  if (!best) {
    if (path_known) return HttpResponse::error(405, "method " + request.method + " not allowed on " + request.path, "invalid");
    return HttpResponse::error(404, "no such endpoint: " + request.method + " " + request.path, "not_found");
  }
  request.params = std::move(best_params);
  try {
    return best->handler(request);
  } catch (const nlohmann::json::exception& e) {
    // A handler that reads a field of the wrong type lands here: the client's fault.
    return HttpResponse::error(400, std::string("bad request: ") + e.what(), "invalid");
  } catch (const std::exception& e) {
    return HttpResponse::error(500, std::string("internal error: ") + e.what(), "failure");
  }
}

Result<std::pair<std::string, int>> parse_listen_address(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(ErrorKind::invalid, "listen address '" + std::string(text) + "' is not [host]:port");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return make_error(ErrorKind::invalid, "listen address '" + std::string(text) + "' is not host:port");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) host = "127.0.0.1";
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return make_error(ErrorKind::invalid,
                      "listen address '" + std::string(text) + "' has no valid port (0-65535)");
  return std::make_pair(host, port);
}

} // namespace akt::ledger
