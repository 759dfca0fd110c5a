#include "market/codec.hpp"

#include <charconv>
#include <set>

namespace akt::market {

namespace {

// ---- primitives ------------------------------------------------------------------------

Json u64(std::uint64_t value) { return std::to_string(value); }

Json attributes_json(const sdl::Attributes& attributes) {
  Json out = Json::array();
  for (const auto& a : attributes) {
    out.push_back({{"key", a.key}, {"value", a.value}});
  }
  return out;
}

Json strings_json(const std::optional<std::vector<std::string>>& values) {
  return values ? Json(*values) : Json(nullptr);
}

Error bad(const std::string& path, std::string message) {
  Error e = make_error(ErrorKind::invalid, std::move(message));
  e.path = path;
  return e;
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Reads one object strictly: every key must be consumed, each with the right type.
class Reader {
public:
  Reader(const Json& json, std::string path) : m_json(json), m_path(std::move(path)) {
    if (!json.is_object()) {
      fail(m_path, "expected an object");
    }
  }

  bool ok() const { return !m_error; }
  const Error& error() const { return *m_error; }
  void fail(const std::string& path, std::string message) {
    if (!m_error) {
      m_error = bad(path, std::move(message));
    }
  }
  void fail(const Error& error) {
    if (!m_error) {
      m_error = error;
    }
  }

  // The value of a required key, or nullptr (and an error) when absent.
  const Json* required(const char* key) {
    const Json* value = optional(key);
    if (value == nullptr && ok()) {
      fail(join(m_path, key), "missing field");
    }
    return value;
  }
  const Json* optional(const char* key) {
    if (!ok()) {
      return nullptr;
    }
    m_seen.insert(key);
    auto it = m_json.find(key);
    return it == m_json.end() ? nullptr : &*it;
  }
  std::string path(const char* key) const { return join(m_path, key); }

  Status finish() {
    if (ok()) {
      for (auto it = m_json.begin(); it != m_json.end(); ++it) {
        if (m_seen.count(it.key()) == 0) {
          fail(join(m_path, it.key()), "unknown field");
          break;
        }
      }
    }
    if (m_error) {
      return *m_error;
    }
    return akt::ok();
  }

  template <typename T, typename Fn>
  void field(const char* key, T& out, Fn&& decode) {
    if (const Json* value = required(key)) {
      read(*value, path(key), out, decode);
    }
  }
  template <typename T, typename Fn>
  void optional_field(const char* key, T& out, Fn&& decode) {
    if (const Json* value = optional(key)) {
      read(*value, path(key), out, decode);
    }
  }

private:
  template <typename T, typename Fn>
  void read(const Json& value, const std::string& at, T& out, Fn&& decode) {
    Result<T> result = decode(value, at);
    if (!result) {
      fail(result.error());
    } else {
      out = std::move(*result);
    }
  }

  const Json& m_json;
  std::string m_path;
  std::set<std::string> m_seen;
  std::optional<Error> m_error;
};

Result<std::string> str(const Json& j, const std::string& path) {
  if (!j.is_string()) return bad(path, "expected a string");
  return j.get<std::string>();
}
Result<bool> boolean(const Json& j, const std::string& path) {
  if (!j.is_boolean()) return bad(path, "expected true or false");
  return j.get<bool>();
}
Result<std::uint64_t> u64_from(const Json& j, const std::string& path) {
  if (!j.is_string()) return bad(path, "expected an unsigned integer as a string");
  const std::string& text = j.get_ref<const std::string&>();
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return bad(path, "\"" + text + "\" is not an unsigned 64-bit integer");
  }
  return value;
}
Result<std::uint32_t> u32_from(const Json& j, const std::string& path) {
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() > UINT32_MAX) {
    return bad(path, "expected an unsigned 32-bit integer");
  }
  return static_cast<std::uint32_t>(j.get<std::uint64_t>());
}
Result<util::Decimal> decimal_from(const Json& j, const std::string& path) {
  if (!j.is_string()) return bad(path, "expected a decimal string");
  Result<util::Decimal> value = util::Decimal::parse(j.get_ref<const std::string&>());
  if (!value) return bad(path, value.error().message);
  return value;
}
Result<std::vector<std::string>> strings_from(const Json& j, const std::string& path) {
  if (!j.is_array()) return bad(path, "expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) return bad(path + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}
Result<std::optional<std::vector<std::string>>> nullable_strings_from(const Json& j, const std::string& path) {
  if (j.is_null()) return std::optional<std::vector<std::string>>();
  Result<std::vector<std::string>> values = strings_from(j, path);
  if (!values) return values.error();
  return std::optional<std::vector<std::string>>(std::move(*values));
}

template <typename T, typename Fn>
Result<std::vector<T>> array_from(const Json& j, const std::string& path, Fn&& decode) {
  if (!j.is_array()) return bad(path, "expected an array");
  std::vector<T> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    Result<T> item = decode(j[i], path + "[" + std::to_string(i) + "]");
    if (!item) return item.error();
    out.push_back(std::move(*item));
  }
  return out;
}

Result<sdl::Attribute> attribute_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  sdl::Attribute a;
  r.field("key", a.key, str);
  r.field("value", a.value, str);
  if (Status s = r.finish(); !s) return s.error();
  return a;
}
Result<sdl::Attributes> attributes_from(const Json& j, const std::string& path) {
  return array_from<sdl::Attribute>(j, path, attribute_from);
}
Result<std::optional<sdl::Attributes>> nullable_attributes_from(const Json& j, const std::string& path) {
  if (j.is_null()) return std::optional<sdl::Attributes>();
  Result<sdl::Attributes> values = attributes_from(j, path);
  if (!values) return values.error();
  return std::optional<sdl::Attributes>(std::move(*values));
}

template <typename E>
auto enum_from(std::optional<E> (*parse)(std::string_view)) {
  return [parse](const Json& j, const std::string& path) -> Result<E> {
    if (!j.is_string()) return bad(path, "expected a state name");
    std::optional<E> value = parse(j.get_ref<const std::string&>());
    if (!value) return bad(path, "unknown value \"" + j.get<std::string>() + "\"");
    return *value;
  };
}

Result<CloseReason> reason_from(const Json& j, const std::string& path) {
  if (!j.is_string()) return bad(path, "expected a close reason name");
  std::optional<CloseReason> value = close_reason_from(j.get_ref<const std::string&>());
  if (!value) return bad(path, "unknown close reason \"" + j.get<std::string>() + "\"");
  return *value;
}

Result<AccountScope> scope_from(const Json& j, const std::string& path) {
  if (j == "deployment") return AccountScope::deployment;
  if (j == "bid") return AccountScope::bid;
  return bad(path, "expected \"deployment\" or \"bid\"");
}

template <typename T>
auto wrap(Result<T> (*fn)(const Json&)) {
  return [fn](const Json& j, const std::string& path) -> Result<T> {
    Result<T> value = fn(j);
    if (!value) {
      Error e = value.error();
      e.path = e.path.empty() ? path : join(path, e.path);
      return e;
    }
    return value;
  };
}

template <typename T>
Result<std::optional<T>> nullable(Result<T> (*fn)(const Json&), const Json& j, const std::string& path) {
  if (j.is_null()) return std::optional<T>();
  Result<T> value = wrap(fn)(j, path);
  if (!value) return value.error();
  return std::optional<T>(std::move(*value));
}

// ---- group specs -------------------------------------------------------------------------

Json resources_json(const sdl::Resources& r) {
  Json storage = Json::array();
  for (const auto& s : r.storage) {
    storage.push_back({{"name", s.name}, {"size", u64(s.size)}, {"attributes", attributes_json(s.attributes)}});
  }
  Json endpoints = Json::array();
  for (const auto& e : r.endpoints) {
    endpoints.push_back({{"kind", static_cast<int>(e.kind)}, {"sequence_number", e.sequence_number}});
  }
  return {{"id", r.id},
          {"cpu", {{"units", u64(r.cpu.units)}, {"attributes", attributes_json(r.cpu.attributes)}}},
          {"memory", {{"size", u64(r.memory.size)}, {"attributes", attributes_json(r.memory.attributes)}}},
          {"storage", storage},
          {"gpu", {{"units", u64(r.gpu.units)}, {"attributes", attributes_json(r.gpu.attributes)}}},
          {"endpoints", endpoints}};
}

Result<sdl::Storage> storage_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  sdl::Storage s;
  r.field("name", s.name, str);
  r.field("size", s.size, u64_from);
  r.field("attributes", s.attributes, attributes_from);
  if (Status st = r.finish(); !st) return st.error();
  return s;
}
Result<sdl::Endpoint> endpoint_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  sdl::Endpoint e;
  std::uint32_t kind = 0;
  r.field("kind", kind, u32_from);
  r.field("sequence_number", e.sequence_number, u32_from);
  if (Status st = r.finish(); !st) return st.error();
  if (kind > 2) return bad(path + ".kind", "expected 0 (shared_http), 1 (random_port) or 2 (leased_ip)");
  e.kind = static_cast<sdl::EndpointKind>(kind);
  return e;
}
Result<sdl::Resources> resources_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  sdl::Resources res;
  r.field("id", res.id, u32_from);
  r.field("cpu", res.cpu, [](const Json& c, const std::string& p) -> Result<sdl::Cpu> {
    Reader rc(c, p);
    sdl::Cpu cpu;
    rc.field("units", cpu.units, u64_from);
    rc.field("attributes", cpu.attributes, attributes_from);
    if (Status st = rc.finish(); !st) return st.error();
    return cpu;
  });
  r.field("memory", res.memory, [](const Json& c, const std::string& p) -> Result<sdl::Memory> {
    Reader rc(c, p);
    sdl::Memory memory;
    rc.field("size", memory.size, u64_from);
    rc.field("attributes", memory.attributes, attributes_from);
    if (Status st = rc.finish(); !st) return st.error();
    return memory;
  });
  r.field("storage", res.storage, [](const Json& c, const std::string& p) {
    return array_from<sdl::Storage>(c, p, storage_from);
  });
  r.field("gpu", res.gpu, [](const Json& c, const std::string& p) -> Result<sdl::Gpu> {
    Reader rc(c, p);
    sdl::Gpu gpu;
    rc.field("units", gpu.units, u64_from);
    rc.field("attributes", gpu.attributes, attributes_from);
    if (Status st = rc.finish(); !st) return st.error();
    return gpu;
  });
  r.field("endpoints", res.endpoints, [](const Json& c, const std::string& p) {
    return array_from<sdl::Endpoint>(c, p, endpoint_from);
  });
  if (Status st = r.finish(); !st) return st.error();
  return res;
}

