#pragma once
// Where the shared SDL corpus lives (upstream fixtures and Go's outputs, never copied into
// the repo): $AKT_SDL_CORPUS, else <source>/../shared/sdl/corpus. Tests skip when absent.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace akt::test {

inline std::optional<std::filesystem::path> sdl_corpus_dir() {
  std::filesystem::path dir;
  if (const char* env = std::getenv("AKT_SDL_CORPUS"); env && *env) dir = env;
  else dir = std::filesystem::path(AKT_SOURCE_DIR) / ".." / "shared" / "sdl" / "corpus";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "EXPECTED.tsv", ec)) return std::nullopt;
  return dir;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Rows of a tab-separated file without its header line.
inline std::vector<std::vector<std::string>> read_tsv(const std::filesystem::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_text(path));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) { header = false; continue; }
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (;;) {
      std::size_t tab = line.find('\t', start);
      cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

// GO_VERSIONS.tsv: input file (relative to the corpus) -> Go's hex manifest version.
inline std::map<std::string, std::string> go_versions(const std::filesystem::path& corpus) {
  std::map<std::string, std::string> out;
  for (const auto& row : read_tsv(corpus / "GO_VERSIONS.tsv"))
    if (row.size() >= 2) out[row[0]] = row[1];
  return out;
}

// output-fixtures/<ver>/<name>/ for chain-sdk/testdata/sdl/input/<ver>/<name>/input.yaml.
inline std::filesystem::path go_output_dir(const std::filesystem::path& corpus, const std::string& input) {
  std::filesystem::path in(input);
  return corpus / "chain-sdk/testdata/sdl/output-fixtures" / in.parent_path().parent_path().filename() /
         in.parent_path().filename();
}

} // namespace akt::test
