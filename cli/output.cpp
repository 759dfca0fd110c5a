#include "cli/output.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace akt::cli {

void print_error(const Error& error) { fmt::print(stderr, "akt: error: {}\n", to_string(error)); }

void print_error(std::string_view message) { fmt::print(stderr, "akt: error: {}\n", message); }

void print_warning(std::string_view message) { fmt::print(stderr, "akt: warning: {}\n", message); }

} // namespace akt::cli