Result<sdl::ResourceUnit> unit_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  sdl::ResourceUnit unit;
  r.field("resource", unit.resources, resources_from);
  r.field("count", unit.count, u32_from);
  r.field("price", unit.price, wrap(dec_coin_from_json));
  if (Status st = r.finish(); !st) return st.error();
  return unit;
}

// ---- ids -------------------------------------------------------------------------------------

void put_ids(Json& out, const Address& owner, std::uint64_t dseq) {
  out["owner"] = owner;
  out["dseq"] = u64(dseq);
}

template <typename Id>
void read_id(Reader& r, Id& id) {
  r.field("owner", id.owner, str);
  r.field("dseq", id.dseq, u64_from);
  if constexpr (requires { id.gseq; }) {
    r.field("gseq", id.gseq, u32_from);
  }
  if constexpr (requires { id.oseq; }) {
    r.field("oseq", id.oseq, u32_from);
  }
  if constexpr (requires { id.provider; }) {
    r.field("provider", id.provider, str);
  }
}

template <typename Id>
Result<Id> id_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  Id id;
  read_id(r, id);
  if (Status st = r.finish(); !st) return st.error();
  return id;
}

// ---- messages -------------------------------------------------------------------------------

struct MsgEncoder {
  Json operator()(const MsgFund& m) const { return {{"to", m.to}, {"amount", to_json(m.amount)}}; }
  Json operator()(const MsgSend& m) const { return {{"to", m.to}, {"amount", to_json(m.amount)}}; }
  Json operator()(const MsgRegisterProvider& m) const {
    return {{"host_uri", m.host_uri}, {"attributes", attributes_json(m.attributes)},
            {"info", {{"email", m.info.email}, {"website", m.info.website}}}};
  }
  Json operator()(const MsgUpdateProvider& m) const {
    return {{"host_uri", m.host_uri}, {"attributes", attributes_json(m.attributes)},
            {"info", {{"email", m.info.email}, {"website", m.info.website}}}};
  }
  Json operator()(const MsgSignProviderAttributes& m) const {
    return {{"provider", m.provider}, {"attributes", attributes_json(m.attributes)}};
  }
  Json operator()(const MsgCreateDeployment& m) const {
    Json groups = Json::array();
    for (const auto& g : m.groups) groups.push_back(to_json(g));
    return {{"id", to_json(m.id)}, {"groups", groups}, {"hash", m.hash}, {"deposit", to_json(m.deposit)}};
  }
  Json operator()(const MsgUpdateDeployment& m) const {
    Json groups = Json::array();
    for (const auto& g : m.groups) groups.push_back(to_json(g));
    return {{"id", to_json(m.id)}, {"groups", groups}, {"hash", m.hash}};
  }
  Json operator()(const MsgCloseDeployment& m) const { return {{"id", to_json(m.id)}}; }
  Json operator()(const MsgDeposit& m) const {
    return {{"deployment", to_json(m.deployment)}, {"amount", to_json(m.amount)}};
  }
  Json operator()(const MsgPauseGroup& m) const { return {{"id", to_json(m.id)}}; }
  Json operator()(const MsgStartGroup& m) const { return {{"id", to_json(m.id)}}; }
  Json operator()(const MsgCloseGroup& m) const { return {{"id", to_json(m.id)}}; }
  Json operator()(const MsgCreateBid& m) const {
    return {{"order", to_json(m.order)}, {"provider", m.provider}, {"price", to_json(m.price)},
            {"deposit", to_json(m.deposit)}};
  }
  Json operator()(const MsgCloseBid& m) const {
    // Without a reason the encoding stays what it was before reasons existed, so earlier
    // signed close-bid transactions still verify.
    Json j{{"id", to_json(m.id)}};
    if (m.reason != CloseReason::none) j["reason"] = to_string(m.reason);
    return j;
  }
  Json operator()(const MsgCreateLease& m) const { return {{"bid", to_json(m.bid)}}; }
  Json operator()(const MsgCloseLease& m) const { return {{"id", to_json(m.id)}, {"reason", to_string(m.reason)}}; }
  Json operator()(const MsgWithdraw& m) const { return {{"id", to_json(m.id)}}; }
  Json operator()(const MsgSettle& m) const { return {{"deployment", to_json(m.deployment)}}; }
};

