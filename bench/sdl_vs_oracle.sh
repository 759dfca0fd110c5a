#!/usr/bin/env bash
# Times `akt sdl validate FILE` against the TS oracle (`sdl-oracle FILE`) with hyperfine.
# Usage: bench/sdl_vs_oracle.sh [FILE]   (default bench/data/typical-2k.yaml)
# Env: AKT (binary, default build/akt), SDL_ORACLE (default /work/shared/sdl/oracle/sdl-oracle).
# Target: akt at least 20x faster.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-$root/bench/data/typical-2k.yaml}
akt=${AKT:-$root/build/akt}
oracle=${SDL_ORACLE:-/work/shared/sdl/oracle/sdl-oracle}
command -v hyperfine >/dev/null || { echo "sdl_vs_oracle: hyperfine missing (apt-get install hyperfine)" >&2; exit 77; }
[ -x "$akt" ] || { echo "sdl_vs_oracle: no akt binary at $akt (build first)" >&2; exit 77; }
[ -x "$oracle" ] || { echo "sdl_vs_oracle: no oracle at $oracle" >&2; exit 77; }
"$akt" sdl validate "$file" >/dev/null
"$oracle" "$file" >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
hyperfine -N --warmup 3 --min-runs 20 --export-json "$out" \
  -n akt "$akt sdl validate $file" -n oracle "$oracle $file"
python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"akt {r['akt']*1e3:.2f} ms, oracle {r['oracle']*1e3:.1f} ms: akt is {r['oracle']/r['akt']:.0f}x faster (target >= 20x)")
PY
