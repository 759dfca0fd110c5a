// `akt sim`: the local marketplace's network file ($AKT_HOME/sim.yaml). init writes the
// default network, show prints it; the commands that run providers are added by
// add_sim_runtime_commands (cmd_sim_runtime.cpp).
#include "cli/cmd_sim.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <system_error>

#include "cli/context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "sim/config.hpp"

namespace akt::cli {

namespace {

struct InitOptions {
  bool force = false;
};

struct ShowOptions {
  std::string provider;
};

std::filesystem::path sim_file(const Context& ctx) { return ctx.home() / "sim.yaml"; }

std::string size_text(std::uint64_t bytes) {
  static constexpr std::pair<const char*, std::uint64_t> k_units[] = {
      {"Ti", 1ULL << 40}, {"Gi", 1ULL << 30}, {"Mi", 1ULL << 20}, {"Ki", 1ULL << 10}};
  for (const auto& [name, factor] : k_units)
    if (bytes >= factor && bytes % factor == 0) return std::to_string(bytes / factor) + name;
  return std::to_string(bytes);
}

// Micro-units per block for a monthly USD rate.
std::string per_block(const util::Decimal& monthly, std::uint64_t blocks_per_month) {
  auto scaled = monthly.checked_mul_int(1'000'000);
  if (!scaled) return "?";
  auto value = scaled->checked_div_int(blocks_per_month == 0 ? 1 : blocks_per_month);
  if (!value) return "?";
  // Six decimals are plenty for people; JSON carries the exact value.
  constexpr util::int128 k_step = util::Decimal::k_one / 1'000'000;
  return util::Decimal::from_raw(value->raw() / k_step * k_step).to_short_string();
}

std::string exact_per_block(const util::Decimal& monthly, std::uint64_t blocks_per_month) {
  auto scaled = monthly.checked_mul_int(1'000'000);
  if (!scaled) return "";
  auto value = scaled->checked_div_int(blocks_per_month == 0 ? 1 : blocks_per_month);
  return value ? value->to_string() : "";
}

std::vector<std::pair<std::string, util::Decimal>> rate_list(const sim::Rates& r) {
  std::vector<std::pair<std::string, util::Decimal>> out = {
      {"cpu", r.cpu},         {"memory_gib", r.memory}, {"ephemeral_gib", r.ephemeral},
      {"default_gib", r.standard}, {"beta1_gib", r.beta1}, {"beta2_gib", r.beta2},
      {"beta3_gib", r.beta3}, {"ram_gib", r.ram},       {"endpoint", r.endpoint},
      {"ip", r.ip},           {"gpu", r.gpu}};
  for (const auto& [model, price] : r.gpu_models) out.push_back({"gpu_" + model, price});
  return out;
}

nlohmann::json provider_json(const sim::ProviderConfig& p) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& a : p.attributes) attributes[a.key] = a.value;
  nlohmann::json signatures = nlohmann::json::array();
  for (const auto& s : p.signatures) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& a : s.attributes) attrs[a.key] = a.value;
    signatures.push_back({{"auditor", s.auditor}, {"attributes", attrs}});
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : p.nodes) {
    nlohmann::json storage = nlohmann::json::object();
    for (std::size_t c = 0; c < sim::k_storage_class_count; ++c)
      if (n.storage[c] > 0) storage[std::string(sim::to_string(static_cast<sim::StorageClass>(c)))] = n.storage[c];
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& g : n.gpus)
      gpus.push_back({{"id", g.id}, {"vendor", g.vendor}, {"model", g.model}, {"ram", g.ram}, {"interface", g.interface}});
    nodes.push_back({{"name", n.name},
                     {"class", sim::hardware_class_of(n)},
                     {"cpu", n.cpu},
                     {"memory", n.memory},
                     {"storage", storage},
                     {"gpus", gpus}});
  }
  nlohmann::json prices = nlohmann::json::object();
  for (const auto& [name, monthly] : rate_list(p.pricing.rates))
    prices[name] = {{"usd_per_month", monthly.to_string()},
                    {"per_block", exact_per_block(monthly, p.pricing.blocks_per_month)}};
  nlohmann::json pricing = {{"mode", p.pricing.mode == sim::Pricing::Mode::script ? "script" : "rates"},
                            {"blocks_per_month", p.pricing.blocks_per_month},
                            {"rates", prices}};
  if (p.pricing.mode == sim::Pricing::Mode::script) {
    pricing["script"] = p.pricing.script;
    pricing["script_timeout_ms"] = p.pricing.script_timeout.count();
  }
  return {{"name", p.name},
          {"key", p.key},
          {"host_uri", p.host_uri},
          {"online", p.online},
          {"attributes", attributes},
          {"signatures", signatures},
          {"nodes", nodes},
          {"pricing", pricing},
          {"denoms", p.denoms},
          {"timeouts",
           {{"bid_s", p.bid_timeout.count()},
            {"manifest_s", p.manifest_timeout.count()},
            {"health_s", p.health_window.count()}}},
          {"reliability",
           {{"fail", p.reliability.fail},
            {"offline", p.reliability.offline},
            {"early_close", p.reliability.early_close},
            {"seed", p.reliability.seed}}}};
}

