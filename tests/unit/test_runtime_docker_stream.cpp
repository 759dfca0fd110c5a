// Docker's multiplexed stdout/stderr framing and line splitting.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/docker/stream.hpp"

namespace docker = akt::runtime::docker;

namespace {

std::string frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  const auto size = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>((size >> 24) & 0xff);
  out[5] = static_cast<char>((size >> 16) & 0xff);
  out[6] = static_cast<char>((size >> 8) & 0xff);
  out[7] = static_cast<char>(size & 0xff);
  return out + payload;
}

struct Collected {
  std::string out;
  std::string err;
};

} // namespace

TEST_CASE("runtime/docker: the demuxer splits stdout and stderr whatever the chunking") {
  std::string bytes = frame(1, "hello\n") + frame(2, "oops\n") + frame(1, std::string(300, 'x'));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{9}, bytes.size()}) {
    Collected collected;
    docker::StreamDemuxer demuxer([&](docker::StreamKind kind, std::string_view payload) {
      (kind == docker::StreamKind::stderr_ ? collected.err : collected.out) += payload;
    });
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      REQUIRE(demuxer.feed(std::string_view(bytes).substr(at, chunk)));
    }
    CHECK(demuxer.idle());
    CHECK(collected.out == "hello\n" + std::string(300, 'x'));
    CHECK(collected.err == "oops\n");
  }
}

TEST_CASE("runtime/docker: the demuxer refuses corrupt headers and huge frames") {
  docker::StreamDemuxer demuxer([](docker::StreamKind, std::string_view) {});
  auto bad = demuxer.feed("HTTP/1.1 200 OK\r\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("bad frame header") != std::string::npos);
  std::string huge(8, '\0');
  huge[0] = 1;
  huge[4] = 0x7f;
  docker::StreamDemuxer other([](docker::StreamKind, std::string_view) {});
  CHECK_FALSE(other.feed(huge));
  docker::StreamDemuxer partial([](docker::StreamKind, std::string_view) {});
  CHECK(partial.feed(frame(1, "abc").substr(0, 5)));
  CHECK_FALSE(partial.idle());
}

TEST_CASE("runtime/docker: lines come out whole, CRLF trimmed, a last partial line on flush") {
  std::vector<std::string> lines;
  docker::LineSplitter splitter([&](std::string_view line) { lines.emplace_back(line); });
  splitter.feed("one\ntw");
  splitter.feed("o\r\n\nthree");
  CHECK(lines == std::vector<std::string>{"one", "two", ""});
  splitter.flush();
  CHECK(lines.back() == "three");
  std::vector<std::string> cut;
  docker::LineSplitter bounded([&](std::string_view line) { cut.emplace_back(line); }, 4);
  bounded.feed("abcdef");
  bounded.feed("gh\n");
  CHECK(cut == std::vector<std::string>{"abcdef", "gh"});
}
