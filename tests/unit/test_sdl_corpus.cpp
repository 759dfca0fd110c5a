// Agreement with the network on the shared corpus: every verdict of EXPECTED.tsv, and for
// the inputs Go itself compiled, Go's manifest, group specs and version (GO_VERSIONS.tsv).
// Rows akt knowingly answers differently are listed with the reason in
// tests/data/sdl/corpus-disagreements.tsv; they are reported, not failed.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "sdl/json.hpp"
#include "sdl/sdl.hpp"
#include "sdl_corpus.hpp"

namespace fs = std::filesystem;
using namespace akt::sdl;

namespace {

std::map<std::string, std::string> known_disagreements() {
  std::map<std::string, std::string> out;
  for (const auto& row : akt::test::read_tsv(fs::path(AKT_TEST_DATA) / "sdl" / "corpus-disagreements.tsv"))
    if (row.size() >= 2) out[row[0]] = row[1];
  return out;
}

std::string first_error(const CompileResult& result) {
  return result.errors.empty() ? std::string() : akt::to_string(result.errors.front());
}

} // namespace

TEST_CASE("sdl corpus: verdicts agree with EXPECTED.tsv") {
  const auto corpus = akt::test::sdl_corpus_dir();
  if (!corpus) {
    MESSAGE("SDL corpus not found (set AKT_SDL_CORPUS); skipping corpus agreement");
    return;
  }
  const auto known = known_disagreements();
  int total = 0;
  int agree = 0;
  for (const auto& row : akt::test::read_tsv(*corpus / "EXPECTED.tsv")) {
    if (row.size() < 2) continue;
    const std::string& file = row[0];
    // Go is the network's truth: schema-only rejections are accepted by Go.
    const bool want_valid = row[1] == "valid" || row[1] == "valid(Go)/invalid(schema)";
    const CompileResult result = compile_file(*corpus / file);
    const bool ok = result.ok();
    ++total;
    if (ok == want_valid) {
      ++agree;
      continue;
    }
    const std::string detail = file + ": expected " + row[1] + (row.size() > 2 ? " (" + row[2] + ")" : "") +
                               ", akt says " + (ok ? "valid" : "invalid: " + first_error(result));
    if (auto it = known.find(file); it != known.end()) {
      MESSAGE("known disagreement: " << detail << " -- " << it->second);
    } else {
      FAIL_CHECK(detail);
    }
  }
  MESSAGE("EXPECTED.tsv verdicts: " << agree << "/" << total << " agree");
  CHECK(total >= 160);
}

TEST_CASE("sdl corpus: manifest, groups and version equal Go's outputs") {
  const auto corpus = akt::test::sdl_corpus_dir();
  if (!corpus) {
    MESSAGE("SDL corpus not found (set AKT_SDL_CORPUS); skipping Go output agreement");
    return;
  }
  const auto known = known_disagreements();
  int total = 0;
  int agree = 0;
  for (const auto& [input, version] : akt::test::go_versions(*corpus)) {
    ++total;
    const fs::path out = akt::test::go_output_dir(*corpus, input);
    const CompileResult result = compile_file(*corpus / input);
    std::string problem;
    if (!result.ok()) {
      problem = "rejected: " + first_error(result);
    } else {
      const Compiled& c = *result.compiled;
      const auto go_manifest = nlohmann::json::parse(akt::test::read_text(out / "manifest.json"));
      const auto go_groups = nlohmann::json::parse(akt::test::read_text(out / "group-specs.json"));
      if (nlohmann::json::parse(manifest_json(c.manifest)) != go_manifest)
        problem += "manifest differs: " + nlohmann::json::diff(go_manifest, nlohmann::json::parse(manifest_json(c.manifest))).dump() + "; ";
      if (nlohmann::json::parse(groups_json(c.groups)) != go_groups)
        problem += "groups differ: " + nlohmann::json::diff(go_groups, nlohmann::json::parse(groups_json(c.groups))).dump() + "; ";
      if (manifest_version(c.manifest) != version)
        problem += "version " + manifest_version(c.manifest) + " != Go " + version;
    }
    if (problem.empty()) {
      ++agree;
    } else if (auto it = known.find(input); it != known.end()) {
      MESSAGE("known disagreement: " << input << ": " << problem << " -- " << it->second);
    } else {
      FAIL_CHECK((input + ": " + problem));
    }
  }
  MESSAGE("Go outputs (manifest + groups + version): " << agree << "/" << total << " agree");
  CHECK(total >= 15);
}
