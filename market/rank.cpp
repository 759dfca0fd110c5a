#include "market/rank.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "market/codec.hpp"
#include "util/utf8.hpp"

namespace akt::market {

namespace {

using util::int128;
using util::uint128;

constexpr std::uint32_t k_full = 1'000'000;

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// min ÷ price scaled to 1e6, exactly, for non-negative raw decimals.
std::uint32_t price_ratio(int128 min_raw, int128 raw) {
  if (raw <= 0) {
    return k_full;
  }
  uint128 lo = static_cast<uint128>(min_raw < 0 ? 0 : min_raw);
  uint128 hi = static_cast<uint128>(raw);
  while (lo > (~static_cast<uint128>(0)) / k_full) {
    lo >>= 8;
    hi >>= 8;
  }
  if (hi == 0) {
    return k_full;
  }
  uint128 ratio = lo * k_full / hi;
  return ratio > k_full ? k_full : static_cast<std::uint32_t>(ratio);
}

const BidderInfo& unknown_bidder() {
  static const BidderInfo k_unknown;
  return k_unknown;
}

std::string excluded_reason(const Bid& bid, const BidderInfo& info, const Policy& policy, const std::string& denom) {
  if (policy.excluded_providers.count(bid.id.provider) != 0) {
    return "provider is excluded by the policy";
  }
  if (bid.price.denom != denom) {
    return "price denom " + bid.price.denom + " differs from " + denom;
  }
  if (policy.max_price && (bid.price.denom != policy.max_price->denom || bid.price.amount > policy.max_price->amount)) {
    return "price " + format_dec_coin(bid.price) + " is above the policy's max_price " + format_dec_coin(*policy.max_price);
  }
  for (const auto& auditor : policy.required_auditors) {
    if (info.auditors.count(auditor) == 0) {
      return "not audited by required auditor " + auditor;
    }
  }
  if (!policy.allowed_regions.empty() && !contains(policy.allowed_regions, info.region)) {
    return "region \"" + info.region + "\" is not among the allowed regions";
  }
  return {};
}

} // namespace

Policy default_policy() { return Policy{}; }

BidderInfo bidder_info(const Address& provider, const Provider* record, const std::vector<AuditorSignature>& audits,
                       const ProviderStats& stats) {
  BidderInfo info;
  info.provider = provider;
  if (record != nullptr) {
    for (const auto& attribute : record->attributes) {
      if (attribute.key == "region") {
        info.region = attribute.value;
      }
      // capabilities/gpu/vendor/<vendor>/model/<model>[/...]
      const std::string prefix = "capabilities/gpu/vendor/";
      if (attribute.key.compare(0, prefix.size(), prefix) == 0) {
        auto model = attribute.key.find("/model/", prefix.size());
        if (model != std::string::npos) {
          std::string name = attribute.key.substr(model + 7);
          name = name.substr(0, name.find('/'));
          if (!name.empty() && !contains(info.gpu_models, name)) {
            info.gpu_models.push_back(name);
          }
        }
      }
    }
  }
  for (const auto& audit : audits) {
    if (audit.provider == provider) info.auditors.insert(audit.auditor);
  }
  info.leases_completed = stats.completed;
  info.leases_closed_by_provider = stats.closed_by_provider;
  return info;
}

BidderInfo bidder_info(const State& state, const Address& provider) {
  auto it = state.providers.find(provider);
  std::vector<AuditorSignature> audits;
  for (auto audit = state.audits.lower_bound({provider, {}}); audit != state.audits.end() && audit->first.first == provider;
       ++audit) {
    audits.push_back(audit->second);
  }
  return bidder_info(provider, it == state.providers.end() ? nullptr : &it->second, audits,
                     provider_stats(state, provider));
}

namespace {

// The ranking of `bids`; name(ranked, i) gives each entry the id and price of bids[i],
// once, after every comparison is done (so it may move them out).
template <typename Name>
std::vector<RankedBid> rank_with(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                                 const Policy& policy, Name name) {
  const std::size_t n = bids.size();
  std::vector<const BidderInfo*> infos(n);
  std::string denom;
  const BidderInfo* last = nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    const Address& provider = bids[i].id.provider;
    // Bids usually arrive grouped by provider; skip the lookup when it repeats.
    if (last == nullptr || last->provider != provider) {
      auto it = bidders.find(provider);
      last = it == bidders.end() ? nullptr : &it->second;
    }
    infos[i] = last == nullptr ? &unknown_bidder() : last;
    if (denom.empty() && policy.excluded_providers.count(provider) == 0) {
      denom = bids[i].price.denom;
    }
  }
  // Hard limits first, then the cheapest eligible price anchors the price criterion.
  std::vector<std::string> excluded(n);
  bool any = false;
  int128 min_raw = 0;
  for (std::size_t i = 0; i < n; ++i) {
    excluded[i] = excluded_reason(bids[i], *infos[i], policy, denom);
    if (excluded[i].empty() && (!any || bids[i].price.amount.raw() < min_raw)) {
      min_raw = bids[i].price.amount.raw();
      any = true;
    }
  }
  std::set<std::string> trusted(policy.trusted_auditors.begin(), policy.trusted_auditors.end());
  std::vector<RankedBid> scored(n);
  for (std::size_t i = 0; i < n; ++i) {
    RankedBid& r = scored[i];
    r.eligible = excluded[i].empty();
    if (!r.eligible) {
      continue;
    }
    const BidderInfo& info = *infos[i];
    r.price_score = price_ratio(min_raw, bids[i].price.amount.raw());
    std::uint64_t ended = info.leases_completed + info.leases_closed_by_provider;
    r.reliability_score = ended == 0 ? k_full / 2
                                     : static_cast<std::uint32_t>(static_cast<uint128>(info.leases_completed) * k_full / ended);
    r.region_score = !info.region.empty() && contains(policy.preferred_regions, info.region) ? k_full : 0;
    bool audited = trusted.empty() ? !info.auditors.empty()
                                   : std::any_of(info.auditors.begin(), info.auditors.end(),
                                                 [&](const Address& a) { return trusted.count(a) != 0; });
    r.audited_score = audited ? k_full : 0;
    r.gpu_score = std::any_of(info.gpu_models.begin(), info.gpu_models.end(),
                              [&](const std::string& m) { return contains(policy.preferred_gpu_models, m); })
                      ? k_full
                      : 0;
    const Weights& w = policy.weights;
    r.score = std::uint64_t{w.price} * r.price_score + std::uint64_t{w.reliability} * r.reliability_score +
              std::uint64_t{w.region} * r.region_score + std::uint64_t{w.audited} * r.audited_score +
              std::uint64_t{w.gpu_model} * r.gpu_score;
  }
  // Sort compact keys, not records: strings are compared only on a full tie.
  struct Key {
    std::uint64_t score;
    int128 price;
    std::uint32_t index;
    bool eligible;
  };
  std::vector<Key> keys(n);
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = Key{scored[i].score, bids[i].price.amount.raw(), static_cast<std::uint32_t>(i), scored[i].eligible};
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& x, const Key& y) {
    if (x.eligible != y.eligible) return x.eligible;
    if (x.score != y.score) return x.score > y.score;
    if (x.price != y.price) return x.price < y.price;
    const BidId& a = bids[x.index].id;
    const BidId& b = bids[y.index].id;
    if (a.provider != b.provider) return a.provider < b.provider;
    return a < b;
  });
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = keys[i].index;
  std::vector<RankedBid> out;
  out.reserve(n);
  for (std::uint32_t i : order) {
    RankedBid r = scored[i];
    name(r, i);
    r.excluded_because = std::move(excluded[i]);
    out.push_back(std::move(r));
  }
  return out;
}

} // namespace

