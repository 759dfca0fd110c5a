#!/usr/bin/env bash
# Fuzzes the SDL compiler and JSON codecs for SECONDS (default 60) with libFuzzer under
# ASan/UBSan. Builds into build-fuzz with clang. Seeds: examples/ and, when present, the
# shared SDL corpus; new inputs go to build-fuzz/corpus, crashes to build-fuzz/artifacts.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${AKT_FUZZ_BUILD_DIR:-$root/build-fuzz}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DAKT_FUZZ=ON -DAKT_TESTS=OFF \
  -DAKT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_sdl -j "$(nproc)"

mkdir -p "$build/corpus" "$build/artifacts"
seeds=("$root/examples" "$root/tests/data/sdl/fuzz")
corpus_dir=${AKT_SDL_CORPUS:-$root/../shared/sdl/corpus}
if [ -d "$corpus_dir" ]; then
  mkdir -p "$build/seeds"
  find "$corpus_dir" -name '*.yaml' -o -name '*.yml' -o -name '*.json' | while read -r f; do
    cp "$f" "$build/seeds/$(echo "$f" | sha1sum | cut -c1-16)"
  done
  seeds+=("$build/seeds")
fi

echo "fuzz: running fuzz_sdl for ${seconds}s"
"$build/fuzz/fuzz_sdl" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/fuzz/sdl.dict" -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  "$build/corpus" "${seeds[@]}"
