#include "sim/provider_client.hpp"

#include <nlohmann/json.hpp>

#include "ledger/http_client.hpp"
#include "sim/provider_api.hpp"
#include "util/fd.hpp"
#include "util/hash.hpp"

namespace akt::sim {
namespace {

std::string lease_path(const market::LeaseId& lease) {
  return "/lease/" + ledger::url_escape(lease.owner) + "/" + std::to_string(lease.dseq) + "/" +
         std::to_string(lease.gseq) + "/" + std::to_string(lease.oseq);
}

Error answer_error(const ledger::HttpClientResponse& response, const std::string& url) {
  Error e = ledger::http_error(response, url);
  if (response.status == 401 || response.status == 403) e.kind = ErrorKind::refused;
  return e;
}

class HttpEndpoint final : public ProviderEndpoint {
public:
  HttpEndpoint(std::string host_uri, ledger::PrivateKey tenant, const ledger::Clock& clock)
      : m_host(std::move(host_uri)), m_tenant(std::move(tenant)), m_clock(clock) {}

  Status send_manifest(const market::LeaseId& lease, const std::string& manifest_json) override {
    ledger::HttpClientOptions options;
    options.timeout = std::chrono::milliseconds(600'000);  // pulling images takes a while
    ledger::HttpClient client(m_host, options);
    std::string path = lease_path(lease) + "/manifest";
    Result<ledger::HttpClientResponse> r =
        client.request("POST", target("POST", path, {}, manifest_json), manifest_json);
    if (!r) return r.error();
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    return ok();
  }

  Result<TenantLeaseStatus> status(const market::LeaseId& lease) override {
    ledger::HttpClient client(m_host);
    std::string path = lease_path(lease) + "/status";
    Result<ledger::HttpClientResponse> r = client.get(target("GET", path, {}, ""));
    if (!r) return r.error();
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    Result<runtime::docker::LeaseStatus> s = lease_status_from_json(r->body);
    if (!s) return s.error();
    TenantLeaseStatus out;
    out.status = std::move(*s);
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_object()) {
      out.manifest_version = j.value("manifest_version", "");
      out.last_error = j.value("last_error", "");
    }
    return out;
  }

  Status logs(const market::LeaseId& lease, const runtime::docker::LeaseLogOptions& options,
              const runtime::docker::LogLineFn& line) override {
    ledger::HttpClientOptions client_options;
    client_options.timeout = std::chrono::milliseconds(0);
    ledger::HttpClient client(m_host, client_options);
    QueryParams query;
    if (options.service) query["service"] = *options.service;
    if (options.follow) query["follow"] = "1";
    if (options.tail) query["tail"] = std::to_string(*options.tail);
    std::string path = lease_path(lease) + "/logs";
    std::string partial;
    std::optional<Error> failure;
    bool stopped = false;
    auto feed = [&](std::string_view chunk) {
      partial.append(chunk);
      std::size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        nlohmann::json j = nlohmann::json::parse(partial.substr(0, nl), nullptr, false);
        partial.erase(0, nl + 1);
        if (!j.is_object()) continue;
        if (j.contains("error")) {
          failure = make_error(ErrorKind::provider, j.value("error", ""));
          continue;
        }
        runtime::docker::LogLine l;
        l.service = j.value("service", "");
        l.replica = j.value("replica", 0u);
        l.stream = j.value("stream", "") == "stderr" ? runtime::docker::StreamKind::stderr_
                                                     : runtime::docker::StreamKind::stdout_;
        l.text = j.value("text", "");
        if (!line(l)) {
          stopped = true;
          return false;
        }
      }
      return partial.size() < (4u << 20);
    };
    Result<ledger::HttpClientResponse> r = client.get_stream(target("GET", path, query, ""), feed);
    if (!r) return stopped ? ok() : Status(r.error());
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    if (failure) return *failure;
    return ok();
  }

