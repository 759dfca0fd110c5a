#include "sdl/json.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "util/hash.hpp"
#include "util/utf8.hpp"

namespace akt::sdl {

// ---------------------------------------------------------------------------------------
// Encoding. The network hashes `sdk.SortJSON(json.Marshal(manifest))`: Go's encoding/json
// output re-decoded into interface{} and re-encoded, i.e. object keys sorted bytewise, no
// whitespace, Go string escaping. Every writer below emits its keys already sorted, so one
// pass produces the hashed bytes. Keys are listed in that order on purpose; keep them so.
namespace {

constexpr char k_hex[] = "0123456789abcdef";

using util::utf8_sequence;

class Writer {
public:
  explicit Writer(std::string& out) : m_out(out) {}

  void raw(std::string_view text) { m_out.append(text); }
  void ch(char c) { m_out.push_back(c); }

  // Go's encodeState.string with HTML escaping, after the SortJSON round trip: invalid
  // UTF-8 was first written as \ufffd, decoded to U+FFFD and re-encoded raw.
  void string(std::string_view s) {
    m_out.push_back('"');
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < s.size()) {
      const unsigned char b = static_cast<unsigned char>(s[i]);
      if (b < 0x80) {
        if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
          ++i;
          continue;
        }
        m_out.append(s.substr(start, i - start));
        switch (b) {
        case '"': m_out.append("\\\""); break;
        case '\\': m_out.append("\\\\"); break;
        case '\b': m_out.append("\\b"); break;
        case '\f': m_out.append("\\f"); break;
        case '\n': m_out.append("\\n"); break;
        case '\r': m_out.append("\\r"); break;
        case '\t': m_out.append("\\t"); break;
        default:
          m_out.append("\\u00");
          m_out.push_back(k_hex[b >> 4]);
          m_out.push_back(k_hex[b & 0xF]);
        }
        start = ++i;
        continue;
      }
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        m_out.append(s.substr(start, i - start));
        m_out.append("\xEF\xBF\xBD");
        start = ++i;
        continue;
      }
      // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) are escaped by Go.
      if (n == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
        m_out.append(s.substr(start, i - start));
        m_out.append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
        i += 3;
        start = i;
        continue;
      }
      i += n;
    }
    m_out.append(s.substr(start));
    m_out.push_back('"');
  }

  void number(std::uint64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;
    m_out.append(buf, end);
  }
  void boolean(bool value) { m_out.append(value ? "true" : "false"); }
  // cosmos math.Int: a decimal integer inside a string.
  void quantity(std::uint64_t value) {
    m_out.append("{\"val\":\"");
    number(value);
    m_out.append("\"}");
  }

  // Starts an object member; the first member of an object passes first = true.
  void key(std::string_view name, bool& first) {
    if (!first) m_out.push_back(',');
    first = false;
    m_out.push_back('"');
    m_out.append(name);  // every key is a plain ASCII literal
    m_out.append("\":");
  }

  void strings(const std::vector<std::string>& values) {
    m_out.push_back('[');
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) m_out.push_back(',');
      string(values[i]);
    }
    m_out.push_back(']');
  }
  void optional_strings(const std::optional<std::vector<std::string>>& values) {
    if (values) strings(*values);
    else raw("null");
  }

private:
  std::string& m_out;
};

void write_attribute(Writer& w, const Attribute& a) {
  // Attribute.key and value are omitempty.
  bool first = true;
  w.ch('{');
  if (!a.key.empty()) { w.key("key", first); w.string(a.key); }
  if (!a.value.empty()) { w.key("value", first); w.string(a.value); }
  w.ch('}');
}

void write_attributes(Writer& w, const Attributes& attributes) {
  w.ch('[');
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (i) w.ch(',');
    write_attribute(w, attributes[i]);
  }
  w.ch(']');
}

