#include "sdl/yaml.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include "util/hash.hpp"
#include "util/utf8.hpp"

namespace akt::sdl::yaml {
namespace {

// Thrown inside the event handler to stop the parser at a limit; caught in parse().
struct LimitExceeded {
  Problem problem;
};

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max() : a + b;
}

std::string short_tag(const std::string& tag) {
  static const std::string k_prefix = "tag:yaml.org,2002:";
  if (tag == "?" || tag == "!") return {};
  if (tag.rfind(k_prefix, 0) == 0) return "!!" + tag.substr(k_prefix.size());
  return tag;
}

class Builder : public YAML::EventHandler {
public:
  Builder(Document& doc, const ParseLimits& limits) : m_doc(doc), m_limits(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node& node = make(mark, Kind::null);
    node.value = "";
    finish(node, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end() || !it->second.complete) {
      throw LimitExceeded{{"an alias refers to a node that contains it (recursive alias)", mark.line + 1,
                           mark.column + 1}};
    }
    attach(*it->second.node);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node& node = make(mark, Kind::scalar);
    node.value = value;
    node.tag = short_tag(tag);
    node.quoted = tag == "!" || node.tag == "!!str";
    finish(node, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, Kind::sequence, tag, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, Kind::mapping, tag, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  struct Frame {
    Node* node;
    std::vector<Entry> raw;  // mapping entries as written, before merge keys
    const Node* pending_key = nullptr;
    YAML::anchor_t anchor = 0;
  };
  struct Anchored {
    const Node* node;
    bool complete;
  };

  Node& make(const YAML::Mark& mark, Kind kind) {
    Node& node = m_doc.nodes.emplace_back();
    node.kind = kind;
    node.line = mark.line + 1;
    node.column = mark.column + 1;
    return node;
  }

  void open(const YAML::Mark& mark, Kind kind, const std::string& tag, YAML::anchor_t anchor) {
    if (static_cast<int>(m_stack.size()) >= m_limits.max_depth) {
      throw LimitExceeded{{"nesting is deeper than " + std::to_string(m_limits.max_depth) +
                               " levels; flatten the document",
                           mark.line + 1, mark.column + 1}};
    }
    Node& node = make(mark, kind);
    node.tag = short_tag(tag);
    if (anchor != 0) m_anchors[anchor] = Anchored{&node, false};
    m_stack.push_back(Frame{&node, {}, nullptr, anchor});
  }

  void close() {
    Frame frame = std::move(m_stack.back());
    m_stack.pop_back();
    Node& node = *frame.node;
    if (node.kind == Kind::mapping) build_mapping(node, frame.raw);
    std::size_t weight = 1;
    for (const Node* item : node.items) weight = saturating_add(weight, item->weight);
    for (const Entry& e : node.entries) weight = saturating_add(weight, saturating_add(e.key->weight, e.value->weight));
    node.weight = weight;
    check_weight(node);
    if (frame.anchor != 0) m_anchors[frame.anchor].complete = true;
    attach(node);
  }

  static bool is_merge_key(const Node& key) { return key.kind == Kind::scalar && !key.quoted && key.value == "<<"; }

  void build_mapping(Node& node, const std::vector<Entry>& raw) {
    // yaml.v3 reports each later duplicate against the first occurrence.
    for (std::size_t i = 0; i < raw.size(); ++i) {
      for (std::size_t j = i + 1; j < raw.size(); ++j) {
        const Node& a = *raw[i].key;
        const Node& b = *raw[j].key;
        if (a.kind == b.kind && a.kind == Kind::scalar && a.value == b.value && &a != &b) {
          m_doc.problems.push_back({"mapping key \"" + b.value + "\" already defined at line " + std::to_string(a.line),
                                    b.line, b.column});
        }
      }
    }
    std::vector<const Node*> merges;
    for (const Entry& e : raw) {
      if (is_merge_key(*e.key)) {
        if (e.value->kind == Kind::mapping) {
          merges.push_back(e.value);
        } else if (e.value->kind == Kind::sequence) {
          for (const Node* item : e.value->items) {
            if (item->kind == Kind::mapping) merges.push_back(item);
            else m_doc.problems.push_back({"map merge requires map or sequence of maps as the value", item->line, item->column});
          }
        } else {
          m_doc.problems.push_back({"map merge requires map or sequence of maps as the value", e.value->line, e.value->column});
        }
        continue;
      }
      node.entries.push_back(e);
    }
    for (const Node* merged : merges) {
      for (const Entry& e : merged->entries) {
        bool present = false;
        for (const Entry& have : node.entries) {
          if (have.key->kind == e.key->kind && have.key->value == e.key->value) { present = true; break; }
        }
        if (!present) node.entries.push_back(e);
      }
    }
  }

  void check_weight(const Node& node) {
    if (node.weight > m_limits.max_nodes) {
      throw LimitExceeded{{"the document expands to more than " + std::to_string(m_limits.max_nodes) +
                               " nodes through aliases; refusing to expand it",
                           node.line, node.column}};
    }
  }

  void finish(Node& node, YAML::anchor_t anchor) {
    if (anchor != 0) m_anchors[anchor] = Anchored{&node, true};
    attach(node);
  }

  void attach(const Node& node) {
    if (m_stack.empty()) {
      if (!m_doc.root) m_doc.root = &node;
      return;
    }
    Frame& parent = m_stack.back();
    if (parent.node->kind == Kind::sequence) {
      parent.node->items.push_back(&node);
      // Sequences of aliases can grow wide without closing; bound them as they grow.
      m_running = saturating_add(m_running, node.weight);
      if (m_running > m_limits.max_nodes * 4) check_running(node);
      return;
    }
    if (!parent.pending_key) {
      parent.pending_key = &node;
    } else {
      parent.raw.push_back(Entry{parent.pending_key, &node});
      parent.pending_key = nullptr;
      m_running = saturating_add(m_running, node.weight);
      if (m_running > m_limits.max_nodes * 4) check_running(node);
    }
  }

  void check_running(const Node& node) {
    // Total weight of everything attached so far; an upper bound of the expansion.
    std::size_t total = 0;
    for (const Frame& f : m_stack) {
      for (const Node* item : f.node->items) total = saturating_add(total, item->weight);
      for (const Entry& e : f.raw) total = saturating_add(total, saturating_add(e.key->weight, e.value->weight));
    }
    if (total > m_limits.max_nodes) {
      throw LimitExceeded{{"the document expands to more than " + std::to_string(m_limits.max_nodes) +
                               " nodes through aliases; refusing to expand it",
                           node.line, node.column}};
    }
    m_running = total;
  }

  Document& m_doc;
  ParseLimits m_limits;
  std::vector<Frame> m_stack;
  std::map<YAML::anchor_t, Anchored> m_anchors;
  std::size_t m_running = 0;
};

} // namespace

Document parse(std::string_view text, const ParseLimits& limits) {
  Document doc;
  // yaml.v3 reads only UTF-8 and stops at the first byte that is not.
  if (std::optional<std::size_t> bad = util::first_invalid_utf8(text)) {
    util::TextPosition at = util::position_of(text, *bad);
    doc.problems.push_back({"yaml: invalid UTF-8 byte 0x" +
                                util::to_hex(reinterpret_cast<const std::uint8_t*>(text.data()) + *bad, 1) +
                                "; SDL files must be UTF-8 text",
                            at.line, at.column});
    return doc;
  }
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    Builder builder(doc, limits);
    parser.HandleNextDocument(builder);
  } catch (const LimitExceeded& e) {
    doc.root = nullptr;
    doc.problems.push_back(e.problem);
  } catch (const YAML::Exception& e) {
    doc.root = nullptr;
    doc.problems.push_back({"yaml: " + e.msg, e.mark.line + 1, e.mark.column + 1});
  }
  if (doc.problems.empty() && !doc.root) {
    Node& empty = doc.nodes.emplace_back();
    empty.line = 1;
    empty.column = 1;
    doc.root = &empty;
  }
  return doc;
}

std::string resolved_tag(const Node& node) {
  switch (node.kind) {
  case Kind::null: return "!!null";
  case Kind::sequence: return "!!seq";
  case Kind::mapping: return "!!map";
  case Kind::scalar: break;
  }
  if (!node.tag.empty() && node.tag != "!") return node.tag;
  if (node.quoted) return "!!str";
  const std::string& v = node.value;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return "!!null";
  if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE") return "!!bool";
  // Every int or float starts with a sign, a dot or a digit; most scalars are names.
  const char first = v.front();
  if (first != '-' && first != '+' && first != '.' && (first < '0' || first > '9')) return "!!str";
  static const std::regex int_re("[-+]?(0|[1-9][0-9_]*|0[0-7_]+|0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+)");
  static const std::regex float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex inf_re("[-+]?\\.(inf|Inf|INF)");
  static const std::regex nan_re("\\.(nan|NaN|NAN)");
  if (std::regex_match(v, int_re) && v.find_first_of("0123456789") != std::string::npos) return "!!int";
  if (std::regex_match(v, float_re) || std::regex_match(v, inf_re) || std::regex_match(v, nan_re)) return "!!float";
  return "!!str";
}

} // namespace akt::sdl::yaml
