#include "runtime/docker/stream.hpp"

namespace akt::runtime::docker {

Status StreamDemuxer::feed(std::string_view bytes) {
  m_buffer.append(bytes);
  std::size_t at = 0;
  while (m_buffer.size() - at >= 8) {
    const auto* header = reinterpret_cast<const unsigned char*>(m_buffer.data() + at);
    if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
      m_buffer.clear();
      return make_error(ErrorKind::provider,
                        "malformed Docker output stream: bad frame header (stream id " +
                            std::to_string(header[0]) + ")");
    }
    const std::size_t size = (std::size_t{header[4]} << 24) | (std::size_t{header[5]} << 16) |
                             (std::size_t{header[6]} << 8) | std::size_t{header[7]};
    if (size > k_max_frame) {
      m_buffer.clear();
      return make_error(ErrorKind::provider, "malformed Docker output stream: frame of " +
                                                 std::to_string(size) + " bytes");
    }
    if (m_buffer.size() - at - 8 < size) {
      break;
    }
    const auto kind = static_cast<StreamKind>(header[0]);
    if (size > 0) {
      m_sink(kind, std::string_view(m_buffer).substr(at + 8, size));
    }
    at += 8 + size;
  }
  m_buffer.erase(0, at);
  return ok();
}

void LineSplitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      m_partial.append(bytes);
      if (m_partial.size() >= m_max_line) {
        m_sink(m_partial);
        m_partial.clear();
      }
      return;
    }
    m_partial.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    if (!m_partial.empty() && m_partial.back() == '\r') {
      m_partial.pop_back();
    }
    m_sink(m_partial);
    m_partial.clear();
  }
}

void LineSplitter::flush() {
  if (!m_partial.empty()) {
    m_sink(m_partial);
    m_partial.clear();
  }
}

} // namespace akt::runtime::docker