void write_resources(Writer& w, const Resources& r) {
  bool first = true;
  w.ch('{');
  w.key("cpu", first);
  {
    bool f = true;
    w.ch('{');
    if (!r.cpu.attributes.empty()) { w.key("attributes", f); write_attributes(w, r.cpu.attributes); }
    w.key("units", f);
    w.quantity(r.cpu.units);
    w.ch('}');
  }
  w.key("endpoints", first);
  w.ch('[');
  for (std::size_t i = 0; i < r.endpoints.size(); ++i) {
    if (i) w.ch(',');
    bool f = true;
    w.ch('{');
    if (r.endpoints[i].kind != EndpointKind::shared_http) {
      w.key("kind", f);
      w.number(static_cast<std::uint64_t>(r.endpoints[i].kind));
    }
    w.key("sequence_number", f);
    w.number(r.endpoints[i].sequence_number);
    w.ch('}');
  }
  w.ch(']');
  w.key("gpu", first);
  {
    bool f = true;
    w.ch('{');
    if (!r.gpu.attributes.empty()) { w.key("attributes", f); write_attributes(w, r.gpu.attributes); }
    w.key("units", f);
    w.quantity(r.gpu.units);
    w.ch('}');
  }
  w.key("id", first);
  w.number(r.id);
  w.key("memory", first);
  {
    bool f = true;
    w.ch('{');
    if (!r.memory.attributes.empty()) { w.key("attributes", f); write_attributes(w, r.memory.attributes); }
    w.key("size", f);
    w.quantity(r.memory.size);
    w.ch('}');
  }
  w.key("storage", first);
  w.ch('[');
  for (std::size_t i = 0; i < r.storage.size(); ++i) {
    if (i) w.ch(',');
    const Storage& s = r.storage[i];
    bool f = true;
    w.ch('{');
    if (!s.attributes.empty()) { w.key("attributes", f); write_attributes(w, s.attributes); }
    w.key("name", f);
    w.string(s.name);
    w.key("size", f);
    w.quantity(s.size);
    w.ch('}');
  }
  w.ch(']');
  w.ch('}');
}

void write_http_options(Writer& w, const HttpOptions& h) {
  bool first = true;
  w.ch('{');
  w.key("maxBodySize", first);
  w.number(h.max_body_size);
  if (!h.next_cases.empty()) { w.key("nextCases", first); w.strings(h.next_cases); }
  w.key("nextTimeout", first);
  w.number(h.next_timeout);
  w.key("nextTries", first);
  w.number(h.next_tries);
  if (h.proxy_buffer_size != 0) { w.key("proxyBufferSize", first); w.number(h.proxy_buffer_size); }
  w.key("readTimeout", first);
  w.number(h.read_timeout);
  w.key("sendTimeout", first);
  w.number(h.send_timeout);
  w.ch('}');
}

void write_expose(Writer& w, const ServiceExpose& e) {
  bool first = true;
  w.ch('{');
  w.key("endpointSequenceNumber", first);
  w.number(e.endpoint_sequence_number);
  w.key("externalPort", first);
  w.number(e.external_port);
  w.key("global", first);
  w.boolean(e.global);
  w.key("hosts", first);
  w.optional_strings(e.hosts);
  w.key("httpOptions", first);
  write_http_options(w, e.http_options);
  w.key("ip", first);
  w.string(e.ip);
  w.key("port", first);
  w.number(e.port);
  w.key("proto", first);
  w.string(e.proto);
  w.key("service", first);
  w.string(e.service);
  w.ch('}');
}

void write_params(Writer& w, const ServiceParams& p) {
  bool first = true;
  w.ch('{');
  // ServicePermissions is a pointer with omitempty; its `read` is omitempty too.
  if (p.permissions) {
    w.key("permissions", first);
    bool f = true;
    w.ch('{');
    if (p.permissions->read && !p.permissions->read->empty()) {
      w.key("read", f);
      w.strings(*p.permissions->read);
    }
    w.ch('}');
  }
  w.key("storage", first);
  if (p.storage) {
    w.ch('[');
    for (std::size_t i = 0; i < p.storage->size(); ++i) {
      if (i) w.ch(',');
      const StorageParams& s = (*p.storage)[i];
      bool f = true;
      w.ch('{');
      w.key("mount", f);
      w.string(s.mount);
      w.key("name", f);
      w.string(s.name);
      w.key("readOnly", f);
      w.boolean(s.read_only);
      w.ch('}');
    }
    w.ch(']');
  } else {
    w.raw("null");
  }
  if (p.tee) {
    w.key("tee", first);
    bool f = true;
    w.ch('{');
    w.key("attestation", f);
    w.boolean(p.tee->attestation);
    w.key("type", f);
    w.string(p.tee->type);
    w.ch('}');
  }
  w.ch('}');
}

