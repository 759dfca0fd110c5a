#!/usr/bin/env bash
# kill -9 the ledger server again and again while eight clients submit signed sends:
# every send a client saw acknowledged (exit 0) is in the ledger afterwards, no send is
# half-applied (the sink holds exactly one unit per consumed sequence), the market's
# invariants hold and SQLite finds the file intact.
set -euo pipefail
: "${AKT:?path to the akt binary}"
export AKT_HOME=$(mktemp -d)
server_pid=
cleanup() {
  touch "$AKT_HOME/stop" 2> /dev/null || true
  if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2> /dev/null || true; fi
  wait 2> /dev/null || true
  rm -rf "$AKT_HOME"
}
trap cleanup EXIT
export AKT_KEYRING_PASSPHRASE=""
fail=0
clients=8
kills=${AKT_CRASH_KILLS:-6}

"$AKT" ledger init --chain-id akt-crash-1 > /dev/null
"$AKT" keys add sink > /dev/null
for i in $(seq 1 $clients); do "$AKT" keys add "c$i" > /dev/null; "$AKT" ledger fund "c$i" 1000000uakt > /dev/null; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

start_server() {
  "$AKT" ledger serve --listen "127.0.0.1:$port" >> "$AKT_HOME/serve.out" 2>> "$AKT_HOME/serve.err" &
  server_pid=$!
  for _ in $(seq 1 100); do
    "$AKT" --ledger "$url" ledger status > /dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "FAIL: the server did not come up"; cat "$AKT_HOME/serve.err"; exit 1
}

# Each client counts the sends acknowledged to it; 7 (server gone) is expected while it
# is down, anything else is a failure.
client() {
  local i=$1 acked=0 code
  while [ ! -e "$AKT_HOME/stop" ]; do
    set +e
    "$AKT" --ledger "$url" --from "c$i" ledger send sink 1uakt > /dev/null 2> "$AKT_HOME/c$i.last"
    code=$?
    set -e
    case $code in
      0) acked=$((acked + 1)); echo "$acked" > "$AKT_HOME/c$i.acked" ;;
      7) sleep 0.02 ;;
      *) echo "client c$i: exit $code: $(cat "$AKT_HOME/c$i.last")" >> "$AKT_HOME/c$i.errors" ;;
    esac
  done
}

start_server
for i in $(seq 1 $clients); do echo 0 > "$AKT_HOME/c$i.acked"; client "$i" & done
for k in $(seq 1 $kills); do
  sleep "0.$((RANDOM % 6 + 4))"
  kill -9 "$server_pid"
  wait "$server_pid" 2> /dev/null || true
  start_server
done
sleep 0.5
touch "$AKT_HOME/stop"
wait $(jobs -p | grep -v "^$server_pid\$") 2> /dev/null || true
kill -9 "$server_pid"; wait "$server_pid" 2> /dev/null || true
server_pid=
start_server

total_acked=0
total_seq=0
for i in $(seq 1 $clients); do
  if [ -s "$AKT_HOME/c$i.errors" ]; then echo "FAIL: client c$i:"; head -5 "$AKT_HOME/c$i.errors"; fail=1; fi
  acked=$(cat "$AKT_HOME/c$i.acked")
  read -r seq balance < <("$AKT" -o json --ledger "$url" ledger account "c$i" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["next_sequence"], d["balances"]["uakt"])')
  # Every acknowledged send consumed one sequence; unacknowledged ones may have landed too.
  (( seq >= acked )) || { echo "FAIL: c$i: $acked sends acknowledged but only $seq in the ledger"; fail=1; }
  (( balance == 1000000 - seq )) || { echo "FAIL: c$i: balance $balance after $seq sends"; fail=1; }
  total_acked=$((total_acked + acked))
  total_seq=$((total_seq + seq))
done
sink=$("$AKT" -o json --ledger "$url" ledger account sink | python3 -c 'import json,sys; print(json.load(sys.stdin)["balances"].get("uakt", "0"))')
(( sink == total_seq )) || { echo "FAIL: the sink holds $sink but $total_seq sends were applied"; fail=1; }
(( total_acked > 0 )) || { echo "FAIL: no send was acknowledged"; fail=1; }
"$AKT" --ledger "$url" ledger check > "$AKT_HOME/check.out" 2>&1 || { echo "FAIL: ledger check:"; cat "$AKT_HOME/check.out"; fail=1; }
kill -TERM "$server_pid"; wait "$server_pid" 2> /dev/null || true
server_pid=
if command -v sqlite3 > /dev/null; then
  [ "$(sqlite3 "$AKT_HOME/ledger.db" 'PRAGMA integrity_check')" = ok ] || { echo "FAIL: integrity_check"; fail=1; }
fi
echo "ledger_crash: $kills kills, $total_acked sends acknowledged, $total_seq applied" >&2
exit $fail
