#pragma once
// The network's JSON encodings of compiled SDL: the manifest bytes that are hashed into
// the deployment version, and the group specs, both byte-identical to Go's
// (sorted keys, Go string escaping: RULES.md §14-15). Decoding is the inverse, used by
// the ledger (stored group specs) and by providers (a tenant's manifest).
#include <string>
#include <string_view>
#include <vector>

#include "sdl/types.hpp"
#include "util/result.hpp"

namespace akt::sdl {

std::string manifest_json(const Manifest& manifest);
std::string groups_json(const std::vector<GroupSpec>& groups);
std::string group_json(const GroupSpec& group);
// Hex sha256 of manifest_json: the deployment version.
std::string manifest_version(const Manifest& manifest);

Result<Manifest> manifest_from_json(std::string_view json);
Result<std::vector<GroupSpec>> groups_from_json(std::string_view json);
Result<GroupSpec> group_from_json(std::string_view json);

} // namespace akt::sdl
