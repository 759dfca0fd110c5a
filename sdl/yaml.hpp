#pragma once
// A YAML document tree that remembers where every node came from. It exists because the
// SDL must be read the way the network reads it (gopkg.in/yaml.v3) while reporting
// positions: duplicate keys are refused, nesting is bounded, and aliases are shared, not
// copied, so an alias bomb is measured and refused instead of expanded.
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace akt::sdl::yaml {

enum class Kind { null, scalar, sequence, mapping };

struct Node;

struct Entry {
  const Node* key = nullptr;
  const Node* value = nullptr;
};

struct Node {
  Kind kind = Kind::null;
  std::string value;      // scalar text as written (after YAML unescaping); "" for null
  bool quoted = false;    // quoted or block scalar, or tagged !!str: never a number/bool/null
  std::string tag;        // explicit tag in short form ("!!int"), empty when none
  int line = 0;           // 1-based
  int column = 0;         // 1-based
  std::vector<const Node*> items;  // sequence items
  std::vector<Entry> entries;      // mapping entries in document order, merge keys applied
  std::size_t weight = 1;          // nodes after alias expansion (saturating)
};

// A problem in the text itself: syntax, duplicate keys, limits.
struct Problem {
  std::string message;
  int line = 0;
  int column = 0;
};

struct Document {
  std::deque<Node> nodes;       // owns every node; pointers into it stay valid
  const Node* root = nullptr;   // null node for an empty document
  std::vector<Problem> problems;
};

struct ParseLimits {
  int max_depth = 64;
  std::size_t max_nodes = 200'000;
};

// Parses the first document of `text`. Problems are collected; when one is fatal (syntax,
// limits) `root` is null. Duplicate keys are reported but the tree is still built.
Document parse(std::string_view text, const ParseLimits& limits);

// The scalar's YAML 1.2 core type as yaml.v3 resolves it: "!!null", "!!bool", "!!int",
// "!!float" or "!!str"; "!!seq"/"!!map" for collections.
std::string resolved_tag(const Node& node);

} // namespace akt::sdl::yaml
