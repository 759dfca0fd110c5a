#include <doctest/doctest.h>

#include <string>

#include "sdl/sdl.hpp"
#include "sdl/yaml.hpp"

using namespace akt::sdl;

TEST_CASE("sdl::yaml keeps 1-based positions of keys and values") {
  auto doc = yaml::parse("a: 1\nb:\n  - x\n  - {c: d}\n", {});
  REQUIRE(doc.problems.empty());
  REQUIRE(doc.root->kind == yaml::Kind::mapping);
  REQUIRE(doc.root->entries.size() == 2);
  CHECK(doc.root->entries[0].key->line == 1);
  CHECK(doc.root->entries[0].value->column == 4);
  const yaml::Node* seq = doc.root->entries[1].value;
  REQUIRE(seq->kind == yaml::Kind::sequence);
  CHECK(seq->items[1]->line == 4);
  CHECK(seq->items[1]->column == 5);
}

TEST_CASE("sdl::yaml refuses text that is not UTF-8, like yaml.v3, and says where") {
  auto doc = yaml::parse("a: 1\nb: \"\xc3\xa9t\xc3\n", {});  // é, then a cut-off sequence
  REQUIRE(doc.problems.size() == 1);
  CHECK(doc.root == nullptr);
  CHECK(doc.problems[0].message.find("invalid UTF-8 byte 0xc3") != std::string::npos);
  CHECK(doc.problems[0].line == 2);
  CHECK(doc.problems[0].column == 7);

  auto r = compile("version: \"2.0\"\nservices:\n  web: {image: \"nginx\xff\"}\n", "bad.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].where->line == 3);
  CHECK_FALSE(r.ok());
}

TEST_CASE("sdl::yaml refuses duplicate keys the way yaml.v3 does") {
  auto doc = yaml::parse("a: 1\nb: 2\na: 3\n", {});
  REQUIRE(doc.problems.size() == 1);
  CHECK(doc.problems[0].message == "mapping key \"a\" already defined at line 1");
  CHECK(doc.problems[0].line == 3);
  CHECK(doc.problems[0].column == 1);

  auto r = compile("version: \"2.0\"\nservices: {}\nservices: {}\n", "dup.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].where->line == 3);
  CHECK(r.errors[0].message.find("already defined at line 2") != std::string::npos);
}

TEST_CASE("sdl::yaml resolves scalars as YAML 1.2 core, like yaml.v3") {
  auto tag = [](const char* text) {
    auto doc = yaml::parse(std::string("v: ") + text + "\n", {});
    REQUIRE(doc.problems.empty());
    return yaml::resolved_tag(*doc.root->entries[0].value);
  };
  CHECK(tag("2.0") == "!!float");
  CHECK(tag("\"2.0\"") == "!!str");
  CHECK(tag("80") == "!!int");
  CHECK(tag("0x1F") == "!!int");
  CHECK(tag("true") == "!!bool");
  CHECK(tag("yes") == "!!str");
  CHECK(tag("~") == "!!null");
  CHECK(tag("") == "!!null");
  CHECK(tag("!!str 12") == "!!str");
  CHECK(tag("100m") == "!!str");
  CHECK(tag(".inf") == "!!float");
}

TEST_CASE("sdl::yaml bounds nesting depth") {
  std::string deep = "version: \"2.0\"\nx: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  auto r = compile(deep, "deep.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.errors[0].message.find("nesting is deeper than 64 levels") != std::string::npos);
  CHECK(r.errors[0].where->line == 2);

  Limits roomy;
  roomy.max_depth = 200;
  auto again = compile(deep, "deep.yaml", roomy);
  REQUIRE_FALSE(again.ok());
  CHECK(again.errors[0].message.find("sdl: unexpected field x") == 0);
}

TEST_CASE("sdl::yaml refuses a billion laughs instead of expanding it") {
  auto r = compile_file(std::string(AKT_TEST_DATA) + "/sdl/billion-laughs.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("expands to more than 200000 nodes") != std::string::npos);
}

TEST_CASE("sdl::yaml anchors, aliases and merge keys work") {
  auto r = compile_file(std::string(AKT_TEST_DATA) + "/sdl/anchors.yaml");
  for (const auto& e : r.errors) CAPTURE(akt::to_string(e));
  REQUIRE(r.ok());
  REQUIRE(r.compiled->groups.size() == 1);
  const auto& units = r.compiled->groups[0].resources;
  REQUIRE(units.size() == 2);
  CHECK(units[0].resources.cpu.units == 500);
  CHECK(units[1].resources.cpu.units == 500);  // merged from *small
  CHECK(units[1].count == 1);                  // services sorted: api (big) then web (small)
  CHECK(r.compiled->manifest[0].services[0].name == "api");
  CHECK(r.compiled->manifest[0].services[0].expose.size() == 1);
}

TEST_CASE("sdl::yaml syntax errors carry a position") {
  auto r = compile("version: \"2.0\"\nservices: [a, b\n", "bad.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].where->origin == "bad.yaml");
  CHECK(r.errors[0].where->line >= 2);
  CHECK(r.errors[0].message.rfind("yaml: ", 0) == 0);
}

TEST_CASE("sdl::compile bounds input size") {
  Limits small;
  small.max_bytes = 10;
  auto r = compile("version: \"2.0\"\n", "x.yaml", small);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("--max-bytes") != std::string::npos);
  auto f = compile_file(std::string(AKT_TEST_DATA) + "/sdl/anchors.yaml", small);
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].message.find("more than the limit of 10") != std::string::npos);
}