std::string attribute_value(const sim::ProviderConfig& p, std::string_view key) {
  for (const auto& a : p.attributes)
    if (a.key == key) return a.value;
  return "-";
}

void print_provider_text(const sim::ProviderConfig& p) {
  fmt::print("{}  region {}  tier {}  {}  {}  {}\n", p.name, attribute_value(p, "region"), attribute_value(p, "tier"),
             p.host_uri, p.online ? "online" : "offline", p.signatures.empty() ? "unaudited" : "audited");
  std::string attrs;
  for (const auto& a : p.attributes)
    if (a.key.rfind("capabilities/", 0) != 0) attrs += (attrs.empty() ? "" : " ") + a.key + "=" + a.value;
  fmt::print("  attributes: {}\n", attrs);
  for (const auto& s : p.signatures) {
    std::string signed_attrs;
    for (const auto& a : s.attributes) signed_attrs += (signed_attrs.empty() ? "" : " ") + a.key + "=" + a.value;
    fmt::print("  signed by {}: {}\n", s.auditor, signed_attrs);
  }
  for (const auto& n : p.nodes) {
    std::string storage;
    for (std::size_t c = 0; c < sim::k_storage_class_count; ++c)
      if (n.storage[c] > 0)
        storage += (storage.empty() ? "" : ", ") + std::string(sim::to_string(static_cast<sim::StorageClass>(c))) +
                   " " + size_text(n.storage[c]);
    std::string gpus;
    if (!n.gpus.empty()) {
      const auto& g = n.gpus.front();
      gpus = fmt::format(", {} x {} {} {} {}", n.gpus.size(), g.vendor, g.model, g.ram, g.interface);
    }
    fmt::print("  node {}: {} CPU, {} memory, storage {}{}\n", n.name, util::Decimal::from_int(static_cast<std::int64_t>(n.cpu)).checked_div_int(1000)->to_short_string(),
               size_text(n.memory), storage.empty() ? "none" : storage, gpus);
  }
  if (p.pricing.mode == sim::Pricing::Mode::script) fmt::print("  pricing: script {}\n", p.pricing.script);
  std::string prices;
  for (const auto& [name, monthly] : rate_list(p.pricing.rates))
    prices += (prices.empty() ? "" : ", ") + name + " " + per_block(monthly, p.pricing.blocks_per_month) + " ($" +
              monthly.to_short_string() + ")";
  fmt::print("  per block (USD a month): {}\n", prices);
  std::string denoms;
  for (const auto& d : p.denoms) denoms += (denoms.empty() ? "" : ", ") + d;
  fmt::print("  denoms {}; bid timeout {}, manifest timeout {}, health window {}\n", denoms,
             sim::format_duration(p.bid_timeout), sim::format_duration(p.manifest_timeout),
             sim::format_duration(p.health_window));
  fmt::print("  reliability: fail {:g}, offline {:g}, early close {:g}, seed {}\n", p.reliability.fail,
             p.reliability.offline, p.reliability.early_close, p.reliability.seed);
}