void write_service(Writer& w, const Service& s) {
  bool first = true;
  w.ch('{');
  w.key("args", first);
  w.optional_strings(s.args);
  w.key("command", first);
  w.optional_strings(s.command);
  w.key("count", first);
  w.number(s.count);
  w.key("credentials", first);
  if (s.credentials) {
    bool f = true;
    w.ch('{');
    w.key("email", f);
    w.string(s.credentials->email);
    w.key("host", f);
    w.string(s.credentials->host);
    w.key("password", f);
    w.string(s.credentials->password);
    w.key("username", f);
    w.string(s.credentials->username);
    w.ch('}');
  } else {
    w.raw("null");
  }
  w.key("env", first);
  w.optional_strings(s.env);
  w.key("expose", first);
  w.ch('[');
  for (std::size_t i = 0; i < s.expose.size(); ++i) {
    if (i) w.ch(',');
    write_expose(w, s.expose[i]);
  }
  w.ch(']');
  w.key("image", first);
  w.string(s.image);
  w.key("name", first);
  w.string(s.name);
  if (s.params) {
    w.key("params", first);
    write_params(w, *s.params);
  }
  w.key("resources", first);
  write_resources(w, s.resources);
  w.ch('}');
}

void write_group(Writer& w, const GroupSpec& g) {
  bool first = true;
  w.ch('{');
  w.key("name", first);
  w.string(g.name);
  w.key("requirements", first);
  {
    bool f = true;
    w.ch('{');
    w.key("attributes", f);
    if (g.requirements.attributes) write_attributes(w, *g.requirements.attributes);
    else w.raw("null");
    w.key("signed_by", f);
    bool s = true;
    w.ch('{');
    w.key("all_of", s);
    w.optional_strings(g.requirements.signed_by.all_of);
    w.key("any_of", s);
    w.optional_strings(g.requirements.signed_by.any_of);
    w.ch('}');
    w.ch('}');
  }
  w.key("resources", first);
  w.ch('[');
  for (std::size_t i = 0; i < g.resources.size(); ++i) {
    if (i) w.ch(',');
    const ResourceUnit& u = g.resources[i];
    bool f = true;
    w.ch('{');
    w.key("count", f);
    w.number(u.count);
    w.key("price", f);
    {
      bool p = true;
      w.ch('{');
      w.key("amount", p);
      w.string(u.price.amount.to_string());
      w.key("denom", p);
      w.string(u.price.denom);
      w.ch('}');
    }
    w.key("resource", f);
    write_resources(w, u.resources);
    w.ch('}');
  }
  w.ch(']');
  w.ch('}');
}

} // namespace

std::string manifest_json(const Manifest& manifest) {
  std::string out;
  out.reserve(1024 * (manifest.size() + 1));
  Writer w(out);
  w.ch('[');
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    if (i) w.ch(',');
    const ManifestGroup& g = manifest[i];
    bool first = true;
    w.ch('{');
    w.key("name", first);
    w.string(g.name);
    w.key("services", first);
    w.ch('[');
    for (std::size_t k = 0; k < g.services.size(); ++k) {
      if (k) w.ch(',');
      write_service(w, g.services[k]);
    }
    w.ch(']');
    w.ch('}');
  }
  w.ch(']');
  return out;
}

std::string group_json(const GroupSpec& group) {
  std::string out;
  Writer w(out);
  write_group(w, group);
  return out;
}

std::string groups_json(const std::vector<GroupSpec>& groups) {
  std::string out;
  out.reserve(768 * (groups.size() + 1));
  Writer w(out);
  w.ch('[');
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i) w.ch(',');
    write_group(w, groups[i]);
  }
  w.ch(']');
  return out;
}