Result<ProviderInfo> info_from(const Json& j, const std::string& path) {
  Reader r(j, path);
  ProviderInfo info;
  r.optional_field("email", info.email, str);
  r.optional_field("website", info.website, str);
  if (Status st = r.finish(); !st) return st.error();
  return info;
}

Result<std::vector<sdl::GroupSpec>> groups_from(const Json& j, const std::string& path) {
  return array_from<sdl::GroupSpec>(j, path, wrap(group_spec_from_json));
}

template <typename M>
Result<Msg> decode_msg(const Json& j, const std::string& path);

#define AKT_MSG_DECODER(Type, body)                                   \
  template <>                                                         \
  Result<Msg> decode_msg<Type>(const Json& j, const std::string& path) { \
    Reader r(j, path);                                                \
    Type m;                                                           \
    body;                                                             \
    if (Status st = r.finish(); !st) return st.error();               \
    return Msg(std::move(m));                                         \
  }

AKT_MSG_DECODER(MsgFund, { r.field("to", m.to, str); r.field("amount", m.amount, wrap(coin_from_json)); })
AKT_MSG_DECODER(MsgSend, { r.field("to", m.to, str); r.field("amount", m.amount, wrap(coin_from_json)); })
AKT_MSG_DECODER(MsgRegisterProvider, {
  r.field("host_uri", m.host_uri, str);
  r.field("attributes", m.attributes, attributes_from);
  r.optional_field("info", m.info, info_from);
})
AKT_MSG_DECODER(MsgUpdateProvider, {
  r.field("host_uri", m.host_uri, str);
  r.field("attributes", m.attributes, attributes_from);
  r.optional_field("info", m.info, info_from);
})
AKT_MSG_DECODER(MsgSignProviderAttributes, {
  r.field("provider", m.provider, str);
  r.field("attributes", m.attributes, attributes_from);
})
AKT_MSG_DECODER(MsgCreateDeployment, {
  r.field("id", m.id, id_from<DeploymentId>);
  r.field("groups", m.groups, groups_from);
  r.field("hash", m.hash, str);
  r.field("deposit", m.deposit, wrap(coin_from_json));
})
AKT_MSG_DECODER(MsgUpdateDeployment, {
  r.field("id", m.id, id_from<DeploymentId>);
  r.field("groups", m.groups, groups_from);
  r.field("hash", m.hash, str);
})
AKT_MSG_DECODER(MsgCloseDeployment, { r.field("id", m.id, id_from<DeploymentId>); })
AKT_MSG_DECODER(MsgDeposit, {
  r.field("deployment", m.deployment, id_from<DeploymentId>);
  r.field("amount", m.amount, wrap(coin_from_json));
})
AKT_MSG_DECODER(MsgPauseGroup, { r.field("id", m.id, id_from<GroupId>); })
AKT_MSG_DECODER(MsgStartGroup, { r.field("id", m.id, id_from<GroupId>); })
AKT_MSG_DECODER(MsgCloseGroup, { r.field("id", m.id, id_from<GroupId>); })
AKT_MSG_DECODER(MsgCreateBid, {
  r.field("order", m.order, id_from<OrderId>);
  r.field("provider", m.provider, str);
  r.field("price", m.price, wrap(dec_coin_from_json));
  r.field("deposit", m.deposit, wrap(coin_from_json));
})
AKT_MSG_DECODER(MsgCloseBid, {
  r.field("id", m.id, id_from<BidId>);
  r.optional_field("reason", m.reason, reason_from);
})
AKT_MSG_DECODER(MsgCreateLease, { r.field("bid", m.bid, id_from<BidId>); })
AKT_MSG_DECODER(MsgCloseLease, {
  r.field("id", m.id, id_from<BidId>);
  r.optional_field("reason", m.reason, reason_from);
})
AKT_MSG_DECODER(MsgWithdraw, { r.field("id", m.id, id_from<BidId>); })
AKT_MSG_DECODER(MsgSettle, { r.field("deployment", m.deployment, id_from<DeploymentId>); })

