#include <doctest/doctest.h>

#include "sdl/units.hpp"

using namespace akt::sdl::units;

TEST_CASE("sdl::units CPU millis follow Go's cpuQuantity") {
  CHECK(*cpu_millis("100m") == 100);
  CHECK(*cpu_millis("0.5") == 500);
  CHECK(*cpu_millis("2") == 2000);
  CHECK(*cpu_millis("1.001") == 1000);  // float64 truncation
  CHECK(*cpu_millis("1e1") == 10000);
  CHECK(cpu_millis("-100m").error().message == "strconv.ParseUint: parsing \"-100\": invalid syntax");
  CHECK(cpu_millis("1.5m").error().message == "strconv.ParseUint: parsing \"1.5\": invalid syntax");
  CHECK(cpu_millis("1.5x").error().message == "strconv.ParseFloat: parsing \"1.5x\": invalid syntax");
  CHECK(cpu_millis("-1").error().message == "invalid: negative value not allowed");
}

TEST_CASE("sdl::units byte sizes follow Go's suffix table") {
  CHECK(*bytes("1Gi") == 1073741824ULL);
  CHECK(*bytes("512Mi") == 536870912ULL);
  CHECK(*bytes("1k") == 1000ULL);
  CHECK(*bytes("1M") == 1000000ULL);
  CHECK(*bytes("0.3Gi") == 322122547ULL);
  CHECK(*bytes("1073741824") == 1073741824ULL);
  CHECK(bytes("512MB").error().message == "strconv.ParseFloat: parsing \"512MB\": invalid syntax");
  CHECK(bytes("512mi").error().message == "strconv.ParseFloat: parsing \"512mi\": invalid syntax");
  CHECK(bytes("-1Gi").error().message == "invalid: negative value not allowed");
  CHECK(bytes("40G", true).error().message == "strconv.ParseFloat: parsing \"40G\": invalid syntax");
  CHECK(*bytes("40960Mi", true) / 1073741824ULL == 40);
}

TEST_CASE("sdl::units Go number and duration parsing") {
  CHECK(parse_uint("24", 64).value() == 24);
  CHECK(parse_uint("1.5", 64).error().message == "strconv.ParseUint: parsing \"1.5\": invalid syntax");
  CHECK(parse_uint("99999999999999999999", 64).error().message ==
        "strconv.ParseUint: parsing \"99999999999999999999\": value out of range");
  CHECK(parse_float("1e400").error().message == "strconv.ParseFloat: parsing \"1e400\": value out of range");
  CHECK(*duration("24h") == 24LL * 3600 * 1000000000);
  CHECK(*duration("1h30m") == 5400LL * 1000000000);
  CHECK(*duration("0") == 0);
  CHECK(duration("abc").error().message == "time: invalid duration \"abc\"");
  CHECK(duration("10").error().message == "time: missing unit in duration \"10\"");
  CHECK(duration("1x").error().message == "time: unknown unit \"x\" in duration \"1x\"");
  CHECK(go_quote("a\"b\n") == "\"a\\\"b\\n\"");
}
