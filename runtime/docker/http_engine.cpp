#include "runtime/docker/http_engine.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace akt::runtime::docker {

namespace {

using nlohmann::json;

// What this code was written against; engines speaking less than the floor lack
// DeviceRequests and are refused.
constexpr const char* k_max_supported = "1.43";
constexpr const char* k_min_supported = "1.40";
// Ordinary responses (inspect, list) are small; a bigger one is a broken engine.
constexpr std::size_t k_max_body = 64u << 20;

// A connection libcurl opened with CONNECT_ONLY, used as a raw stream of bytes.
struct RawConnection {
  CURL* handle;
  curl_socket_t socket;
  bool tls;

  // Sends what the socket takes now: the count sent, 0 when it is full.
  Result<std::size_t> try_send(std::string_view bytes) const {
    std::size_t sent = 0;
    const CURLcode code = curl_easy_send(handle, bytes.data(), bytes.size(), &sent);
    if (code == CURLE_AGAIN) {
      return std::size_t{0};
    }
    if (code != CURLE_OK) {
      return make_error(ErrorKind::provider, std::string("sending to the engine: ") + curl_easy_strerror(code));
    }
    return sent;
  }

  // Sends all of `bytes`, waiting while the socket is full.
  Status send_all(std::string_view bytes) const {
    while (!bytes.empty()) {
      Result<std::size_t> sent = try_send(bytes);
      if (!sent) {
        return sent.error();
      }
      if (*sent == 0) {
        pollfd writable{static_cast<int>(socket), POLLOUT, 0};
        if (::poll(&writable, 1, 30'000) == 0) {
          return make_error(ErrorKind::provider, "the engine took no input for 30 s");
        }
      }
      bytes.remove_prefix(*sent);
    }
    return ok();
  }

  // Appends what has arrived, waiting up to `timeout_ms` for something when nothing has
  // (0: no wait). False once the engine has closed the stream.
  Result<bool> receive(std::string& out, int timeout_ms) const {
    std::array<char, 16 * 1024> buffer{};
    for (;;) {
      std::size_t n = 0;
      const CURLcode code = curl_easy_recv(handle, buffer.data(), buffer.size(), &n);
      if (code == CURLE_OK) {
        out.append(buffer.data(), n);
        return n > 0;
      }
      if (code != CURLE_AGAIN) {
        return make_error(ErrorKind::provider, std::string("reading from the engine: ") + curl_easy_strerror(code));
      }
      if (timeout_ms <= 0) {
        return true;
      }
      pollfd readable{static_cast<int>(socket), POLLIN, 0};
      const int ready = ::poll(&readable, 1, timeout_ms);
      if (ready == 0) {
        return make_error(ErrorKind::provider, "no answer from the engine in " + std::to_string(timeout_ms / 1000) + " s");
      }
      if (ready < 0 && errno != EINTR) {
        return make_error(ErrorKind::failure, std::string("poll: ") + std::strerror(errno));
      }
    }
  }

  // Ends the command's input. TLS has no half-close that libcurl exposes: there the
  // command sees its input end only when it ends by itself.
  void close_write() const {
    if (!tls) {
      ::shutdown(static_cast<int>(socket), SHUT_WR);
    }
  }
};

bool parse_version(const std::string& text, long& major, long& minor) {
  const std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= text.size() || text.size() > 12) {
    return false;
  }
  major = 0;
  minor = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == dot) {
      continue;
    }
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    long& part = i < dot ? major : minor;
    part = part * 10 + (text[i] - '0');
  }
  return true;
}

int compare_versions(const std::string& a, const std::string& b) {
  long a_major = 0, a_minor = 0, b_major = 0, b_minor = 0;
  parse_version(a, a_major, a_minor);
  parse_version(b, b_major, b_minor);
  if (a_major != b_major) {
    return a_major < b_major ? -1 : 1;
  }
  if (a_minor != b_minor) {
    return a_minor < b_minor ? -1 : 1;
  }
  return 0;
}

std::string base64url(std::string_view data) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += k_alphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    const unsigned n = static_cast<unsigned char>(data[i]) << 16;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    const unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// Accessors that never throw on a malformed engine answer.
std::string str(const json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t i64(const json& j, const char* key) {
  if (!j.is_object()) {
    return 0;
  }
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    return 0;
  }
  return it->is_number_float() ? static_cast<std::int64_t>(it->get<double>())
                               : it->get<std::int64_t>();
}

bool boolean(const json& j, const char* key) {
  if (!j.is_object()) {
    return false;
  }
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const json& member(const json& j, const char* key) {
  static const json k_null;
  if (!j.is_object()) {
    return k_null;
  }
  auto it = j.find(key);
  return it == j.end() ? k_null : *it;
}

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const json& item : j) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  } else if (j.is_string()) {
    out.push_back(j.get<std::string>());
  }
  return out;
}

