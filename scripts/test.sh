#!/usr/bin/env bash
# Builds akt and runs every test (unit, SDL corpus, integration against dockerd).
# Needs the packages of scripts/install-deps.sh; starts dockerd when run as root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${AKT_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" >/dev/null || { "$root/scripts/install-deps.sh"; exit 1; }
"$root/scripts/build.sh"
"$root/scripts/start-dockerd.sh" || echo "test: no Docker engine; the Docker tests will be skipped" >&2
ctest --test-dir "$build" --output-on-failure -j 2
