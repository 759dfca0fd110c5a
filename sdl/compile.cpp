#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <system_error>

#include "sdl/sdl.hpp"
#include "sdl/units.hpp"
#include "sdl/yaml.hpp"

namespace akt::sdl {
namespace {

using yaml::Kind;
using yaml::Node;
using units::go_quote;
using util::Decimal;
__extension__ typedef unsigned __int128 u128;

// ---------------------------------------------------------------------------------------
// Typed SDL, as the Go structs hold it, plus where each part was written.

struct HttpOpts {
  std::uint32_t max_body_size = 0, read_timeout = 0, send_timeout = 0, next_tries = 0, next_timeout = 0,
                proxy_buffer_size = 0;
  std::vector<std::string> next_cases;
  const Node* node = nullptr;
  std::string path;
};

struct ExposeTo {
  std::string service;
  bool global = false;
  std::string ip;
  const Node* node = nullptr;
  const Node* ip_node = nullptr;
  std::string path;
};

struct Expose {
  std::uint32_t port = 0, as = 0;
  std::string proto;
  const Node* proto_node = nullptr;
  std::vector<ExposeTo> to;
  std::optional<std::vector<std::string>> accept;
  std::vector<const Node*> accept_nodes;
  HttpOpts http;
  const Node* node = nullptr;
  std::string path;
};

struct StorageParam {
  std::string name, mount;
  bool read_only = false;
  const Node* node = nullptr;
  std::string path;
};

struct Params {
  std::vector<StorageParam> storage;
  std::optional<Permissions> permissions;
  std::optional<std::string> tee;
  const Node* tee_node = nullptr;
  std::string tee_path;
};

struct Creds {
  Credentials value;
  const Node* node = nullptr;
  std::string path;
};

struct Svc {
  std::string name;
  const Node* node = nullptr;
  std::string path;
  std::string image;
  std::optional<std::vector<std::string>> command, args, env;
  std::vector<const Node*> env_nodes;
  std::vector<Expose> expose;
  std::optional<Params> params;
  std::optional<Creds> creds;
};

struct Volume {
  std::string name;
  std::uint64_t size = 0;
  std::optional<Attributes> attributes;
  const Node* node = nullptr;
  std::string path;
};

struct Compute {
  std::string name;
  const Node* node = nullptr;
  std::string path;
  bool has_resources = false;
  bool has_cpu = false, has_memory = false, has_gpu = false;
  std::uint32_t cpu = 0;
  Attributes cpu_attributes;
  std::uint64_t memory = 0;
  std::vector<Volume> storage;
  std::uint64_t gpu = 0;
  Attributes gpu_attributes;
  std::string gpu_path;
  const Node* gpu_node = nullptr;
};

struct Price {
  DecCoin coin;
  bool ok = false;
  const Node* node = nullptr;
  std::string path;
};

struct Placement {
  std::string name;
  const Node* node = nullptr;
  std::string path;
  Attributes attributes;
  SignedBy signed_by;
  std::map<std::string, Price> pricing;
};

struct Deploy {
  std::string profile;
  std::uint32_t count = 0;
  const Node* node = nullptr;
  std::string path;
};

struct EndpointDecl {
  std::string kind;
  const Node* node = nullptr;
  std::string path;
};

struct Sdl {
  bool v21 = false;
  std::string version;
  std::map<std::string, Svc> services;
  std::map<std::string, Compute> compute;
  std::map<std::string, Placement> placement;
  std::map<std::string, std::map<std::string, Deploy>> deployment;
  const Node* deployment_node = nullptr;
  std::map<std::string, EndpointDecl> endpoints;
  const Node* root = nullptr;
};

// ---------------------------------------------------------------------------------------
// Error collection and yaml.v3-shaped typed decoding.

class Ctx {
public:
  explicit Ctx(std::string origin) : m_origin(std::move(origin)) {}

  void error(const Node* at, std::string path, std::string message) {
    Location where{m_origin, at ? at->line : 1, at ? at->column : 1};
    m_errors.push_back(Error{std::move(message), where, std::move(path), ErrorKind::invalid});
  }
  void decode_error(const Node* at, std::string path, std::string message) {
    m_decode_failed = true;
    error(at, std::move(path), std::move(message));
  }
  bool decode_failed() const { return m_decode_failed; }
  std::vector<Error> take() {
    auto pos = [](const Error& e) { return e.where ? std::pair(e.where->line, e.where->column) : std::pair(0, 0); };
    std::stable_sort(m_errors.begin(), m_errors.end(), [&](const Error& a, const Error& b) { return pos(a) < pos(b); });
    return std::move(m_errors);
  }
  bool empty() const { return m_errors.empty(); }
  std::size_t error_count() const { return m_errors.size(); }

  // `cannot unmarshal !!str `abc` into uint32`, as yaml.v3 words it.
  void type_error(const Node* n, const std::string& path, const std::string& go_type) {
    std::string tag = yaml::resolved_tag(*n);
    std::string value;
    if (n->kind != Kind::sequence && n->kind != Kind::mapping) {
      value = n->value.size() > 10 ? " `" + n->value.substr(0, 7) + "...`" : " `" + n->value + "`";
    }
    decode_error(n, path, "cannot unmarshal " + tag + value + " into " + go_type);
  }

  bool str(const Node* n, const std::string& path, std::string& out) {
    if (n->kind == Kind::null || yaml::resolved_tag(*n) == "!!null") {
      out.clear();
      return true;
    }
    if (n->kind != Kind::scalar) {
      type_error(n, path, "string");
      return false;
    }
    out = n->value;
    return true;
  }

  bool u32(const Node* n, const std::string& path, std::uint32_t& out) {
    std::string tag = yaml::resolved_tag(*n);
    if (tag == "!!null") {
      out = 0;
      return true;
    }
    if (tag == "!!int") {
      if (auto v = parse_int(n->value); v && *v >= 0 && *v <= 0xffffffffLL) {
        out = static_cast<std::uint32_t>(*v);
        return true;
      }
    } else if (tag == "!!float") {
      auto f = units::parse_float(n->value);
      if (f && *f >= 0 && *f <= 4294967295.0) {
        out = static_cast<std::uint32_t>(*f);
        return true;
      }
    }
    type_error(n, path, "uint32");
    return false;
  }

  bool boolean(const Node* n, const std::string& path, bool& out) {
    std::string tag = yaml::resolved_tag(*n);
    if (tag == "!!null") {
      out = false;
      return true;
    }
    if (tag == "!!bool") {
      out = n->value[0] == 't' || n->value[0] == 'T';
      return true;
    }
    if (tag == "!!str") {
      static const std::set<std::string> yes{"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"};
      static const std::set<std::string> no{"n", "N", "no", "No", "NO", "off", "Off", "OFF"};
      if (yes.count(n->value)) {
        out = true;
        return true;
      }
      if (no.count(n->value)) {
        out = false;
        return true;
      }
    }
    type_error(n, path, "bool");
    return false;
  }

  // []string: null → nil; a sequence of scalars.
  bool strings(const Node* n, const std::string& path, std::optional<std::vector<std::string>>& out,
               std::vector<const Node*>* nodes = nullptr) {
    if (n->kind == Kind::null || yaml::resolved_tag(*n) == "!!null") {
      out.reset();
      return true;
    }
    if (n->kind != Kind::sequence) {
      type_error(n, path, "[]string");
      return false;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      std::string v;
      if (!str(n->items[i], path + "[" + std::to_string(i) + "]", v)) ok = false;
      values.push_back(v);
      if (nodes) nodes->push_back(n->items[i]);
    }
    out = std::move(values);
    return ok;
  }

  // A mapping (or null, which decodes to nothing). Calls each(key, value, key text).
  template <typename F>
  bool mapping(const Node* n, const std::string& path, const std::string& go_type, F&& each) {
    if (n->kind == Kind::null || yaml::resolved_tag(*n) == "!!null") return true;
    if (n->kind != Kind::mapping) {
      type_error(n, path, go_type);
      return false;
    }
    for (const yaml::Entry& e : n->entries) {
      if (e.key->kind != Kind::scalar && e.key->kind != Kind::null) {
        type_error(e.key, path, "string");
        continue;
      }
      each(e.key, e.value, e.key->value);
    }
    return true;
  }

  template <typename F>
  bool sequence(const Node* n, const std::string& path, const std::string& go_type, F&& each) {
    if (n->kind == Kind::null || yaml::resolved_tag(*n) == "!!null") return true;
    if (n->kind != Kind::sequence) {
      type_error(n, path, go_type);
      return false;
    }
    for (std::size_t i = 0; i < n->items.size(); ++i) each(n->items[i], path + "[" + std::to_string(i) + "]", i);
    return true;
  }

  // Text of a scalar as Go's custom unmarshalers read it (node.Value); null reads "".
  bool raw(const Node* n, const std::string& path, const std::string& go_type, std::string& out) {
    if (n->kind == Kind::null) {
      out.clear();
      return true;
    }
    if (n->kind != Kind::scalar) {
      type_error(n, path, go_type);
      return false;
    }
    out = n->value;
    return true;
  }

