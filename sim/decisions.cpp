#include "sim/decisions.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <system_error>
#include <tuple>

#include "sim/state_files.hpp"

namespace akt::sim {
namespace {

constexpr std::uintmax_t k_max_file_bytes = 16u << 20;

nlohmann::json to_json(const OrderDecision& d) {
  nlohmann::json j = {{"provider", d.provider},   {"provider_name", d.provider_name},
                      {"owner", d.owner},         {"dseq", d.dseq},
                      {"gseq", d.gseq},           {"oseq", d.oseq},
                      {"height", d.height},       {"bid", d.bid}};
  if (d.bid) j["price"] = d.price;
  if (!d.reason.empty()) j["reason"] = d.reason;
  return j;
}

void sort_decisions(std::vector<OrderDecision>& list) {
  std::sort(list.begin(), list.end(), [](const OrderDecision& a, const OrderDecision& b) {
    return std::tie(a.gseq, a.oseq, a.provider_name, a.provider) <
           std::tie(b.gseq, b.oseq, b.provider_name, b.provider);
  });
}

void upsert(std::vector<OrderDecision>& list, const OrderDecision& decision) {
  auto same = [&](const OrderDecision& d) {
    return d.provider == decision.provider && d.gseq == decision.gseq && d.oseq == decision.oseq &&
           d.owner == decision.owner && d.dseq == decision.dseq;
  };
  auto it = std::find_if(list.begin(), list.end(), same);
  if (it == list.end()) list.push_back(decision);
  else *it = decision;
  sort_decisions(list);
}

} // namespace

std::string decision_to_json(const std::vector<OrderDecision>& decisions) {
  nlohmann::json array = nlohmann::json::array();
  for (const OrderDecision& d : decisions) array.push_back(to_json(d));
  return array.dump();
}

Result<std::vector<OrderDecision>> decisions_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return make_error(ErrorKind::invalid, "decisions: expected a JSON array");
  std::vector<OrderDecision> out;
  try {
    for (const nlohmann::json& e : j) {
      OrderDecision d;
      d.provider = e.at("provider").get<std::string>();
      d.provider_name = e.value("provider_name", "");
      d.owner = e.at("owner").get<std::string>();
      d.dseq = e.at("dseq").get<std::uint64_t>();
      d.gseq = e.at("gseq").get<std::uint32_t>();
      d.oseq = e.at("oseq").get<std::uint32_t>();
      d.height = e.value("height", std::int64_t{0});
      d.bid = e.value("bid", false);
      d.price = e.value("price", "");
      d.reason = e.value("reason", "");
      out.push_back(std::move(d));
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::invalid, std::string("decisions: ") + e.what());
  }
  return out;
}

std::filesystem::path FileDecisionStore::file_for(const std::string& owner,
                                                  std::uint64_t dseq) const {
  std::string safe;
  for (char c : owner) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return m_dir / (safe + "." + std::to_string(dseq) + ".json");
}

namespace {

Result<std::vector<OrderDecision>> read_decisions(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::vector<OrderDecision>{};
  Result<std::string> text = read_small_file(file, k_max_file_bytes);
  if (!text) return text.error();
  return decisions_from_json(*text);
}

} // namespace

Result<std::vector<OrderDecision>> FileDecisionStore::for_deployment(const std::string& owner,
                                                                 std::uint64_t dseq) const {
  std::lock_guard lock(m_mutex);
  return read_decisions(file_for(owner, dseq));
}

Status FileDecisionStore::record(const OrderDecision& decision) {
  std::lock_guard lock(m_mutex);
  std::error_code ec;
  std::filesystem::create_directories(m_dir, ec);
  if (ec) return make_error(ErrorKind::failure, m_dir.string() + ": " + ec.message());
  // Other akt processes record decisions on the same deployments (every embedded command
  // runs the providers): the read, merge and replace of a file happen under one lock, or
  // one process's decisions could overwrite another's.
  FileLock folder(m_dir / ".lock");
  if (!folder) return folder.error();
  std::filesystem::path file = file_for(decision.owner, decision.dseq);
  Result<std::vector<OrderDecision>> existing = read_decisions(file);
  std::vector<OrderDecision> list = existing ? std::move(*existing) : std::vector<OrderDecision>{};
  upsert(list, decision);
  return write_file_atomic(file, decision_to_json(list));
}

Status MemoryDecisionStore::record(const OrderDecision& decision) {
  std::lock_guard lock(m_mutex);
  upsert(m_decisions, decision);
  return ok();
}

Result<std::vector<OrderDecision>> MemoryDecisionStore::for_deployment(const std::string& owner,
                                                                   std::uint64_t dseq) const {
  std::lock_guard lock(m_mutex);
  std::vector<OrderDecision> out;
  for (const OrderDecision& d : m_decisions)
    if (d.owner == owner && d.dseq == dseq) out.push_back(d);
  return out;
}

} // namespace akt::sim