std::optional<std::vector<std::string>> optional_strings(const json& j) {
  if (j.is_null()) {
    return std::nullopt;
  }
  return strings(j);
}

Labels labels_of(const json& j) {
  Labels out;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_string()) {
        out[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return out;
}

std::string label_filters(const Labels& labels, const std::string& type = {}) {
  json filters = json::object();
  if (!labels.empty()) {
    json list = json::array();
    for (const auto& [key, value] : labels) {
      list.push_back(value.empty() ? key : key + "=" + value);
    }
    filters["label"] = list;
  }
  if (!type.empty()) {
    filters["type"] = json::array({type});
  }
  return filters.dump();
}

// Names Docker accepts in paths: refs, ids, names. Anything else would change the URL.
bool safe_path_part(const std::string& text) {
  if (text.empty() || text.size() > 512) {
    return false;
  }
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@';
    if (!ok) {
      return false;
    }
  }
  return text.find("..") == std::string::npos;
}

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// A body consumer for streaming endpoints; return false to stop the transfer.
using ChunkFn = std::function<bool(std::string_view)>;

struct Transfer {
  Response* response = nullptr;
  const ChunkFn* chunk = nullptr;
  const std::function<bool()>* cancelled = nullptr;
  bool stopped = false;
  bool too_big = false;
};

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->cancelled != nullptr && *transfer->cancelled && (*transfer->cancelled)()) {
    transfer->stopped = true;
    return 1;
  }
  return 0;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->chunk != nullptr && transfer->response->status < 300) {
    if (!(*transfer->chunk)(std::string_view(data, bytes))) {
      transfer->stopped = true;
      return 0;
    }
    return bytes;
  }
  if (transfer->response->body.size() + bytes > k_max_body) {
    transfer->too_big = true;
    return 0;
  }
  transfer->response->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    const std::size_t space = line.find(' ');
    if (space != std::string_view::npos && line.size() >= space + 4) {
      transfer->response->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
    }
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    transfer->response->headers[name] = std::string(value);
  }
  return bytes;
}

class HttpEngine final : public Engine {
public:
  explicit HttpEngine(EngineConfig config) : m_config(std::move(config)) {
    static std::once_flag k_curl_init;
    std::call_once(k_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    m_ours = k_max_supported;
    if (!m_config.max_api_version.empty() &&
        compare_versions(m_config.max_api_version, m_ours) < 0) {
      m_ours = m_config.max_api_version;
    }
  }

  ~HttpEngine() override {
    for (CURL* handle : m_idle) {
      curl_easy_cleanup(handle);
    }
  }

  Result<PingInfo> ping() override {
    auto response = request("GET", "/_ping", {}, {}, nullptr, false);
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("ping", *response);
    }
    PingInfo info;
    info.engine_api_version = response->headers["api-version"];
    info.os_type = response->headers["ostype"];
    if (info.engine_api_version.empty()) {
      // Engines older than 1.25 send no header; anything we can use does.
      return make_error(ErrorKind::provider, "the Docker engine at " + m_config.endpoint() +
                                                 " sent no Api-Version; it is too old (need API " +
                                                 k_min_supported + ")");
    }
    info.api_version = negotiate_api_version(info.engine_api_version, m_ours);
    if (info.api_version.empty() || compare_versions(info.api_version, k_min_supported) < 0) {
      return make_error(ErrorKind::provider,
                        "the Docker engine at " + m_config.endpoint() + " speaks API " +
                            info.engine_api_version + "; akt needs " + k_min_supported +
                            " or later (Docker 19.03+): upgrade Docker");
    }
    std::lock_guard lock(m_mutex);
    m_version = info.api_version;
    return info;
  }

  Result<std::optional<ImageInfo>> image_inspect(const std::string& ref) override {
    if (!safe_path_part(ref)) {
      return invalid_name("image", ref);
    }
    auto response = call("GET", "/images/" + ref + "/json");
    if (!response) {
      return response.error();
    }
    if (response->status == 404) {
      return std::optional<ImageInfo>();
    }
    if (response->status != 200) {
      return engine_error("inspect image " + ref, *response);
    }
    json j = json::parse(response->body, nullptr, false);
    ImageInfo info;
    info.id = str(j, "Id");
    info.repo_tags = strings(member(j, "RepoTags"));
    return std::optional<ImageInfo>(std::move(info));
  }

