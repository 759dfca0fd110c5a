#!/usr/bin/env bash
# Eight akt processes write one ledger file at once (signed sends, faucet mints, reads,
# and a key shared by all of them): nothing fails with "database is locked", no write is
# lost, and every account ends with exactly the balance and sequence its history implies.
set -euo pipefail
: "${AKT:?path to the akt binary}"
export AKT_HOME=$(mktemp -d)
trap 'rm -rf "$AKT_HOME"' EXIT
export AKT_KEYRING_PASSPHRASE=""
fail=0
procs=8
sends=15
mints=5

"$AKT" ledger init --chain-id akt-concurrency-1 > /dev/null
for i in $(seq 1 $procs); do "$AKT" keys add "k$i" > /dev/null; done
"$AKT" keys add shared > /dev/null
for i in $(seq 1 $procs); do "$AKT" ledger fund "k$i" 1000000uakt > /dev/null; done
"$AKT" ledger fund shared 1000000uakt > /dev/null

worker() {
  local i=$1 next=$(( $1 % procs + 1 )) n
  for n in $(seq 1 $sends); do
    "$AKT" --from "k$i" ledger send "k$next" 1uakt > /dev/null || echo "send k$i #$n exit $?"
    if (( n <= mints )); then
      "$AKT" ledger fund "k$i" 1uakt > /dev/null || echo "fund k$i #$n exit $?"
    fi
    "$AKT" -o json ledger status > /dev/null || echo "status k$i #$n exit $?"
  done
  "$AKT" --from shared ledger send "k$i" 1uakt > /dev/null || echo "shared send to k$i exit $?"
}

for i in $(seq 1 $procs); do worker "$i" > "$AKT_HOME/worker$i.out" 2> "$AKT_HOME/worker$i.err" & done
wait

for i in $(seq 1 $procs); do
  if [ -s "$AKT_HOME/worker$i.out" ] || [ -s "$AKT_HOME/worker$i.err" ]; then
    echo "FAIL: worker $i:"; cat "$AKT_HOME/worker$i.out" "$AKT_HOME/worker$i.err"; fail=1
  fi
  if grep -qiE 'locked|busy' "$AKT_HOME/worker$i.err"; then echo "FAIL: SQLITE_BUSY surfaced in worker $i"; fail=1; fi
done

# Each k_i sent $sends, received $sends from its neighbour, minted $mints and got 1 from shared.
want=$(( 1000000 + mints + 1 ))
for i in $(seq 1 $procs); do
  got=$("$AKT" -o json ledger account "k$i" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["balances"]["uakt"], d["next_sequence"])')
  [ "$got" = "$want $sends" ] || { echo "FAIL: k$i balance/sequence $got, want $want $sends"; fail=1; }
done
got=$("$AKT" -o json ledger account shared | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["balances"]["uakt"], d["next_sequence"])')
[ "$got" = "$(( 1000000 - procs )) $procs" ] || { echo "FAIL: shared balance/sequence $got"; fail=1; }

# The file passes SQLite's own integrity check.
if command -v sqlite3 > /dev/null; then
  [ "$(sqlite3 "$AKT_HOME/ledger.db" 'PRAGMA integrity_check')" = ok ] || { echo "FAIL: integrity_check"; fail=1; }
fi
exit $fail