std::string manifest_version(const Manifest& manifest) {
  return util::sha256_hex(manifest_json(manifest));
}

// ---------------------------------------------------------------------------------------
// Decoding: strict inverses of the writers. Every key Go always writes is required, the
// omitempty ones are optional, anything else is refused, and every error names the JSON
// path of the offending value.
namespace {

using Json = nlohmann::json;

constexpr std::size_t k_max_json_bytes = 16U << 20U;
constexpr int k_max_json_depth = 64;

struct DecodeError {
  Error error;
};

[[noreturn]] void fail(const std::string& path, std::string message) {
  throw DecodeError{Error{std::move(message), std::nullopt, path, ErrorKind::invalid}};
}

const char* type_name(const Json& j) {
  switch (j.type()) {
  case Json::value_t::null: return "null";
  case Json::value_t::object: return "an object";
  case Json::value_t::array: return "an array";
  case Json::value_t::string: return "a string";
  case Json::value_t::boolean: return "a boolean";
  case Json::value_t::binary: return "binary";
  case Json::value_t::discarded: return "nothing";
  default: return "a number";
  }
}

// An object whose keys are checked against the allowed set as they are read.
class Object {
public:
  Object(const Json& j, std::string path) : m_json(j), m_path(std::move(path)) {
    if (!j.is_object()) fail(m_path, std::string("expected an object, got ") + type_name(j));
  }

  // Declares the complete key set; any other key is refused.
  void allow(std::initializer_list<std::string_view> keys) const {
    for (const auto& item : m_json.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || item.key() == k;
      if (!known) fail(sub(item.key()), "unknown field \"" + item.key() + "\"");
    }
  }

  const Json& required(const std::string& key) const {
    auto it = m_json.find(key);
    if (it == m_json.end()) fail(m_path, "missing field \"" + key + "\"");
    return *it;
  }
  const Json* optional(const std::string& key) const {
    auto it = m_json.find(key);
    return it == m_json.end() ? nullptr : &*it;
  }
  std::string sub(const std::string& key) const { return m_path.empty() ? key : m_path + "." + key; }

private:
  const Json& m_json;
  std::string m_path;
};

std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string get_string(const Json& j, const std::string& path) {
  if (!j.is_string()) fail(path, std::string("expected a string, got ") + type_name(j));
  return j.get<std::string>();
}

bool get_bool(const Json& j, const std::string& path) {
  if (!j.is_boolean()) fail(path, std::string("expected true or false, got ") + type_name(j));
  return j.get<bool>();
}

std::uint32_t get_u32(const Json& j, const std::string& path) {
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
    fail(path, "expected an integer from 0 to 4294967295");
  return static_cast<std::uint32_t>(j.get<std::uint64_t>());
}

// {"val": "<decimal integer>"}: cosmos math.Int, bounded here by uint64.
std::uint64_t get_quantity(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"val"});
  const std::string text = get_string(o.required("val"), o.sub("val"));
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    fail(o.sub("val"), "expected a decimal integer from 0 to 18446744073709551615 in a string, got \"" +
                           text + "\"");
  return value;
}

std::vector<std::string> get_strings(const Json& j, const std::string& path) {
  if (!j.is_array()) fail(path, std::string("expected an array of strings, got ") + type_name(j));
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(get_string(j[i], index_path(path, i)));
  return out;
}

std::optional<std::vector<std::string>> get_nullable_strings(const Json& j, const std::string& path) {
  if (j.is_null()) return std::nullopt;
  return get_strings(j, path);
}

const Json& get_array(const Json& j, const std::string& path) {
  if (!j.is_array()) fail(path, std::string("expected an array, got ") + type_name(j));
  return j;
}

Attributes get_attributes(const Json& j, const std::string& path) {
  Attributes out;
  for (std::size_t i = 0; i < get_array(j, path).size(); ++i) {
    Object o(j[i], index_path(path, i));
    o.allow({"key", "value"});
    Attribute a;
    if (const Json* k = o.optional("key")) a.key = get_string(*k, o.sub("key"));
    if (const Json* v = o.optional("value")) a.value = get_string(*v, o.sub("value"));
    out.push_back(std::move(a));
  }
  return out;
}