int run_init(const Context& ctx, const InitOptions& o) {
  std::filesystem::path path = sim_file(ctx);
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !o.force) {
    print_error(Error{"already exists; pass --force to replace it with the default network", Location{path.string(), 0, 0},
                      {}, ErrorKind::refused});
    return k_exit_refused;
  }
  sim::NetworkConfig network = sim::default_network();
  if (auto saved = sim::save_config(network, path); !saved) {
    print_error(saved.error());
    return exit_code_for(saved.error().kind);
  }
  if (ctx.json()) {
    nlohmann::json doc = {{"path", path.string()}, {"providers", nlohmann::json::array()}};
    for (const auto& p : network.providers) doc["providers"].push_back(p.name);
    fmt::print("{}\n", doc.dump());
  } else {
    fmt::print("wrote {} with {} providers\n", path.string(), network.providers.size());
  }
  return k_exit_ok;
}

int run_show(const Context& ctx, const ShowOptions& o) {
  auto network = sim::load_config(sim_file(ctx));
  if (!network) {
    print_error(network.error());
    return exit_code_for(network.error().kind);
  }
  std::vector<const sim::ProviderConfig*> shown;
  for (const auto& p : network->providers)
    if (o.provider.empty() || p.name == o.provider) shown.push_back(&p);
  if (!o.provider.empty() && shown.empty()) {
    print_error(make_error(ErrorKind::not_found, "no provider named " + o.provider + " in " + sim_file(ctx).string() +
                                                     "; `akt sim show` lists them"));
    return k_exit_not_found;
  }
  if (ctx.json()) {
    nlohmann::json auditors = nlohmann::json::array();
    for (const auto& a : network->auditors) auditors.push_back({{"name", a.name}, {"key", a.key}, {"address", a.address}});
    nlohmann::json providers = nlohmann::json::array();
    for (const auto* p : shown) providers.push_back(provider_json(*p));
    fmt::print("{}\n", nlohmann::json{{"auditors", auditors}, {"providers", providers}}.dump());
    return k_exit_ok;
  }
  for (const auto& a : network->auditors)
    fmt::print("auditor {} (key {}{})\n", a.name, a.key, a.address.empty() ? "" : ", " + a.address);
  for (const auto* p : shown) {
    fmt::print("\n");
    print_provider_text(*p);
  }
  return k_exit_ok;
}

} // namespace

void add_sim_commands(CLI::App& app, Context& ctx) {
  CLI::App* sim = app.add_subcommand("sim", "The local marketplace: simulated providers ($AKT_HOME/sim.yaml)");
  sim->require_subcommand(1);

  auto init = std::make_shared<InitOptions>();
  CLI::App* init_cmd = sim->add_subcommand("init", "Write the default simulated network to $AKT_HOME/sim.yaml");
  init_cmd->add_flag("--force", init->force, "Replace an existing sim.yaml");
  init_cmd->callback([init, &ctx] { ctx.selected = [init, &ctx] { return run_init(ctx, *init); }; });

  auto show = std::make_shared<ShowOptions>();
  CLI::App* show_cmd = sim->add_subcommand("show", "Print the simulated providers, their nodes and prices");
  show_cmd->add_option("--provider", show->provider, "Only this provider");
  show_cmd->callback([show, &ctx] { ctx.selected = [show, &ctx] { return run_show(ctx, *show); }; });

  add_sim_runtime_commands(*sim, ctx);
}

} // namespace akt::cli