  static std::optional<long long> parse_int(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    bool negative = false;
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    int base = 10;
    if (text.size() - i > 1 && text[i] == '0') {
      char p = text[i + 1];
      if (p == 'x' || p == 'X') base = 16, i += 2;
      else if (p == 'o' || p == 'O') base = 8, i += 2;
      else if (p == 'b' || p == 'B') base = 2, i += 2;
      else base = 8, i += 1;
    }
    if (i >= text.size()) return std::nullopt;
    u128 value = 0;
    for (; i < text.size(); ++i) {
      int d = std::isdigit(static_cast<unsigned char>(text[i])) ? text[i] - '0'
              : std::isxdigit(static_cast<unsigned char>(text[i])) ? (std::tolower(text[i]) - 'a' + 10)
                                                                    : 99;
      if (d >= base) return std::nullopt;
      value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
      if (value > (static_cast<u128>(1) << 64)) return std::nullopt;
    }
    if (value > static_cast<u128>(0x7fffffffffffffffLL)) return negative ? std::optional<long long>(-1) : std::nullopt;
    long long v = static_cast<long long>(value);
    return negative ? -v : v;
  }

private:
  std::string m_origin;
  std::vector<Error> m_errors;
  bool m_decode_failed = false;
};

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

bool regex_ok(const std::string& text, const std::regex& re) { return std::regex_match(text, re); }

const std::regex& attribute_key_re() {
  static const std::regex re("[a-zA-Z][\\w/.\\-]{1,126}[\\w*]?");
  return re;
}

// types.Attributes.Validate: key regexp and uniqueness.
std::optional<std::string> validate_attributes(const Attributes& attrs) {
  std::set<std::string> seen;
  for (const Attribute& a : attrs) {
    if (!regex_ok(a.key, attribute_key_re())) return "attribute key does not match regexp";
    if (!seen.insert(a.key).second) return "attributes cannot have duplicate keys";
  }
  return std::nullopt;
}

void sort_attributes(Attributes& attrs) {
  std::stable_sort(attrs.begin(), attrs.end(), [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
}

// ---------------------------------------------------------------------------------------
// url.ParseRequestURI("http://" + host), the check Go applies to `accept` entries.

std::optional<std::string> check_accept(const std::string& item) {
  const std::string url = "http://" + item;
  auto fail = [&](const std::string& why) { return "parse " + go_quote(url) + ": " + why; };
  for (unsigned char c : url) {
    if (c < 0x20 || c == 0x7f) return fail("net/url: invalid control character in URL");
  }
  std::string rest = item;
  if (auto q = rest.find('?'); q != std::string::npos) rest = rest.substr(0, q);
  std::string authority = rest.substr(0, rest.find('/'));
  std::string host = authority;
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    std::string user = authority.substr(0, at);
    for (unsigned char c : user) {
      if (!(std::isalnum(c) || std::string_view("-._:~!$&'()*+,;=%@").find(static_cast<char>(c)) != std::string_view::npos)) {
        return fail("net/url: invalid userinfo");
      }
    }
    host = authority.substr(at + 1);
  }
  std::string port;
  if (!host.empty() && host[0] == '[') {
    auto close = host.find(']');
    if (close == std::string::npos) return fail("missing ']' in host");
    port = host.substr(close + 1);
    if (!port.empty() && port[0] != ':') return fail("invalid port " + go_quote(port) + " after host");
    host = host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (!port.empty()) {
    for (std::size_t i = 1; i < port.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(port[i]))) return fail("invalid port " + go_quote(port) + " after host");
    }
  }
  for (std::size_t i = 0; i < host.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(host[i]);
    if (c >= 0x80 || std::isalnum(c)) continue;
    if (c == '%') {
      if (i + 2 >= host.size() + 0 || !std::isxdigit(static_cast<unsigned char>(host[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(host[i + 2]))) {
        std::string bad = host.substr(i, std::min<std::size_t>(3, host.size() - i));
        return fail("invalid URL escape " + go_quote(bad));
      }
      i += 2;
      continue;
    }
    if (std::string_view("-_.~!$&'()*+,;=:[]<>\"").find(static_cast<char>(c)) != std::string_view::npos) continue;
    std::string ch(1, static_cast<char>(c));
    return fail("invalid character " + go_quote(ch) + " in host name");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Decoding: one function per Go type, each reporting every problem it meets.

class Decoder {
public:
  Decoder(Ctx& ctx, Sdl& sdl) : c(ctx), s(sdl) {}

  void top(const Node* root) {
    for (const yaml::Entry& e : root->entries) {
      const std::string key = e.key->value;
      const Node* v = e.value;
      if (key == "version") continue;
      if (key == "include") {
        std::optional<std::vector<std::string>> ignored;
        c.strings(v, key, ignored);
      } else if (key == "services") {
        c.mapping(v, key, "map[string]sdl.v2Service", [&](const Node* k, const Node* val, const std::string& name) {
          service(k, val, name, join(key, name));
        });
      } else if (key == "profiles") {
        profiles(v, key);
      } else if (key == "deployment") {
        s.deployment_node = e.key;
        deployment(v, key);
      } else if (key == "endpoints") {
        c.mapping(v, key, "map[string]sdl.v2Endpoint", [&](const Node* k, const Node* val, const std::string& name) {
          EndpointDecl ep;
          ep.node = k;
          ep.path = join(key, name);
          c.mapping(val, ep.path, "sdl.v2Endpoint", [&](const Node*, const Node* fv, const std::string& f) {
            if (f == "kind") c.str(fv, join(ep.path, f), ep.kind);
          });
          s.endpoints[name] = ep;
        });
      } else if (key == "reclamation") {
        reclamation(e.key, v);
      } else {
        c.decode_error(e.key, key, "sdl: unexpected field " + key +
                                        " (allowed top-level keys: version, include, services, profiles, "
                                        "deployment, endpoints, reclamation)");
      }
    }
  }

private:
  void reclamation(const Node* key, const Node* v) {
    if (v->kind == Kind::null) return;
    std::string window;
    const Node* at = key;
    bool ok = c.mapping(v, "reclamation", "sdl.v2Reclamation", [&](const Node*, const Node* fv, const std::string& f) {
      if (f == "min_window") {
        at = fv;
        c.str(fv, "reclamation.min_window", window);
      }
    });
    if (!ok) return;
    auto d = units::duration(window);
    if (!d) {
      c.error(at, "reclamation.min_window",
              "SDL invalid: invalid reclamation min_window " + go_quote(window) + ": " + d.error().message +
                  " (use a Go duration such as \"24h\" or \"30m\")");
    } else if (*d <= 0) {
      c.error(at, "reclamation.min_window", "SDL invalid: reclamation min_window must be > 0");
    }
  }

  void http_options(const Node* v, const std::string& path, HttpOpts& out) {
    out.node = v;
    out.path = path;
    c.mapping(v, path, "sdl.v2HTTPOptions", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "max_body_size") c.u32(fv, p, out.max_body_size);
      else if (f == "read_timeout") c.u32(fv, p, out.read_timeout);
      else if (f == "send_timeout") c.u32(fv, p, out.send_timeout);
      else if (f == "next_tries") c.u32(fv, p, out.next_tries);
      else if (f == "next_timeout") c.u32(fv, p, out.next_timeout);
      else if (f == "proxy_buffer_size") c.u32(fv, p, out.proxy_buffer_size);
      else if (f == "next_cases") {
        std::optional<std::vector<std::string>> cases;
        c.strings(fv, p, cases);
        out.next_cases = cases.value_or(std::vector<std::string>{});
      }
    });
  }

  void expose(const Node* v, const std::string& path, Expose& out) {
    out.node = v;
    out.path = path;
    c.mapping(v, path, "sdl.v2Expose", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "port") c.u32(fv, p, out.port);
      else if (f == "as") c.u32(fv, p, out.as);
      else if (f == "proto") {
        out.proto_node = fv;
        c.str(fv, p, out.proto);
      } else if (f == "accept") {
        if (c.strings(fv, p, out.accept, &out.accept_nodes) && out.accept) {
          for (std::size_t i = 0; i < out.accept->size(); ++i) {
            if (auto bad = check_accept((*out.accept)[i])) {
              c.decode_error(out.accept_nodes[i], p + "[" + std::to_string(i) + "]", *bad);
            }
          }
        }
      } else if (f == "http_options") {
        http_options(fv, p, out.http);
      } else if (f == "to") {
        c.sequence(fv, p, "[]sdl.v2ExposeTo", [&](const Node* item, const std::string& ip, std::size_t) {
          ExposeTo to;
          to.node = item;
          to.path = ip;
          c.mapping(item, ip, "sdl.v2ExposeTo", [&](const Node*, const Node* tv, const std::string& tf) {
            const std::string tp = join(ip, tf);
            if (tf == "service") c.str(tv, tp, to.service);
            else if (tf == "global") c.boolean(tv, tp, to.global);
            else if (tf == "ip") {
              to.ip_node = tv;
              c.str(tv, tp, to.ip);
            } else if (tf == "http_options") {
              HttpOpts unused;
              http_options(tv, tp, unused);
            }
          });
          out.to.push_back(std::move(to));
        });
      }
    });
  }

  void service(const Node* key, const Node* v, const std::string& name, const std::string& path) {
    Svc svc;
    svc.name = name;
    svc.node = key;
    svc.path = path;
    c.mapping(v, path, "sdl.v2Service", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "image") c.str(fv, p, svc.image);
      else if (f == "command") c.strings(fv, p, svc.command);
      else if (f == "args") c.strings(fv, p, svc.args);
      else if (f == "env") c.strings(fv, p, svc.env, &svc.env_nodes);
      else if (f == "expose") {
        c.sequence(fv, p, "sdl.v2Exposes", [&](const Node* item, const std::string& ip, std::size_t) {
          Expose e;
          expose(item, ip, e);
          svc.expose.push_back(std::move(e));
        });
      } else if (f == "dependencies") {
        c.sequence(fv, p, "[]sdl.v2Dependency", [&](const Node* item, const std::string& ip, std::size_t) {
          c.mapping(item, ip, "sdl.v2Dependency", [&](const Node*, const Node* dv, const std::string& df) {
            std::string ignored;
            if (df == "service") c.str(dv, join(ip, df), ignored);
          });
        });
      } else if (f == "params") {
        if (fv->kind == Kind::null) return;
        Params params;
        c.mapping(fv, p, "sdl.v2ServiceParams", [&](const Node*, const Node* pv, const std::string& pf) {
          const std::string pp = join(p, pf);
          if (pf == "storage") {
            c.mapping(pv, pp, "map[string]sdl.v2ServiceStorageParams",
                      [&](const Node* sk, const Node* sv, const std::string& vol) {
                        StorageParam sp;
                        sp.name = vol;
                        sp.node = sk;
                        sp.path = join(pp, vol);
                        c.mapping(sv, sp.path, "sdl.v2ServiceStorageParams",
                                  [&](const Node*, const Node* mv, const std::string& mf) {
                                    if (mf == "mount") c.str(mv, join(sp.path, mf), sp.mount);
                                    else if (mf == "readOnly") c.boolean(mv, join(sp.path, mf), sp.read_only);
                                  });
                        params.storage.push_back(std::move(sp));
                      });
          } else if (pf == "permissions") {
            if (pv->kind == Kind::null) return;
            Permissions perms;
            c.mapping(pv, pp, "sdl.v2ServicePermissions", [&](const Node*, const Node* rv, const std::string& rf) {
              if (rf == "read") c.strings(rv, join(pp, rf), perms.read);
            });
            params.permissions = perms;
          } else if (pf == "tee") {
            if (pv->kind == Kind::null) return;
            std::string tee;
            if (c.str(pv, pp, tee)) {
              params.tee = tee;
              params.tee_node = pv;
              params.tee_path = pp;
            }
          }
        });
        svc.params = std::move(params);
      } else if (f == "credentials") {
        if (fv->kind == Kind::null) return;
        Creds cr;
        cr.node = fv;
        cr.path = p;
        c.mapping(fv, p, "sdl.v2ServiceCredentials", [&](const Node*, const Node* cv, const std::string& cf) {
          const std::string cp = join(p, cf);
          if (cf == "host") c.str(cv, cp, cr.value.host);
          else if (cf == "email") c.str(cv, cp, cr.value.email);
          else if (cf == "username") c.str(cv, cp, cr.value.username);
          else if (cf == "password") c.str(cv, cp, cr.value.password);
        });
        svc.creds = std::move(cr);
      }
    });
    s.services[name] = std::move(svc);
  }