#undef AKT_MSG_DECODER

const char* const k_msg_types[] = {
    "fund", "send", "register-provider", "update-provider", "sign-provider-attributes", "create-deployment",
    "update-deployment", "close-deployment", "deposit", "pause-group", "start-group", "close-group",
    "create-bid", "close-bid", "create-lease", "close-lease", "withdraw", "settle",
};
static_assert(std::size(k_msg_types) == std::variant_size_v<Msg>);

template <std::size_t... I>
Result<Msg> decode_by_index(std::size_t index, const Json& j, const std::string& path, std::index_sequence<I...>) {
  using Decoder = Result<Msg> (*)(const Json&, const std::string&);
  static constexpr Decoder k_decoders[] = {&decode_msg<std::variant_alternative_t<I, Msg>>...};
  return k_decoders[index](j, path);
}

template <typename Map>
Json values_json(const Map& map) {
  Json out = Json::array();
  for (const auto& [key, value] : map) out.push_back(to_json(value));
  return out;
}

} // namespace

// ---- public encoders ---------------------------------------------------------------------

Json to_json(const Coin& coin) { return {{"denom", coin.denom}, {"amount", u64(coin.amount)}}; }
Json to_json(const DecCoin& coin) { return {{"denom", coin.denom}, {"amount", coin.amount.to_string()}}; }
Json to_json(const DeploymentId& id) {
  Json out;
  put_ids(out, id.owner, id.dseq);
  return out;
}
Json to_json(const GroupId& id) {
  Json out = to_json(id.deployment());
  out["gseq"] = id.gseq;
  return out;
}
Json to_json(const OrderId& id) {
  Json out = to_json(id.group());
  out["oseq"] = id.oseq;
  return out;
}
Json to_json(const BidId& id) {
  Json out = to_json(id.order());
  out["provider"] = id.provider;
  return out;
}