Attributes get_optional_attributes(const Object& o) {
  // omitempty: absent means none; Go also reads null as none.
  const Json* a = o.optional("attributes");
  if (!a || a->is_null()) return {};
  return get_attributes(*a, o.sub("attributes"));
}

Resources get_resources(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"id", "cpu", "memory", "storage", "gpu", "endpoints"});
  Resources r;
  r.id = get_u32(o.required("id"), o.sub("id"));
  {
    Object cpu(o.required("cpu"), o.sub("cpu"));
    cpu.allow({"units", "attributes"});
    r.cpu.units = get_quantity(cpu.required("units"), cpu.sub("units"));
    r.cpu.attributes = get_optional_attributes(cpu);
  }
  {
    Object mem(o.required("memory"), o.sub("memory"));
    mem.allow({"size", "attributes"});
    r.memory.size = get_quantity(mem.required("size"), mem.sub("size"));
    r.memory.attributes = get_optional_attributes(mem);
  }
  {
    const std::string spath = o.sub("storage");
    const Json& list = get_array(o.required("storage"), spath);
    for (std::size_t i = 0; i < list.size(); ++i) {
      Object v(list[i], index_path(spath, i));
      v.allow({"name", "size", "attributes"});
      Storage s;
      s.name = get_string(v.required("name"), v.sub("name"));
      s.size = get_quantity(v.required("size"), v.sub("size"));
      s.attributes = get_optional_attributes(v);
      r.storage.push_back(std::move(s));
    }
  }
  {
    Object gpu(o.required("gpu"), o.sub("gpu"));
    gpu.allow({"units", "attributes"});
    r.gpu.units = get_quantity(gpu.required("units"), gpu.sub("units"));
    r.gpu.attributes = get_optional_attributes(gpu);
  }
  {
    const std::string epath = o.sub("endpoints");
    const Json& list = get_array(o.required("endpoints"), epath);
    for (std::size_t i = 0; i < list.size(); ++i) {
      Object e(list[i], index_path(epath, i));
      e.allow({"kind", "sequence_number"});
      Endpoint ep;
      if (const Json* k = e.optional("kind")) {
        const std::uint32_t kind = get_u32(*k, e.sub("kind"));
        if (kind > 2) fail(e.sub("kind"), "unknown endpoint kind " + std::to_string(kind) +
                                              " (0 shared HTTP, 1 random port, 2 leased IP)");
        ep.kind = static_cast<EndpointKind>(kind);
      }
      ep.sequence_number = get_u32(e.required("sequence_number"), e.sub("sequence_number"));
      r.endpoints.push_back(ep);
    }
  }
  return r;
}

HttpOptions get_http_options(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"maxBodySize", "readTimeout", "sendTimeout", "nextTries", "nextTimeout", "nextCases",
           "proxyBufferSize"});
  HttpOptions h;
  h.max_body_size = get_u32(o.required("maxBodySize"), o.sub("maxBodySize"));
  h.read_timeout = get_u32(o.required("readTimeout"), o.sub("readTimeout"));
  h.send_timeout = get_u32(o.required("sendTimeout"), o.sub("sendTimeout"));
  h.next_tries = get_u32(o.required("nextTries"), o.sub("nextTries"));
  h.next_timeout = get_u32(o.required("nextTimeout"), o.sub("nextTimeout"));
  if (const Json* c = o.optional("nextCases"); c && !c->is_null())
    h.next_cases = get_strings(*c, o.sub("nextCases"));
  if (const Json* p = o.optional("proxyBufferSize"))
    h.proxy_buffer_size = get_u32(*p, o.sub("proxyBufferSize"));
  return h;
}