  void profiles(const Node* v, const std::string& path) {
    c.mapping(v, path, "sdl.v2profiles", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "compute") {
        c.mapping(fv, p, "map[string]sdl.v2ProfileCompute", [&](const Node* k, const Node* cv, const std::string& name) {
          compute(k, cv, name, join(p, name));
        });
      } else if (f == "placement") {
        c.mapping(fv, p, "map[string]sdl.v2ProfilePlacement", [&](const Node* k, const Node* pv, const std::string& name) {
          placement(k, pv, name, join(p, name));
        });
      }
    });
  }

  void storage_attributes(const Node* v, const std::string& path, Volume& vol) {
    if (v->kind == Kind::null) return;
    std::map<std::string, std::string> res;
    std::map<std::string, const Node*> at;
    bool ok = c.mapping(v, path, "map[string]string", [&](const Node* k, const Node* av, const std::string& key) {
      std::string value;
      if (c.str(av, join(path, key), value)) {
        res[key] = value;
        at[key] = k;
      }
    });
    if (!ok) return;
    const std::size_t errors_before = c.error_count();
    if (!res.count("persistent")) res["persistent"] = "false";
    const std::string persistent = res["persistent"];
    const std::string cls = res.count("class") ? res["class"] : "";
    const Node* class_at = at.count("class") ? at["class"] : v;
    if (cls.empty()) {
      if (persistent == "true") res["class"] = "default";
    } else if (cls == "ram") {
      if (persistent != "false") {
        c.decode_error(class_at, join(path, "class"), "sdl: ram storage class cannot be persistent (ram volumes are memory-backed; drop persistent or pick another class)");
      }
    } else if (persistent == "false") {
      c.decode_error(class_at, join(path, "class"),
                     "sdl: ephemeral storage should not set attribute class (set persistent: true or drop class)");
    }
    Attributes attrs;
    for (auto& [k, val] : res) {
      const Node* kat = at.count(k) ? at[k] : v;
      std::string value = val;
      if (k == "persistent") {
        if (value == "true" || value == "on" || value == "yes") value = "true";
        else if (value == "false" || value == "off" || value == "no") value = "false";
        else {
          c.decode_error(kat, join(path, k), "sdl: invalid value for attribute \"persistent\". expected bool");
          continue;
        }
      } else if (k == "class") {
        static const std::set<std::string> classes{"default", "beta1", "beta2", "beta3", "ram"};
        if (!classes.count(value)) {
          c.decode_error(kat, join(path, k), "sdl: invalid value for attribute class (allowed: default, beta1, beta2, beta3, ram)");
          continue;
        }
      } else {
        c.decode_error(kat, join(path, k), "sdl: unsupported storage attribute: " + k + " (allowed: persistent, class)");
        continue;
      }
      attrs.push_back({k, value});
    }
    sort_attributes(attrs);
    // Attributes that failed are left out entirely so later checks do not echo the problem.
    if (c.error_count() == errors_before) vol.attributes = std::move(attrs);
    else vol.attributes = Attributes{};
  }

  void volume(const Node* v, const std::string& path, Volume& vol) {
    vol.node = v;
    vol.path = path;
    c.mapping(v, path, "sdl.v2ResourceStorage", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "name") c.str(fv, p, vol.name);
      else if (f == "size") {
        std::string text;
        if (!c.raw(fv, p, "sdl.byteQuantity", text) || fv->kind == Kind::null) return;
        auto b = units::bytes(text);
        if (!b) c.decode_error(fv, p, b.error().message + " (sizes look like 512Mi, 1Gi, 100M)");
        else vol.size = *b;
      } else if (f == "attributes") {
        storage_attributes(fv, p, vol);
      }
    });
  }

  // Go's v2ResourceStorageArray.sort: sort.SliceStable (insertion sort) with its comparator.
  static void sort_volumes(std::vector<Volume>& vols) {
    auto find = [](const Volume& v) -> std::optional<std::string> {
      if (!v.attributes) return std::nullopt;
      for (const Attribute& a : *v.attributes) {
        if (a.key == "persistent") return a.value;
      }
      return std::nullopt;
    };
    auto less = [&](const Volume& i, const Volume& j) {
      if (i.size < j.size) return true;
      if (i.size > j.size) return false;
      auto ic = find(i), jc = find(j);
      if ((!ic && jc) || (ic && jc && *ic < *jc)) return true;
      if (ic && !jc) return false;
      bool ip = ic && *ic == "true", jp = jc && *jc == "true";
      if (!ip) return true;
      if (!jp) return false;
      return i.name < j.name;
    };
    for (std::size_t i = 1; i < vols.size(); ++i) {
      for (std::size_t j = i; j > 0 && less(vols[j], vols[j - 1]); --j) std::swap(vols[j], vols[j - 1]);
    }
  }

  void gpu(const Node* v, const std::string& path, Compute& out) {
    out.gpu_node = v;
    out.gpu_path = path;
    if (v->kind == Kind::null) return;
    out.has_gpu = true;
    bool has_attributes = false;
    c.mapping(v, path, "sdl.v2ResourceGPU", [&](const Node* k, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "units") {
        std::string text;
        if (!c.raw(fv, p, "sdl.gpuQuantity", text) || fv->kind == Kind::null) return;
        auto u = units::parse_uint(text, 64);
        if (!u) c.decode_error(fv, p, u.error().message + " (GPU units are a whole number)");
        else out.gpu = *u;
      } else if (f == "attributes") {
        if (fv->kind == Kind::null) return;
        has_attributes = gpu_attributes(fv, p, out.gpu_attributes);
      } else {
        c.decode_error(k, p, "sdl: unsupported field (" + f + ") for GPU resource (allowed: units, attributes)");
      }
    });
    if (out.gpu > 0 && !has_attributes && out.gpu_attributes.empty()) {
      c.decode_error(v, path, "sdl: GPU attributes must be present if units > 0 (add attributes.vendor.nvidia)");
    }
  }

  // Returns whether attributes were decoded (even if invalid).
  bool gpu_attributes(const Node* v, const std::string& path, Attributes& out) {
    const Node* vendor = nullptr;
    bool vendor_seen = false;
    bool ok = c.mapping(v, path, "sdl.v2GPUAttributes", [&](const Node* k, const Node* fv, const std::string& f) {
      if (f == "vendor") {
        vendor_seen = true;
        vendor = fv;
      } else {
        c.decode_error(k, join(path, f), "sdl: unsupported attribute (" + f + ") for GPU resource (allowed: vendor)");
      }
    });
    if (!ok) return true;
    const std::string vpath = join(path, "vendor");
    if (!vendor_seen || vendor->kind == Kind::null) {
      c.decode_error(vendor ? vendor : v, vpath, "sdl: invalid GPU attributes. at least one vendor must be set");
      return true;
    }
    Attributes res;
    c.mapping(vendor, vpath, "sdl.gpuVendor", [&](const Node*, const Node* nv, const std::string& name) {
      if (name != "nvidia") return;  // Go ignores vendors it does not know
      const std::string np = join(vpath, name);
      c.sequence(nv, np, "sdl.v2GPUsNvidia", [&](const Node* item, const std::string& ip, std::size_t) {
        std::string model, ram, iface;
        bool has_ram = false, has_iface = false;
        c.mapping(item, ip, "sdl.v2GPUNvidia", [&](const Node*, const Node* mv, const std::string& mf) {
          const std::string mp = join(ip, mf);
          if (mf == "model") c.str(mv, mp, model);
          else if (mf == "ram") {
            if (mv->kind == Kind::null) return;
            std::string text;
            if (!c.raw(mv, mp, "sdl.memoryQuantity", text)) return;
            auto b = units::bytes(text, true);
            if (!b) {
              c.decode_error(mv, mp, b.error().message + " (GPU ram looks like 40Gi or 80Gi)");
              return;
            }
            has_ram = true;
            ram = std::to_string(*b / 1073741824ULL) + "Gi";
          } else if (mf == "interface") {
            if (mv->kind == Kind::null) return;
            std::string text;
            if (!c.raw(mv, mp, "sdl.gpuInterface", text)) return;
            if (text != "pcie" && text != "sxm") {
              c.decode_error(mv, mp, "sdl: invalid GPU interface " + text + ". expected \"pcie|sxm\"");
              return;
            }
            has_iface = true;
            iface = text;
          }
        });
        std::string key = "vendor/nvidia/model/" + model;
        if (has_ram) key += "/ram/" + ram;
        if (has_iface) key += "/interface/" + iface;
        res.push_back({key, "true"});
      });
    });
    if (res.empty()) res.push_back({"vendor/nvidia/model/*", "true"});
    sort_attributes(res);
    if (auto bad = validate_attributes(res)) {
      c.decode_error(v, path, "sdl: invalid GPU attributes: " + *bad);
    }
    out = std::move(res);
    return true;
  }

  void compute(const Node* key, const Node* v, const std::string& name, const std::string& path) {
    Compute out;
    out.name = name;
    out.node = key;
    out.path = path;
    c.mapping(v, path, "sdl.v2ProfileCompute", [&](const Node*, const Node* rv, const std::string& f) {
      if (f != "resources") return;
      const std::string rp = join(path, f);
      if (rv->kind == Kind::null) return;
      out.has_resources = true;
      c.mapping(rv, rp, "sdl.v2ComputeResources", [&](const Node*, const Node* fv, const std::string& rf) {
        const std::string p = join(rp, rf);
        if (rf == "cpu") {
          if (fv->kind == Kind::null) return;
          out.has_cpu = true;
          c.mapping(fv, p, "sdl.v2ResourceCPU", [&](const Node* ck, const Node* cv, const std::string& cf) {
            const std::string cp = join(p, cf);
            if (cf == "units") {
              std::string text;
              if (!c.raw(cv, cp, "sdl.cpuQuantity", text) || cv->kind == Kind::null) return;
              auto u = units::cpu_millis(text);
              if (!u) c.decode_error(cv, cp, u.error().message + " (CPU units look like 0.5, 2 or 500m)");
              else out.cpu = *u;
            } else if (cf == "attributes") {
              c.mapping(cv, cp, "sdl.v2CPUAttributes", [&](const Node* ak, const Node* av, const std::string& af) {
                if (af != "arch") {
                  c.decode_error(ak, join(cp, af), "sdl: unsupported cpu attribute " + go_quote(af) + " (allowed: arch)");
                  return;
                }
                std::string value;
                if (c.str(av, join(cp, af), value)) out.cpu_attributes.push_back({af, value});
              });
              sort_attributes(out.cpu_attributes);
            }
            (void)ck;
          });
        } else if (rf == "memory") {
          if (fv->kind == Kind::null) return;
          out.has_memory = true;
          c.mapping(fv, p, "sdl.v2ResourceMemory", [&](const Node*, const Node* mv, const std::string& mf) {
            if (mf != "size") return;
            const std::string mp = join(p, mf);
            std::string text;
            if (!c.raw(mv, mp, "sdl.memoryQuantity", text) || mv->kind == Kind::null) return;
            auto b = units::bytes(text);
            if (!b) c.decode_error(mv, mp, b.error().message + " (sizes look like 512Mi, 1Gi, 100M)");
            else out.memory = *b;
          });
        } else if (rf == "storage") {
          if (fv->kind == Kind::sequence) {
            for (std::size_t i = 0; i < fv->items.size(); ++i) {
              Volume vol;
              volume(fv->items[i], p + "[" + std::to_string(i) + "]", vol);
              if (vol.name.empty()) vol.name = "default";
              out.storage.push_back(std::move(vol));
            }
          } else if (fv->kind == Kind::mapping) {
            Volume vol;
            volume(fv, p, vol);
            vol.name = "default";
            out.storage.push_back(std::move(vol));
          }
          std::set<std::string> names;
          for (const Volume& vol : out.storage) {
            if (!names.insert(vol.name).second) {
              c.decode_error(vol.node, vol.path,
                             "sdl: duplicated volume name " + go_quote(vol.name) + " (give each volume its own name)");
            }
          }
          sort_volumes(out.storage);
        } else if (rf == "gpu") {
          gpu(fv, p, out);
        }
      });
    });
    s.compute[name] = std::move(out);
  }

  void placement(const Node* key, const Node* v, const std::string& name, const std::string& path) {
    Placement out;
    out.name = name;
    out.node = key;
    out.path = path;
    c.mapping(v, path, "sdl.v2ProfilePlacement", [&](const Node*, const Node* fv, const std::string& f) {
      const std::string p = join(path, f);
      if (f == "attributes") {
        c.mapping(fv, p, "sdl.v2PlacementAttributes", [&](const Node*, const Node* av, const std::string& ak) {
          std::string value;
          if (c.str(av, join(p, ak), value)) out.attributes.push_back({ak, value});
        });
        sort_attributes(out.attributes);
      } else if (f == "signedBy") {
        c.mapping(fv, p, "v1.SignedBy", [&](const Node*, const Node* sv, const std::string& sf) {
          if (sf == "allOf") c.strings(sv, join(p, sf), out.signed_by.all_of);
          else if (sf == "anyOf") c.strings(sv, join(p, sf), out.signed_by.any_of);
        });
      } else if (f == "pricing") {
        c.mapping(fv, p, "sdl.v2PlacementPricing", [&](const Node* pk, const Node* pv, const std::string& profile) {
          Price price;
          price.node = pk;
          price.path = join(p, profile);
          coin(pv, price);
          out.pricing[profile] = std::move(price);
        });
      }
    });
    s.placement[name] = std::move(out);
  }

  void coin(const Node* v, Price& price) {
    std::string denom, amount;
    const Node* amount_at = v;
    const Node* denom_at = v;
    bool ok = c.mapping(v, price.path, "sdl.v2Coin", [&](const Node*, const Node* fv, const std::string& f) {
      if (f == "denom") {
        denom_at = fv;
        c.str(fv, join(price.path, f), denom);
      } else if (f == "amount") {
        amount_at = fv;
        c.raw(fv, join(price.path, f), "string", amount);
      }
    });
    if (!ok) return;
    const std::string ap = join(price.path, "amount");
    auto d = Decimal::parse(amount);
    if (!d) {
      c.decode_error(amount_at, ap, d.error().message + " (amounts look like 100 or 0.5)");
      return;
    }
    if (d->is_zero()) {
      c.decode_error(amount_at, ap, "invalid coin amount: amount is zero");
      return;
    }
    if (d->is_negative()) {
      c.decode_error(amount_at, ap, "invalid: negative value not allowed: amount " + go_quote(d->to_string()) + " is negative");
      return;
    }
    static const std::regex denom_re("[a-zA-Z][a-zA-Z0-9/:._-]{2,127}");
    if (!std::regex_match(denom, denom_re)) {
      c.decode_error(denom_at, join(price.path, "denom"),
                     "invalid denom: " + denom + " (the network's parser panics on this; use a denom such as uakt or uact)");
      return;
    }
    price.coin = DecCoin{denom, *d};
    price.ok = true;
  }

  void deployment(const Node* v, const std::string& path) {
    c.mapping(v, path, "sdl.v2Deployments", [&](const Node*, const Node* sv, const std::string& svc) {
      const std::string sp = join(path, svc);
      auto& entries = s.deployment[svc];
      c.mapping(sv, sp, "sdl.v2Deployment", [&](const Node* pk, const Node* pv, const std::string& placement_name) {
        Deploy d;
        d.node = pk;
        d.path = join(sp, placement_name);
        c.mapping(pv, d.path, "sdl.v2ServiceDeployment", [&](const Node*, const Node* fv, const std::string& f) {
          if (f == "profile") c.str(fv, join(d.path, f), d.profile);
          else if (f == "count") c.u32(fv, join(d.path, f), d.count);
        });
        entries[placement_name] = d;
      });
    });
  }

  Ctx& c;
  Sdl& s;
};