Json to_json(const sdl::GroupSpec& spec) {
  Json resources = Json::array();
  for (const auto& unit : spec.resources) {
    resources.push_back({{"resource", resources_json(unit.resources)}, {"count", unit.count}, {"price", to_json(unit.price)}});
  }
  return {{"name", spec.name},
          {"requirements",
           {{"signed_by",
             {{"all_of", strings_json(spec.requirements.signed_by.all_of)},
              {"any_of", strings_json(spec.requirements.signed_by.any_of)}}},
            {"attributes", spec.requirements.attributes ? attributes_json(*spec.requirements.attributes) : Json(nullptr)}}},
          {"resources", resources}};
}

Json to_json(const Deployment& d) {
  return {{"id", to_json(d.id)}, {"state", to_string(d.state)}, {"hash", d.hash},
          {"created_at", u64(d.created_at)}, {"closed_at", u64(d.closed_at)}};
}
Json to_json(const Group& g) {
  return {{"id", to_json(g.id)}, {"state", to_string(g.state)}, {"spec", to_json(g.spec)}, {"last_oseq", g.last_oseq},
          {"created_at", u64(g.created_at)}, {"closed_at", u64(g.closed_at)}};
}
Json to_json(const Order& o) {
  return {{"id", to_json(o.id)}, {"state", to_string(o.state)}, {"created_at", u64(o.created_at)},
          {"closed_at", u64(o.closed_at)}};
}
Json to_json(const Bid& b) {
  return {{"id", to_json(b.id)}, {"state", to_string(b.state)}, {"price", to_json(b.price)},
          {"deposit", to_json(b.deposit)}, {"created_at", u64(b.created_at)}, {"closed_at", u64(b.closed_at)}};
}
Json to_json(const Lease& l) {
  return {{"id", to_json(l.id)}, {"state", to_string(l.state)}, {"price", to_json(l.price)},
          {"reason", to_string(l.reason)}, {"created_at", u64(l.created_at)}, {"closed_at", u64(l.closed_at)}};
}
Json to_json(const Provider& p) {
  return {{"owner", p.owner}, {"host_uri", p.host_uri}, {"attributes", attributes_json(p.attributes)},
          {"info", {{"email", p.info.email}, {"website", p.info.website}}}};
}
Json to_json(const AuditorSignature& a) {
  return {{"auditor", a.auditor}, {"provider", a.provider}, {"attributes", attributes_json(a.attributes)}};
}
Json to_json(const Account& a) {
  Json deposits = Json::array();
  for (const auto& d : a.deposits) deposits.push_back({{"depositor", d.depositor}, {"amount", u64(d.amount)}});
  return {{"id", a.id}, {"scope", a.scope == AccountScope::deployment ? "deployment" : "bid"}, {"owner", a.owner},
          {"denom", a.denom}, {"balance", u64(a.balance)}, {"deposits", deposits},
          {"transferred", u64(a.transferred)}, {"settled_at", u64(a.settled_at)}, {"state", to_string(a.state)}};
}
Json to_json(const Payment& p) {
  return {{"id", to_json(p.id)}, {"account", p.account}, {"rate", to_json(p.rate)}, {"charged", u64(p.charged)},
          {"balance", u64(p.balance)}, {"withdrawn", u64(p.withdrawn)}, {"started_at", u64(p.started_at)},
          {"settled_at", u64(p.settled_at)}, {"state", to_string(p.state)}};
}
Json to_json(const Params& p) {
  return {{"min_deposit", u64(p.min_deposit)}, {"bid_deposit", u64(p.bid_deposit)},
          {"max_bids_per_order", p.max_bids_per_order}, {"max_groups", p.max_groups},
          {"faucet_enabled", p.faucet_enabled}, {"faucet_max", u64(p.faucet_max)}, {"denoms", p.denoms}};
}
Json to_json(const Msg& msg) { return {{"type", msg_type(msg)}, {"value", std::visit(MsgEncoder{}, msg)}}; }

