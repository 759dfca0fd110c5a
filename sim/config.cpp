#include "sim/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>

#include "market/types.hpp"
#include "util/utf8.hpp"

namespace akt::sim {

namespace {

constexpr std::array<std::string_view, k_storage_class_count> k_class_names{
    "ephemeral", "default", "beta1", "beta2", "beta3", "ram"};

util::Decimal dec(const char* text) { return *util::Decimal::parse(text); }

// ---------------------------------------------------------------------------------------
// A strict reader over a yaml-cpp tree: every problem is recorded with its position and
// key path, and reading goes on so that one run reports them all.
class Reader {
public:
  explicit Reader(std::string origin) : m_origin(std::move(origin)) {}

  void fail(const YAML::Node& node, const std::string& path, std::string message) {
    Error error{std::move(message), std::nullopt, path, ErrorKind::invalid};
    if (node.IsDefined()) error.where = where(node.Mark());
    else error.where = Location{m_origin, 0, 0};
    m_errors.push_back(std::move(error));
  }
  Location where(const YAML::Mark& mark) const { return Location{m_origin, mark.line + 1, mark.column + 1}; }
  std::vector<Error>& errors() { return m_errors; }

  // Checks a mapping's keys against the allowed ones; refuses duplicates.
  bool mapping(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      fail(node, path, "expected a mapping");
      return false;
    }
    std::set<std::string> seen;
    for (const auto& item : node) {
      if (!item.first.IsScalar()) {
        fail(item.first, path, "keys must be plain text");
        continue;
      }
      const std::string& key = item.first.Scalar();
      if (!seen.insert(key).second) fail(item.first, join(path, key), "duplicate key");
      if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
        fail(item.first, join(path, key), "unknown key \"" + key + "\"; expected one of: " + list);
      }
    }
    return true;
  }

  bool scalar(const YAML::Node& node, const std::string& path, std::string& out) {
    if (!node.IsScalar()) {
      fail(node, path, "expected a text value");
      return false;
    }
    out = node.Scalar();
    return true;
  }

  bool boolean(const YAML::Node& node, const std::string& path, bool& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    if (text == "true") out = true;
    else if (text == "false") out = false;
    else {
      fail(node, path, "expected true or false, got \"" + text + "\"");
      return false;
    }
    return true;
  }