// ---------------------------------------------------------------------------------------
// validate(): cross references, IP endpoints, storage parameters (RULES §3, §6-§8).

void validate(Ctx& c, const Sdl& s) {
  static const std::regex endpoint_name("[a-z]+[a-z\\-_0-9]+");
  std::set<std::string> used;  // endpoints referenced, or already reported as bad
  for (const auto& [name, ep] : s.endpoints) {
    if (!std::regex_match(name, endpoint_name) || ep.kind != "ip") used.insert(name);
    if (!std::regex_match(name, endpoint_name)) {
      c.error(ep.node, ep.path, "SDL invalid: endpoint named " + go_quote(name) +
                                    " is not a valid name (lower-case letters first, then lower-case letters, digits, - or _)");
    } else if (ep.kind.empty()) {
      c.error(ep.node, ep.path, "SDL invalid: endpoint named " + go_quote(name) + " has no kind (set kind: ip)");
    } else if (ep.kind != "ip") {
      c.error(ep.node, ep.path + ".kind",
              "SDL invalid: endpoint named " + go_quote(name) + ", unknown kind " + go_quote(ep.kind) + " (the only kind is ip)");
    }
  }

  std::map<std::string, std::string> ports;
  for (const auto& [svc_name, placements] : s.deployment) {
    for (const auto& [placement_name, d] : placements) {
      const std::string where = svc_name + "." + placement_name;
      auto compute = s.compute.find(d.profile);
      bool ok = true;
      if (compute == s.compute.end()) {
        c.error(d.node, d.path + ".profile", "SDL invalid: " + where + ": no compute profile named " + d.profile);
        ok = false;
      }
      auto placement = s.placement.find(placement_name);
      if (placement == s.placement.end()) {
        c.error(d.node, d.path, "SDL invalid: " + where + ": no placement profile named " + placement_name);
        ok = false;
      } else if (!placement->second.pricing.count(d.profile)) {
        c.error(d.node, d.path, "SDL invalid: " + where + ": no pricing for profile " + d.profile +
                                    " (add profiles.placement." + placement_name + ".pricing." + d.profile + ")");
        ok = false;
      }
      auto svc_it = s.services.find(svc_name);
      if (svc_it == s.services.end()) {
        c.error(d.node, d.path, "SDL invalid: " + where + ": no service profile named " + svc_name);
        continue;
      }
      const Svc& svc = svc_it->second;
      if (svc.creds) {
        const Credentials& cr = svc.creds->value;
        auto blank = [](const std::string& t) { return t.find_first_not_of(" \t\n\r\v\f") == std::string::npos; };
        const char* missing = blank(cr.host) ? "Host" : blank(cr.username) ? "Username" : blank(cr.password) ? "Password" : nullptr;
        if (missing) {
          c.error(svc.creds->node, svc.creds->path,
                  "SDL invalid: " + where + ": service Credentials missing " + std::string(missing));
        }
      }
      for (const Expose& e : svc.expose) {
        for (const ExposeTo& to : e.to) {
          if (to.ip.empty()) continue;
          const Node* at = to.ip_node ? to.ip_node : to.node;
          used.insert(to.ip);  // reported here if wrong; not again as unused
          if (!to.global) {
            c.error(at, to.path + ".ip",
                    "SDL invalid: error on " + go_quote(svc_name) +
                        " if an IP is declared the directive must be declared as global (add global: true)");
            continue;
          }
          auto ep = s.endpoints.find(to.ip);
          if (ep == s.endpoints.end()) {
            c.error(at, to.path + ".ip",
                    "SDL invalid: error on service " + go_quote(svc_name) + " no endpoint named " + go_quote(to.ip) +
                        " exists (declare it under endpoints with kind: ip)");
            continue;
          }
          if (ep->second.kind != "ip") continue;  // reported with the endpoint
          used.insert(to.ip);
          const std::string key = to.ip + "-" + std::to_string(e.as) + "-" + e.proto;
          auto [it, fresh] = ports.emplace(key, svc_name);
          if (!fresh) {
            c.error(at, to.path + ".ip",
                    "SDL invalid: IP endpoint " + go_quote(to.ip) + " port: " + std::to_string(e.port) +
                        " protocol: " + e.proto + " specified by service " + go_quote(svc_name) +
                        " already in use by " + go_quote(it->second));
          }
        }
      }
      if (!ok || compute == s.compute.end()) continue;
      const Compute& cp = compute->second;
      if (!cp.has_resources) {
        c.error(cp.node, cp.path + ".resources",
                "SDL invalid: compute profile " + go_quote(cp.name) +
                    " has no resources (the network's parser panics on this; add resources: cpu, memory, storage)");
        continue;
      }
      std::map<std::string, const Volume*> volumes;
      for (const Volume& v : cp.storage) volumes[v.name] = &v;
      std::map<std::string, std::string> mounts;
      // Go stops at the first bad entry, and a good one sets the shared mount attribute:
      // either way the v2.0 persistent check below is reached only without entries.
      const bool any_mount = svc.params && !svc.params->storage.empty();
      if (svc.params) {
        for (const StorageParam& sp : svc.params->storage) {
          auto vol = volumes.find(sp.name);
          if (vol == volumes.end()) {
            c.error(sp.node, sp.path,
                    "SDL invalid: service \"" + svc_name + "\" references to no-existing compute volume named \"" +
                        sp.name + "\"");
            continue;
          }
          if (sp.mount.empty() || sp.mount[0] != '/') {
            c.error(sp.node, sp.path + ".mount",
                    "SDL invalid: invalid value for \"service." + svc_name + ".params." + sp.name +
                        ".mount\" parameter. expected absolute path");
            continue;
          }
          auto [it, fresh] = mounts.emplace(sp.mount, sp.name);
          if (!fresh) {
            c.error(sp.node, sp.path + ".mount",
                    "sdl: duplicated mount point: mount " + go_quote(sp.mount) + " already in use by volume " +
                        go_quote(it->second));
          }
          if (s.v21 && sp.read_only && vol->second->attributes) {
            for (const Attribute& a : *vol->second->attributes) {
              if (a.key == "class" && a.value == "ram") {
                c.error(sp.node, sp.path + ".readOnly",
                        "SDL invalid: services." + svc_name + ".params.storage." + sp.name +
                            " has readOnly=true which is not allowed for storage class \"ram\"");
              }
            }
          }
        }
      }
      if (!s.v21 && !any_mount) {
        for (const Volume& v : cp.storage) {
          bool persistent = false;
          if (v.attributes) {
            for (const Attribute& a : *v.attributes) persistent |= a.key == "persistent" && a.value == "true";
          }
          if (persistent) {
            c.error(v.node, v.path,
                    "SDL invalid: compute.storage." + v.name + " has persistent=true which requires service." +
                        svc_name + ".params.storage." + v.name + " to have mount");
          }
        }
      }
    }
  }
  for (const auto& [name, ep] : s.endpoints) {
    if (!used.count(name)) {
      c.error(ep.node, ep.path, "SDL invalid: endpoint " + go_quote(name) + " declared but never used (remove it or reference it with to.ip)");
    }
  }
}