ServiceExpose get_expose(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"port", "externalPort", "proto", "service", "global", "hosts", "httpOptions", "ip",
           "endpointSequenceNumber"});
  ServiceExpose e;
  e.port = get_u32(o.required("port"), o.sub("port"));
  e.external_port = get_u32(o.required("externalPort"), o.sub("externalPort"));
  e.proto = get_string(o.required("proto"), o.sub("proto"));
  e.service = get_string(o.required("service"), o.sub("service"));
  e.global = get_bool(o.required("global"), o.sub("global"));
  e.hosts = get_nullable_strings(o.required("hosts"), o.sub("hosts"));
  e.http_options = get_http_options(o.required("httpOptions"), o.sub("httpOptions"));
  e.ip = get_string(o.required("ip"), o.sub("ip"));
  e.endpoint_sequence_number =
      get_u32(o.required("endpointSequenceNumber"), o.sub("endpointSequenceNumber"));
  return e;
}

ServiceParams get_params(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"storage", "permissions", "tee"});
  ServiceParams p;
  const Json& storage = o.required("storage");
  if (!storage.is_null()) {
    const std::string spath = o.sub("storage");
    std::vector<StorageParams> list;
    for (std::size_t i = 0; i < get_array(storage, spath).size(); ++i) {
      Object s(storage[i], index_path(spath, i));
      s.allow({"name", "mount", "readOnly"});
      StorageParams sp;
      sp.name = get_string(s.required("name"), s.sub("name"));
      sp.mount = get_string(s.required("mount"), s.sub("mount"));
      sp.read_only = get_bool(s.required("readOnly"), s.sub("readOnly"));
      list.push_back(std::move(sp));
    }
    p.storage = std::move(list);
  }
  if (const Json* perm = o.optional("permissions"); perm && !perm->is_null()) {
    Object po(*perm, o.sub("permissions"));
    po.allow({"read"});
    Permissions permissions;
    if (const Json* r = po.optional("read"); r && !r->is_null()) permissions.read = get_strings(*r, po.sub("read"));
    p.permissions = std::move(permissions);
  }
  if (const Json* tee = o.optional("tee"); tee && !tee->is_null()) {
    Object t(*tee, o.sub("tee"));
    t.allow({"type", "attestation"});
    Tee value;
    value.type = get_string(t.required("type"), t.sub("type"));
    value.attestation = get_bool(t.required("attestation"), t.sub("attestation"));
    p.tee = std::move(value);
  }
  return p;
}

Service get_service(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"name", "image", "command", "args", "env", "resources", "count", "expose", "params",
           "credentials"});
  Service s;
  s.name = get_string(o.required("name"), o.sub("name"));
  s.image = get_string(o.required("image"), o.sub("image"));
  s.command = get_nullable_strings(o.required("command"), o.sub("command"));
  s.args = get_nullable_strings(o.required("args"), o.sub("args"));
  s.env = get_nullable_strings(o.required("env"), o.sub("env"));
  s.resources = get_resources(o.required("resources"), o.sub("resources"));
  s.count = get_u32(o.required("count"), o.sub("count"));
  const std::string epath = o.sub("expose");
  const Json& expose = get_array(o.required("expose"), epath);
  for (std::size_t i = 0; i < expose.size(); ++i) s.expose.push_back(get_expose(expose[i], index_path(epath, i)));
  if (const Json* p = o.optional("params"); p && !p->is_null()) s.params = get_params(*p, o.sub("params"));
  const Json& cred = o.required("credentials");
  if (!cred.is_null()) {
    Object c(cred, o.sub("credentials"));
    c.allow({"host", "email", "username", "password"});
    Credentials value;
    value.host = get_string(c.required("host"), c.sub("host"));
    value.email = get_string(c.required("email"), c.sub("email"));
    value.username = get_string(c.required("username"), c.sub("username"));
    value.password = get_string(c.required("password"), c.sub("password"));
    s.credentials = std::move(value);
  }
  return s;
}

