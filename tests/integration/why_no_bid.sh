#!/usr/bin/env bash
# Why no provider bid, per provider, wherever a tenant looks: `akt deploy` (exit 4, in its
# error and in its -o json document), `akt bids list` on an order without bids, and
# `akt deployment explain`. A provider taken down with `akt sim fault` is named as offline
# with how to bring it back. Bidding needs no Docker engine, so neither does this test.
set -euo pipefail
AKT=${AKT:?path to the akt binary}
export AKT_HOME=$(mktemp -d)
export AKT_FROM=tenant
trap 'rm -rf "$AKT_HOME"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$AKT" keys add tenant >/dev/null
"$AKT" ledger fund tenant 1000000000uakt >/dev/null
"$AKT" sim init >/dev/null
# A network without random misses, so every provider answers every round.
sed -i -E 's/^(\s+(fail|offline|early_close)): .*$/\1: 0/' "$AKT_HOME/sim.yaml"
providers=$("$AKT" -o json sim show | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["providers"]))')
[ -n "$providers" ] || fail "no providers in sim.yaml"

source "$(dirname "$0")/sdl.bash"
small_sdl "$AKT_HOME/mars.yaml" mars
small_sdl "$AKT_HOME/west.yaml" us-west

# 1. deploy: exit 4, every provider's reason, in text and in the JSON document.
set +e
"$AKT" deploy "$AKT_HOME/mars.yaml" --bid-window 2s >/dev/null 2>"$AKT_HOME/err"; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "deploy exit $rc, want 4"
for p in $providers; do
  grep -q "^  $p: missing_attribute: missing attribute region=mars" "$AKT_HOME/err" || fail "deploy names no reason for $p"
done
set +e
"$AKT" -o json deploy "$AKT_HOME/mars.yaml" --bid-window 2s >"$AKT_HOME/out.json" 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 4 ] || fail "deploy -o json exit $rc, want 4"
python3 - "$AKT_HOME/out.json" "$providers" <<'PY' || fail "deploy -o json error document"
import json, sys
doc = json.load(open(sys.argv[1]))
err = doc["error"]
assert err["exit_code"] == 4, err
assert err["message"].startswith("no acceptable bid for group \"dc\""), err
for p in sys.argv[2].split():
    assert any(d.startswith(p + ": missing_attribute") for d in err["details"]), (p, err["details"])
PY

# 2. bids list on the order without bids, and deployment explain.
"$AKT" deployment create "$AKT_HOME/mars.yaml" --dseq 5 >/dev/null 2>&1 || fail "deployment create"
"$AKT" bids list --dseq 5 >"$AKT_HOME/bids.txt" || fail "bids list"
grep -q "/5/1/1 (open): no bids" "$AKT_HOME/bids.txt" || fail "bids list does not say the order has no bids"
"$AKT" deployment explain 5 >"$AKT_HOME/explain.txt" || fail "explain"
for p in $providers; do
  grep -q "declined by $p (akash1[a-z0-9]*): missing_attribute: missing attribute region=mars (provider has region=" \
    "$AKT_HOME/bids.txt" || fail "bids list: no reason for $p"
  grep -q "declined by $p (akash1[a-z0-9]*): missing_attribute" "$AKT_HOME/explain.txt" || fail "explain: no reason for $p"
done
"$AKT" -o json bids list --dseq 5 | python3 -c '
import json, sys
orders = json.load(sys.stdin)
assert len(orders) == 1 and orders[0]["bids"] == 0, orders
names = sorted(d["provider_name"] for d in orders[0]["declined"])
assert names == sorted(sys.argv[1].split()), names
assert all(d["provider"].startswith("akash1") for d in orders[0]["declined"])
' "$providers" || fail "bids list -o json declined"

# 3. A provider taken down is offline, and says how to bring it back.
"$AKT" sim fault westcoast-cpu down >/dev/null
"$AKT" deployment create "$AKT_HOME/west.yaml" --dseq 6 >/dev/null 2>&1 || fail "deployment create 6"
"$AKT" deployment explain 6 >"$AKT_HOME/explain6.txt"
grep -q "declined by westcoast-cpu (akash1[a-z0-9]*): offline: provider westcoast-cpu is offline (\`akt sim fault westcoast-cpu up\` brings it back)" \
  "$AKT_HOME/explain6.txt" || { cat "$AKT_HOME/explain6.txt" >&2; fail "explain does not name the offline provider"; }
"$AKT" sim fault westcoast-cpu up >/dev/null
echo ok
