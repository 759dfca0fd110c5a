#include "sim/pricing.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sim/inventory.hpp"

extern char** environ;

namespace akt::sim {

namespace {

using util::Decimal;

constexpr util::int128 k_gib = static_cast<util::int128>(1) << 30;

Error overflow() { return make_error(ErrorKind::invalid, "the group's price overflows"); }

// rate * quantity / divisor, exact up to truncation at 18 decimals.
std::optional<Decimal> scaled(Decimal rate, util::int128 quantity, util::int128 divisor) {
  auto product = rate.checked_mul_int(quantity);
  if (!product) return std::nullopt;
  return product->checked_div_int(divisor);
}

const Decimal& storage_rate(const Rates& rates, StorageClass cls) {
  switch (cls) {
  case StorageClass::ephemeral: return rates.ephemeral;
  case StorageClass::standard: return rates.standard;
  case StorageClass::beta1: return rates.beta1;
  case StorageClass::beta2: return rates.beta2;
  case StorageClass::beta3: return rates.beta3;
  case StorageClass::ram: return rates.ram;
  }
  return rates.ephemeral;
}

// A GPU's monthly price for a request: its model's entry, or the default; for several
// models or any model ("*"), the highest that could be allocated, as the reference
// script does when the order does not pin one.
Decimal gpu_rate(const Rates& rates, const std::vector<GpuRequirement>& alternatives) {
  Decimal best = rates.gpu;
  if (alternatives.empty()) {
    for (const auto& [model, price] : rates.gpu_models) best = std::max(best, price);
    return best;
  }
  bool first = true;
  for (const auto& alt : alternatives) {
    Decimal price = rates.gpu;
    if (alt.model == "*") {
      for (const auto& [model, p] : rates.gpu_models) price = std::max(price, p);
    } else if (auto it = rates.gpu_models.find(alt.model); it != rates.gpu_models.end()) {
      price = it->second;
    }
    best = first ? price : std::max(best, price);
    first = false;
  }
  return best;
}

Decimal gpu_rate(const Rates& rates, const sdl::Gpu& gpu) {
  auto alternatives = parse_gpu_requirements(gpu.attributes);
  return gpu_rate(rates, alternatives ? *alternatives : std::vector<GpuRequirement>{});
}

std::string trim(std::string text) {
  auto space = [](unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && space(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && space(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

} // namespace

Result<sdl::DecCoin> order_max_price(const sdl::GroupSpec& group) {
  if (group.resources.empty()) return make_error(ErrorKind::invalid, "the group has no resources");
  sdl::DecCoin total{group.resources.front().price.denom, Decimal{}};
  for (const auto& unit : group.resources) {
    if (unit.price.denom != total.denom)
      return make_error(ErrorKind::invalid,
                        "the group mixes denoms " + total.denom + " and " + unit.price.denom);
    auto part = unit.price.amount.checked_mul_int(unit.count);
    if (!part) return overflow();
    auto sum = total.amount.checked_add(*part);
    if (!sum) return overflow();
    total.amount = *sum;
  }
  return total;
}

namespace {

// The sum over a common denominator (1000 millicpu * 1 GiB), truncated once: one
// division per group instead of one per component, since every order is priced by
// every provider that can take it. Nullopt when it would overflow 128 bits.
std::optional<Decimal> monthly_usd_fast(const Rates& rates, const sdl::GroupSpec& group,
                                        std::span<const UnitDemand> demands) {
  constexpr util::int128 k_den = 1000 * k_gib;
  util::int128 numerator = 0;
  bool good = true;
  // rate * (quantity * count * factor): the terms are worked out per order, so this
  // overflows exactly when rate * quantity * count * factor does.
  auto add = [&](const Decimal& rate, util::int128 term) {
    util::int128 product = 0;
    good = good && !__builtin_mul_overflow(rate.raw(), term, &product) &&
           !__builtin_add_overflow(numerator, product, &numerator);
  };
  for (std::size_t u = 0; u < group.resources.size(); ++u) {
    const UnitDemand& demand = demands[u];
    const sdl::Resources& r = group.resources[u].resources;
    add(rates.cpu, demand.cpu_term);
    add(rates.memory, demand.memory_term);
    for (std::size_t v = 0; v < r.storage.size(); ++v)
      add(storage_rate(rates, demand.volume_classes[v]), demand.volume_terms[v]);
    if (r.gpu.units > 0) {
      const Decimal gpu = gpu_rate(rates, demand.gpu_alternatives);
      if (!demand.gpu_term_overflows) add(gpu, demand.gpu_term);
      else good = good && gpu.is_zero();
    }
    if (demand.ports) add(rates.endpoint, demand.port_term);
    if (demand.ips) add(rates.ip, demand.ip_term);
    if (!good) return std::nullopt;
  }
  return Decimal::from_raw(numerator / k_den);
}

// Exact when the fast sum would overflow 128 bits: each part truncated on its own.
Result<Decimal> monthly_usd_exact(const Rates& rates, const sdl::GroupSpec& group) {
  Decimal total;
  auto add = [&total](std::optional<Decimal> part) {
    if (!part) return false;
    auto sum = total.checked_add(*part);
    if (!sum) return false;
    total = *sum;
    return true;
  };
  for (const auto& unit : group.resources) {
    const sdl::Resources& r = unit.resources;
    const util::int128 count = unit.count;
    bool good = add(scaled(rates.cpu, static_cast<util::int128>(r.cpu.units) * count, 1000)) &&
                add(scaled(rates.memory, static_cast<util::int128>(r.memory.size) * count, k_gib));
    for (const auto& v : r.storage)
      good = good && add(scaled(storage_rate(rates, volume_class(v)), static_cast<util::int128>(v.size) * count, k_gib));
    if (r.gpu.units > 0)
      good = good && add(gpu_rate(rates, r.gpu).checked_mul_int(static_cast<util::int128>(r.gpu.units) * count));
    util::int128 ports = 0;
    util::int128 ips = 0;
    for (const auto& e : r.endpoints) {
      if (e.kind == sdl::EndpointKind::random_port) ++ports;
      else if (e.kind == sdl::EndpointKind::leased_ip) ++ips;
    }
    if (ports) good = good && add(rates.endpoint.checked_mul_int(ports * count));
    if (ips) good = good && add(rates.ip.checked_mul_int(ips * count));
    if (!good) return overflow();
  }
  return total;
}

} // namespace

Result<Decimal> monthly_usd(const Rates& rates, const sdl::GroupSpec& group) {
  const std::vector<UnitDemand> demands = unit_demands(group);
  if (auto fast = monthly_usd_fast(rates, group, demands)) return *fast;
  return monthly_usd_exact(rates, group);
}

Result<Decimal> rates_price(const Pricing& pricing, const sdl::GroupSpec& group) {
  const std::vector<UnitDemand> demands = unit_demands(group);
  return rates_price(pricing, group, demands);
}

Result<Decimal> rates_price(const Pricing& pricing, const sdl::GroupSpec& group, std::span<const UnitDemand> demands) {
  auto fast = monthly_usd_fast(pricing.rates, group, demands);
  if (fast && pricing.blocks_per_month != 0)
    if (auto price = scaled(*fast, 1'000'000, static_cast<util::int128>(pricing.blocks_per_month))) return *price;
  auto usd = fast ? Result<Decimal>(*fast) : monthly_usd_exact(pricing.rates, group);
  if (!usd) return usd;
  if (pricing.blocks_per_month == 0) return make_error(ErrorKind::invalid, "blocks_per_month must be at least 1");
  auto price = scaled(*usd, 1'000'000, static_cast<util::int128>(pricing.blocks_per_month));
  if (!price) return overflow();
  return *price;
}

std::string price_script_input(const sdl::GroupSpec& group, const sdl::DecCoin& max_price) {
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& unit : group.resources) {
    const sdl::Resources& r = unit.resources;
    nlohmann::json storage = nlohmann::json::array();
    for (const auto& v : r.storage)
      storage.push_back({{"class", std::string(to_string(volume_class(v)))}, {"size", v.size}});
    nlohmann::json gpu = {{"units", r.gpu.units}, {"attributes", nlohmann::json::object()}};
    if (auto alternatives = parse_gpu_requirements(r.gpu.attributes); alternatives && !alternatives->empty()) {
      nlohmann::json vendors = nlohmann::json::object();
      for (const auto& alt : *alternatives) {
        if (vendors.contains(alt.vendor)) continue;
        nlohmann::json entry = {{"model", alt.model}};
        if (!alt.ram.empty()) entry["ram"] = alt.ram;
        if (!alt.interface.empty()) entry["interface"] = alt.interface;
        vendors[alt.vendor] = entry;
      }
      gpu["attributes"] = {{"vendor", vendors}};
    }
    std::uint64_t ports = 0;
    std::uint64_t ips = 0;
    for (const auto& e : r.endpoints) {
      if (e.kind == sdl::EndpointKind::random_port) ++ports;
      else if (e.kind == sdl::EndpointKind::leased_ip) ++ips;
    }
    resources.push_back({{"cpu", r.cpu.units},
                         {"memory", r.memory.size},
                         {"storage", storage},
                         {"gpu", gpu},
                         {"count", unit.count},
                         {"endpoint_quantity", ports},
                         {"ip_lease_quantity", ips}});
  }
  nlohmann::json doc = {{"resources", resources},
                        {"price", {{"denom", max_price.denom}, {"amount", max_price.amount.to_string()}}},
                        {"price_precision", util::Decimal::k_precision}};
  return doc.dump();
}

Result<ProcessOutput> PosixProcessRunner::run(const ProcessRequest& request) {
  if (request.argv.empty()) return make_error(ErrorKind::invalid, "no program to run");
  // stdin is a socket so that writing to a child that stopped reading fails with EPIPE
  // via MSG_NOSIGNAL instead of raising SIGPIPE in the whole process.
  int in_fds[2] = {-1, -1};
  int out_fds[2] = {-1, -1};
  int err_fds[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fds : {in_fds, out_fds, err_fds})
      for (int i = 0; i < 2; ++i)
        if (fds[i] >= 0) {
          ::close(fds[i]);
          fds[i] = -1;
        }
  };
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) != 0 || ::pipe2(out_fds, O_CLOEXEC) != 0 ||
      ::pipe2(err_fds, O_CLOEXEC) != 0) {
    close_all();
    return make_error(ErrorKind::failure, std::string("cannot create pipes: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fds[1], 0);
  posix_spawn_file_actions_adddup2(&actions, out_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_fds[1], 2);
  std::vector<char*> argv;
  for (const auto& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Its own process group, so a timeout kills what the script started too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_fds[1]);
  in_fds[1] = -1;
  ::close(out_fds[1]);
  out_fds[1] = -1;
  ::close(err_fds[1]);
  err_fds[1] = -1;
  if (rc != 0) {
    close_all();
    return make_error(ErrorKind::failure, "cannot run " + request.argv[0] + ": " + std::strerror(rc));
  }
  ::fcntl(in_fds[0], F_SETFL, O_NONBLOCK);

  ProcessOutput output;
  std::size_t written = 0;
  if (request.stdin_data.empty()) {
    ::shutdown(in_fds[0], SHUT_WR);
  }
  bool stdin_open = !request.stdin_data.empty();
  bool out_open = true;
  bool err_open = true;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  char buffer[4096];
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      output.timed_out = true;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    int out_index = -1, err_index = -1, in_index = -1;
    if (out_open) { out_index = static_cast<int>(n); fds[n++] = {out_fds[0], POLLIN, 0}; }
    if (err_open) { err_index = static_cast<int>(n); fds[n++] = {err_fds[0], POLLIN, 0}; }
    if (stdin_open) { in_index = static_cast<int>(n); fds[n++] = {in_fds[0], POLLOUT, 0}; }
    int ready = ::poll(fds, n, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    auto drain = [&](int index, int fd, std::string& sink, bool& open) {
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
        open = false;
        return;
      }
      std::size_t room = request.max_output > sink.size() ? request.max_output - sink.size() : 0;
      sink.append(buffer, std::min<std::size_t>(room, static_cast<std::size_t>(got)));
    };
    drain(out_index, out_fds[0], output.stdout_data, out_open);
    drain(err_index, err_fds[0], output.stderr_data, err_open);
    if (in_index >= 0 && (fds[in_index].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t sent = ::send(in_fds[0], request.stdin_data.data() + written, request.stdin_data.size() - written,
                            MSG_NOSIGNAL);
      if (sent > 0) written += static_cast<std::size_t>(sent);
      if (sent < 0 && errno != EAGAIN && errno != EINTR) written = request.stdin_data.size();
      if (written >= request.stdin_data.size()) {
        ::shutdown(in_fds[0], SHUT_WR);
        stdin_open = false;
      }
    }
  }
  if (output.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  close_all();
  if (WIFEXITED(status)) output.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) output.exit_code = 128 + WTERMSIG(status);
  return output;
}

Result<Decimal> script_price(ProcessRunner& runner, const Pricing& pricing, const sdl::GroupSpec& group,
                             const sdl::DecCoin& max_price) {
  ProcessRequest request;
  request.argv = {pricing.script};
  request.stdin_data = price_script_input(group, max_price);
  request.timeout = pricing.script_timeout;
  auto output = runner.run(request);
  if (!output) return output.error();
  if (output->timed_out)
    return make_error(ErrorKind::no_bid,
                      "price script timed out after " + std::to_string(pricing.script_timeout.count()) + " ms");
  if (output->exit_code != 0) {
    std::string why = trim(output->stderr_data);
    if (why.size() > 512) why = why.substr(0, 512) + "...";
    return make_error(ErrorKind::no_bid, "requested rate is too low" + (why.empty() ? std::string() : ": " + why));
  }
  std::string text = trim(output->stdout_data);
  auto price = Decimal::parse(text);
  if (!price)
    return make_error(ErrorKind::failure, "the price script printed \"" + text.substr(0, 64) +
                                              "\", not a price per block (" + price.error().message + ")");
  if (price->is_negative() || price->is_zero())
    return make_error(ErrorKind::failure, "the price script printed a price of " + text + "; it must be above 0");
  return *price;
}

} // namespace akt::sim