  Status image_pull(const std::string& ref, const std::optional<RegistryAuth>& auth,
                    const PullProgressFn& progress) override {
    if (!safe_path_part(ref)) {
      return invalid_name("image", ref);
    }
    std::string query = "fromImage=" + escape(ref);
    const std::size_t slash = ref.rfind('/');
    const std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
    if (last.find(':') == std::string::npos && ref.find('@') == std::string::npos) {
      query += "&tag=latest";  // an empty tag would pull every tag
    }
    std::vector<std::string> headers;
    if (auth) {
      headers.push_back("X-Registry-Auth: " + registry_auth_header(*auth));
    }
    std::string stream_error;
    LineSplitter lines([&](std::string_view line) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        return;
      }
      if (!str(j, "error").empty()) {
        stream_error = str(j, "error");
        return;
      }
      if (progress) {
        progress(PullProgress{str(j, "id"), str(j, "status"), str(j, "progress")});
      }
    });
    ChunkFn chunk = [&](std::string_view bytes) {
      lines.feed(bytes);
      return true;
    };
    auto response = call("POST", "/images/create?" + query, {}, &chunk, headers);
    if (!response) {
      return response.error();
    }
    lines.flush();
    if (response->status != 200) {
      return engine_error("pull image " + ref, *response);
    }
    if (!stream_error.empty()) {
      return make_error(ErrorKind::provider, "pull image " + ref + ": " + stream_error);
    }
    return ok();
  }

  Result<std::string> network_create(const std::string& name, const Labels& labels) override {
    json body = {{"Name", name}, {"Driver", "bridge"}, {"CheckDuplicate", true},
                 {"Labels", labels}};
    auto response = call("POST", "/networks/create", body.dump());
    if (!response) {
      return response.error();
    }
    if (response->status != 201 && response->status != 200) {
      return engine_error("create network " + name, *response);
    }
    return str(json::parse(response->body, nullptr, false), "Id");
  }

  Status network_remove(const std::string& id) override {
    return simple("DELETE", "/networks/" + id, "remove network " + id, id);
  }

  Status network_disconnect(const std::string& network, const std::string& container, bool force) override {
    if (!safe_path_part(network)) {
      return invalid_name("network", network);
    }
    json body = {{"Container", container}, {"Force", force}};
    auto response = call("POST", "/networks/" + network + "/disconnect", body.dump());
    if (!response) {
      return response.error();
    }
    if (response->status >= 300) {
      return engine_error("disconnect container " + container + " from network " + network, *response);
    }
    return ok();
  }

  Result<std::vector<NetworkInfo>> network_list(const Labels& labels) override {
    auto response = call("GET", "/networks?filters=" + escape(label_filters(labels)));
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("list networks", *response);
    }
    std::vector<NetworkInfo> out;
    json j = json::parse(response->body, nullptr, false);
    if (j.is_array()) {
      for (const json& item : j) {
        out.push_back(NetworkInfo{str(item, "Id"), str(item, "Name"), labels_of(member(item, "Labels"))});
      }
    }
    return out;
  }

  Result<std::string> volume_create(const std::string& name, const Labels& labels) override {
    json body = {{"Name", name}, {"Labels", labels}};
    auto response = call("POST", "/volumes/create", body.dump());
    if (!response) {
      return response.error();
    }
    if (response->status != 201 && response->status != 200) {
      return engine_error("create volume " + name, *response);
    }
    return str(json::parse(response->body, nullptr, false), "Name");
  }

  Status volume_remove(const std::string& name, bool force) override {
    return simple("DELETE", "/volumes/" + name + (force ? "?force=1" : ""), "remove volume " + name,
                  name);
  }

  Result<std::vector<VolumeInfo>> volume_list(const Labels& labels) override {
    auto response = call("GET", "/volumes?filters=" + escape(label_filters(labels)));
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("list volumes", *response);
    }
    std::vector<VolumeInfo> out;
    const json j = json::parse(response->body, nullptr, false);
    const json& list = member(j, "Volumes");
    if (list.is_array()) {
      for (const json& item : list) {
        out.push_back(VolumeInfo{str(item, "Name"), labels_of(member(item, "Labels"))});
      }
    }
    return out;
  }

  Result<std::string> container_create(const ContainerSpec& spec) override {
    if (!spec.name.empty() && !safe_path_part(spec.name)) {
      return invalid_name("container", spec.name);
    }
    auto response = call("POST", "/containers/create" + (spec.name.empty() ? std::string() : "?name=" + escape(spec.name)),
                         create_body(spec).dump());
    if (!response) {
      return response.error();
    }
    if (response->status != 201 && response->status != 200) {
      return engine_error("create container " + spec.name, *response);
    }
    return str(json::parse(response->body, nullptr, false), "Id");
  }

  Status container_start(const std::string& id) override {
    return simple("POST", "/containers/" + id + "/start", "start container " + id, id);
  }

  Status container_stop(const std::string& id, int timeout_s) override {
    return simple("POST", "/containers/" + id + "/stop?t=" + std::to_string(timeout_s),
                  "stop container " + id, id);
  }

  Status container_restart(const std::string& id, int timeout_s) override {
    return simple("POST", "/containers/" + id + "/restart?t=" + std::to_string(timeout_s),
                  "restart container " + id, id);
  }

  Status container_remove(const std::string& id, bool force, bool remove_volumes) override {
    return simple("DELETE",
                  "/containers/" + id + "?force=" + (force ? "1" : "0") + "&v=" +
                      (remove_volumes ? "1" : "0"),
                  "remove container " + id, id);
  }

  Result<ContainerInfo> container_inspect(const std::string& id) override {
    if (!safe_path_part(id)) {
      return invalid_name("container", id);
    }
    auto response = call("GET", "/containers/" + id + "/json");
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("inspect container " + id, *response);
    }
    const json j = json::parse(response->body, nullptr, false);
    if (!j.is_object()) {
      return make_error(ErrorKind::provider, "inspect container " + id + ": malformed answer");
    }
    return parse_inspect(j);
  }

  Result<std::vector<ContainerSummary>> container_list(const Labels& labels, bool all) override {
    auto response = call("GET", std::string("/containers/json?all=") + (all ? "1" : "0") +
                                    "&filters=" + escape(label_filters(labels)));
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("list containers", *response);
    }
    std::vector<ContainerSummary> out;
    const json j = json::parse(response->body, nullptr, false);
    if (j.is_array()) {
      for (const json& item : j) {
        ContainerSummary summary;
        summary.id = str(item, "Id");
        std::vector<std::string> names = strings(member(item, "Names"));
        if (!names.empty()) {
          summary.name = names.front().starts_with("/") ? names.front().substr(1) : names.front();
        }
        summary.image = str(item, "Image");
        summary.state = str(item, "State");
        summary.labels = labels_of(member(item, "Labels"));
        out.push_back(std::move(summary));
      }
    }
    return out;
  }

  Status container_logs(const std::string& id, const LogOptions& options,
                        const OutputFn& output) override {
    if (!safe_path_part(id)) {
      return invalid_name("container", id);
    }
    std::string query = std::string("stdout=") + (options.stdout_ ? "1" : "0") +
                        "&stderr=" + (options.stderr_ ? "1" : "0") +
                        "&follow=" + (options.follow ? "1" : "0") +
                        "&timestamps=" + (options.timestamps ? "1" : "0") + "&tail=" +
                        (options.tail ? std::to_string(*options.tail) : std::string("all"));
    return stream_demuxed("GET", "/containers/" + id + "/logs?" + query, {}, output,
                          "logs of container " + id, &options.cancelled);
  }

  Result<std::int64_t> container_wait(const std::string& id) override {
    if (!safe_path_part(id)) {
      return invalid_name("container", id);
    }
    auto response = call("POST", "/containers/" + id + "/wait");
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("wait for container " + id, *response);
    }
    return i64(json::parse(response->body, nullptr, false), "StatusCode");
  }

  Result<std::string> exec_create(const std::string& container, const ExecSpec& spec) override {
    if (!safe_path_part(container)) {
      return invalid_name("container", container);
    }
    json body = {{"AttachStdin", spec.attach_stdin},
                 {"AttachStdout", spec.attach_stdout},
                 {"AttachStderr", spec.attach_stderr},
                 {"Tty", spec.tty},
                 {"Cmd", spec.argv}};
    if (!spec.env.empty()) {
      body["Env"] = spec.env;
    }
    if (!spec.working_dir.empty()) {
      body["WorkingDir"] = spec.working_dir;
    }
    auto response = call("POST", "/containers/" + container + "/exec", body.dump());
    if (!response) {
      return response.error();
    }
    if (response->status != 201 && response->status != 200) {
      return engine_error("exec in container " + container, *response);
    }
    return str(json::parse(response->body, nullptr, false), "Id");
  }

  Status exec_start(const std::string& exec_id, const OutputFn& output) override {
    if (!safe_path_part(exec_id)) {
      return invalid_name("exec", exec_id);
    }
    json body = {{"Detach", false}, {"Tty", false}};
    return stream_demuxed("POST", "/exec/" + exec_id + "/start", body.dump(), output,
                          "start exec " + exec_id);
  }

  // The engine hands stdin over a hijacked connection: the HTTP request upgrades it to a
  // raw stream both ways (`Upgrade: tcp`), as the docker CLI's `exec -i` does. libcurl
  // only connects (CONNECT_ONLY); the request and the stream go through curl_easy_send
  // and curl_easy_recv, so the socket, TCP and TLS transports all work.
  Status exec_start_attached(const std::string& exec_id, int input_fd, bool tty,
                             const std::optional<ConsoleSize>& size, const OutputFn& output) override {
    if (!safe_path_part(exec_id)) {
      return invalid_name("exec", exec_id);
    }
    Result<std::string> version = api_version();
    if (!version) {
      return version.error();
    }
    const std::string what = "start exec " + exec_id;
    const std::string path = "/v" + *version + "/exec/" + exec_id + "/start";
    std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
    if (!handle) {
      return make_error(ErrorKind::failure, "libcurl could not start a request");
    }
    const std::string url = connect_to(handle.get(), path);
    curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_CONNECTTIMEOUT_MS, m_config.connect_timeout_ms);
    curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
    if (CURLcode code = curl_easy_perform(handle.get()); code != CURLE_OK) {
      return transport_error(code);
    }
    curl_socket_t sock = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(handle.get(), CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK || sock == CURL_SOCKET_BAD) {
      return make_error(ErrorKind::provider, what + ": no connection to the Docker engine");
    }
    RawConnection connection{handle.get(), sock, m_config.transport == Transport::tls};

    const std::string body = json{{"Detach", false}, {"Tty", tty}}.dump();
    const std::string host = m_config.transport == Transport::unix_socket ? "localhost" : m_config.host;
    const std::string head = "POST " + path + " HTTP/1.1\r\nHost: " + host +
                             "\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (Status sent = connection.send_all(head); !sent) {
      return make_error(ErrorKind::provider, what + ": " + sent.error().message);
    }
    // The answer's head; what follows it is already the stream.
    std::string received;
    std::size_t head_end = std::string::npos;
    while ((head_end = received.find("\r\n\r\n")) == std::string::npos) {
      if (received.size() > 64 * 1024) {
        return make_error(ErrorKind::provider, what + ": the engine's answer has no end of headers");
      }
      Result<bool> more = connection.receive(received, 30'000);
      if (!more) {
        return make_error(ErrorKind::provider, what + ": " + more.error().message);
      }
      if (!*more) {
        return make_error(ErrorKind::provider, what + ": the engine closed the connection");
      }
    }
    const std::string status_line = received.substr(0, received.find("\r\n"));
    int status = 0;
    if (std::sscanf(status_line.c_str(), "HTTP/%*s %d", &status) != 1) {
      return make_error(ErrorKind::provider, what + ": unexpected answer \"" + status_line + "\"");
    }
    if (status != 101 && status != 200) {
      Response response;
      response.status = status;
      response.body = received.substr(head_end + 4);
      return engine_error(what, response);
    }
    if (size) {
      // Sized once the command runs; a failure leaves the default size, nothing worse.
      (void)call("POST", "/exec/" + exec_id + "/resize?h=" + std::to_string(size->rows) +
                             "&w=" + std::to_string(size->columns));
    }

    bool stopped = false;
    auto emit = [&](StreamKind kind, std::string_view payload) {
      if (!stopped && output && !output(kind, payload)) {
        stopped = true;
      }
    };
    StreamDemuxer demuxer(emit);
    // A terminal's output is one raw stream; otherwise it comes in stdout/stderr frames.
    auto deliver = [&](std::string_view bytes) -> Status {
      if (tty) {
        emit(StreamKind::stdout_, bytes);
        return ok();
      }
      return demuxer.feed(bytes);
    };
    if (Status fed = deliver(std::string_view(received).substr(head_end + 4)); !fed) {
      return make_error(ErrorKind::provider, what + ": " + fed.error().message);
    }
    // Input is read only once what was read before has gone out, and the output is read
    // all along: a command that stops reading its input (`head -c 10`) still ends the
    // exchange, with its output, and the rest of the input is dropped.
    bool input_open = input_fd >= 0;
    std::string pending;
    std::array<char, 16 * 1024> buffer{};
    while (!stopped) {
      pollfd fds[2] = {
          {static_cast<int>(sock), static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0},
          {input_open && pending.empty() ? input_fd : -1, POLLIN, 0}};
      // TLS may hold decrypted bytes the socket no longer signals: look again now and then.
      const int ready = ::poll(fds, 2, connection.tls ? 50 : 1000);
      if (ready < 0 && errno != EINTR) {
        return make_error(ErrorKind::failure, what + ": poll: " + std::strerror(errno));
      }
      if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::read(input_fd, buffer.data(), buffer.size());
        if (n > 0) {
          pending.assign(buffer.data(), static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          // The command sees the end of its input when the write side closes.
          input_open = false;
          connection.close_write();
        }
      }
      if (!pending.empty()) {
        Result<std::size_t> sent = connection.try_send(pending);
        if (sent) {
          pending.erase(0, *sent);
        } else {
          pending.clear();  // the command no longer reads its input
          input_open = false;
        }
      }
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 || connection.tls) {
        std::string chunk;
        Result<bool> more = connection.receive(chunk, 0);
        if (!more) {
          return make_error(ErrorKind::provider, what + ": " + more.error().message);
        }
        if (!chunk.empty()) {
          if (Status fed = deliver(chunk); !fed) {
            return make_error(ErrorKind::provider, what + ": " + fed.error().message);
          }
        }
        if (!*more) {
          break;  // the command ended and the engine closed the stream
        }
      }
    }
    return ok();
  }

  Result<ExecInfo> exec_inspect(const std::string& exec_id) override {
    if (!safe_path_part(exec_id)) {
      return invalid_name("exec", exec_id);
    }
    auto response = call("GET", "/exec/" + exec_id + "/json");
    if (!response) {
      return response.error();
    }
    if (response->status != 200) {
      return engine_error("inspect exec " + exec_id, *response);
    }
    const json j = json::parse(response->body, nullptr, false);
    return ExecInfo{boolean(j, "Running"), i64(j, "ExitCode")};
  }

  Result<std::vector<EngineEvent>> events(std::int64_t since, std::int64_t until,
                                          const Labels& labels) override {
    std::vector<EngineEvent> out;
    LineSplitter lines([&](std::string_view line) {
      const json j = json::parse(line, nullptr, false);
      if (!j.is_object() || out.size() >= 100000) {
        return;
      }
      EngineEvent event;
      event.type = str(j, "Type");
      event.action = str(j, "Action");
      const json& actor = member(j, "Actor");
      event.id = str(actor, "ID");
      event.attributes = labels_of(member(actor, "Attributes"));
      event.time = i64(j, "time");
      out.push_back(std::move(event));
    });
    ChunkFn chunk = [&](std::string_view bytes) {
      lines.feed(bytes);
      return true;
    };
    auto response = call("GET",
                         "/events?since=" + std::to_string(since) + "&until=" +
                             std::to_string(until) + "&filters=" +
                             escape(label_filters(labels, "container")),
                         {}, &chunk);
    if (!response) {
      return response.error();
    }
    lines.flush();
    if (response->status != 200) {
      return engine_error("events", *response);
    }
    return out;
  }