// ---------------------------------------------------------------------------------------
// buildGroups (§9-§10, §13) and the network's limits (§11) and manifest rules (§12).

struct Built {
  Compiled compiled;
};

std::string upper(std::string t) {
  for (char& ch : t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return t;
}

std::optional<HttpOptions> http_manifest(Ctx& c, const HttpOpts& h, const Node* at, const std::string& path) {
  HttpOptions o;
  bool ok = true;
  auto bad = [&](const std::string& msg) {
    c.error(h.node ? h.node : at, h.node ? h.path : path, msg);
    ok = false;
  };
  o.max_body_size = h.max_body_size == 0 ? 1048576 : h.max_body_size;
  if (h.max_body_size > 104857600) bad("http option not allowed: body size cannot be greater than 104857600 bytes");
  o.read_timeout = h.read_timeout == 0 ? 60000 : h.read_timeout;
  if (h.read_timeout > 60000) bad("http option not allowed: read timeout cannot be greater than 60000 ms");
  o.send_timeout = h.send_timeout == 0 ? 60000 : h.send_timeout;
  if (h.send_timeout > 60000) bad("http option not allowed: send timeout cannot be greater than 60000 ms");
  o.next_tries = h.next_tries == 0 ? 3 : h.next_tries;
  o.next_timeout = h.next_timeout;
  if (h.next_cases.empty()) {
    o.next_cases = {"error", "timeout"};
  } else {
    static const std::set<std::string> known{"error", "timeout", "500", "502", "503", "504", "403", "404", "429", "off"};
    for (const std::string& nc : h.next_cases) {
      if (nc == "off") {
        if (h.next_cases.size() != 1) bad("if 'off' is specified, no other cases may be specified");
      } else if (!known.count(nc)) {
        bad("next case is unknown: " + go_quote(nc) + " (allowed: error, timeout, 500, 502, 503, 504, 403, 404, 429, off)");
      }
    }
    o.next_cases = h.next_cases;
  }
  o.proxy_buffer_size = h.proxy_buffer_size;
  if (h.proxy_buffer_size > 1048576) bad("http option not allowed: proxy buffer size cannot be greater than 1048576 bytes");
  if (!ok) return std::nullopt;
  return o;
}

std::map<std::string, std::uint32_t> endpoint_sequence_numbers(const Sdl& s) {
  std::vector<std::string> names;
  for (const auto& [svc_name, _] : s.deployment) {
    auto it = s.services.find(svc_name);
    if (it == s.services.end()) continue;
    for (const Expose& e : it->second.expose) {
      for (const ExposeTo& to : e.to) {
        if (to.global && to.ip.empty()) continue;
        names.push_back(to.ip);
      }
    }
  }
  std::sort(names.begin(), names.end());
  std::map<std::string, std::uint32_t> res;
  std::uint32_t n = 0;
  for (const std::string& name : names) res[name] = ++n;
  return res;
}

bool expose_less(const ServiceExpose& a, const ServiceExpose& b) {
  if (a.service != b.service) return a.service < b.service;
  if (a.port != b.port) return a.port < b.port;
  if (a.proto != b.proto) return a.proto < b.proto;
  if (a.global != b.global) return a.global;
  return false;
}

std::vector<Endpoint> endpoints_of(const std::vector<ServiceExpose>& exposes) {
  std::vector<Endpoint> out;
  for (const ServiceExpose& e : exposes) {
    if (!e.global) continue;
    std::uint32_t external = e.external_port != 0 ? e.external_port : e.port;
    Endpoint ep;
    ep.kind = e.proto == "TCP" && external == 80 ? EndpointKind::shared_http : EndpointKind::random_port;
    std::vector<Endpoint> mine{ep};
    if (!e.ip.empty()) mine.push_back(Endpoint{EndpointKind::leased_ip, e.endpoint_sequence_number});
    std::stable_sort(mine.begin(), mine.end(), [](const Endpoint& x, const Endpoint& y) { return x.sequence_number < y.sequence_number; });
    out.insert(out.end(), mine.begin(), mine.end());
  }
  return out;
}

std::string trim(const std::string& t) {
  auto b = t.find_first_not_of(" \t\n\r\v\f");
  if (b == std::string::npos) return {};
  auto e = t.find_last_not_of(" \t\n\r\v\f");
  return t.substr(b, e - b + 1);
}

struct GroupWhere {
  const Node* node = nullptr;
  std::string path;
};

std::optional<Compiled> build(Ctx& c, const Sdl& s) {
  const auto seq = endpoint_sequence_numbers(s);
  std::map<std::string, GroupSpec> groups;
  std::map<std::string, ManifestGroup> mgroups;
  std::map<std::string, GroupWhere> group_where;
  std::map<std::string, std::vector<GroupWhere>> unit_where;
  std::map<std::pair<std::string, std::string>, std::size_t> shared;  // v2.1 (placement, profile) → unit index
  std::map<std::string, std::pair<std::string, GroupWhere>> tee_of_group;
  bool ok = true;

  for (const auto& [svc_name, placements] : s.deployment) {
    // Go looks a service up only per placement: an entry without placements names nothing.
    if (placements.empty()) continue;
    const Svc& svc = s.services.at(svc_name);
    for (const auto& [placement_name, d] : placements) {
      const Compute& cp = s.compute.at(d.profile);
      const Placement& pl = s.placement.at(placement_name);
      const Price& price = pl.pricing.at(d.profile);

      auto [git, fresh] = groups.try_emplace(placement_name);
      GroupSpec& group = git->second;
      if (fresh) {
        group.name = placement_name;
        if (!pl.attributes.empty()) group.requirements.attributes = pl.attributes;
        group.requirements.signed_by = pl.signed_by;
        mgroups[placement_name].name = placement_name;
        group_where[placement_name] = GroupWhere{pl.node, pl.path};
      }

      // TEE (§3.3).
      std::optional<Tee> tee;
      if (svc.params && svc.params->tee) {
        const std::string& t = *svc.params->tee;
        const Node* at = svc.params->tee_node;
        if (t != "cpu" && t != "cpu-gpu") {
          c.error(at, svc.params->tee_path, "sdl: unsupported tee type: " + go_quote(t) + " (allowed: cpu, cpu-gpu)");
          ok = false;
        } else if (t == "cpu-gpu" && cp.gpu == 0) {
          c.error(at, svc.params->tee_path,
                  "sdl: tee type requires gpu resources: \"cpu-gpu\" specified but no gpu resources defined");
          ok = false;
        } else {
          auto [tit, first] = tee_of_group.try_emplace(placement_name, t, GroupWhere{at, svc.params->tee_path});
          if (!first && tit->second.first != t) {
            c.error(at, svc.params->tee_path,
                    "sdl: conflicting tee types in the same placement group: group " + go_quote(placement_name) +
                        " has " + go_quote(tit->second.first) + " and " + go_quote(t));
            ok = false;
          } else {
            tee = Tee{t, true};
            if (first) {
              Attributes attrs = group.requirements.attributes.value_or(Attributes{});
              attrs.push_back({"tee/type", t});
              sort_attributes(attrs);
              group.requirements.attributes = attrs;
            }
          }
        }
      }

      // Exposes (§13).
      std::vector<ServiceExpose> exposes;
      for (const Expose& e : svc.expose) {
        std::string proto = upper(e.proto);
        if (proto.empty()) proto = "TCP";
        if (proto != "TCP" && proto != "UDP") {
          c.error(e.proto_node ? e.proto_node : e.node, e.path + ".proto",
                  "unsupported service protocol " + go_quote(e.proto) + " (use tcp or udp)");
          ok = false;
          continue;
        }
        auto http = http_manifest(c, e.http, e.node, e.path + ".http_options");
        if (!http) {
          ok = false;
          continue;
        }
        auto make = [&](const std::string& service, bool global, const std::string& ip) {
          ServiceExpose se;
          se.port = e.port;
          se.external_port = e.as;
          se.proto = proto;
          se.service = service;
          se.global = global;
          se.hosts = e.accept;
          se.http_options = *http;
          se.ip = ip;
          if (global && !ip.empty()) {
            auto it = seq.find(ip);
            se.endpoint_sequence_number = it == seq.end() ? 0 : it->second;
          }
          return se;
        };
        if (e.to.empty()) exposes.push_back(make("", false, ""));
        for (const ExposeTo& to : e.to) exposes.push_back(make(to.service, to.global, to.ip));
      }
      std::stable_sort(exposes.begin(), exposes.end(), expose_less);

      Resources res;
      res.cpu = Cpu{cp.cpu, cp.cpu_attributes};
      res.memory = Memory{cp.memory, {}};
      for (const Volume& v : cp.storage) res.storage.push_back(Storage{v.name, v.size, v.attributes.value_or(Attributes{})});
      res.gpu = Gpu{cp.gpu, cp.gpu_attributes};
      res.endpoints = endpoints_of(exposes);

      // Which checks cannot run on our plain structs: record nil-ness for the limits pass.
      if (!cp.has_cpu) {
        c.error(cp.node, cp.path + ".resources.cpu", "group " + placement_name + ": error: invalid unit CPU, cannot be nil (add resources.cpu.units)");
        ok = false;
      }
      if (!cp.has_memory) {
        c.error(cp.node, cp.path + ".resources.memory", "group " + placement_name + ": error: invalid unit memory, cannot be nil (add resources.memory.size)");
        ok = false;
      }
      if (cp.storage.empty()) {
        c.error(cp.node, cp.path + ".resources.storage", "group " + placement_name + ": error: invalid unit storage, cannot be nil (add resources.storage with a size)");
        ok = false;
      }

      std::uint32_t unit_id = 0;
      auto key = std::pair(placement_name, d.profile);
      auto found = s.v21 ? shared.find(key) : shared.end();
      if (found == shared.end()) {
        ResourceUnit unit;
        unit.resources = res;
        unit.resources.id = static_cast<std::uint32_t>(group.resources.size() + 1);
        unit.count = d.count;
        unit.price = price.coin;
        group.resources.push_back(unit);
        unit_where[placement_name].push_back(GroupWhere{cp.node, cp.path});
        if (s.v21) shared[key] = group.resources.size() - 1;
        unit_id = unit.resources.id;
      } else {
        ResourceUnit& unit = group.resources[found->second];
        unit.count += d.count;
        unit.resources.endpoints.insert(unit.resources.endpoints.end(), res.endpoints.begin(), res.endpoints.end());
        std::stable_sort(unit.resources.endpoints.begin(), unit.resources.endpoints.end(),
                         [](const Endpoint& x, const Endpoint& y) { return x.sequence_number < y.sequence_number; });
        unit_id = unit.resources.id;
      }

      Service ms;
      ms.name = svc_name;
      ms.image = svc.image;
      ms.command = svc.command;
      ms.args = svc.args;
      ms.env = svc.env;
      ms.resources = res;
      ms.resources.id = unit_id;
      ms.count = d.count;
      ms.expose = exposes;
      if (svc.params) {
        ServiceParams p;
        if (!svc.params->storage.empty()) {
          std::vector<StorageParams> sp;
          for (const StorageParam& x : svc.params->storage) sp.push_back(StorageParams{x.name, x.mount, x.read_only});
          std::sort(sp.begin(), sp.end(), [](const StorageParams& a, const StorageParams& b) { return a.name < b.name; });
          p.storage = sp;
        }
        p.permissions = svc.params->permissions;
        p.tee = tee;
        ms.params = p;
      }
      if (svc.creds) {
        Credentials cr = svc.creds->value;
        if (s.v21) {
          cr = Credentials{trim(cr.host), trim(cr.email), trim(cr.username), trim(cr.password)};
        } else {
          cr.email.clear();
        }
        ms.credentials = cr;
      }
      mgroups[placement_name].services.push_back(std::move(ms));
    }
  }

  // Network limits (§11).
  if (groups.empty()) {
    c.error(s.deployment_node ? s.deployment_node : s.root, "deployment",
            "Invalid groups (the deployment section places no service; add deployment.<service>.<placement>)");
    return std::nullopt;
  }
  std::string first_denom;
  std::string first_group;
  for (auto& [name, group] : groups) {
    const GroupWhere& gw = group_where[name];
    const std::string prefix = "group " + name + ": ";
    // Group denomination.
    std::string denom;
    bool mixed = false;
    for (const ResourceUnit& u : group.resources) {
      if (denom.empty()) denom = u.price.denom;
      else if (u.price.denom != denom && !mixed) {
        mixed = true;
        c.error(gw.node, gw.path + ".pricing",
                "placement " + go_quote(name) + " prices its resources in two denoms (" + denom + " and " +
                    u.price.denom + "); the network's parser panics on this (coin denom different: " + denom + " " +
                    u.price.denom + "); use one denom per placement");
        ok = false;
      }
    }
    if (!mixed && !denom.empty()) {
      if (first_denom.empty()) {
        first_denom = denom;
        first_group = name;
      } else if (denom != first_denom) {
        c.error(gw.node, gw.path + ".pricing",
                "inconsistent group denomination: " + denom + " != " + first_denom +
                    ": invalid price (every placement must use the same denom)");
        ok = false;
      }
    }
    u128 cpu = 0, gpu = 0, mem = 0;
    std::vector<u128> storage;
    std::set<std::uint32_t> ids;
    for (std::size_t i = 0; i < group.resources.size(); ++i) {
      const ResourceUnit& u = group.resources[i];
      const GroupWhere& uw = unit_where[name][i];
      const Resources& r = u.resources;
      auto unit_error = [&](const std::string& sub, const std::string& msg) {
        c.error(uw.node, uw.path + ".resources" + sub, prefix + msg);
        ok = false;
      };
      if (r.cpu.units < 10 || r.cpu.units > 384000) {
        unit_error(".cpu.units", "error: invalid unit CPU (384000 > " + std::to_string(r.cpu.units) + " > 384000 fails)");
      }
      if (r.gpu.units > 24) {
        unit_error(".gpu.units", "error: invalid unit GPU (24 > " + std::to_string(r.gpu.units) + " > 24 fails)");
      }
      if (r.gpu.units == 0 && !r.gpu.attributes.empty()) {
        unit_error(".gpu", "error: invalid GPU state. attributes cannot be present if units == 0");
      }
      if (r.memory.size < 1048576ULL || r.memory.size > 2199023255552ULL) {
        unit_error(".memory.size", "error: invalid unit memory (2199023255552 > " + std::to_string(r.memory.size) +
                                       " > 2199023255552 fails)");
      }
      for (const Storage& st : r.storage) {
        if (st.size < 5242880ULL || st.size > 35184372088832ULL) {
          unit_error(".storage", "error: invalid unit storage (35184372088832 > " + std::to_string(st.size) +
                                     " > 5242880 fails)");
        }
      }
      if (auto bad = validate_attributes(r.cpu.attributes)) unit_error(".cpu.attributes", "error: invalid CPU attributes: " + *bad);
      if (auto bad = validate_attributes(r.gpu.attributes)) unit_error(".gpu.attributes", "error: invalid GPU attributes: " + *bad);
      for (const Storage& st : r.storage) {
        if (auto bad = validate_attributes(st.attributes)) unit_error(".storage", "error: invalid storage attributes: " + *bad);
      }
      if (!ids.insert(r.id).second) unit_error("", "duplicate resources ID (" + std::to_string(r.id) + ") within group");
      cpu += static_cast<u128>(r.cpu.units) * u.count;
      gpu += static_cast<u128>(r.gpu.units) * u.count;
      mem += static_cast<u128>(r.memory.size) * u.count;
      for (std::size_t k = 0; k < r.storage.size(); ++k) {
        if (storage.size() <= k) storage.push_back(0);
        storage[k] += static_cast<u128>(r.storage[k].size) * u.count;
      }
      if (u.price.amount > Decimal::from_int(10000000)) {
        unit_error("", "error: invalid unit price (10000000 > " + u.price.amount.to_string() + u.price.denom + " fails)");
      }
    }
    auto total_error = [&](const std::string& msg) {
      c.error(gw.node, gw.path, prefix + msg);
      ok = false;
    };
    auto s128 = [](u128 v) { return util::int128_to_string(static_cast<util::int128>(v)); };
    if (cpu == 0 || cpu > 19200000) total_error("invalid total CPU (19200000 > " + s128(cpu) + " > 0 fails)");
    if (gpu != 0 && gpu > 1200) total_error("invalid total GPU (1200 > " + s128(gpu) + " > 0 fails)");
    if (mem == 0 || mem > 109951162777600ULL) total_error("invalid total memory (109951162777600 > " + s128(mem) + " > 0 fails)");
    for (u128 st : storage) {
      if (st == 0 || st > 1759218604441600ULL) {
        std::string list = "[";
        for (std::size_t k = 0; k < storage.size(); ++k) list += (k ? " " : "") + s128(storage[k]);
        list += "]";
        total_error("invalid total storage (1759218604441600 > " + list + " > 0 fails)");
        break;
      }
    }
  }

  // Manifest validation (§12).
  static const std::regex svc_name_re("[a-z]([-a-z0-9]*[a-z0-9])?");
  static const std::regex env_re("[-._a-zA-Z][-._a-zA-Z0-9]*");
  static const std::regex dns1123("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  std::map<std::string, std::string> hosts_seen;
  bool any_global = false;
  for (auto& [gname, mg] : mgroups) {
    std::stable_sort(mg.services.begin(), mg.services.end(), [](const Service& a, const Service& b) { return a.name < b.name; });
    for (const Service& ms : mg.services) {
      const Svc& svc = s.services.at(ms.name);
      const std::string q = go_quote(ms.name);
      if (!std::regex_match(ms.name, svc_name_re)) {
        c.error(svc.node, svc.path, "invalid manifest: service " + q +
                                        " name is invalid (use lower-case letters, digits and -, starting with a letter)");
        ok = false;
      }
      if (ms.image.empty()) {
        c.error(svc.node, svc.path + ".image", "invalid manifest: service " + q + " has empty image name (set image:)");
        ok = false;
      }
      if (ms.env) {
        for (std::size_t i = 0; i < ms.env->size(); ++i) {
          const std::string& entry = (*ms.env)[i];
          std::string name = entry.substr(0, entry.find('='));
          bool valid = std::regex_match(name, env_re) && name != "." && name != ".." && name.rfind("..", 0) != 0;
          if (!valid) {
            c.error(i < svc.env_nodes.size() ? svc.env_nodes[i] : svc.node, svc.path + ".env[" + std::to_string(i) + "]",
                    "invalid manifest: service " + q + " defines an env. var. with an invalid name " + go_quote(name));
            ok = false;
          }
        }
      }
      for (const ServiceExpose& se : ms.expose) {
        any_global |= se.global;
        const Expose* src = nullptr;
        for (const Expose& e : svc.expose) {
          if (e.port == se.port && upper(e.proto.empty() ? "tcp" : e.proto) == se.proto) { src = &e; break; }
        }
        const Node* at = src ? src->node : svc.node;
        const std::string path = src ? src->path : svc.path + ".expose";
        if (se.port == 0 || se.port > 65535) {
          c.error(at, path + ".port", "invalid manifest: service " + q + ": port value must be 0 < value <= 65535 ");
          ok = false;
        }
        if (se.hosts) {
          for (std::size_t i = 0; i < se.hosts->size(); ++i) {
            const std::string& h = (*se.hosts)[i];
            const Node* hat = src && i < src->accept_nodes.size() ? src->accept_nodes[i] : at;
            const std::string hpath = path + ".accept[" + std::to_string(i) + "]";
            if (h.size() > 253 || !std::regex_match(h, dns1123)) {
              c.error(hat, hpath, "invalid manifest: service " + q + ": has invalid hostname " + go_quote(h));
              ok = false;
            }
            auto [it, fresh] = hosts_seen.emplace(h, ms.name);
            if (!fresh) {
              c.error(hat, hpath, "invalid manifest: service " + q + ": hostname " + go_quote(h) +
                                      " is duplicated, this is not allowed (a host may appear once per deployment; "
                                      "with several `to` entries each one repeats the accept list)");
              ok = false;
            }
          }
        }
      }
    }
  }
  if (!any_global && ok) {
    c.error(s.deployment_node ? s.deployment_node : s.root, "services",
            "invalid manifest: zero global services (expose at least one port with to: [{global: true}])");
    ok = false;
  }
  if (!ok) return std::nullopt;

  Compiled out;
  out.version = s.version;
  for (auto& [name, g] : groups) out.groups.push_back(std::move(g));
  for (auto& [name, g] : mgroups) out.manifest.push_back(std::move(g));
  return out;
}

// blang/semver ParseTolerant, enough to classify an SDL version.
struct Semver {
  unsigned long long major = 0, minor = 0, patch = 0;
  bool pre = false;
  std::string text;
};

Result<Semver> parse_version(std::string text) {
  auto fail = [](std::string m) { return make_error(ErrorKind::invalid, std::move(m)); };
  text = trim(text);
  if (!text.empty() && text[0] == 'v') text.erase(0, 1);
  if (text.empty()) return fail("Version string empty");
  std::vector<std::string> parts;
  {
    std::size_t start = 0;
    for (int i = 0; i < 2; ++i) {
      auto dot = text.find('.', start);
      if (dot == std::string::npos) break;
      parts.push_back(text.substr(start, dot - start));
      start = dot + 1;
    }
    parts.push_back(text.substr(start));
  }
  for (std::string& p : parts) {
    if (p.size() > 1) {
      std::string t = p;
      t.erase(0, t.find_first_not_of('0') == std::string::npos ? t.size() : t.find_first_not_of('0'));
      if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0]))) t = "0" + t;
      p = t;
    }
  }
  if (parts.size() < 3) {
    if (parts.back().find_first_of("+-") != std::string::npos) {
      return fail("Short version cannot contain PreRelease/Build meta data");
    }
    while (parts.size() < 3) parts.push_back("0");
  }
  Semver v;
  std::string patch = parts[2];
  auto meta = patch.find_first_of("+-");
  if (meta != std::string::npos) {
    v.pre = patch[meta] == '-';
    patch = patch.substr(0, meta);
  }
  auto number = [&](const std::string& p, const char* what, unsigned long long& out) -> std::optional<Error> {
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 19) {
      return fail(std::string("Invalid character(s) found in ") + what + " number " + go_quote(p));
    }
    if (p.size() > 1 && p[0] == '0') return fail(std::string("Major number must not contain leading zeroes ") + go_quote(p));
    out = std::stoull(p);
    return std::nullopt;
  };
  if (auto e = number(parts[0], "major", v.major)) return *e;
  if (auto e = number(parts[1], "minor", v.minor)) return *e;
  if (auto e = number(patch, "patch", v.patch)) return *e;
  v.text = std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch) +
           (meta != std::string::npos ? parts[2].substr(meta) : "");
  return v;
}

} // namespace

