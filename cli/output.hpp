#pragma once
// The only place akt writes diagnostics. Errors read
// "akt: error: <file:line:col>: <key path>: <problem>".
#include <string_view>

#include "util/result.hpp"

namespace akt::cli {

void print_error(const Error& error);
void print_error(std::string_view message);
void print_warning(std::string_view message);

} // namespace akt::cli
