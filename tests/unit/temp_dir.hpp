#pragma once
// A fresh directory under /tmp for one test, removed with everything in it afterwards.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace akt::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "akt-test") {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

} // namespace akt::testing
