#include "sim/bid_engine.hpp"

#include <algorithm>
#include <initializer_list>

namespace akt::sim {

namespace {

// Go's path/filepath matchChunk: matches one chunk (no '*') at the start of `s`.
// Returns false when it does not match or the pattern is malformed.
bool match_chunk(std::string_view chunk, std::string_view s, std::string_view& rest) {
  while (!chunk.empty()) {
    if (s.empty()) return false;
    switch (chunk.front()) {
    case '[': {
      char r = s.front();
      s.remove_prefix(1);
      chunk.remove_prefix(1);
      bool negated = !chunk.empty() && chunk.front() == '^';
      if (negated) chunk.remove_prefix(1);
      bool matched = false;
      int ranges = 0;
      while (true) {
        if (!chunk.empty() && chunk.front() == ']' && ranges > 0) {
          chunk.remove_prefix(1);
          break;
        }
        auto get_escaped = [&chunk](char& out) {
          if (chunk.empty() || chunk.front() == '-' || chunk.front() == ']') return false;
          if (chunk.front() == '\\') {
            chunk.remove_prefix(1);
            if (chunk.empty()) return false;
          }
          out = chunk.front();
          chunk.remove_prefix(1);
          return true;
        };
        char lo = 0;
        if (!get_escaped(lo)) return false;
        char hi = lo;
        if (!chunk.empty() && chunk.front() == '-') {
          chunk.remove_prefix(1);
          if (!get_escaped(hi)) return false;
        }
        if (lo <= r && r <= hi) matched = true;
        ++ranges;
      }
      if (matched == negated) return false;
      break;
    }
    case '?':
      if (s.front() == '/') return false;
      s.remove_prefix(1);
      chunk.remove_prefix(1);
      break;
    case '\\':
      chunk.remove_prefix(1);
      if (chunk.empty()) return false;
      [[fallthrough]];
    default:
      if (chunk.front() != s.front()) return false;
      s.remove_prefix(1);
      chunk.remove_prefix(1);
    }
  }
  rest = s;
  return true;
}

// Splits off the leading stars and the chunk up to the next unescaped, unbracketed '*'.
void scan_chunk(std::string_view& pattern, bool& star, std::string_view& chunk) {
  star = false;
  while (!pattern.empty() && pattern.front() == '*') {
    pattern.remove_prefix(1);
    star = true;
  }
  bool in_range = false;
  std::size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  chunk = pattern.substr(0, i);
  pattern = pattern.substr(i);
}

// String equality that rejects on size and first byte before comparing the rest.
inline bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || (a.front() == b.front() && a == b));
}

