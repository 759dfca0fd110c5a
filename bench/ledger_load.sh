#!/usr/bin/env bash
# Served-ledger throughput: starts `akt ledger serve` on a fresh ledger file and drives it
# with akt_ledger_load (16 clients over loopback HTTP, signed sends, every ack durable).
#   bench/ledger_load.sh [BUILD_DIR=build] [CLIENTS=16] [TXS_PER_CLIENT=1000] [PER_REQUEST=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
clients=${2:-16}
per_client=${3:-1000}
per_request=${4:-1}
export AKT_HOME=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2> /dev/null; wait 2> /dev/null; rm -rf "$AKT_HOME"' EXIT
"$build/akt" ledger init --chain-id akt-load-1 > /dev/null
"$build/akt" ledger serve --listen 127.0.0.1:0 > "$AKT_HOME/serve.out" 2> "$AKT_HOME/serve.err" &
pid=$!
for _ in $(seq 1 100); do grep -q 'http://' "$AKT_HOME/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$AKT_HOME/serve.out")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu_ticks)
"$build/bench/akt_ledger_load" "$url" "$clients" "$per_client" "$per_request"
after=$(cpu_ticks)
echo "server CPU (setup and verification included): $(( (after - before) * 1000000 / $(getconf CLK_TCK) / (clients * per_client) )) us per tx"
kill -TERM "$pid"; wait "$pid" || true; pid=
cat "$AKT_HOME/serve.err"