  Result<int> exec(const market::LeaseId& lease, const std::string& service, const std::vector<std::string>& argv,
                   const runtime::docker::ExecIo& io) override {
    ledger::HttpClientOptions options;
    options.timeout = std::chrono::milliseconds(0);
    ledger::HttpClient client(m_host, options);
    std::string path = lease_path(lease) + "/exec";
    if (io.tty)
      return make_error(ErrorKind::invalid, "--tty needs the provider in this process (the embedded shape): the "
                                            "provider API answers once the command has ended; pipe input with "
                                            "--stdin instead");
    nlohmann::json request{{"service", service}, {"argv", argv}, {"replica", io.replica}};
    if (io.stdin_fd >= 0) {
      // All of it: the provider API takes the input in one request.
      Result<std::string> input = util::read_to_end(io.stdin_fd, k_max_exec_input);
      if (!input && input.error().kind == ErrorKind::invalid)
        return make_error(ErrorKind::invalid, "the command's input exceeds " + std::to_string(k_max_exec_input >> 20) +
                                                  " MiB, the most a served provider takes; copy larger files with "
                                                  "the workload's own tools");
      if (!input) return make_error(ErrorKind::failure, "reading the command's input: " + input.error().message);
      request["stdin_hex"] = util::to_hex(reinterpret_cast<const std::uint8_t*>(input->data()), input->size());
    }
    std::string body = request.dump();
    Result<ledger::HttpClientResponse> r = client.request("POST", target("POST", path, {}, body), body);
    if (!r) return r.error();
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object() || !j.contains("exit_code") || !j["exit_code"].is_number_integer())
      return make_error(ErrorKind::provider, m_host + path + ": malformed exec answer");
    if (io.on_stdout && j.value("stdout", "").size()) io.on_stdout(j.value("stdout", ""));
    if (io.on_stderr && j.value("stderr", "").size()) io.on_stderr(j.value("stderr", ""));
    return j["exit_code"].get<int>();
  }

  Result<std::vector<runtime::docker::LeaseEvent>> events(const market::LeaseId& lease) override {
    ledger::HttpClient client(m_host);
    std::string path = lease_path(lease) + "/events";
    Result<ledger::HttpClientResponse> r = client.get(target("GET", path, {}, ""));
    if (!r) return r.error();
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_array()) return make_error(ErrorKind::provider, m_host + path + ": malformed events answer");
    std::vector<runtime::docker::LeaseEvent> out;
    for (const nlohmann::json& e : j) {
      if (!e.is_object()) continue;
      runtime::docker::LeaseEvent ev;
      ev.service = e.value("service", "");
      ev.replica = e.value("replica", 0u);
      ev.action = e.value("action", "");
      ev.exit_code = e.value("exit_code", std::int64_t{0});
      ev.time = e.value("time", std::int64_t{0});
      out.push_back(std::move(ev));
    }
    return out;
  }

  Result<std::vector<OrderDecision>> decisions(const std::string& owner, std::uint64_t dseq) override {
    ledger::HttpClientOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    ledger::HttpClient client(m_host, options);
    std::string path = "/decisions/" + ledger::url_escape(owner) + "/" + std::to_string(dseq);
    Result<ledger::HttpClientResponse> r = client.get(target("GET", path, {}, ""));
    if (!r) return r.error();
    if (r->status / 100 != 2) return answer_error(*r, m_host + path);
    return decisions_from_json(r->body);
  }

private:
  std::string target(std::string_view method, const std::string& path, const QueryParams& query,
                     std::string_view body) {
    return signed_target(m_tenant, method, path, query, body, m_clock.now_ms());
  }
  std::string m_host;
  ledger::PrivateKey m_tenant;
  const ledger::Clock& m_clock;
};

} // namespace

std::unique_ptr<ProviderEndpoint> make_http_endpoint(std::string host_uri, ledger::PrivateKey tenant,
                                                     const ledger::Clock& clock) {
  while (!host_uri.empty() && host_uri.back() == '/') host_uri.pop_back();
  return std::make_unique<HttpEndpoint>(std::move(host_uri), std::move(tenant), clock);
}

} // namespace akt::sim