bool has_glob_meta(std::string_view pattern) {
  return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

const sdl::Attribute* find_key(const sdl::Attributes& attributes, std::string_view key) {
  for (const auto& a : attributes)
    if (a.key == key) return &a;
  return nullptr;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// "1.234568": at most 6 decimals, rounded up, so that a maximum raised to it is enough.
std::string price_ceiling_text(util::Decimal value) {
  constexpr util::int128 k_step = util::Decimal::k_one / 1'000'000;
  util::int128 raw = value.raw();
  util::int128 rounded = (raw + k_step - 1) / k_step * k_step;
  return util::Decimal::from_raw(rounded).to_short_string();
}

// Declines into `d`; a decision reused across orders keeps its message's capacity, so a
// round of millions of declines does not allocate for each.
void decline(Decision& d, DeclineCode code, std::initializer_list<std::string_view> parts) {
  d.bid = false;
  d.decline.code = code;
  std::size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  d.decline.message.clear();
  d.decline.message.reserve(size);
  for (std::string_view p : parts) d.decline.message.append(p);
}

std::vector<std::string> storage_classes_offered(const sdl::Attributes& provider) {
  constexpr std::string_view k_prefix = "capabilities/storage/";
  std::vector<std::string> out;
  for (const auto& a : provider) {
    std::string_view key = a.key;
    if (key.substr(0, k_prefix.size()) == k_prefix && key.size() > 6 && key.substr(key.size() - 6) == "/class")
      out.push_back(a.value);
  }
  return out;
}

std::string gpu_models_offered(const sdl::Attributes& provider) {
  constexpr std::string_view k_prefix = "capabilities/gpu/vendor/";
  std::vector<std::string> models;
  for (const auto& have : provider) {
    std::string_view key = have.key;
    if (key.substr(0, k_prefix.size()) != k_prefix || have.value != "true") continue;
    key.remove_prefix(k_prefix.size());
    // Keep the most specific form per model: "nvidia/model/h100/ram/80Gi/interface/sxm".
    std::string text(key);
    std::string pretty;
    std::size_t pos = 0;
    while (pos <= text.size()) {
      auto slash = text.find('/', pos);
      std::string part = text.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      if (part != "model" && part != "ram" && part != "interface") pretty += (pretty.empty() ? "" : " ") + part;
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    // Keep the most specific form per vendor and model.
    std::string head = pretty.substr(0, pretty.find(' ', pretty.find(' ') + 1));
    auto same = std::find_if(models.begin(), models.end(), [&](const std::string& m) {
      return m.substr(0, m.find(' ', m.find(' ') + 1)) == head;
    });
    if (same != models.end()) {
      if (same->size() < pretty.size()) *same = pretty;
      continue;
    }
    models.push_back(pretty);
  }
  return models.empty() ? "none" : join(models);
}

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

std::uint64_t attribute_hash(const sdl::Attribute& a) {
  return static_cast<std::uint64_t>(fnv1a(a.key)) << 32 | fnv1a(a.value);
}

// attributes_subset for literal keys over the provider's hashes: the same answer and the
// same `missing`, reading the provider's attributes only where a hash matches.
bool attributes_subset_hashed(const sdl::Attributes& required, const std::vector<std::uint64_t>& required_hashes,
                              const ProviderProfile& profile, const sdl::Attribute** missing) {
  const sdl::Attributes& have = profile.config->attributes;
  for (std::size_t r = 0; r < required.size(); ++r) {
    const sdl::Attribute& want = required[r];
    bool found = false;
    for (std::uint32_t i = 0; i < profile.attribute_count && !found; ++i)
      found = profile.attribute_hashes[i] == required_hashes[r] && have[i].key == want.key && have[i].value == want.value;
    if (!found) {
      *missing = &want;
      return false;
    }
  }
  return true;
}

// find_key over the provider's hashes.
const sdl::Attribute* find_key_hashed(const ProviderProfile& profile, const sdl::Attribute& want, std::uint64_t hash) {
  const sdl::Attributes& have = profile.config->attributes;
  for (std::uint32_t i = 0; i < profile.attribute_count; ++i)
    if ((profile.attribute_hashes[i] ^ hash) >> 32 == 0 && have[i].key == want.key) return &have[i];
  return nullptr;
}

std::string_view text_of(const ProviderProfile& profile, ProviderProfile::Span span) {
  return std::string_view(profile.capability_text).substr(span.offset, span.size);
}

// Whether one storage capability group holds every attribute of the volume.
bool storage_offered(const ProviderProfile& profile, const sdl::Attributes& volume) {
  std::uint32_t begin = 0;
  for (std::uint32_t end : profile.storage_groups) {
    bool all = true;
    for (const auto& want : volume) {
      bool found = false;
      for (std::uint32_t i = begin; i < end && !found; ++i)
        found = text_of(profile, profile.storage[i].name) == want.key &&
                text_of(profile, profile.storage[i].value) == want.value;
      if (!found) {
        all = false;
        break;
      }
    }
    if (all) return true;
    begin = end;
  }
  return false;
}

// Whether a GPU capability matches one of the requested ones (keys may be globs; a key
// without glob characters matches only itself).
bool gpu_capable(const ProviderProfile& profile, const sdl::Attributes& requested, const std::vector<bool>& globs) {
  for (std::size_t r = 0; r < requested.size(); ++r) {
    const sdl::Attribute& want = requested[r];
    for (const auto& have : profile.gpus) {
      if (text_of(profile, have.value) != want.value) continue;
      std::string_view name = text_of(profile, have.name);
      if (globs[r] ? glob_match(want.key, name) : want.key == name) return true;
    }
  }
  return false;
}

// Whether `denom` is one of a ", "-joined list of plain denoms.
bool in_list(std::string_view list, std::string_view denom) {
  while (!list.empty()) {
    std::size_t comma = list.find(", ");
    if (same(list.substr(0, comma), denom)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 2);
  }
  return false;
}

} // namespace

std::string_view to_string(DeclineCode code) {
  switch (code) {
  case DeclineCode::offline: return "offline";
  case DeclineCode::invalid_order: return "invalid_order";
  case DeclineCode::missing_attribute: return "missing_attribute";
  case DeclineCode::not_signed: return "not_signed";
  case DeclineCode::storage_class: return "storage_class";
  case DeclineCode::gpu_model: return "gpu_model";
  case DeclineCode::too_many_volumes: return "too_many_volumes";
  case DeclineCode::no_capacity: return "no_capacity";
  case DeclineCode::denom: return "denom";
  case DeclineCode::price_script: return "price_script";
  case DeclineCode::price_too_high: return "price_too_high";
  }
  return "unknown";
}

bool glob_match(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    bool star = false;
    std::string_view chunk;
    scan_chunk(pattern, star, chunk);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
    std::string_view rest;
    if (match_chunk(chunk, name, rest) && (rest.empty() || !pattern.empty())) {
      name = rest;
      continue;
    }
    if (star) {
      bool advanced = false;
      for (std::size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        if (match_chunk(chunk, name.substr(i + 1), rest)) {
          if (pattern.empty() && !rest.empty()) continue;
          name = rest;
          advanced = true;
          break;
        }
      }
      if (advanced) continue;
    }
    return false;
  }
  return name.empty();
}

bool attributes_subset(const sdl::Attributes& required, const sdl::Attributes& have, const sdl::Attribute** missing) {
  for (const auto& want : required) {
    bool found = false;
    const bool literal = !has_glob_meta(want.key);
    for (const auto& h : have)
      if (literal ? (same(want.key, h.key) && same(want.value, h.value))
                  : (same(want.value, h.value) && glob_match(want.key, h.key))) {
        found = true;
        break;
      }
    if (!found) {
      if (missing) *missing = &want;
      return false;
    }
  }
  return true;
}

bool signed_by_satisfied(const sdl::PlacementRequirements& requirements,
                         std::span<const AuditorSignature> signatures, std::string* reason) {
  static const sdl::Attributes k_none;
  const sdl::Attributes& required = requirements.attributes ? *requirements.attributes : k_none;
  // An auditor counts when it signed every attribute the placement requires.
  auto vouches = [&](const std::string& auditor, std::string* why) {
    bool signed_anything = false;
    for (const auto& s : signatures) {
      if (s.auditor != auditor) continue;
      signed_anything = true;
      if (attributes_subset(required, s.attributes)) return true;
    }
    if (why) {
      if (!signed_anything) *why = "not signed by the required auditor " + auditor;
      else {
        const sdl::Attribute* missing = nullptr;
        sdl::Attributes merged;
        for (const auto& s : signatures)
          if (s.auditor == auditor) merged.insert(merged.end(), s.attributes.begin(), s.attributes.end());
        attributes_subset(required, merged, &missing);
        *why = "auditor " + auditor + " signed this provider, but not " +
               (missing ? missing->key + "=" + missing->value : std::string("every required attribute"));
      }
    }
    return false;
  };
  if (requirements.signed_by.all_of)
    for (const auto& auditor : *requirements.signed_by.all_of)
      if (!vouches(auditor, reason)) {
        if (reason) *reason += " (signedBy.allOf)";
        return false;
      }
  if (requirements.signed_by.any_of && !requirements.signed_by.any_of->empty()) {
    for (const auto& auditor : *requirements.signed_by.any_of)
      if (vouches(auditor, nullptr)) return true;
    if (reason) {
      const auto& any = *requirements.signed_by.any_of;
      *reason = any.size() == 1 ? "not signed by the required auditor " + any.front() + " (signedBy.anyOf)"
                                : "not signed by any of the auditors " + join(any) + " (signedBy.anyOf)";
    }
    return false;
  }
  return true;
}

std::vector<AuditorSignature> signatures_of(const NetworkConfig& network, const ProviderConfig& provider) {
  std::vector<AuditorSignature> out;
  for (const auto& s : provider.signatures) {
    std::string who = s.auditor;
    for (const auto& a : network.auditors)
      if (a.name == s.auditor && !a.address.empty()) who = a.address;
    out.push_back({who, s.attributes});
  }
  return out;
}

ProviderProfile::ProviderProfile(const ProviderConfig& provider)
    : config(&provider),
      online(provider.online),
      offline("provider " + provider.name + " is offline"),
      gpu_models(gpu_models_offered(provider.attributes)) {
  hashed = provider.attributes.size() <= k_hashed_attributes;
  if (hashed) {
    attribute_count = static_cast<std::uint32_t>(provider.attributes.size());
    for (std::size_t i = 0; i < provider.attributes.size(); ++i)
      attribute_hashes[i] = attribute_hash(provider.attributes[i]);
  }
  std::vector<std::string> classes = storage_classes_offered(provider.attributes);
  storage_classes = classes.empty() ? std::string("none") : join(classes);
  auto span_of = [this](std::string_view text) {
    Span span{static_cast<std::uint32_t>(capability_text.size()), static_cast<std::uint32_t>(text.size())};
    capability_text.append(text);
    return span;
  };
  constexpr std::string_view k_storage = "capabilities/storage/";
  constexpr std::string_view k_gpu = "capabilities/gpu/";
  std::vector<std::string_view> indices;  // storage group indices in first-appearance order
  for (const auto& a : provider.attributes) {
    std::string_view key = a.key;
    if (key.substr(0, k_storage.size()) != k_storage) continue;
    key.remove_prefix(k_storage.size());
    auto slash = key.find('/');
    if (slash == std::string_view::npos) continue;
    if (std::find(indices.begin(), indices.end(), key.substr(0, slash)) == indices.end())
      indices.push_back(key.substr(0, slash));
  }
  for (std::string_view index : indices) {
    for (const auto& a : provider.attributes) {
      std::string_view key = a.key;
      if (key.substr(0, k_storage.size()) != k_storage) continue;
      key.remove_prefix(k_storage.size());
      auto slash = key.find('/');
      if (slash == std::string_view::npos || key.substr(0, slash) != index) continue;
      Span name = span_of(key.substr(slash + 1));
      storage.push_back({name, span_of(a.value)});
    }
    storage_groups.push_back(static_cast<std::uint32_t>(storage.size()));
  }
  for (const auto& a : provider.attributes) {
    std::string_view key = a.key;
    if (key.substr(0, k_gpu.size()) != k_gpu) continue;
    Span name = span_of(key.substr(k_gpu.size()));
    gpus.push_back({name, span_of(a.value)});
  }
  plain_denoms = true;
  for (std::size_t i = 0; i < provider.denoms.size(); ++i) {
    if (i) denoms += ", ";
    denoms += provider.denoms[i];
    plain_denoms = plain_denoms && !provider.denoms[i].empty() && provider.denoms[i].find(", ") == std::string::npos &&
                   provider.denoms[i].front() != ' ' && provider.denoms[i].back() != ',';
  }
}

OrderProfile::OrderProfile(const OrderView& order) : view(order), demands(unit_demands(order.group)) {
  const sdl::GroupSpec& group = order.group;
  if (group.requirements.attributes) {
    literal_attributes = true;
    for (const auto& want : *group.requirements.attributes) {
      literal_attributes = literal_attributes && !has_glob_meta(want.key);
      attribute_hashes.push_back(attribute_hash(want));
    }
  }
  units.reserve(group.resources.size());
  for (const auto& unit : group.resources) {
    const sdl::Resources& r = unit.resources;
    Unit& u = units.emplace_back();
    if (r.storage.size() > k_max_volumes)
      u.too_many_volumes = "resource " + std::to_string(r.id) + " asks for " + std::to_string(r.storage.size()) +
                           " volumes; a provider takes at most " + std::to_string(k_max_volumes) + " per service";
    for (const auto& v : r.storage) {
      // A volume without a class is the node's own disk, which every provider has.
      if (v.attributes.empty() || !find_key(v.attributes, "class")) continue;
      const std::string& cls = find_key(v.attributes, "class")->value;
      const sdl::Attribute* persistent = find_key(v.attributes, "persistent");
      u.class_volumes.push_back(
          {&v.attributes, "no storage class " + cls + (persistent && persistent->value == "true" ? " (persistent)" : "") +
                              " among the provider's capabilities (it offers "});
    }
    if (r.gpu.units > 0 && !r.gpu.attributes.empty()) {
      u.gpu_check = true;
      for (const auto& a : r.gpu.attributes) u.gpu_globs.push_back(has_glob_meta(a.key));
      auto wanted = parse_gpu_requirements(r.gpu.attributes);
      if (!wanted) {
        u.gpu_invalid = wanted.error().message;
      } else {
        std::vector<std::string> names;
        for (const auto& w : *wanted) names.push_back(describe(w));
        u.gpu_missing = "no GPU model " + join(names) + " among the provider's capabilities (it has ";
      }
    }
  }
  signed_by = (group.requirements.signed_by.all_of && !group.requirements.signed_by.all_of->empty()) ||
              (group.requirements.signed_by.any_of && !group.requirements.signed_by.any_of->empty());
  max_amount = order.max_price.amount.to_short_string();
}

Decision decide(const ProviderConfig& provider, const Inventory& inventory, const OrderView& order,
                const BidContext& context) {
  return decide(ProviderProfile(provider), inventory, OrderProfile(order), context);
}

Decision decide(const ProviderProfile& profile, const Inventory& inventory, const OrderProfile& prepared,
                const BidContext& context) {
  Decision d;
  decide(d, profile, inventory, prepared, context);
  return d;
}

void decide(Decision& d, const ProviderProfile& profile, const Inventory& inventory, const OrderProfile& prepared,
            const BidContext& context) {
  const ProviderConfig& provider = *profile.config;
  const OrderView& order = prepared.view;
  const sdl::GroupSpec& group = order.group;
  if (!profile.online || context.offline) return decline(d, DeclineCode::offline, {profile.offline});
  if (group.resources.empty()) return decline(d, DeclineCode::invalid_order, {"the order has no resources"});

  // Placement attributes: keys may be globs, values must be equal.
  if (group.requirements.attributes) {
    const sdl::Attributes& required = *group.requirements.attributes;
    const sdl::Attribute* missing = nullptr;
    const bool hashed = profile.hashed && prepared.literal_attributes;
    if (hashed ? !attributes_subset_hashed(required, prepared.attribute_hashes, profile, &missing)
               : !attributes_subset(required, provider.attributes, &missing)) {
      const sdl::Attribute* has =
          hashed ? find_key_hashed(profile, *missing, prepared.attribute_hashes[static_cast<std::size_t>(missing - required.data())])
                 : find_key(provider.attributes, missing->key);
      if (has)
        return decline(d, DeclineCode::missing_attribute,
                       {"missing attribute ", missing->key, "=", missing->value, " (provider has ", has->key, "=",
                        has->value, ")"});
      return decline(d, DeclineCode::missing_attribute, {"missing attribute ", missing->key, "=", missing->value});
    }
  }

  // Capabilities: storage classes and GPU models; at most k_max_volumes volumes.
  for (std::size_t i = 0; i < group.resources.size(); ++i) {
    const OrderProfile::Unit& unit = prepared.units[i];
    if (!unit.too_many_volumes.empty()) return decline(d, DeclineCode::too_many_volumes, {unit.too_many_volumes});
    for (const auto& v : unit.class_volumes)
      if (!storage_offered(profile, *v.attributes))
        return decline(d, DeclineCode::storage_class, {v.missing, profile.storage_classes, ")"});
    if (unit.gpu_check) {
      if (!unit.gpu_invalid.empty()) return decline(d, DeclineCode::invalid_order, {unit.gpu_invalid});
      if (!gpu_capable(profile, group.resources[i].resources.gpu.attributes, unit.gpu_globs))
        return decline(d, DeclineCode::gpu_model, {unit.gpu_missing, profile.gpu_models, ")"});
    }
  }

  // Auditors.
  if (prepared.signed_by) {
    std::string reason;
    if (!signed_by_satisfied(group.requirements, context.signatures, &reason))
      return decline(d, DeclineCode::not_signed, {reason});
  }

  // Denom: the bid is in the order's denom, which the provider must take.
  if (profile.plain_denoms ? !in_list(profile.denoms, order.max_price.denom)
                           : std::none_of(provider.denoms.begin(), provider.denoms.end(),
                                          [&](const std::string& denom) { return same(denom, order.max_price.denom); }))
    return decline(d, DeclineCode::denom, {"denom ", order.max_price.denom, " not accepted; the provider takes ", profile.denoms});

  // Capacity.
  // Placed straight into the decision: a reused one keeps the capacity of its placements.
  Shortfall s;
  if (!inventory.fit(group, prepared.demands, d.reservation, s)) {
    std::string_view lead = s.what.rfind("room", 0) == 0 ? "no " : "no node with ";
    if (group.resources.size() > 1)
      return decline(d, DeclineCode::no_capacity, {lead, s.what, " for resource ", std::to_string(s.resource_id)});
    return decline(d, DeclineCode::no_capacity, {lead, s.what});
  }

  // Price.
  util::Decimal price;
  if (provider.pricing.mode == Pricing::Mode::script) {
    if (!context.scripts) return decline(d, DeclineCode::price_script, {"the price script cannot run here (no runner)"});
    auto quoted = script_price(*context.scripts, provider.pricing, group, order.max_price);
    if (!quoted) return decline(d, DeclineCode::price_script, {quoted.error().message});
    price = *quoted;
  } else {
    auto quoted = rates_price(provider.pricing, group, prepared.demands);
    if (!quoted) return decline(d, DeclineCode::invalid_order, {quoted.error().message});
    price = *quoted;
  }
  if (price > order.max_price.amount)
    return decline(d, DeclineCode::price_too_high, {"price floor ", price_ceiling_text(price), " ", order.max_price.denom,
                        "/block above the order maximum ", prepared.max_amount});

  d.bid = true;
  d.price = sdl::DecCoin{order.max_price.denom, price};
  d.reservation.order_id.assign(order.order_id);
  d.decline.message.clear();
}

} // namespace akt::sim