  bool unsigned_int(const YAML::Node& node, const std::string& path, std::uint64_t& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    std::uint64_t value = 0;
    bool good = !text.empty() && text.size() <= 20;
    for (char c : text) {
      if (c < '0' || c > '9') { good = false; break; }
      std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
      if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) { good = false; break; }
      value = value * 10 + digit;
    }
    if (!good) {
      fail(node, path, "expected a non-negative whole number, got \"" + text + "\"");
      return false;
    }
    out = value;
    return true;
  }

  // Bytes: a whole number with an optional k Ki M Mi G Gi T Ti P Pi suffix.
  bool size(const YAML::Node& node, const std::string& path, std::uint64_t& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::string_view suffix = std::string_view(text).substr(digits);
    static constexpr std::pair<std::string_view, std::uint64_t> k_units[] = {
        {"", 1ULL},
        {"k", 1000ULL},
        {"Ki", 1ULL << 10},
        {"M", 1000ULL * 1000},
        {"Mi", 1ULL << 20},
        {"G", 1000ULL * 1000 * 1000},
        {"Gi", 1ULL << 30},
        {"T", 1000ULL * 1000 * 1000 * 1000},
        {"Ti", 1ULL << 40},
        {"P", 1000ULL * 1000 * 1000 * 1000 * 1000},
        {"Pi", 1ULL << 50}};
    std::uint64_t unit = 0;
    for (const auto& [name, factor] : k_units)
      if (suffix == name) unit = factor;
    std::uint64_t value = 0;
    bool good = digits > 0 && digits <= 19 && unit != 0;
    if (good) {
      value = std::stoull(text.substr(0, digits));
      if (value > std::numeric_limits<std::uint64_t>::max() / unit) good = false;
    }
    if (!good) {
      fail(node, path, "expected a size such as 512Mi, 80Gi or 2Ti, got \"" + text + "\"");
      return false;
    }
    out = value * unit;
    return true;
  }

  bool decimal(const YAML::Node& node, const std::string& path, util::Decimal& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    auto parsed = util::Decimal::parse(text);
    if (!parsed) {
      fail(node, path, "expected a decimal amount such as 1.60: " + parsed.error().message);
      return false;
    }
    if (parsed->is_negative()) {
      fail(node, path, "must not be negative");
      return false;
    }
    out = *parsed;
    return true;
  }

  bool probability(const YAML::Node& node, const std::string& path, double& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(value >= 0.0 && value <= 1.0)) {
      fail(node, path, "expected a probability between 0 and 1, got \"" + text + "\"");
      return false;
    }
    out = value;
    return true;
  }

  bool duration(const YAML::Node& node, const std::string& path, std::chrono::seconds& out) {
    std::string text;
    if (!scalar(node, path, text)) return false;
    auto parsed = parse_duration(text);
    if (!parsed || parsed->count() <= 0) {
      fail(node, path, "expected a positive duration such as 300s, 5m or 1h, got \"" + text + "\"");
      return false;
    }
    out = *parsed;
    return true;
  }

  bool string_list(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
    if (!node.IsSequence()) {
      fail(node, path, "expected a list");
      return false;
    }
    out.clear();
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string text;
      if (scalar(node[i], path + "[" + std::to_string(i) + "]", text)) out.push_back(text);
    }
    return true;
  }

  // A mapping of text to text, kept sorted by key as the chain keeps attributes.
  bool attributes(const YAML::Node& node, const std::string& path, sdl::Attributes& out) {
    if (!mapping(node, path, {})) return false;
    out.clear();
    for (const auto& item : node) {
      if (!item.first.IsScalar()) continue;
      std::string value;
      if (scalar(item.second, join(path, item.first.Scalar()), value))
        out.push_back({item.first.Scalar(), value});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return true;
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

private:
  std::string m_origin;
  std::vector<Error> m_errors;
};

std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool valid_denom(std::string_view denom) {
  static const std::regex k_denom("^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$");
  return std::regex_match(denom.begin(), denom.end(), k_denom);
}

void read_gpu(Reader& r, const YAML::Node& node, const std::string& path, GpuDevice& gpu) {
  if (!r.mapping(node, path, {"id", "vendor", "model", "ram", "interface"})) return;
  if (node["id"]) r.scalar(node["id"], path + ".id", gpu.id);
  else r.fail(node, path, "missing key \"id\" (the device id, \"0\"..\"7\")");
  if (node["vendor"]) r.scalar(node["vendor"], path + ".vendor", gpu.vendor);
  if (node["model"]) r.scalar(node["model"], path + ".model", gpu.model);
  else r.fail(node, path, "missing key \"model\" (e.g. h100)");
  if (node["ram"]) r.scalar(node["ram"], path + ".ram", gpu.ram);
  if (node["interface"]) {
    if (r.scalar(node["interface"], path + ".interface", gpu.interface) && gpu.interface != "pcie" &&
        gpu.interface != "sxm")
      r.fail(node["interface"], path + ".interface", "expected pcie or sxm, got \"" + gpu.interface + "\"");
  }
}

void read_node(Reader& r, const YAML::Node& node, const std::string& path, NodeConfig& out) {
  if (!r.mapping(node, path, {"name", "class", "cpu", "memory", "storage", "gpus"})) return;
  if (node["name"]) r.scalar(node["name"], path + ".name", out.name);
  else r.fail(node, path, "missing key \"name\"");
  if (node["class"]) r.scalar(node["class"], path + ".class", out.hardware_class);
  if (node["cpu"]) r.unsigned_int(node["cpu"], path + ".cpu", out.cpu);
  else r.fail(node, path, "missing key \"cpu\" (millicpu, e.g. 64000 for 64 threads)");
  if (node["memory"]) r.size(node["memory"], path + ".memory", out.memory);
  else r.fail(node, path, "missing key \"memory\" (e.g. 256Gi)");
  if (const YAML::Node storage = node["storage"]) {
    if (r.mapping(storage, path + ".storage", {"ephemeral", "default", "beta1", "beta2", "beta3", "ram"})) {
      for (const auto& item : storage) {
        auto cls = parse_storage_class(item.first.Scalar());
        if (!cls) continue;
        r.size(item.second, path + ".storage." + item.first.Scalar(), out.storage[static_cast<std::size_t>(*cls)]);
      }
    }
  }
  if (const YAML::Node gpus = node["gpus"]) {
    if (!gpus.IsSequence()) {
      r.fail(gpus, path + ".gpus", "expected a list of GPUs");
    } else {
      if (gpus.size() > k_max_node_gpus)
        r.fail(gpus, path + ".gpus", "at most " + std::to_string(k_max_node_gpus) + " GPUs per node");
      std::set<std::string> ids;
      for (std::size_t i = 0; i < gpus.size() && i < k_max_node_gpus; ++i) {
        GpuDevice gpu;
        read_gpu(r, gpus[i], index_path(path + ".gpus", i), gpu);
        if (!gpu.id.empty() && !ids.insert(gpu.id).second)
          r.fail(gpus[i], index_path(path + ".gpus", i) + ".id", "device id \"" + gpu.id + "\" is used twice on this node");
        out.gpus.push_back(std::move(gpu));
      }
    }
  }
}

void read_rates(Reader& r, const YAML::Node& node, const std::string& path, Rates& rates) {
  if (!r.mapping(node, path,
                 {"cpu", "memory", "ephemeral", "default", "beta1", "beta2", "beta3", "ram", "endpoint", "ip",
                  "gpu", "gpu_models"}))
    return;
  const std::pair<const char*, util::Decimal*> fields[] = {
      {"cpu", &rates.cpu},       {"memory", &rates.memory}, {"ephemeral", &rates.ephemeral},
      {"default", &rates.standard}, {"beta1", &rates.beta1},  {"beta2", &rates.beta2},
      {"beta3", &rates.beta3},   {"ram", &rates.ram},       {"endpoint", &rates.endpoint},
      {"ip", &rates.ip},         {"gpu", &rates.gpu}};
  for (const auto& [key, field] : fields)
    if (node[key]) r.decimal(node[key], path + "." + key, *field);
  if (const YAML::Node models = node["gpu_models"]) {
    if (r.mapping(models, path + ".gpu_models", {})) {
      rates.gpu_models.clear();
      for (const auto& item : models) {
        util::Decimal value;
        if (r.decimal(item.second, path + ".gpu_models." + item.first.Scalar(), value))
          rates.gpu_models[item.first.Scalar()] = value;
      }
    }
  }
}

void read_pricing(Reader& r, const YAML::Node& node, const std::string& path, Pricing& pricing) {
  if (!r.mapping(node, path, {"rates", "blocks_per_month", "script", "script_timeout"})) return;
  if (node["rates"]) read_rates(r, node["rates"], path + ".rates", pricing.rates);
  if (node["blocks_per_month"]) {
    if (r.unsigned_int(node["blocks_per_month"], path + ".blocks_per_month", pricing.blocks_per_month) &&
        pricing.blocks_per_month == 0)
      r.fail(node["blocks_per_month"], path + ".blocks_per_month", "must be at least 1");
  }
  if (node["script"]) {
    if (r.scalar(node["script"], path + ".script", pricing.script)) pricing.mode = Pricing::Mode::script;
    if (pricing.script.empty()) r.fail(node["script"], path + ".script", "the price script path is empty");
  }
  if (node["script_timeout"]) {
    std::chrono::seconds timeout{};
    if (r.duration(node["script_timeout"], path + ".script_timeout", timeout))
      pricing.script_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  }
}

void read_provider(Reader& r, const YAML::Node& node, const std::string& path, ProviderConfig& p) {
  if (!r.mapping(node, path,
                 {"name", "key", "host_uri", "online", "attributes", "signatures", "nodes", "pricing", "denoms",
                  "timeouts", "reliability"}))
    return;
  if (node["name"]) r.scalar(node["name"], path + ".name", p.name);
  else r.fail(node, path, "missing key \"name\"");
  if (node["key"]) r.scalar(node["key"], path + ".key", p.key);
  else p.key = p.name;
  if (node["host_uri"]) {
    r.scalar(node["host_uri"], path + ".host_uri", p.host_uri);
    if (std::optional<std::string> problem = market::host_uri_problem(p.host_uri); problem && !p.host_uri.empty())
      r.fail(node["host_uri"], path + ".host_uri",
             "\"" + p.host_uri + "\" is not a host URI: " + *problem + " (write it like http://127.0.0.1:8443)");
  }
  if (node["online"]) r.boolean(node["online"], path + ".online", p.online);
  if (node["attributes"]) r.attributes(node["attributes"], path + ".attributes", p.attributes);
  if (const YAML::Node sigs = node["signatures"]) {
    if (!sigs.IsSequence()) r.fail(sigs, path + ".signatures", "expected a list of {auditor, attributes}");
    else
      for (std::size_t i = 0; i < sigs.size(); ++i) {
        std::string sp = index_path(path + ".signatures", i);
        Signature sig;
        if (!r.mapping(sigs[i], sp, {"auditor", "attributes"})) continue;
        if (sigs[i]["auditor"]) r.scalar(sigs[i]["auditor"], sp + ".auditor", sig.auditor);
        else r.fail(sigs[i], sp, "missing key \"auditor\"");
        if (sigs[i]["attributes"]) r.attributes(sigs[i]["attributes"], sp + ".attributes", sig.attributes);
        p.signatures.push_back(std::move(sig));
      }
  }
  if (const YAML::Node nodes = node["nodes"]) {
    if (!nodes.IsSequence()) r.fail(nodes, path + ".nodes", "expected a list of nodes");
    else {
      std::set<std::string> names;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        NodeConfig n;
        read_node(r, nodes[i], index_path(path + ".nodes", i), n);
        if (!n.name.empty() && !names.insert(n.name).second)
          r.fail(nodes[i], index_path(path + ".nodes", i) + ".name", "node \"" + n.name + "\" is defined twice");
        p.nodes.push_back(std::move(n));
      }
    }
  }
  if (node["pricing"]) read_pricing(r, node["pricing"], path + ".pricing", p.pricing);
  if (node["denoms"]) {
    if (r.string_list(node["denoms"], path + ".denoms", p.denoms)) {
      if (p.denoms.empty()) r.fail(node["denoms"], path + ".denoms", "accept at least one denom (uakt, uact)");
      for (std::size_t i = 0; i < p.denoms.size(); ++i)
        if (!valid_denom(p.denoms[i]))
          r.fail(node["denoms"][i], index_path(path + ".denoms", i), "\"" + p.denoms[i] + "\" is not a valid denom");
    }
  }
  if (const YAML::Node t = node["timeouts"]) {
    if (r.mapping(t, path + ".timeouts", {"bid", "manifest", "health"})) {
      if (t["bid"]) r.duration(t["bid"], path + ".timeouts.bid", p.bid_timeout);
      if (t["manifest"]) r.duration(t["manifest"], path + ".timeouts.manifest", p.manifest_timeout);
      if (t["health"]) r.duration(t["health"], path + ".timeouts.health", p.health_window);
    }
  }
  if (const YAML::Node rel = node["reliability"]) {
    std::string rp = path + ".reliability";
    if (r.mapping(rel, rp, {"fail", "offline", "early_close", "seed"})) {
      if (rel["fail"]) r.probability(rel["fail"], rp + ".fail", p.reliability.fail);
      if (rel["offline"]) r.probability(rel["offline"], rp + ".offline", p.reliability.offline);
      if (rel["early_close"]) r.probability(rel["early_close"], rp + ".early_close", p.reliability.early_close);
      if (rel["seed"]) r.unsigned_int(rel["seed"], rp + ".seed", p.reliability.seed);
    }
  }
}

