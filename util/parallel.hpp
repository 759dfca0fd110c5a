#pragma once
// Independent pieces of work run side by side: Docker and the ledger answer concurrent
// requests, so doing them one by one would add their latencies up.
#include <cstddef>
#include <functional>

namespace akt::util {

// Runs work(i) for every i in [0, n) on up to `threads` threads, the calling one among
// them, and returns once every piece is done.
void run_parallel(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& work);

} // namespace akt::util