Json to_json(const Event& e) {
  Json out = {{"type", to_string(e.type)}, {"height", u64(e.height)}};
  if (!e.owner.empty()) out["owner"] = e.owner;
  if (e.dseq != 0) out["dseq"] = u64(e.dseq);
  if (e.gseq != 0) out["gseq"] = e.gseq;
  if (e.oseq != 0) out["oseq"] = e.oseq;
  if (!e.provider.empty()) out["provider"] = e.provider;
  if (!e.address.empty()) out["address"] = e.address;
  if (e.reason) {
    out["reason"] = to_string(*e.reason);
    out["reason_code"] = static_cast<std::uint32_t>(*e.reason);
  }
  if (e.amount) out["amount"] = to_json(*e.amount);
  if (e.price) out["price"] = to_json(*e.price);
  if (!e.state.empty()) out["state"] = e.state;
  return out;
}

Json encode_state(const State& s) {
  Json balances = Json::object();
  for (const auto& [address, coins] : s.balances) {
    Json c = Json::object();
    for (const auto& [denom, amount] : coins) c[denom] = u64(amount);
    balances[address] = c;
  }
  Json supply = Json::object();
  for (const auto& [denom, amount] : s.supply) supply[denom] = u64(amount);
  return {{"params", to_json(s.params)},  {"balances", balances},
          {"supply", supply},             {"deployments", values_json(s.deployments)},
          {"groups", values_json(s.groups)}, {"orders", values_json(s.orders)},
          {"bids", values_json(s.bids)},  {"leases", values_json(s.leases)},
          {"providers", values_json(s.providers)}, {"audits", values_json(s.audits)},
          {"accounts", values_json(s.accounts)}, {"payments", values_json(s.payments)}};
}

// ---- public decoders -----------------------------------------------------------------------

