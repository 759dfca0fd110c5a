#!/usr/bin/env bash
# Configures and builds akt into ${AKT_BUILD_DIR:-build}. Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${AKT_BUILD_DIR:-$root/build}
werror=${AKT_WERROR:-OFF}
cmake -S "$root" -B "$build" -G Ninja -DAKT_WERROR="$werror" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
