#!/usr/bin/env bash
# A provider that fails every lease it wins is replaced by the next-ranked bid of another
# provider; its lease is closed and nothing of it is left in Docker. With --attempts 1 the
# same failure ends the deploy with exit 6.
source "$(dirname "$0")/deploy_common.bash"
sdl=$AKT_HOME/one.yaml
one_service_sdl "$sdl"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The provider the ranking picks first for this SDL now fails every lease.
out=$("$AKT" -o json deploy "$sdl" --bid-window 3s)
first=$(echo "$out" | json 'd["leases"][0]["provider_name"]')
"$AKT" deployment close --dseq "$(echo "$out" | json 'd["deployment"]["dseq"]')" >/dev/null
python3 - "$AKT_HOME/sim.yaml" "$first" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
text = open(path).read()
start = text.index("  - name: " + name + "\n")
end = text.find("\n  - name: ", start + 1)
end = len(text) if end < 0 else end
block = re.sub(r"^(\s+fail): .*$", r"\1: 1", text[start:end], flags=re.M)
open(path, "w").write(text[:start] + block + text[end:])
PY

out=$("$AKT" -o json deploy "$sdl" --bid-window 3s)
dseq=$(echo "$out" | json 'd["deployment"]["dseq"]')
now=$(echo "$out" | json 'd["leases"][0]["provider_name"]')
[ "$now" != "$first" ] || fail "the failing provider $first still holds the lease"
[ "$(echo "$out" | json 'len(d["leases"][0]["replaced"])')" = 1 ] || fail "expected one replaced lease: $out"
[ "$(echo "$out" | json 'd["leases"][0]["replaced"][0]["provider_name"]')" = "$first" ] || fail "replaced lease is not $first's"
echo "$out" | json 'd["leases"][0]["replaced"][0]["error"]' | grep -q "simulated failure" || fail "replaced lease without its error"
failed=$(echo "$out" | json 'd["leases"][0]["replaced"][0]["provider"]')
"$AKT" -o json lease list --dseq "$dseq" | python3 -c '
import json, sys
leases = json.load(sys.stdin)
failed = [l for l in leases if l["id"]["provider"] == sys.argv[1]]
assert len(failed) == 1 and failed[0]["state"] == "closed" and failed[0]["reason"] == "owner", failed
assert sum(1 for l in leases if l["state"] == "active") == 1, leases
' "$failed" || fail "the failed lease is not closed, or not exactly one lease is active"
[ "$(lease_containers "$TENANT/$dseq")" -eq 1 ] || fail "expected one container for the deployment"
"$AKT" deployment close --dseq "$dseq" >/dev/null

set +e; err=$("$AKT" deploy "$sdl" --bid-window 3s --attempts 1 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 6 ] || fail "--attempts 1: expected exit 6, got $rc: $err"
echo "$err" | grep -q "simulated failure" || fail "--attempts 1: error does not say why: $err"
echo ok