Result<Coin> coin_from_json(const Json& j) {
  Reader r(j, "");
  Coin c;
  r.field("denom", c.denom, str);
  r.field("amount", c.amount, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return c;
}
Result<DecCoin> dec_coin_from_json(const Json& j) {
  Reader r(j, "");
  DecCoin c;
  r.field("denom", c.denom, str);
  r.field("amount", c.amount, decimal_from);
  if (Status st = r.finish(); !st) return st.error();
  return c;
}
Result<DeploymentId> deployment_id_from_json(const Json& j) { return id_from<DeploymentId>(j, ""); }
Result<GroupId> group_id_from_json(const Json& j) { return id_from<GroupId>(j, ""); }
Result<OrderId> order_id_from_json(const Json& j) { return id_from<OrderId>(j, ""); }
Result<BidId> bid_id_from_json(const Json& j) { return id_from<BidId>(j, ""); }

Result<sdl::GroupSpec> group_spec_from_json(const Json& j) {
  Reader r(j, "");
  sdl::GroupSpec g;
  r.field("name", g.name, str);
  r.field("requirements", g.requirements, [](const Json& q, const std::string& p) -> Result<sdl::PlacementRequirements> {
    Reader rq(q, p);
    sdl::PlacementRequirements req;
    rq.field("signed_by", req.signed_by, [](const Json& s, const std::string& ps) -> Result<sdl::SignedBy> {
      Reader rs(s, ps);
      sdl::SignedBy by;
      rs.optional_field("all_of", by.all_of, nullable_strings_from);
      rs.optional_field("any_of", by.any_of, nullable_strings_from);
      if (Status st = rs.finish(); !st) return st.error();
      return by;
    });
    rq.optional_field("attributes", req.attributes, nullable_attributes_from);
    if (Status st = rq.finish(); !st) return st.error();
    return req;
  });
  r.field("resources", g.resources, [](const Json& a, const std::string& p) {
    return array_from<sdl::ResourceUnit>(a, p, unit_from);
  });
  if (Status st = r.finish(); !st) return st.error();
  return g;
}

Result<Deployment> deployment_from_json(const Json& j) {
  Reader r(j, "");
  Deployment d;
  r.field("id", d.id, id_from<DeploymentId>);
  r.field("state", d.state, enum_from(deployment_state_from));
  r.field("hash", d.hash, str);
  r.field("created_at", d.created_at, u64_from);
  r.field("closed_at", d.closed_at, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return d;
}
Result<Group> group_from_json(const Json& j) {
  Reader r(j, "");
  Group g;
  r.field("id", g.id, id_from<GroupId>);
  r.field("state", g.state, enum_from(group_state_from));
  r.field("spec", g.spec, wrap(group_spec_from_json));
  r.field("last_oseq", g.last_oseq, u32_from);
  r.field("created_at", g.created_at, u64_from);
  r.field("closed_at", g.closed_at, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return g;
}
Result<Order> order_from_json(const Json& j) {
  Reader r(j, "");
  Order o;
  r.field("id", o.id, id_from<OrderId>);
  r.field("state", o.state, enum_from(order_state_from));
  r.field("created_at", o.created_at, u64_from);
  r.field("closed_at", o.closed_at, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return o;
}
Result<Bid> bid_from_json(const Json& j) {
  Reader r(j, "");
  Bid b;
  r.field("id", b.id, id_from<BidId>);
  r.field("state", b.state, enum_from(bid_state_from));
  r.field("price", b.price, wrap(dec_coin_from_json));
  r.field("deposit", b.deposit, wrap(coin_from_json));
  r.field("created_at", b.created_at, u64_from);
  r.field("closed_at", b.closed_at, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return b;
}
Result<Lease> lease_from_json(const Json& j) {
  Reader r(j, "");
  Lease l;
  r.field("id", l.id, id_from<BidId>);
  r.field("state", l.state, enum_from(lease_state_from));
  r.field("price", l.price, wrap(dec_coin_from_json));
  r.field("reason", l.reason, reason_from);
  r.field("created_at", l.created_at, u64_from);
  r.field("closed_at", l.closed_at, u64_from);
  if (Status st = r.finish(); !st) return st.error();
  return l;
}
Result<Provider> provider_from_json(const Json& j) {
  Reader r(j, "");
  Provider p;
  r.field("owner", p.owner, str);
  r.field("host_uri", p.host_uri, str);
  r.field("attributes", p.attributes, attributes_from);
  r.optional_field("info", p.info, info_from);
  if (Status st = r.finish(); !st) return st.error();
  return p;
}
Result<AuditorSignature> audit_from_json(const Json& j) {
  Reader r(j, "");
  AuditorSignature a;
  r.field("auditor", a.auditor, str);
  r.field("provider", a.provider, str);
  r.field("attributes", a.attributes, attributes_from);
  if (Status st = r.finish(); !st) return st.error();
  return a;
}
Result<Account> account_from_json(const Json& j) {
  Reader r(j, "");
  Account a;
  r.field("id", a.id, str);
  r.field("scope", a.scope, scope_from);
  r.field("owner", a.owner, str);
  r.field("denom", a.denom, str);
  r.field("balance", a.balance, u64_from);
  r.field("deposits", a.deposits, [](const Json& d, const std::string& p) {
    return array_from<Deposit>(d, p, [](const Json& e, const std::string& pe) -> Result<Deposit> {
      Reader rd(e, pe);
      Deposit dep;
      rd.field("depositor", dep.depositor, str);
      rd.field("amount", dep.amount, u64_from);
      if (Status st = rd.finish(); !st) return st.error();
      return dep;
    });
  });
  r.field("transferred", a.transferred, u64_from);
  r.field("settled_at", a.settled_at, u64_from);
  r.field("state", a.state, enum_from(account_state_from));
  if (Status st = r.finish(); !st) return st.error();
  return a;
}
Result<Payment> payment_from_json(const Json& j) {
  Reader r(j, "");
  Payment p;
  r.field("id", p.id, id_from<BidId>);
  r.field("account", p.account, str);
  r.field("rate", p.rate, wrap(dec_coin_from_json));
  r.field("charged", p.charged, u64_from);
  r.field("balance", p.balance, u64_from);
  r.field("withdrawn", p.withdrawn, u64_from);
  r.field("started_at", p.started_at, u64_from);
  r.field("settled_at", p.settled_at, u64_from);
  r.field("state", p.state, enum_from(account_state_from));
  if (Status st = r.finish(); !st) return st.error();
  return p;
}
Result<Params> params_from_json(const Json& j) {
  Reader r(j, "");
  Params p;
  r.field("min_deposit", p.min_deposit, u64_from);
  r.field("bid_deposit", p.bid_deposit, u64_from);
  r.field("max_bids_per_order", p.max_bids_per_order, u32_from);
  r.field("max_groups", p.max_groups, u32_from);
  r.field("faucet_enabled", p.faucet_enabled, boolean);
  r.field("faucet_max", p.faucet_max, u64_from);
  r.field("denoms", p.denoms, strings_from);
  if (Status st = r.finish(); !st) return st.error();
  return p;
}

const char* msg_type(const Msg& msg) { return k_msg_types[msg.index()]; }

Result<Msg> msg_from_json(const Json& j) {
  Reader r(j, "");
  std::string type;
  r.field("type", type, str);
  const Json* value = r.required("value");
  if (Status st = r.finish(); !st) return st.error();
  for (std::size_t i = 0; i < std::size(k_msg_types); ++i) {
    if (type == k_msg_types[i]) {
      return decode_by_index(i, *value, "value", std::make_index_sequence<std::variant_size_v<Msg>>{});
    }
  }
  return bad("type", "unknown message type \"" + type + "\"");
}

Result<Event> event_from_json(const Json& j) {
  Reader r(j, "");
  Event e;
  r.field("type", e.type, enum_from(event_type_from));
  r.field("height", e.height, u64_from);
  r.optional_field("owner", e.owner, str);
  r.optional_field("dseq", e.dseq, u64_from);
  r.optional_field("gseq", e.gseq, u32_from);
  r.optional_field("oseq", e.oseq, u32_from);
  r.optional_field("provider", e.provider, str);
  r.optional_field("address", e.address, str);
  if (const Json* reason = r.optional("reason")) {
    Result<CloseReason> value = reason_from(*reason, "reason");
    if (!value) return value.error();
    e.reason = *value;
  }
  std::uint32_t code = 0;
  r.optional_field("reason_code", code, u32_from);
  if (const Json* amount = r.optional("amount")) {
    Result<std::optional<Coin>> value = nullable(coin_from_json, *amount, "amount");
    if (!value) return value.error();
    e.amount = *value;
  }
  if (const Json* price = r.optional("price")) {
    Result<std::optional<DecCoin>> value = nullable(dec_coin_from_json, *price, "price");
    if (!value) return value.error();
    e.price = *value;
  }
  r.optional_field("state", e.state, str);
  if (Status st = r.finish(); !st) return st.error();
  return e;
}

Result<State> decode_state(const Json& j) {
  Reader r(j, "");
  State s;
  r.field("params", s.params, wrap(params_from_json));
  const Json* balances = r.required("balances");
  const Json* supply = r.required("supply");
  auto list = [&](const char* key, auto decode, auto insert) {
    if (const Json* items = r.required(key)) {
      if (!items->is_array()) {
        r.fail(key, "expected an array");
        return;
      }
      for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = decode((*items)[i]);
        if (!item) {
          Error e = item.error();
          e.path = join(std::string(key) + "[" + std::to_string(i) + "]", e.path);
          r.fail(e);
          return;
        }
        insert(*item);
      }
    }
  };
  list("deployments", deployment_from_json, [&](const Deployment& v) { s.deployments[v.id] = v; });
  list("groups", group_from_json, [&](const Group& v) { s.groups[v.id] = v; });
  list("orders", order_from_json, [&](const Order& v) { s.orders[v.id] = v; });
  list("bids", bid_from_json, [&](const Bid& v) { s.bids[v.id] = v; });
  list("leases", lease_from_json, [&](const Lease& v) { s.leases[v.id] = v; });
  list("providers", provider_from_json, [&](const Provider& v) { s.providers[v.owner] = v; });
  list("audits", audit_from_json, [&](const AuditorSignature& v) { s.audits[{v.provider, v.auditor}] = v; });
  list("accounts", account_from_json, [&](const Account& v) { s.accounts[v.id] = v; });
  list("payments", payment_from_json, [&](const Payment& v) { s.payments[v.id] = v; });
  if (Status st = r.finish(); !st) return st.error();
  auto amounts = [&](const Json& coins, const std::string& path, std::map<std::string, Amount>& out) -> Status {
    if (!coins.is_object()) return bad(path, "expected an object of denom → amount");
    for (auto it = coins.begin(); it != coins.end(); ++it) {
      Result<std::uint64_t> amount = u64_from(it.value(), join(path, it.key()));
      if (!amount) return amount.error();
      out[it.key()] = *amount;
    }
    return ok();
  };
  if (!balances->is_object()) return bad("balances", "expected an object of address → coins");
  for (auto it = balances->begin(); it != balances->end(); ++it) {
    if (Status st = amounts(it.value(), "balances." + it.key(), s.balances[it.key()]); !st) return st.error();
  }
  if (Status st = amounts(*supply, "supply", s.supply); !st) return st.error();
  return s;
}

Result<Json> parse_json(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorKind::invalid, "not valid JSON");
  }
  return j;
}

Result<Msg> parse_msg(std::string_view text) {
  Result<Json> j = parse_json(text);
  if (!j) return j.error();
  return msg_from_json(*j);
}

namespace {

// Splits "12.5uakt" into amount and denom (a denom starts with a letter).
bool split_coin(std::string_view text, std::string_view& amount, std::string_view& denom) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  amount = text.substr(0, i);
  denom = text.substr(i);
  if (amount.empty() || denom.empty() || denom.size() > 128) return false;
  if (!((denom[0] >= 'a' && denom[0] <= 'z') || (denom[0] >= 'A' && denom[0] <= 'Z'))) return false;
  for (char c : denom) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
               c == '_' || c == '.' || c == ':';
    if (!okc) return false;
  }
  return true;
}

} // namespace