private:
  static Error invalid_name(const std::string& what, const std::string& name) {
    return make_error(ErrorKind::invalid, "invalid " + what + " name \"" + name.substr(0, 200) + "\"");
  }

  Error engine_error(const std::string& what, const Response& response) const {
    const json j = json::parse(response.body, nullptr, false);
    std::string message = str(j, "message");
    if (message.empty()) {
      message = response.body.substr(0, 500);
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.pop_back();
      }
    }
    if (message.empty()) {
      message = "HTTP " + std::to_string(response.status);
    }
    ErrorKind kind = response.status == 404 ? ErrorKind::not_found : ErrorKind::provider;
    return make_error(kind, what + ": " + message);
  }

  Status simple(const char* method, const std::string& path, const std::string& what,
                const std::string& name) {
    if (!safe_path_part(name)) {
      return invalid_name("object", name);
    }
    auto response = call(method, path);
    if (!response) {
      return response.error();
    }
    // 304: already started / already stopped, which is what was asked.
    if (response->status >= 300 && response->status != 304) {
      return engine_error(what, *response);
    }
    return ok();
  }

  Status stream_demuxed(const char* method, const std::string& path, const std::string& body,
                        const OutputFn& output, const std::string& what,
                        const std::function<bool()>* cancelled = nullptr) {
    bool stopped_by_caller = false;
    StreamDemuxer demuxer([&](StreamKind kind, std::string_view payload) {
      if (!stopped_by_caller && output && !output(kind, payload)) {
        stopped_by_caller = true;
      }
    });
    Status demux_status = ok();
    ChunkFn chunk = [&](std::string_view bytes) {
      Status fed = demuxer.feed(bytes);
      if (!fed) {
        demux_status = fed;
        return false;
      }
      return !stopped_by_caller;
    };
    auto response = call(method, path, body, &chunk, {}, cancelled);
    if (!demux_status) {
      return make_error(ErrorKind::provider, what + ": " + demux_status.error().message);
    }
    if (!response) {
      return response.error();
    }
    if (response->status >= 300) {
      return engine_error(what, *response);
    }
    return ok();
  }

  std::string escape(const std::string& text) {
    char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string out = escaped != nullptr ? escaped : "";
    curl_free(escaped);
    return out;
  }

  // The API version to speak, settled with a ping first when needed.
  Result<std::string> api_version() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_version.empty()) {
        return m_version;
      }
    }
    auto pinged = ping();
    if (!pinged) {
      return pinged.error();
    }
    return pinged->api_version;
  }

  // A versioned API call.
  Result<Response> call(const char* method, const std::string& path, const std::string& body = {},
                        const ChunkFn* chunk = nullptr, const std::vector<std::string>& headers = {},
                        const std::function<bool()>* cancelled = nullptr) {
    Result<std::string> version = api_version();
    if (!version) {
      return version.error();
    }
    return request(method, "/v" + *version + path, body, headers, chunk, true, cancelled);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_idle.empty()) {
        CURL* handle = m_idle.back();
        m_idle.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* handle) {
    curl_easy_reset(handle);
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < 4) {
      m_idle.push_back(handle);
      return;
    }
    curl_easy_cleanup(handle);
  }

  // Points `handle` at the engine (socket, TCP or TLS with the client certificate) and
  // returns the URL of `path` there.
  std::string connect_to(CURL* handle, const std::string& path) const {
    switch (m_config.transport) {
    case Transport::unix_socket:
      curl_easy_setopt(handle, CURLOPT_UNIX_SOCKET_PATH, m_config.socket_path.c_str());
      return "http://localhost" + path;
    case Transport::tcp:
      return "http://" + m_config.host + path;
    case Transport::tls:
      curl_easy_setopt(handle, CURLOPT_CAINFO, m_config.ca_file.c_str());
      curl_easy_setopt(handle, CURLOPT_SSLCERT, m_config.cert_file.c_str());
      curl_easy_setopt(handle, CURLOPT_SSLKEY, m_config.key_file.c_str());
      curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, m_config.verify_peer ? 1L : 0L);
      curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, m_config.verify_peer ? 2L : 0L);
      return "https://" + m_config.host + path;
    }
    return {};
  }

  Result<Response> request(const std::string& method, const std::string& path,
                           const std::string& body, const std::vector<std::string>& headers,
                           const ChunkFn* chunk, bool has_body,
                           const std::function<bool()>* cancelled = nullptr) {
    CURL* handle = acquire();
    if (handle == nullptr) {
      return make_error(ErrorKind::failure, "libcurl could not start a request");
    }
    Response response;
    Transfer transfer{&response, chunk, cancelled, false, false};
    const std::string url = connect_to(handle, path);
    curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, m_config.connect_timeout_ms);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
    if (cancelled != nullptr && *cancelled) {
      curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
      curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    }
    curl_slist* list = nullptr;
    for (const std::string& header : headers) {
      list = curl_slist_append(list, header.c_str());
    }
    if (has_body && method != "GET" && method != "DELETE") {
      list = curl_slist_append(list, "Content-Type: application/json");
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
    const CURLcode code = curl_easy_perform(handle);
    curl_slist_free_all(list);
    release(handle);
    if (code == CURLE_OK || ((code == CURLE_WRITE_ERROR || code == CURLE_ABORTED_BY_CALLBACK) &&
                             transfer.stopped)) {
      return response;
    }
    if (transfer.too_big) {
      return make_error(ErrorKind::provider, "the Docker engine's answer to " + method + " " +
                                                 path + " exceeds " +
                                                 std::to_string(k_max_body >> 20) + " MiB");
    }
    if (code == CURLE_WRITE_ERROR) {
      return response;  // the demuxer refused the stream; the caller reports it
    }
    return transport_error(code);
  }

  Error transport_error(CURLcode code) const {
    std::string message = "cannot reach the Docker engine at " + m_config.endpoint() + ": " +
                          curl_easy_strerror(code);
    switch (code) {
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      message += "; check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY";
      break;
    default:
      if (m_config.transport == Transport::unix_socket) {
        message += "; start dockerd or set DOCKER_HOST";
      } else {
        message += "; check DOCKER_HOST and that the engine listens there";
      }
    }
    return make_error(ErrorKind::unreachable, message);
  }

  static json create_body(const ContainerSpec& spec) {
    json body = json::object();
    body["Image"] = spec.image;
    if (!spec.hostname.empty()) {
      body["Hostname"] = spec.hostname;
    }
    body["Env"] = spec.env;
    body["Labels"] = spec.labels;
    if (spec.entrypoint) {
      body["Entrypoint"] = *spec.entrypoint;
    }
    if (spec.cmd) {
      body["Cmd"] = *spec.cmd;
    }
    json exposed = json::object();
    for (const PortKey& port : spec.exposed) {
      exposed[port.key()] = json::object();
    }
    for (const PortKey& port : spec.published) {
      exposed[port.key()] = json::object();
    }
    if (!exposed.empty()) {
      body["ExposedPorts"] = exposed;
    }
    json host = json::object();
    if (spec.nano_cpus > 0) {
      host["NanoCpus"] = spec.nano_cpus;
    }
    if (spec.memory_bytes > 0) {
      host["Memory"] = spec.memory_bytes;
    }
    json bindings = json::object();
    for (const PortKey& port : spec.published) {
      bindings[port.key()] = json::array({{{"HostIp", spec.publish_host_ip}, {"HostPort", ""}}});
    }
    if (!bindings.empty()) {
      host["PortBindings"] = bindings;
    }
    json mounts = json::array();
    for (const VolumeMount& volume : spec.volumes) {
      json mount = {{"Type", "volume"}, {"Target", volume.target}, {"ReadOnly", volume.read_only}};
      if (!volume.source.empty()) {
        mount["Source"] = volume.source;
      }
      mounts.push_back(mount);
    }
    if (!mounts.empty()) {
      host["Mounts"] = mounts;
    }
    if (!spec.tmpfs.empty()) {
      host["Tmpfs"] = spec.tmpfs;
    }
    json devices = json::array();
    for (const DeviceRequest& request : spec.device_requests) {
      devices.push_back({{"Driver", request.driver},
                         {"DeviceIDs", request.device_ids},
                         {"Capabilities", request.capabilities}});
    }
    if (!devices.empty()) {
      host["DeviceRequests"] = devices;
    }
    if (!spec.restart_policy.empty()) {
      host["RestartPolicy"] = {{"Name", spec.restart_policy}};
    }
    if (!spec.network.empty()) {
      host["NetworkMode"] = spec.network;
      json endpoint = json::object();
      if (!spec.aliases.empty()) {
        endpoint["Aliases"] = spec.aliases;
      }
      body["NetworkingConfig"] = {{"EndpointsConfig", {{spec.network, endpoint}}}};
    }
    body["HostConfig"] = host;
    return body;
  }

  static ContainerInfo parse_inspect(const json& j) {
    ContainerInfo info;
    info.id = str(j, "Id");
    info.name = str(j, "Name");
    if (info.name.starts_with("/")) {
      info.name.erase(0, 1);
    }
    info.restart_count = i64(j, "RestartCount");
    const json& config = member(j, "Config");
    info.image = str(config, "Image");
    info.labels = labels_of(member(config, "Labels"));
    info.env = strings(member(config, "Env"));
    info.entrypoint = optional_strings(member(config, "Entrypoint"));
    info.cmd = optional_strings(member(config, "Cmd"));
    const json& state = member(j, "State");
    info.state.status = str(state, "Status");
    info.state.running = boolean(state, "Running");
    info.state.restarting = boolean(state, "Restarting");
    info.state.oom_killed = boolean(state, "OOMKilled");
    info.state.exit_code = i64(state, "ExitCode");
    info.state.error = str(state, "Error");
    info.state.started_at = str(state, "StartedAt");
    info.state.finished_at = str(state, "FinishedAt");
    const json& host = member(j, "HostConfig");
    info.nano_cpus = i64(host, "NanoCpus");
    info.memory_bytes = i64(host, "Memory");
    const json& tmpfs = member(host, "Tmpfs");
    if (tmpfs.is_object()) {
      for (auto it = tmpfs.begin(); it != tmpfs.end(); ++it) {
        info.tmpfs[it.key()] = it.value().is_string() ? it.value().get<std::string>() : "";
      }
    }
    const json& requests = member(host, "DeviceRequests");
    if (requests.is_array()) {
      for (const json& item : requests) {
        DeviceRequest request;
        request.driver = str(item, "Driver");
        request.device_ids = strings(member(item, "DeviceIDs"));
        request.capabilities.clear();
        const json& capabilities = member(item, "Capabilities");
        if (capabilities.is_array()) {
          for (const json& set : capabilities) {
            request.capabilities.push_back(strings(set));
          }
        }
        info.device_requests.push_back(std::move(request));
      }
    }
    const json& mounts = member(j, "Mounts");
    if (mounts.is_array()) {
      for (const json& item : mounts) {
        if (str(item, "Type") == "volume") {
          info.volumes.push_back(
              VolumeMount{str(item, "Name"), str(item, "Destination"), !boolean(item, "RW")});
        }
      }
    }
    const json& network = member(j, "NetworkSettings");
    const json& ports = member(network, "Ports");
    if (ports.is_object()) {
      for (auto it = ports.begin(); it != ports.end(); ++it) {
        std::vector<HostPort>& bindings = info.ports[it.key()];
        if (it.value().is_array()) {
          for (const json& binding : it.value()) {
            const std::string port = str(binding, "HostPort");
            bindings.push_back(HostPort{str(binding, "HostIp"),
                                        static_cast<std::uint32_t>(std::strtoul(port.c_str(), nullptr, 10))});
          }
        }
      }
    }
    const json& networks = member(network, "Networks");
    if (networks.is_object()) {
      for (auto it = networks.begin(); it != networks.end(); ++it) {
        info.networks.push_back(it.key());
      }
    }
    return info;
  }

  EngineConfig m_config;
  std::string m_ours;
  std::mutex m_mutex;
  std::string m_version;  // negotiated; empty until the first ping
  std::vector<CURL*> m_idle;
};

} // namespace

std::string negotiate_api_version(const std::string& engine, const std::string& ours) {
  long major = 0, minor = 0;
  if (!parse_version(engine, major, minor) || !parse_version(ours, major, minor)) {
    return {};
  }
  return compare_versions(engine, ours) < 0 ? engine : ours;
}

std::string registry_auth_header(const RegistryAuth& auth) {
  json j = {{"username", auth.username},
            {"password", auth.password},
            {"email", auth.email},
            {"serveraddress", auth.server_address}};
  return base64url(j.dump());
}

std::unique_ptr<Engine> make_http_engine(const EngineConfig& config) {
  return std::make_unique<HttpEngine>(config);
}

} // namespace akt::runtime::docker
