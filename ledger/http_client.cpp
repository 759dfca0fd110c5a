#include "ledger/http_client.hpp"

#include <curl/curl.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "ledger/http_server.hpp"

namespace akt::ledger {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  std::string* body = nullptr;
  const ChunkReader* reader = nullptr;
  std::size_t limit = 0;
  bool too_large = false;
  bool stopped = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  std::size_t bytes = size * count;
  if (sink->reader) {
    if (!(*sink->reader)(std::string_view(data, bytes))) {
      sink->stopped = true;
      return 0;
    }
    return bytes;
  }
  if (sink->body->size() + bytes > sink->limit) {
    sink->too_large = true;
    return 0;
  }
  sink->body->append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  // A new status line starts a new header block (redirects, 100-continue).
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return bytes;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name;
  for (char c : line.substr(0, colon)) name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  (*headers)[name] = std::string(value);
  return bytes;
}

} // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  std::mutex mutex;
  CURL* curl = nullptr;
  curl_slist* json_headers = nullptr;

  ~Impl() {
    if (json_headers) curl_slist_free_all(json_headers);
    if (curl) curl_easy_cleanup(curl);
  }

  Result<HttpClientResponse> perform(std::string_view method, const std::string& url, std::string_view body,
                                     bool send_body, const ChunkReader* reader,
                                     std::chrono::milliseconds timeout) {
    std::lock_guard lock(mutex);
    if (!curl) {
      global_init();
      curl = curl_easy_init();
      if (!curl) return make_error(ErrorKind::failure, "cannot initialize libcurl");
      json_headers = curl_slist_append(nullptr, "Content-Type: application/json");
      json_headers = curl_slist_append(json_headers, "Accept: application/json");
      // An empty Expect header stops curl from waiting for "100 Continue" on larger posts.
      json_headers = curl_slist_append(json_headers, "Expect:");
    }
    // Reset per-call options but keep the connection cache of this handle.
    curl_easy_reset(curl);
    HttpClientResponse response;
    BodySink sink{&response.body, reader, options.max_response_bytes, false, false};
    std::string method_text(method);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, json_headers);
    if (method_text == "GET" && !send_body) {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      if (method_text != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      if (sink.too_large)
        return make_error(ErrorKind::failure, "answer from " + url + " is larger than " +
                                                  std::to_string(options.max_response_bytes) + " bytes");
      if (sink.stopped) {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
        return response;
      }
      std::string reason = curl_easy_strerror(code);
      return make_error(ErrorKind::unreachable, "cannot reach " + url + ": " + reason);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }
};

HttpClient::HttpClient(std::string base_url, HttpClientOptions options)
    : m_base_url(std::move(base_url)), m_impl(std::make_unique<Impl>()) {
  while (!m_base_url.empty() && m_base_url.back() == '/') m_base_url.pop_back();
  m_impl->options = std::move(options);
}

HttpClient::~HttpClient() = default;

Result<HttpClientResponse> HttpClient::get(std::string_view path) {
  return m_impl->perform("GET", m_base_url + std::string(path), {}, false, nullptr, m_impl->options.timeout);
}

Result<HttpClientResponse> HttpClient::post_json(std::string_view path, std::string_view json_body) {
  return m_impl->perform("POST", m_base_url + std::string(path), json_body, true, nullptr,
                         m_impl->options.timeout);
}

Result<HttpClientResponse> HttpClient::request(std::string_view method, std::string_view path,
                                               std::string_view body) {
  bool send_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  return m_impl->perform(method, m_base_url + std::string(path), body, send_body, nullptr,
                         m_impl->options.timeout);
}

Result<HttpClientResponse> HttpClient::get_stream(std::string_view path, const ChunkReader& reader,
                                                  std::chrono::milliseconds timeout) {
  return m_impl->perform("GET", m_base_url + std::string(path), {}, false, &reader, timeout);
}

Error http_error(const HttpClientResponse& response, std::string_view url) {
  ErrorKind kind = error_kind_for_status(response.status);
  std::string message;
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (auto it = body.find("error"); it != body.end() && it->is_string()) message = it->get<std::string>();
    if (auto it = body.find("kind"); it != body.end() && it->is_string()) {
      if (auto parsed = error_kind_from_string(it->get<std::string>())) kind = *parsed;
    }
  }
  Error error = make_error(kind, message);
  if (message.empty()) error.message = std::string(url) + " answered HTTP " + std::to_string(response.status);
  if (body.is_object()) {
    if (auto it = body.find("path"); it != body.end() && it->is_string()) error.path = it->get<std::string>();
    if (auto it = body.find("where"); it != body.end() && it->is_object()) {
      const nlohmann::json& w = *it;
      Location where;
      if (w.contains("origin") && w["origin"].is_string()) where.origin = w["origin"].get<std::string>();
      if (w.contains("line") && w["line"].is_number_integer()) where.line = w["line"].get<int>();
      if (w.contains("column") && w["column"].is_number_integer()) where.column = w["column"].get<int>();
      error.where = where;
    }
  }
  return error;
}

std::string url_escape(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                 byte == '-' || byte == '_' || byte == '.' || byte == '~';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  }
  return out;
}

} // namespace akt::ledger
