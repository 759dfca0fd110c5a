#include "util/fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace akt::util {

Result<std::string> read_to_end(int fd, std::size_t max_bytes) {
  std::string out;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorKind::failure, std::string("read: ") + std::strerror(errno));
    }
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes)
      return make_error(ErrorKind::invalid, "more than " + std::to_string(max_bytes) + " bytes");
  }
}

} // namespace akt::util
