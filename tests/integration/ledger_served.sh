#!/usr/bin/env bash
# `akt ledger serve` puts a ledger file behind HTTP: commands given --ledger http://…
# print exactly what they print against the file, writes through either path are seen
# by the other, concurrent clients lose nothing, an unreachable server is exit 7 naming
# the URL, and SIGTERM stops the server cleanly.
set -euo pipefail
: "${AKT:?path to the akt binary}"
export AKT_HOME=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; fi
  rm -rf "$AKT_HOME"
}
trap cleanup EXIT
export AKT_KEYRING_PASSPHRASE=""
fail=0
file="$AKT_HOME/ledger.db"

"$AKT" ledger init --chain-id akt-served-1 > /dev/null
for k in alice bob carol; do "$AKT" keys add "$k" > /dev/null; done

"$AKT" ledger serve --listen 127.0.0.1:0 > "$AKT_HOME/serve.out" 2> "$AKT_HOME/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do grep -q 'http://' "$AKT_HOME/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$AKT_HOME/serve.out" || true)
[ -n "$url" ] || { echo "FAIL: the server printed no URL"; cat "$AKT_HOME/serve.out" "$AKT_HOME/serve.err"; exit 1; }

# Writes through HTTP and through the file.
"$AKT" --ledger "$url" ledger fund alice 5000000uakt > /dev/null
"$AKT" ledger fund bob 3000000uakt > /dev/null
"$AKT" --ledger "$url" --from alice ledger send carol 1234uakt > /dev/null
"$AKT" --from bob ledger send carol 766uakt > /dev/null
"$AKT" --ledger "$url" ledger advance --blocks 3 > /dev/null

# Same output from both paths (the "ledger" line names the path, so it is left out).
same() {
  local a b
  a=$("$AKT" "$@" 2>&1 | grep -v '^ledger:' | grep -v '"ledger":' || true)
  b=$("$AKT" --ledger "$url" "$@" 2>&1 | grep -v '^ledger:' | grep -v '"ledger":' || true)
  if [ "$a" != "$b" ]; then echo "FAIL: akt $* differs:"; diff <(echo "$a") <(echo "$b") || true; fail=1; fi
}
for k in alice bob carol; do same ledger account "$k"; same -o json ledger account "$k"; done
same ledger status
same -o json ledger status
same ledger check
same -o json ledger check
same ledger account akash1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq
same --from carol ledger send alice 999999999999uakt

carol=$("$AKT" -o json --ledger "$url" ledger account carol | python3 -c 'import json,sys; print(json.load(sys.stdin)["balances"]["uakt"])')
[ "$carol" = 2000 ] || { echo "FAIL: carol has $carol, want 2000"; fail=1; }

# A refusal keeps its exit code over HTTP.
set +e
"$AKT" --ledger "$url" --from carol ledger send alice 999999999999uakt > /dev/null 2>&1
code=$?
set -e
[ "$code" = 5 ] || { echo "FAIL: refused send exit $code, want 5"; fail=1; }

# Six client processes at once, each sending ten times.
worker() {
  local i
  for i in $(seq 1 10); do
    "$AKT" --ledger "$url" --from "w$1" ledger send carol 1uakt > /dev/null || echo "send w$1 #$i exit $?"
  done
}
for w in 1 2 3 4 5 6; do "$AKT" keys add "w$w" > /dev/null; "$AKT" --ledger "$url" ledger fund "w$w" 1000uakt > /dev/null; done
for w in 1 2 3 4 5 6; do worker "$w" > "$AKT_HOME/w$w.out" 2>&1 & done
wait $(jobs -p | grep -v "^$server_pid\$")
for w in 1 2 3 4 5 6; do
  if [ -s "$AKT_HOME/w$w.out" ]; then echo "FAIL: worker $w:"; cat "$AKT_HOME/w$w.out"; fail=1; fi
done
carol=$("$AKT" -o json ledger account carol | python3 -c 'import json,sys; print(json.load(sys.stdin)["balances"]["uakt"])')
[ "$carol" = 2060 ] || { echo "FAIL: carol has $carol after the workers, want 2060"; fail=1; }
"$AKT" --ledger "$url" ledger check > /dev/null || { echo "FAIL: ledger check over HTTP"; fail=1; }

# Serving a URL is refused; a second server on the same port is refused.
set +e
"$AKT" --ledger "$url" ledger serve --listen 127.0.0.1:0 > /dev/null 2>&1; code=$?
[ "$code" = 2 ] || { echo "FAIL: serving a URL exit $code, want 2"; fail=1; }
timeout 5 "$AKT" ledger serve --listen "${url#http://}" > /dev/null 2> "$AKT_HOME/second.err"; code=$?
set -e
[ "$code" = 7 ] || { echo "FAIL: second server on a used port exit $code, want 7"; cat "$AKT_HOME/second.err"; fail=1; }

# SIGTERM: a clean stop, exit 0.
kill -TERM "$server_pid"
set +e
wait "$server_pid"; code=$?
set -e
server_pid=
[ "$code" = 0 ] || { echo "FAIL: server exit $code after SIGTERM"; cat "$AKT_HOME/serve.err"; fail=1; }
grep -q 'stopped' "$AKT_HOME/serve.err" || { echo "FAIL: no stop message"; fail=1; }

# Nobody listens now: exit 7 and the URL in the message.
set +e
"$AKT" --ledger "$url" ledger status > /dev/null 2> "$AKT_HOME/unreach.err"; code=$?
set -e
[ "$code" = 7 ] || { echo "FAIL: unreachable exit $code, want 7"; fail=1; }
grep -q "$url" "$AKT_HOME/unreach.err" || { echo "FAIL: the error does not name $url:"; cat "$AKT_HOME/unreach.err"; fail=1; }
exit $fail
