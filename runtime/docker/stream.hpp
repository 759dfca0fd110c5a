#pragma once
// Docker multiplexes a non-TTY container's stdout and stderr on one HTTP body: every
// frame is an 8-byte header {stream, 0, 0, 0, size as big-endian uint32} then the
// payload. Chunks from the network split frames anywhere, so the demuxer buffers.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace akt::runtime::docker {

enum class StreamKind { stdin_, stdout_, stderr_ };

// Payload of one frame (or part of one, never split across calls beyond what arrived).
using StreamSink = std::function<void(StreamKind, std::string_view)>;

class StreamDemuxer {
public:
  // Frames bigger than this are refused: a corrupt header must not make us buffer GBs.
  static constexpr std::size_t k_max_frame = 16u << 20;

  explicit StreamDemuxer(StreamSink sink) : m_sink(std::move(sink)) {}
  // Feeds raw body bytes; fails on a bad stream id or an oversized frame.
  Status feed(std::string_view bytes);
  // True when no partial frame is pending.
  bool idle() const { return m_buffer.empty(); }

private:
  StreamSink m_sink;
  std::string m_buffer;
};

// Turns chunks into whole lines (without the '\n'); a final partial line comes out on
// flush(). Lines longer than max_line are cut so memory stays bounded.
class LineSplitter {
public:
  using LineSink = std::function<void(std::string_view)>;
  explicit LineSplitter(LineSink sink, std::size_t max_line = 1u << 20)
      : m_sink(std::move(sink)), m_max_line(max_line) {}
  void feed(std::string_view bytes);
  void flush();

private:
  LineSink m_sink;
  std::size_t m_max_line;
  std::string m_partial;
};

} // namespace akt::runtime::docker
