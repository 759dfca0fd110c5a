#pragma once
// Reading what a file descriptor (a pipe, a socket, a terminal) yields.
#include <cstddef>
#include <string>

#include "util/result.hpp"

namespace akt::util {

// Everything `fd` yields until its end of file. More than `max_bytes` is refused with
// ErrorKind::invalid; a failed read is ErrorKind::failure.
Result<std::string> read_to_end(int fd, std::size_t max_bytes);

} // namespace akt::util