std::vector<RankedBid> rank(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                            const Policy& policy) {
  return rank_with(bids, bidders, policy, [&](RankedBid& r, std::size_t i) {
    r.id = bids[i].id;
    r.price = bids[i].price;
  });
}

std::string explain(const RankedBid& r, const Policy& policy) {
  if (!r.eligible) {
    return fmt::format("excluded: {}", r.excluded_because);
  }
  const Weights& w = policy.weights;
  auto part = [](const char* name, std::uint32_t weight, std::uint32_t score) {
    return fmt::format("{} {}.{:02}×{}", name, score / k_full, score % k_full / 10'000, weight);
  };
  std::string text = fmt::format("score {}: price {}/block", r.score, format_dec_coin(r.price));
  text += " (" + part("price", w.price, r.price_score) + ")";
  if (w.reliability) text += ", " + part("reliability", w.reliability, r.reliability_score);
  if (w.region) text += ", " + part("region", w.region, r.region_score);
  if (w.audited) text += ", " + part("audited", w.audited, r.audited_score);
  if (w.gpu_model) text += ", " + part("gpu", w.gpu_model, r.gpu_score);
  return text;
}

namespace {

Error policy_error(const std::string& origin, const YAML::Node& node, const std::string& path, std::string message) {
  Error e = make_error(ErrorKind::invalid, std::move(message));
  e.path = path;
  YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    e.where = Location{origin, mark.line + 1, mark.column + 1};
  }
  return e;
}

} // namespace