Result<Coin> parse_coin(std::string_view text) {
  std::string_view amount, denom;
  if (!split_coin(text, amount, denom)) {
    return make_error(ErrorKind::invalid, "\"" + std::string(text) + "\" is not a coin (write it like 500000uakt)");
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), value);
  if (ec != std::errc() || end != amount.data() + amount.size()) {
    return make_error(ErrorKind::invalid, "\"" + std::string(text) + "\": the amount must be a whole number of micro-units");
  }
  return Coin{std::string(denom), value};
}

Result<DecCoin> parse_dec_coin(std::string_view text) {
  std::string_view amount, denom;
  if (!split_coin(text, amount, denom)) {
    return make_error(ErrorKind::invalid, "\"" + std::string(text) + "\" is not a price (write it like 1.5uakt)");
  }
  Result<util::Decimal> value = util::Decimal::parse(amount);
  if (!value) {
    return make_error(ErrorKind::invalid, "\"" + std::string(text) + "\": " + value.error().message);
  }
  return DecCoin{std::string(denom), *value};
}

std::string format_coin(const Coin& coin) { return std::to_string(coin.amount) + coin.denom; }
std::string format_dec_coin(const DecCoin& coin) { return coin.amount.to_short_string() + coin.denom; }

} // namespace akt::market