CompileResult compile(std::string_view text, std::string_view origin, const Limits& limits) {
  CompileResult result;
  Ctx c{std::string(origin)};
  if (text.size() > limits.max_bytes) {
    c.error(nullptr, "", "input is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                             std::to_string(limits.max_bytes) + " (raise it with --max-bytes)");
    result.errors = c.take();
    return result;
  }
  yaml::Document doc = yaml::parse(text, yaml::ParseLimits{limits.max_depth, limits.max_nodes});
  for (const yaml::Problem& p : doc.problems) {
    Node at;
    at.line = p.line;
    at.column = p.column;
    c.decode_error(&at, "", p.message);
  }
  if (!doc.root) {
    result.errors = c.take();
    return result;
  }

  Sdl s;
  s.root = doc.root;
  const Node* version_node = nullptr;
  if (doc.root->kind == Kind::mapping) {
    for (const yaml::Entry& e : doc.root->entries) {
      if (e.key->value == "version") version_node = e.value;
    }
  }
  if (!version_node) {
    c.error(doc.root, "version", "SDL invalid: no version found (add version: \"2.0\" or \"2.1\")");
    result.errors = c.take();
    return result;
  }
  std::string version_text = version_node->kind == Kind::scalar ? version_node->value : "";
  auto v = parse_version(version_text);
  if (!v) {
    c.error(version_node, "version", v.error().message + " (use version: \"2.0\" or \"2.1\")");
    result.errors = c.take();
    return result;
  }
  const bool is20 = v->major == 2 && v->minor == 0 && v->patch == 0 && !v->pre;
  const bool ge21 = std::tuple(v->major, v->minor, v->patch) > std::tuple(2ULL, 1ULL, 0ULL) ||
                    (std::tuple(v->major, v->minor, v->patch) == std::tuple(2ULL, 1ULL, 0ULL) && !v->pre);
  if (!is20 && !ge21) {
    c.error(version_node, "version",
            "SDL invalid: config: unsupported version " + go_quote(v->text) + " (use \"2.0\" or \"2.1\")");
    result.errors = c.take();
    return result;
  }
  s.v21 = ge21;
  s.version = version_text;

  Decoder decoder(c, s);
  decoder.top(doc.root);
  validate(c, s);
  if (c.empty() && !c.decode_failed()) {
    if (auto compiled = build(c, s)) {
      if (c.empty()) result.compiled = std::move(*compiled);
    }
  }
  result.errors = c.take();
  if (!result.errors.empty()) result.compiled.reset();
  return result;
}

CompileResult compile_file(const std::filesystem::path& path, const Limits& limits) {
  CompileResult result;
  const std::string origin = path.string();
  auto fail = [&](std::string message) {
    result.errors.push_back(Error{std::move(message), Location{origin, 0, 0}, "", ErrorKind::invalid});
    return result;
  };
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > limits.max_bytes) {
      return fail("input is " + std::to_string(size) + " bytes, more than the limit of " +
                  std::to_string(limits.max_bytes) + " (raise it with --max-bytes)");
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.errors.push_back(Error{"cannot open " + origin + ": " + std::strerror(errno), Location{origin, 0, 0}, "",
                                  ErrorKind::not_found});
    return result;
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits.max_bytes) {
      return fail("input is more than the limit of " + std::to_string(limits.max_bytes) +
                  " bytes (raise it with --max-bytes)");
    }
  }
  return compile(text, origin, limits);
}

} // namespace akt::sdl
