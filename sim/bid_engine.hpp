#pragma once
// Whether a provider bids on an order, and at what price: the checks of the Akash
// provider's bid engine (MARKET.md, What a provider does), in its order. A pure function:
// it reads the provider's config and inventory and reserves nothing; the caller reserves
// decision.reservation when it posts the bid. A decline carries a reason a tenant can act
// on, because "no bids and no reason why" is what tenants suffer from today.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "sim/config.hpp"
#include "sim/inventory.hpp"
#include "sim/pricing.hpp"

namespace akt::sim {

// What the engine sees of an order.
struct OrderView {
  const sdl::GroupSpec& group;
  std::string_view order_id;  // "owner/dseq/gseq/oseq"
  sdl::DecCoin max_price;     // order_max_price(group)
  std::string_view owner;     // deployment owner
};

// An auditor's signature as the chain records it: by auditor address.
struct AuditorSignature {
  std::string auditor;  // akash1... (or the auditor's name when no address is known)
  sdl::Attributes attributes;
};

// What the engine may use beyond the provider's own config.
struct BidContext {
  std::span<const AuditorSignature> signatures;  // signatures over this provider
  ProcessRunner* scripts = nullptr;              // needed for Pricing::Mode::script
  bool offline = false;                          // this round only (reliability draw)
};

enum class DeclineCode {
  offline,
  invalid_order,      // the group is malformed (mixed denoms, bad GPU attributes)
  missing_attribute,  // a placement attribute the provider lacks
  not_signed,         // signedBy not satisfied
  storage_class,      // a storage class not among its capabilities
  gpu_model,          // no GPU model among its capabilities matches
  too_many_volumes,   // more than k_max_volumes in one service
  no_capacity,        // does not fit the free inventory
  denom,              // the order's denom is not accepted
  price_script,       // the price script refused ("requested rate is too low")
  price_too_high,     // the provider's price exceeds the order's maximum
};
std::string_view to_string(DeclineCode code);

struct Decline {
  DeclineCode code = DeclineCode::invalid_order;
  std::string message;  // "missing attribute region=eu-west", ...
};

struct Decision {
  bool bid = false;
  sdl::DecCoin price;        // per block, when bid
  Reservation reservation;   // order_id set, when bid
  Decline decline;           // when not
};

Decision decide(const ProviderConfig& provider, const Inventory& inventory,
                const OrderView& order, const BidContext& context = {});

// What decide() reads of a provider that stays the same from one order to the next,
// worked out once: a market round puts every open order to every provider. Refers to
// `provider`, which must outlive it and stay where it is.
struct ProviderProfile {
  explicit ProviderProfile(const ProviderConfig& provider);
  const ProviderConfig* config;
  bool online = true;
  // Hashes of the attributes (key in the high half, value in the low half), in order,
  // so that a literal placement attribute is checked in one small record; equal hashes
  // are confirmed on the strings. Unused (hashed false) past k_hashed_attributes.
  static constexpr std::size_t k_hashed_attributes = 24;
  bool hashed = false;
  std::uint32_t attribute_count = 0;
  std::array<std::uint64_t, k_hashed_attributes> attribute_hashes{};
  // The storage and GPU capabilities, copied into one buffer: (offset, size) pairs into
  // `capability_text`. A storage group is every capabilities/storage/<i>/<name>=value of
  // one <i>, in the order the groups first appear; a GPU capability is the key after
  // capabilities/gpu/ with its value.
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };
  struct Capability {
    Span name;
    Span value;
  };
  std::string capability_text;
  std::vector<Capability> storage;             // grouped, see storage_groups
  std::vector<std::uint32_t> storage_groups;   // end index into `storage` of each group
  std::vector<Capability> gpus;
  bool plain_denoms = false;    // no denom is empty or holds ", ": `denoms` can be searched
  std::string denoms;           // "uakt, uact"
  std::string offline;          // the offline decline
  std::string storage_classes;  // "beta2, beta3", or "none"
  std::string gpu_models;       // "nvidia h100 80Gi sxm, nvidia a100", or "none"
};

// What decide() reads of an order that is the same for every provider, worked out once.
// Refers to the order's group and texts, which must outlive it.
struct OrderProfile {
  explicit OrderProfile(const OrderView& order);
  // A volume with a storage class: the provider must offer one that holds it.
  struct ClassVolume {
    const sdl::Attributes* attributes;
    std::string missing;  // "no storage class beta3 (persistent) among the provider's capabilities (it offers "
  };
  struct Unit {
    std::string too_many_volumes;  // the decline when it asks for more than k_max_volumes
    std::vector<ClassVolume> class_volumes;
    bool gpu_check = false;        // GPU units with attributes: a model must match
    std::vector<bool> gpu_globs;   // per GPU attribute: its key is a glob (else matched literally)
    std::string gpu_invalid;       // when the attributes do not parse: why
    std::string gpu_missing;       // "no GPU model nvidia a100 among the provider's capabilities (it has "
  };
  OrderView view;
  // Hashes of the placement attributes, as ProviderProfile's; set when no key is a glob.
  bool literal_attributes = false;
  std::vector<std::uint64_t> attribute_hashes;
  std::vector<UnitDemand> demands;  // per resource unit
  std::vector<Unit> units;          // per resource unit
  bool signed_by = false;           // signedBy names an auditor
  std::string max_amount;           // the order's maximum amount, as text
};

// decide() with the profiles worked out beforehand; the same decision.
void decide(Decision& out, const ProviderProfile& provider, const Inventory& inventory, const OrderProfile& order,
            const BidContext& context = {});
Decision decide(const ProviderProfile& provider, const Inventory& inventory,
                const OrderProfile& order, const BidContext& context = {});

// Go's filepath.Match: '*' (not '/'), '?', '[...]' classes with ranges and '^', '\\'
// escapes. A malformed pattern matches nothing.
bool glob_match(std::string_view pattern, std::string_view text);
// Every required attribute has a provider attribute whose key the required key (a glob)
// matches and whose value is equal. On failure, `missing` is the first unmatched one.
bool attributes_subset(const sdl::Attributes& required, const sdl::Attributes& have,
                       const sdl::Attribute** missing = nullptr);
// signedBy: every allOf auditor, and one anyOf auditor when anyOf is given, signed the
// group's required attributes. On failure, `reason` says which auditor is missing.
bool signed_by_satisfied(const sdl::PlacementRequirements& requirements,
                         std::span<const AuditorSignature> signatures, std::string* reason = nullptr);
// Resolves Signature::auditor names to addresses (Auditor::address, else the name).
std::vector<AuditorSignature> signatures_of(const NetworkConfig& network,
                                            const ProviderConfig& provider);

} // namespace akt::sim