GroupSpec get_group(const Json& j, const std::string& path) {
  Object o(j, path);
  o.allow({"name", "requirements", "resources"});
  GroupSpec g;
  g.name = get_string(o.required("name"), o.sub("name"));
  {
    Object req(o.required("requirements"), o.sub("requirements"));
    req.allow({"signed_by", "attributes"});
    Object sb(req.required("signed_by"), req.sub("signed_by"));
    sb.allow({"all_of", "any_of"});
    g.requirements.signed_by.all_of = get_nullable_strings(sb.required("all_of"), sb.sub("all_of"));
    g.requirements.signed_by.any_of = get_nullable_strings(sb.required("any_of"), sb.sub("any_of"));
    const Json& attrs = req.required("attributes");
    if (!attrs.is_null()) g.requirements.attributes = get_attributes(attrs, req.sub("attributes"));
  }
  const std::string rpath = o.sub("resources");
  const Json& units = get_array(o.required("resources"), rpath);
  for (std::size_t i = 0; i < units.size(); ++i) {
    Object u(units[i], index_path(rpath, i));
    u.allow({"resource", "count", "price"});
    ResourceUnit unit;
    unit.resources = get_resources(u.required("resource"), u.sub("resource"));
    unit.count = get_u32(u.required("count"), u.sub("count"));
    Object price(u.required("price"), u.sub("price"));
    price.allow({"denom", "amount"});
    unit.price.denom = get_string(price.required("denom"), price.sub("denom"));
    const std::string amount = get_string(price.required("amount"), price.sub("amount"));
    auto parsed = util::Decimal::parse(amount);
    if (!parsed) fail(price.sub("amount"), "invalid decimal amount \"" + amount + "\": " + parsed.error().message);
    unit.price.amount = *parsed;
    g.resources.push_back(std::move(unit));
  }
  return g;
}

Location location_of(std::string_view text, std::size_t offset) {
  Location where{"<json>", 1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

// Size and nesting bounds are checked before parsing so hostile input cannot exhaust
// memory or the stack.
Result<Json> parse(std::string_view text) {
  if (text.size() > k_max_json_bytes)
    return make_error(ErrorKind::invalid, "JSON document larger than " + std::to_string(k_max_json_bytes) + " bytes");
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > k_max_json_depth) {
        Error e = make_error(ErrorKind::invalid, "JSON nested deeper than " + std::to_string(k_max_json_depth) + " levels");
        e.where = location_of(text, i);
        return e;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string message = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    if (auto colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
    Error error = make_error(ErrorKind::invalid, "invalid JSON: " + message);
    error.where = location_of(text, e.byte > 0 ? e.byte - 1 : 0);
    return error;
  } catch (const Json::exception& e) {
    // A number beyond a double's range ("1e999") is out_of_range, not a parse_error.
    std::string message = e.what();
    if (auto bracket = message.find("] "); bracket != std::string::npos) message = message.substr(bracket + 2);
    return make_error(ErrorKind::invalid, "invalid JSON: " + message);
  }
}

template <typename T, typename F>
Result<T> decode(std::string_view text, F&& body) {
  auto json = parse(text);
  if (!json) return json.error();
  try {
    return body(*json);
  } catch (const DecodeError& e) {
    return e.error;
  } catch (const Json::exception& e) {
    return make_error(ErrorKind::invalid, std::string("invalid JSON value: ") + e.what());
  }
}

} // namespace

Result<Manifest> manifest_from_json(std::string_view json) {
  return decode<Manifest>(json, [](const Json& j) {
    Manifest manifest;
    for (std::size_t i = 0; i < get_array(j, "manifest").size(); ++i) {
      Object g(j[i], index_path("manifest", i));
      g.allow({"name", "services"});
      ManifestGroup group;
      group.name = get_string(g.required("name"), g.sub("name"));
      const std::string spath = g.sub("services");
      const Json& services = get_array(g.required("services"), spath);
      for (std::size_t k = 0; k < services.size(); ++k)
        group.services.push_back(get_service(services[k], index_path(spath, k)));
      manifest.push_back(std::move(group));
    }
    return manifest;
  });
}

Result<std::vector<GroupSpec>> groups_from_json(std::string_view json) {
  return decode<std::vector<GroupSpec>>(json, [](const Json& j) {
    std::vector<GroupSpec> groups;
    for (std::size_t i = 0; i < get_array(j, "groups").size(); ++i) groups.push_back(get_group(j[i], index_path("groups", i)));
    return groups;
  });
}

Result<GroupSpec> group_from_json(std::string_view json) {
  return decode<GroupSpec>(json, [](const Json& j) { return get_group(j, "group"); });
}

} // namespace akt::sdl
