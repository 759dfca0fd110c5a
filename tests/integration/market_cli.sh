#!/usr/bin/env bash
# The market commands on an embedded ledger file: provider registers, tenant deploys,
# provider bids, tenant ranks and leases, escrow runway, close. Key and faucet setup use
# the `keys` and `ledger` command families; without them the test is skipped (77).
set -uo pipefail
: "${AKT:?path to the akt binary}" "${AKT_SOURCE_DIR:?source tree}"
export AKT_HOME=$(mktemp -d)
trap 'rm -rf "$AKT_HOME"' EXIT
unset AKT_LEDGER AKT_FROM AKT_KEYRING_PASSPHRASE
skip() { echo "SKIP: $*"; exit 77; }
fail=0
check() {  # check EXPECTED_RC DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" > "$AKT_HOME/out" 2> "$AKT_HOME/err"; local rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL: $what: exit $rc, want $want"; cat "$AKT_HOME/err"; fail=1; fi
}
json() { python3 -c "import json,sys; d=json.load(open('$AKT_HOME/out')); print($1)"; }

"$AKT" keys add tenant > /dev/null 2>&1 || skip "no 'akt keys add'"
"$AKT" keys add provider > /dev/null 2>&1 || skip "no 'akt keys add'"
T=$("$AKT" -o json keys show tenant | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])') || skip "no keys show"
P=$("$AKT" -o json keys show provider | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])') || skip "no keys show"
"$AKT" ledger fund "$T" 50000000uakt > /dev/null 2>&1 || skip "no 'akt ledger fund'"
"$AKT" ledger fund "$P" 5000000uakt > /dev/null 2>&1 || skip "no 'akt ledger fund'"
SDL=$AKT_SOURCE_DIR/examples/web-service.yaml

check 0 "provider register" -- "$AKT" provider register --from provider --host-uri https://p1.example:8443 --attr region=us-west
check 0 "deployment create" -- "$AKT" deployment create "$SDL" --from tenant --dseq 100 --deposit 5000000uakt
check 0 "order list" -- "$AKT" -o json orders list --owner "$T"
[ "$(json 'd[0]["state"]')" = open ] || { echo "FAIL: order not open"; fail=1; }
check 0 "bid create" -- "$AKT" bid create --from provider --owner "$T" --dseq 100 --price 0.5uakt
check 5 "bid above the order's maximum" -- "$AKT" bid create --from tenant --owner "$T" --dseq 100 --price 999999uakt
check 0 "bids ranked" -- "$AKT" -o json bids list --owner "$T" --dseq 100 --rank --explain
[ "$(json 'd[0]["rank"]')" = 1 ] || { echo "FAIL: ranking"; fail=1; }
check 0 "lease create" -- "$AKT" lease create --from tenant --dseq 100 --provider "$P"
check 0 "escrow runway" -- "$AKT" -o json escrow runway --from tenant --dseq 100
[ "$(json 'd["runway_blocks"] is not None')" = True ] || { echo "FAIL: runway"; fail=1; }
check 5 "update without a change" -- "$AKT" deployment update "$SDL" --from tenant --dseq 100
check 3 "unknown deployment" -- "$AKT" deployment show --from tenant --dseq 999
check 2 "no acting key" -- "$AKT" deployment close --dseq 100
check 0 "lease close" -- "$AKT" lease close --from tenant --dseq 100 --provider "$P"
check 0 "deployment close" -- "$AKT" deployment close --from tenant --dseq 100
check 0 "deployment show" -- "$AKT" -o json deployment show --from tenant --dseq 100
[ "$(json 'd["deployment"]["state"]')" = closed ] || { echo "FAIL: deployment not closed"; fail=1; }
exit $fail