// ---------------------------------------------------------------------------------------
std::string format_size(std::uint64_t bytes) {
  static constexpr std::pair<std::string_view, std::uint64_t> k_units[] = {
      {"Pi", 1ULL << 50}, {"Ti", 1ULL << 40}, {"Gi", 1ULL << 30}, {"Mi", 1ULL << 20}, {"Ki", 1ULL << 10}};
  if (bytes == 0) return "0";
  for (const auto& [name, factor] : k_units)
    if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(name);
  return std::to_string(bytes);
}

void emit_attributes(YAML::Emitter& out, const sdl::Attributes& attributes) {
  out << YAML::BeginMap;
  for (const auto& a : attributes) out << YAML::Key << a.key << YAML::Value << YAML::DoubleQuoted << a.value;
  out << YAML::EndMap;
}

// The shortest text that reads back as the same double: 0.03, not 0.029999999999999999.
std::string probability_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("0");
}

} // namespace

std::string_view to_string(StorageClass storage_class) {
  return k_class_names[static_cast<std::size_t>(storage_class)];
}

std::optional<StorageClass> parse_storage_class(std::string_view text) {
  for (std::size_t i = 0; i < k_class_names.size(); ++i)
    if (k_class_names[i] == text) return static_cast<StorageClass>(i);
  return std::nullopt;
}