Result<Policy> parse_policy(std::string_view text, const std::string& origin) {
  // Its addresses and regions show up in JSON output, which carries only UTF-8.
  if (Status utf8 = util::require_utf8(text, origin, "a policy file"); !utf8) return utf8.error();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    Error e = make_error(ErrorKind::invalid, error.msg);
    e.where = Location{origin, error.mark.line + 1, error.mark.column + 1};
    return e;
  }
  Policy policy;
  if (root.IsNull()) {
    return policy;
  }
  if (!root.IsMap()) {
    return policy_error(origin, root, "", "a policy is a mapping of settings");
  }
  auto strings = [&](const YAML::Node& node, const std::string& key, std::vector<std::string>& out) -> Status {
    if (!node.IsSequence()) return policy_error(origin, node, key, "expected a list of strings");
    for (const auto& item : node) {
      if (!item.IsScalar()) return policy_error(origin, item, key, "expected a string");
      out.push_back(item.Scalar());
    }
    return ok();
  };
  for (const auto& entry : root) {
    std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    Status status = ok();
    if (key == "weights") {
      if (!value.IsMap()) return policy_error(origin, value, key, "expected a mapping of criterion → integer weight");
      for (const auto& w : value) {
        std::string name = w.first.Scalar();
        std::uint32_t* slot = name == "price"         ? &policy.weights.price
                              : name == "reliability" ? &policy.weights.reliability
                              : name == "region"      ? &policy.weights.region
                              : name == "audited"     ? &policy.weights.audited
                              : name == "gpu_model"   ? &policy.weights.gpu_model
                                                      : nullptr;
        if (slot == nullptr) {
          return policy_error(origin, w.first, "weights." + name,
                              "unknown criterion (use price, reliability, region, audited, gpu_model)");
        }
        const std::string& digits = w.second.IsScalar() ? w.second.Scalar() : std::string();
        std::optional<int128> number = util::parse_int128(digits);
        if (!number || *number < 0 || *number > 1000) {
          return policy_error(origin, w.second, "weights." + name, "a weight is a whole number from 0 to 1000");
        }
        *slot = static_cast<std::uint32_t>(*number);
      }
    } else if (key == "max_price") {
      Result<DecCoin> price = parse_dec_coin(value.IsScalar() ? value.Scalar() : std::string());
      if (!price) return policy_error(origin, value, key, price.error().message);
      policy.max_price = *price;
    } else if (key == "required_auditors") {
      status = strings(value, key, policy.required_auditors);
    } else if (key == "excluded_providers") {
      std::vector<std::string> list;
      status = strings(value, key, list);
      policy.excluded_providers.insert(list.begin(), list.end());
    } else if (key == "allowed_regions") {
      status = strings(value, key, policy.allowed_regions);
    } else if (key == "preferred_regions") {
      status = strings(value, key, policy.preferred_regions);
    } else if (key == "trusted_auditors") {
      status = strings(value, key, policy.trusted_auditors);
    } else if (key == "preferred_gpu_models") {
      status = strings(value, key, policy.preferred_gpu_models);
    } else {
      return policy_error(origin, entry.first, key,
                          "unknown policy setting (use weights, max_price, required_auditors, excluded_providers, "
                          "allowed_regions, preferred_regions, trusted_auditors, preferred_gpu_models)");
    }
    if (!status) return status.error();
  }
  return policy;
}

namespace {

// Order of two bids' orders, without building OrderIds (which copy the owner).
int compare_orders(const BidId& a, const BidId& b) {
  if (int c = a.owner.compare(b.owner); c != 0) return c;
  if (a.dseq != b.dseq) return a.dseq < b.dseq ? -1 : 1;
  if (a.gseq != b.gseq) return a.gseq < b.gseq ? -1 : 1;
  if (a.oseq != b.oseq) return a.oseq < b.oseq ? -1 : 1;
  return 0;
}

} // namespace

namespace {

bool grouped_by_order(std::span<const Bid> bids) {
  for (std::size_t i = 1; i < bids.size(); ++i) {
    if (compare_orders(bids[i - 1].id, bids[i].id) > 0) return false;
  }
  return true;
}

void sort_by_order(std::vector<Bid>& bids) {
  std::stable_sort(bids.begin(), bids.end(), [](const Bid& a, const Bid& b) { return compare_orders(a.id, b.id) < 0; });
}

// Ranks each run of bids of one order; take(start, ranked, i) names entry i of the run
// that begins at `start`.
template <typename Take>
std::vector<OrderRanking> rank_runs(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                                    const Policy& policy, Take take) {
  std::vector<OrderRanking> out;
  for (std::size_t start = 0; start < bids.size();) {
    std::size_t end = start + 1;
    while (end < bids.size() && compare_orders(bids[start].id, bids[end].id) == 0) ++end;
    OrderId order = bids[start].id.order();
    out.push_back(OrderRanking{std::move(order),
                               rank_with(bids.subspan(start, end - start), bidders, policy,
                                         [&, start](RankedBid& r, std::size_t i) { take(start, r, i); })});
    start = end;
  }
  return out;
}

} // namespace

std::vector<OrderRanking> rank_orders(std::span<const Bid> bids, const std::map<Address, BidderInfo>& bidders,
                                      const Policy& policy) {
  if (!grouped_by_order(bids)) {
    std::vector<Bid> sorted(bids.begin(), bids.end());
    return rank_orders(std::move(sorted), bidders, policy);
  }
  return rank_runs(bids, bidders, policy, [&](std::size_t start, RankedBid& r, std::size_t i) {
    r.id = bids[start + i].id;
    r.price = bids[start + i].price;
  });
}

std::vector<OrderRanking> rank_orders(std::vector<Bid>&& bids, const std::map<Address, BidderInfo>& bidders,
                                      const Policy& policy) {
  if (!grouped_by_order(bids)) sort_by_order(bids);
  return rank_runs(bids, bidders, policy, [&](std::size_t start, RankedBid& r, std::size_t i) {
    r.id = std::move(bids[start + i].id);
    r.price = std::move(bids[start + i].price);
  });
}

} // namespace akt::market