Rates reference_rates() {
  Rates r;
  r.cpu = dec("1.60");
  r.memory = dec("0.80");
  r.ephemeral = dec("0.02");
  r.standard = dec("0.03");
  r.beta1 = dec("0.01");
  r.beta2 = dec("0.03");
  r.beta3 = dec("0.04");
  r.ram = dec("0.80");
  r.endpoint = dec("0.05");
  r.ip = dec("5");
  r.gpu = dec("100");
  return r;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    std::int64_t unit = 0;
    switch (text[i]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    default: return std::nullopt;
    }
    ++i;
    total += number * unit;
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
  std::int64_t s = duration.count();
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::uint64_t blocks_for(std::chrono::seconds duration, std::chrono::milliseconds block_interval) {
  std::int64_t interval = std::max<std::int64_t>(block_interval.count(), 1);
  std::int64_t ms = std::max<std::int64_t>(duration.count(), 0) * 1000;
  return static_cast<std::uint64_t>(std::max<std::int64_t>((ms + interval - 1) / interval, 1));
}

std::string hardware_class_of(const NodeConfig& node) {
  if (!node.hardware_class.empty()) return node.hardware_class;
  std::string out = "cpu" + std::to_string(node.cpu) + "-mem" + format_size(node.memory);
  for (const auto& g : node.gpus) out += "-" + g.vendor + ":" + g.model + ":" + g.ram + ":" + g.interface;
  return out;
}

sdl::Attributes capability_attributes(const std::vector<NodeConfig>& nodes) {
  sdl::Attributes out;
  int index = 1;
  for (std::size_t c = 0; c < k_storage_class_count; ++c) {
    auto cls = static_cast<StorageClass>(c);
    if (cls == StorageClass::ephemeral) continue;
    bool offered = std::any_of(nodes.begin(), nodes.end(), [&](const NodeConfig& n) { return n.storage[c] > 0; });
    if (!offered) continue;
    std::string prefix = "capabilities/storage/" + std::to_string(index++) + "/";
    out.push_back({prefix + "class", std::string(to_string(cls))});
    out.push_back({prefix + "persistent", cls == StorageClass::ram ? "false" : "true"});
  }
  std::set<std::string> keys;
  for (const auto& n : nodes)
    for (const auto& g : n.gpus) {
      std::string key = "capabilities/gpu/vendor/" + g.vendor + "/model/" + g.model;
      keys.insert(key);
      if (!g.ram.empty()) {
        keys.insert(key + "/ram/" + g.ram);
        if (!g.interface.empty()) keys.insert(key + "/ram/" + g.ram + "/interface/" + g.interface);
      }
      if (!g.interface.empty()) keys.insert(key + "/interface/" + g.interface);
    }
  for (const auto& k : keys) out.push_back({k, "true"});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

Result<NetworkConfig> parse_config(std::string_view yaml, const std::string& origin) {
  if (yaml.size() > 16 * 1024 * 1024)
    return Error{"the file is larger than 16 MiB", Location{origin, 0, 0}, {}, ErrorKind::invalid};
  // Provider attributes and URIs go into signed transactions, which carry only UTF-8.
  if (Status text = util::require_utf8(yaml, origin, "sim.yaml"); !text) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Error{e.msg, Location{origin, e.mark.line + 1, e.mark.column + 1}, {}, ErrorKind::invalid};
  }
  Reader r(origin);
  NetworkConfig config;
  if (root.IsNull()) {
    r.fail(root, "", "the file is empty; run `akt sim init --force` to write the default network");
  } else if (r.mapping(root, "", {"auditors", "providers"})) {
    if (const YAML::Node auditors = root["auditors"]) {
      if (!auditors.IsSequence()) r.fail(auditors, "auditors", "expected a list of {name, key, address}");
      else
        for (std::size_t i = 0; i < auditors.size(); ++i) {
          std::string ap = index_path("auditors", i);
          Auditor a;
          if (!r.mapping(auditors[i], ap, {"name", "key", "address"})) continue;
          if (auditors[i]["name"]) r.scalar(auditors[i]["name"], ap + ".name", a.name);
          else r.fail(auditors[i], ap, "missing key \"name\"");
          if (auditors[i]["key"]) r.scalar(auditors[i]["key"], ap + ".key", a.key);
          else a.key = a.name;
          if (auditors[i]["address"]) r.scalar(auditors[i]["address"], ap + ".address", a.address);
          if (std::any_of(config.auditors.begin(), config.auditors.end(),
                          [&](const Auditor& o) { return o.name == a.name; }))
            r.fail(auditors[i], ap + ".name", "auditor \"" + a.name + "\" is defined twice");
          config.auditors.push_back(std::move(a));
        }
    }
    if (const YAML::Node providers = root["providers"]) {
      if (!providers.IsSequence()) r.fail(providers, "providers", "expected a list of providers");
      else
        for (std::size_t i = 0; i < providers.size(); ++i) {
          std::string pp = index_path("providers", i);
          ProviderConfig p;
          read_provider(r, providers[i], pp, p);
          if (!p.name.empty() && find_provider(config, p.name))
            r.fail(providers[i]["name"], pp + ".name", "provider \"" + p.name + "\" is defined twice");
          for (std::size_t s = 0; s < p.signatures.size(); ++s) {
            const std::string& name = p.signatures[s].auditor;
            bool known = std::any_of(config.auditors.begin(), config.auditors.end(),
                                     [&](const Auditor& a) { return a.name == name; });
            if (!known && !name.empty())
              r.fail(providers[i]["signatures"][s]["auditor"], index_path(pp + ".signatures", s) + ".auditor",
                     "unknown auditor \"" + name + "\"; list it under `auditors`");
          }
          config.providers.push_back(std::move(p));
        }
    }
  }
  auto& errors = r.errors();
  if (errors.empty()) return config;
  Error first = errors.front();
  for (std::size_t i = 1; i < errors.size(); ++i) first.message += "\n" + to_string(errors[i]);
  return first;
}

Result<NetworkConfig> load_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return Error{"no simulated network here; run `akt sim init` to write the default one", Location{path.string(), 0, 0},
                 {}, ErrorKind::not_found};
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > 16 * 1024 * 1024)
    return Error{ec ? "cannot read: " + ec.message() : "the file is larger than 16 MiB", Location{path.string(), 0, 0},
                 {}, ErrorKind::invalid};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open the file", Location{path.string(), 0, 0}, {}, ErrorKind::failure};
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str(), path.string());
  if (!config) return config;
  // Relative script paths are relative to the file, not to wherever akt runs.
  for (auto& p : config->providers)
    if (p.pricing.mode == Pricing::Mode::script && std::filesystem::path(p.pricing.script).is_relative())
      p.pricing.script = (path.parent_path() / p.pricing.script).lexically_normal().string();
  return config;
}

std::string to_yaml(const NetworkConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "auditors" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : config.auditors) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << a.name << YAML::Key << "key" << YAML::Value << a.key;
    if (!a.address.empty()) out << YAML::Key << "address" << YAML::Value << a.address;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "providers" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : config.providers) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << p.name;
    out << YAML::Key << "key" << YAML::Value << p.key;
    out << YAML::Key << "host_uri" << YAML::Value << p.host_uri;
    out << YAML::Key << "online" << YAML::Value << (p.online ? "true" : "false");
    out << YAML::Key << "attributes" << YAML::Value;
    emit_attributes(out, p.attributes);
    out << YAML::Key << "signatures" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : p.signatures) {
      out << YAML::BeginMap << YAML::Key << "auditor" << YAML::Value << s.auditor << YAML::Key << "attributes"
          << YAML::Value;
      emit_attributes(out, s.attributes);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
    for (const auto& n : p.nodes) {
      out << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << n.name;
      if (!n.hardware_class.empty()) out << YAML::Key << "class" << YAML::Value << n.hardware_class;
      out << YAML::Key << "cpu" << YAML::Value << n.cpu;
      out << YAML::Key << "memory" << YAML::Value << format_size(n.memory);
      out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
      for (std::size_t c = 0; c < k_storage_class_count; ++c)
        if (n.storage[c] > 0)
          out << YAML::Key << std::string(k_class_names[c]) << YAML::Value << format_size(n.storage[c]);
      out << YAML::EndMap;
      if (!n.gpus.empty()) {
        out << YAML::Key << "gpus" << YAML::Value << YAML::BeginSeq;
        for (const auto& g : n.gpus) {
          out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << g.id
              << YAML::Key << "vendor" << YAML::Value << g.vendor << YAML::Key << "model" << YAML::Value << g.model;
          if (!g.ram.empty()) out << YAML::Key << "ram" << YAML::Value << g.ram;
          if (!g.interface.empty()) out << YAML::Key << "interface" << YAML::Value << g.interface;
          out << YAML::EndMap;
        }
        out << YAML::EndSeq;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "pricing" << YAML::Value << YAML::BeginMap;
    if (p.pricing.mode == Pricing::Mode::script) {
      out << YAML::Key << "script" << YAML::Value << p.pricing.script;
      auto ms = p.pricing.script_timeout.count();
      out << YAML::Key << "script_timeout" << YAML::Value
          << format_duration(std::chrono::seconds(std::max<std::int64_t>((ms + 999) / 1000, 1)));
    }
    out << YAML::Key << "blocks_per_month" << YAML::Value << p.pricing.blocks_per_month;
    out << YAML::Key << "rates" << YAML::Value << YAML::BeginMap;
    const Rates& rt = p.pricing.rates;
    const std::pair<const char*, util::Decimal> fields[] = {
        {"cpu", rt.cpu},         {"memory", rt.memory}, {"ephemeral", rt.ephemeral}, {"default", rt.standard},
        {"beta1", rt.beta1},     {"beta2", rt.beta2},   {"beta3", rt.beta3},         {"ram", rt.ram},
        {"endpoint", rt.endpoint}, {"ip", rt.ip},       {"gpu", rt.gpu}};
    for (const auto& [key, value] : fields)
      out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value.to_short_string();
    if (!rt.gpu_models.empty()) {
      out << YAML::Key << "gpu_models" << YAML::Value << YAML::BeginMap;
      for (const auto& [model, value] : rt.gpu_models)
        out << YAML::Key << model << YAML::Value << YAML::DoubleQuoted << value.to_short_string();
      out << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::EndMap;
    out << YAML::Key << "denoms" << YAML::Value << YAML::Flow << p.denoms;
    out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "bid" << YAML::Value << format_duration(p.bid_timeout);
    out << YAML::Key << "manifest" << YAML::Value << format_duration(p.manifest_timeout);
    out << YAML::Key << "health" << YAML::Value << format_duration(p.health_window);
    out << YAML::EndMap;
    out << YAML::Key << "reliability" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "fail" << YAML::Value << probability_text(p.reliability.fail);
    out << YAML::Key << "offline" << YAML::Value << probability_text(p.reliability.offline);
    out << YAML::Key << "early_close" << YAML::Value << probability_text(p.reliability.early_close);
    out << YAML::Key << "seed" << YAML::Value << p.reliability.seed;
    out << YAML::EndMap;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string("# akt simulated network: providers, their nodes, attributes, auditors and prices.\n"
                     "# Sizes take k Ki M Mi G Gi T Ti suffixes; cpu is in millicpu; rates are USD a month\n"
                     "# (1 uakt or uact is taken as 1 micro-USD); durations take s, m, h.\n") +
         out.c_str() + "\n";
}

Status save_config(const NetworkConfig& config, const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return make_error(ErrorKind::failure, "cannot create " + path.parent_path().string() + ": " + ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorKind::failure, "cannot write " + tmp.string());
    out << to_yaml(config);
    out.flush();
    if (!out) return make_error(ErrorKind::failure, "cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return make_error(ErrorKind::failure, "cannot replace " + path.string());
  }
  return ok();
}

const ProviderConfig* find_provider(const NetworkConfig& config, std::string_view name) {
  for (const auto& p : config.providers)
    if (p.name == name) return &p;
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// The default network.
namespace {

constexpr std::uint64_t k_gi = 1ULL << 30;
constexpr std::uint64_t k_ti = 1ULL << 40;

NodeConfig node(std::string name, std::string cls, std::uint64_t threads, std::uint64_t memory_gi,
                std::uint64_t ephemeral_gi) {
  NodeConfig n;
  n.name = std::move(name);
  n.hardware_class = std::move(cls);
  n.cpu = threads * 1000;
  n.memory = memory_gi * k_gi;
  n.storage[static_cast<std::size_t>(StorageClass::ephemeral)] = ephemeral_gi * k_gi;
  return n;
}

void add_gpus(NodeConfig& n, int count, const std::string& model, const std::string& ram, const std::string& iface) {
  for (int i = 0; i < count; ++i) n.gpus.push_back(GpuDevice{std::to_string(i), "nvidia", model, ram, iface});
}

void set_storage(NodeConfig& n, StorageClass cls, std::uint64_t bytes) {
  n.storage[static_cast<std::size_t>(cls)] = bytes;
}

ProviderConfig provider(std::string name, int port, std::string region, std::string tier, std::string org) {
  ProviderConfig p;
  p.name = name;
  p.key = name;
  p.host_uri = "http://127.0.0.1:" + std::to_string(port);
  p.attributes = {{"host", "akash"}, {"organization", std::move(org)}, {"region", std::move(region)},
                  {"tier", std::move(tier)}};
  return p;
}

void finish(ProviderConfig& p) {
  auto caps = capability_attributes(p.nodes);
  p.attributes.insert(p.attributes.end(), caps.begin(), caps.end());
  std::sort(p.attributes.begin(), p.attributes.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
}

} // namespace

NetworkConfig default_network(int base_port) {
  NetworkConfig net;
  net.auditors.push_back(Auditor{"akt-auditor", "akt-auditor", ""});

  // 1. A CPU-only community host in us-west: cheap, unaudited, a little flaky.
  {
    ProviderConfig p = provider("westcoast-cpu", base_port, "us-west", "community", "westcoast-compute");
    for (int i = 1; i <= 3; ++i) {
      NodeConfig n = node("epyc-" + std::to_string(i), "epyc-7763", 128, 512, 2048);
      set_storage(n, StorageClass::beta2, 4 * k_ti);
      set_storage(n, StorageClass::ram, 64 * k_gi);
      p.nodes.push_back(n);
    }
    p.pricing.rates.cpu = dec("1.20");
    p.pricing.rates.memory = dec("0.60");
    p.reliability = Reliability{0.02, 0.05, 0.02, 101};
    finish(p);
    net.providers.push_back(std::move(p));
  }
  // 2. An RTX 4090 host in eu-west, audited: consumer GPUs, NVMe.
  {
    ProviderConfig p = provider("eurogpu-4090", base_port + 1, "eu-west", "community", "eurogpu");
    for (int i = 1; i <= 2; ++i) {
      NodeConfig n = node("rtx-" + std::to_string(i), "ryzen-4090x4", 32, 128, 1024);
      set_storage(n, StorageClass::beta3, 2 * k_ti);
      add_gpus(n, 4, "rtx4090", "24Gi", "pcie");
      p.nodes.push_back(n);
    }
    p.pricing.rates.gpu_models = {{"rtx4090", dec("180")}};
    p.signatures.push_back(Signature{"akt-auditor", {{"host", "akash"}, {"region", "eu-west"}, {"tier", "community"}}});
    p.reliability = Reliability{0.01, 0.01, 0.01, 202};
    finish(p);
    net.providers.push_back(std::move(p));
  }
  // 3. An A100 80GB datacenter host in us-east, audited, very reliable.
  {
    ProviderConfig p = provider("datacenter-a100", base_port + 2, "us-east", "premium", "dc-one");
    for (int i = 1; i <= 2; ++i) {
      NodeConfig n = node("dgx-a100-" + std::to_string(i), "dgx-a100", 256, 1024, 4096);
      set_storage(n, StorageClass::standard, 8 * k_ti);
      set_storage(n, StorageClass::beta3, 8 * k_ti);
      set_storage(n, StorageClass::ram, 128 * k_gi);
      add_gpus(n, 8, "a100", "80Gi", "sxm");
      p.nodes.push_back(n);
    }
    p.pricing.rates.cpu = dec("2.00");
    p.pricing.rates.gpu_models = {{"a100", dec("650")}};
    p.signatures.push_back(
        Signature{"akt-auditor", {{"host", "akash"}, {"organization", "dc-one"}, {"region", "us-east"}, {"tier", "premium"}}});
    p.reliability = Reliability{0.0, 0.0, 0.005, 303};
    finish(p);
    net.providers.push_back(std::move(p));
  }
  // 4. An H100 SXM host in ap-south, unaudited, uact only, expensive and less stable.
  {
    ProviderConfig p = provider("apac-h100", base_port + 3, "ap-south", "premium", "apac-gpu");
    NodeConfig n = node("hgx-h100-1", "hgx-h100", 192, 2048, 8192);
    set_storage(n, StorageClass::beta3, 16 * k_ti);
    add_gpus(n, 8, "h100", "80Gi", "sxm");
    p.nodes.push_back(n);
    p.pricing.rates.gpu_models = {{"h100", dec("1500")}};
    p.denoms = {"uact"};
    p.reliability = Reliability{0.03, 0.02, 0.03, 404};
    finish(p);
    net.providers.push_back(std::move(p));
  }
  // 5. A small CPU host in eu-central with HDD storage, audited, the slowest to answer.
  {
    ProviderConfig p = provider("alpine-hdd", base_port + 4, "eu-central", "community", "alpine-hosting");
    NodeConfig n = node("xeon-1", "xeon-e5", 48, 192, 512);
    set_storage(n, StorageClass::beta1, 20 * k_ti);
    p.nodes.push_back(n);
    p.pricing.rates.beta1 = dec("0.008");
    p.signatures.push_back(Signature{"akt-auditor", {{"region", "eu-central"}}});
    p.bid_timeout = std::chrono::seconds(600);
    p.reliability = Reliability{0.05, 0.1, 0.05, 505};
    finish(p);
    net.providers.push_back(std::move(p));
  }
  return net;
}

} // namespace akt::sim
