#!/usr/bin/env bash
# The market commands end to end with the real binary: keys for a tenant, two providers
# and an auditor; faucet funds; providers register, the auditor signs; the tenant deploys
# examples/web-service.yaml and a two-group SDL; both providers bid; bids are listed over
# every group and order and ranked (--rank, --explain, --policy); a lease is created, the
# escrow runs for 10 blocks, the provider withdraws, the lease closes (order 2 opens), the
# group pauses and starts (order 3), deposits, updates and closes; refusals exit 2/3/5.
#
# The flow runs on an embedded ledger file, then (when `akt ledger serve` exists) again on
# a served ledger with the same keys, and every read command's JSON must be the same.
# The ledgers use a one-day block interval so heights move only by `ledger advance`.
set -uo pipefail
: "${AKT:?path to the akt binary}" "${AKT_SOURCE_DIR:?source tree}"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2> /dev/null; wait "$SERVER_PID" 2> /dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export AKT_HOME=$WORK/home
unset AKT_LEDGER AKT_FROM
export AKT_KEYRING_PASSPHRASE=""
fail=0
OUT=$WORK/out
ERR=$WORK/err

bad() { echo "FAIL [$MODE]: $*"; fail=1; }
# check EXPECTED_RC DESCRIPTION -- command...: runs it, output in $OUT, stderr in $ERR.
check() {
  local want=$1 what=$2; shift 3
  "$@" > "$OUT" 2> "$ERR"; local rc=$?
  if [ "$rc" != "$want" ]; then bad "$what: exit $rc, want $want"; sed 's/^/    /' "$ERR"; return 1; fi
  return 0
}
# A read command: exit 0, one JSON document, kept as $SNAP/NAME.json for the comparison.
snap() {
  local name=$1; shift 2
  check 0 "$name" -- "$@" || return 1
  python3 -m json.tool "$OUT" > /dev/null 2>&1 || { bad "$name: stdout is not one JSON document"; return 1; }
  cp "$OUT" "$SNAP/$name.json"
}
# j 'PYTHON EXPRESSION over d' prints it for the JSON in $OUT.
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$OUT" 2> /dev/null; }
expect() {  # expect DESCRIPTION 'EXPR' WANT
  local got; got=$(j "$2")
  [ "$got" = "$3" ] || bad "$1: got '$got', want '$3'"
}

# ---- keys (shared by both runs, so addresses and output agree) ---------------------------
MODE=setup
for k in tenant p1 p2 auditor; do check 0 "keys add $k" -- "$AKT" keys add "$k" || exit 1; done
T=$("$AKT" keys show tenant -a); P1=$("$AKT" keys show p1 -a); P2=$("$AKT" keys show p2 -a)
A=$("$AKT" keys show auditor -a)
SDL=$AKT_SOURCE_DIR/examples/web-service.yaml
[ -f "$SDL" ] || { echo "FAIL: $SDL is missing"; exit 1; }
# Same groups, another manifest (image): a valid update.
sed 's/nginx:1.25-alpine/nginx:1.27-alpine/' "$SDL" > "$WORK/web-v2.yaml"
# Other resources (count 2): a new deployment, not an update.
sed 's/count: 1/count: 2/' "$SDL" > "$WORK/web-count2.yaml"
# Two placements → two groups.
python3 - "$SDL" "$WORK/two-groups.yaml" << 'EOF'
import sys
text = open(sys.argv[1]).read()
# A hostname may appear once per deployment, and each group repeats the service.
text = text.replace("""        accept:
          - www.example.com
""", "")
text = text.replace("""  placement:
    dcloud:""", """  placement:
    west:
      attributes:
        region: us-west
      pricing:
        web:
          denom: uakt
          amount: 2000
    dcloud:""")
text = text.replace("""      profile: web
      count: 1""", """      profile: web
      count: 1
    west:
      profile: web
      count: 1""")
open(sys.argv[2], "w").write(text)
EOF
printf 'services: [\n  broken\n' > "$WORK/bad.yaml"
printf 'weights: {price: 1, audited: 5}\ntrusted_auditors: [%s]\n' "$A" > "$WORK/policy.yaml"

flow() {
  # ---- funds, providers, audit ----------------------------------------------------------
  check 0 "fund tenant" -- "$AKT" ledger fund tenant 50000000uakt
  for k in p1 p2 auditor; do check 0 "fund $k" -- "$AKT" ledger fund "$k" 5000000uakt; done
  check 0 "p1 register" -- "$AKT" provider register --from p1 --host-uri https://p1.example:8443 --attr region=us-west
  check 0 "p2 register" -- "$AKT" provider register --from p2 --host-uri https://p2.example:8443 --attr region=eu-central
  check 2 "host URI with a path" -- "$AKT" provider register --from auditor --host-uri https://a.example:8443/api
  grep -q "write it like https://" "$ERR" || bad "a bad host URI is explained"
  check 0 "audit sign" -- "$AKT" -o json audit sign --from auditor "$P1" region=us-west
  expect "audit event" 'd["events"][0]["type"]' provider_audited
  snap provider-show -- "$AKT" -o json provider show "$P1"
  expect "p1 audited" '[a["auditor"] for a in d["audits"]]' "['$A']"
  snap provider-list -- "$AKT" -o json providers list
  expect "two providers" 'len(d)' 2

  # ---- deployments and orders -----------------------------------------------------------
  check 0 "deployment create" -- "$AKT" -o json deployment create "$SDL" --from tenant --dseq 100 --deposit 5000000uakt
  expect "one order opened" '[e["type"] for e in d["events"]].count("order_opened")' 1
  check 0 "two-group deployment" -- "$AKT" deployment create "$WORK/two-groups.yaml" --from tenant --dseq 200 --deposit 5000000uakt
  check 5 "dseq 100 again" -- "$AKT" deployment create "$SDL" --from tenant --dseq 100
  snap orders -- "$AKT" -o json orders list --owner "$T"
  expect "three open orders" 'sorted((o["id"]["dseq"], o["id"]["gseq"], o["id"]["oseq"], o["state"]) for o in d)' \
    "[('100', 1, 1, 'open'), ('200', 1, 1, 'open'), ('200', 2, 1, 'open')]"

  # ---- bids -------------------------------------------------------------------------------
  check 0 "p1 bid 100" -- "$AKT" bid create --from p1 --owner "$T" --dseq 100 --price 600uakt
  check 0 "p2 bid 100" -- "$AKT" bid create --from p2 --owner "$T" --dseq 100 --price 400uakt
  check 0 "p1 bid 200/1" -- "$AKT" bid create --from p1 --owner "$T" --dseq 200 --gseq 1 --price 900uakt
  check 0 "p2 bid 200/1" -- "$AKT" bid create --from p2 --owner "$T" --dseq 200 --gseq 1 --price 950uakt
  check 5 "p1 bid above the order's maximum" -- "$AKT" bid create --from p1 --owner "$T" --dseq 200 --gseq 2 --price 999999uakt
  check 0 "p1 bid 200/2" -- "$AKT" bid create --from p1 --owner "$T" --dseq 200 --gseq 2 --price 1500uakt
  check 5 "p2 lacks the west group's region" -- "$AKT" bid create --from p2 --owner "$T" --dseq 200 --gseq 2 --price 1500uakt
  grep -q "region=us-west" "$ERR" || bad "the refusal names the missing attribute"
  check 5 "second bid of p1 on one order" -- "$AKT" bid create --from p1 --owner "$T" --dseq 100 --price 500uakt
  check 5 "a tenant is no provider" -- "$AKT" bid create --from tenant --owner "$T" --dseq 100 --price 1uakt
  check 3 "bid on a missing order" -- "$AKT" bid create --from p1 --owner "$T" --dseq 100 --gseq 7 --price 1uakt
  snap bids -- "$AKT" -o json bids list --owner "$T"
  expect "bids on every group and order" 'sorted((b["id"]["dseq"], b["id"]["gseq"], b["id"]["provider"][-4:], b["state"]) for b in d)' \
    "$(python3 -c "print(sorted([('100',1,'${P1: -4}','open'),('100',1,'${P2: -4}','open'),('200',1,'${P1: -4}','open'),('200',1,'${P2: -4}','open'),('200',2,'${P1: -4}','open')]))")"
  snap bids-rank-all -- "$AKT" -o json bids list --rank
  expect "ranked per order" '[(r["order"]["dseq"], r["order"]["gseq"], r["rank"], r["bid"]["provider"] == "'"$P2"'") for r in d]' \
    "[('100', 1, 1, True), ('100', 1, 2, False), ('200', 1, 1, False), ('200', 1, 2, True), ('200', 2, 1, False)]"
  snap bids-rank -- "$AKT" -o json bids list --owner "$T" --dseq 100 --rank
  expect "cheapest first" '[r["bid"]["provider"] for r in d]' "['$P2', '$P1']"
  expect "no explanation without --explain" '"explanation" in d[0]' False
  snap bids-explain -- "$AKT" -o json bids list --owner "$T" --dseq 100 --explain
  expect "explained" 'd[0]["explanation"]' "score 1000000: price 400uakt/block (price 1.00×1)"
  check 0 "explain text" -- "$AKT" bids list --owner "$T" --dseq 100 --explain
  grep -q "^order $T/100/1/1" "$OUT" || bad "explain text names the order"
  grep -q "1\. $P2  400uakt/block  — score 1000000" "$OUT" || bad "explain text ranks p2 first"
  snap bids-policy -- "$AKT" -o json bids list --owner "$T" --dseq 100 --policy "$WORK/policy.yaml" --explain
  expect "audited provider first under the policy" '[r["bid"]["provider"] for r in d]' "['$P1', '$P2']"
  expect "policy explanation" '"audited 1.00×5" in d[0]["explanation"]' True
  printf 'weights: {price: 1, colour: 2}\n' > "$WORK/bad-policy.yaml"
  check 2 "unknown policy key" -- "$AKT" bids list --policy "$WORK/bad-policy.yaml"
  check 3 "missing policy file" -- "$AKT" bids list --policy "$WORK/nowhere.yaml"

  # ---- lease, escrow, withdraw ------------------------------------------------------------
  check 0 "lease create" -- "$AKT" -o json lease create --from tenant --dseq 100 --provider "$P2"
  expect "lease created" '"lease_created" in [e["type"] for e in d["events"]]' True
  snap bids-after-lease -- "$AKT" -o json bids list --owner "$T" --dseq 100
  expect "winner active, other lost" 'sorted((b["id"]["provider"] == "'"$P2"'", b["state"]) for b in d)' "[(False, 'lost'), (True, 'active')]"
  snap leases -- "$AKT" -o json leases list --owner "$T"
  expect "one active lease at 400" '[(l["state"], l["price"]["amount"]) for l in d]' "[('active', '400.000000000000000000')]"
  snap escrow-runway -- "$AKT" -o json escrow runway --from tenant --dseq 100
  expect "burn rate" 'd["burn_rate"]["amount"]' 400.000000000000000000
  expect "runway = balance / rate" 'int(d["runway_blocks"]) == int(d["account"]["balance"]) // 400' True
  before=$(j 'd["account"]["balance"]')
  p2_before=$("$AKT" -o json ledger account p2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["balances"]["uakt"])')
  check 0 "advance 10 blocks" -- "$AKT" ledger advance --blocks 10
  snap escrow-show -- "$AKT" -o json escrow show --from tenant --dseq 100
  expect "10 blocks earned" '[p["balance"] for p in d["payments"]]' "['4000']"
  expect "10 blocks charged" 'int(d["account"]["balance"])' "$((before - 4000))"
  check 3 "withdraw without a lease" -- "$AKT" lease withdraw --from p1 --owner "$T" --dseq 100
  check 0 "withdraw" -- "$AKT" lease withdraw --from p2 --owner "$T" --dseq 100
  check 0 "p2 account" -- "$AKT" -o json ledger account p2
  expect "p2 paid" 'int(d["balances"]["uakt"])' "$((p2_before + 4000))"
  snap lease-show -- "$AKT" -o json lease show --from tenant --dseq 100 --provider "$P2"
  expect "withdrawn" 'd["payment"]["withdrawn"]' 4000
  check 5 "p1 closes p2's lease" -- "$AKT" lease close --from p1 --owner "$T" --dseq 100 --provider "$P2"
  grep -q "owner\|provider" "$ERR" || bad "the refusal says who may close a lease"

  # ---- lease close → order 2; pause → start → order 3 ------------------------------------
  snap lease-show-only -- "$AKT" -o json lease show --from tenant --dseq 100
  expect "the only active lease" 'd["lease"]["id"]["provider"]' "$P2"
  check 0 "lease close" -- "$AKT" lease close --from tenant --dseq 100
  snap orders-after-close -- "$AKT" -o json orders list --owner "$T" --dseq 100
  expect "order 1 closed, order 2 open" '[(o["id"]["oseq"], o["state"]) for o in d]' "[(1, 'closed'), (2, 'open')]"
  check 0 "p1 bids on order 2" -- "$AKT" bid create --from p1 --owner "$T" --dseq 100 --oseq 2 --price 500uakt
  check 5 "group pause by another" -- "$AKT" group pause --from p1 --owner "$T" --dseq 100 --gseq 1
  check 0 "group pause" -- "$AKT" group pause --from tenant --dseq 100 --gseq 1
  snap deployment-paused -- "$AKT" -o json deployment show --from tenant --dseq 100
  expect "group paused" '[g["state"] for g in d["groups"]]' "['paused']"
  expect "no open order" '[o["state"] for o in d["orders"]]' "['closed', 'closed']"
  check 0 "group start" -- "$AKT" group start --from tenant --dseq 100 --gseq 1
  snap orders-after-start -- "$AKT" -o json orders list --owner "$T" --dseq 100 --state open
  expect "order 3 open" '[(o["id"]["oseq"], o["state"]) for o in d]' "[(3, 'open')]"

  # ---- deposit, update, close ---------------------------------------------------------------
  check 0 "escrow" -- "$AKT" -o json escrow show --from tenant --dseq 100
  balance=$(j 'd["account"]["balance"]')
  check 0 "deposit by p1" -- "$AKT" deployment deposit --from p1 --owner "$T" --dseq 100 1000000uakt
  snap escrow-after-deposit -- "$AKT" -o json escrow show --from tenant --dseq 100
  expect "deposit added" 'int(d["account"]["balance"])' "$((balance + 1000000))"
  expect "depositor tracked" '"'"$P1"'" in [x["depositor"] for x in d["account"]["deposits"]]' True
  check 0 "deployment" -- "$AKT" -o json deployment show --from tenant --dseq 100
  hash=$(j 'd["deployment"]["hash"]')
  check 5 "update without a change" -- "$AKT" deployment update "$SDL" --from tenant --dseq 100
  check 5 "update changing groups" -- "$AKT" deployment update "$WORK/web-count2.yaml" --from tenant --dseq 100
  grep -qi "group" "$ERR" || bad "the refusal names the groups"
  check 5 "update by another" -- "$AKT" deployment update "$WORK/web-v2.yaml" --from p1 --owner "$T" --dseq 100
  check 0 "update with a new manifest" -- "$AKT" deployment update "$WORK/web-v2.yaml" --from tenant --dseq 100
  snap deployment-updated -- "$AKT" -o json deployment show --from tenant --dseq 100
  expect "hash changed" "d['deployment']['hash'] != '$hash' and len(d['deployment']['hash'])" 64
  check 2 "bad SDL" -- "$AKT" deployment create "$WORK/bad.yaml" --from tenant --dseq 300
  grep -q "bad.yaml:" "$ERR" || bad "a bad SDL error names the file"
  check 3 "unknown deployment" -- "$AKT" deployment show --from tenant --dseq 999
  check 2 "negative dseq" -- "$AKT" deployment show --from tenant --dseq -1
  check 3 "escrow of an unknown deployment" -- "$AKT" escrow show --from tenant --dseq 999
  check 2 "no acting key" -- "$AKT" deployment close --dseq 100
  check 5 "close by another" -- "$AKT" deployment close --from p1 --owner "$T" --dseq 100
  check 0 "deployment close" -- "$AKT" deployment close --from tenant --dseq 100
  snap deployment-closed -- "$AKT" -o json deployment show --from tenant --dseq 100
  expect "closed" '(d["deployment"]["state"], [g["state"] for g in d["groups"]], d["escrow"]["state"])' "('closed', ['closed'], 'closed')"
  snap deployments -- "$AKT" -o json deployments list --from tenant
  expect "states" '[(x["id"]["dseq"], x["state"]) for x in d]' "[('100', 'closed'), ('200', 'active')]"
  snap bids-final -- "$AKT" -o json bids list --owner "$T"
  snap leases-final -- "$AKT" -o json leases list --owner "$T"
  snap provider-p2-final -- "$AKT" -o json provider show "$P2"
  expect "p2 history" '[d["leases"][k] for k in ("total", "active", "completed", "closed_by_provider")]' "[1, 0, 1, 0]"
}

# ---- embedded ledger file -------------------------------------------------------------------
MODE=embedded
SNAP=$WORK/embedded
mkdir -p "$SNAP"
check 0 "ledger init" -- "$AKT" ledger init --block-interval 86400s || exit 1
flow
echo "embedded run: $(ls "$SNAP" | wc -l) read outputs checked"

# ---- served ledger ----------------------------------------------------------------------------
MODE=served
if ! "$AKT" ledger --help 2>&1 | grep -qE '^ +serve( |$)'; then
  echo "SKIP [served]: this akt has no 'akt ledger serve'; only the embedded run was checked"
  exit $fail
fi
SNAP=$WORK/served
mkdir -p "$SNAP"
"$AKT" --ledger "$WORK/served.db" ledger init --block-interval 86400s > /dev/null || { bad "served ledger init"; exit 1; }
"$AKT" --ledger "$WORK/served.db" ledger serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER_PID=$!
URL=
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.out" "$WORK/serve.err" 2> /dev/null | head -1 | sed 's/^[^:]*:http/http/')
  [ -n "$URL" ] && "$AKT" --ledger "$URL" ledger status > /dev/null 2>&1 && break
  URL=
  sleep 0.1
done
[ -n "$URL" ] || { bad "akt ledger serve did not answer"; cat "$WORK/serve.err"; exit 1; }
export AKT_LEDGER=$URL
flow
for f in "$WORK"/embedded/*.json; do
  name=$(basename "$f")
  cmp -s "$f" "$SNAP/$name" || { bad "$name differs between the embedded and the served ledger"; diff "$f" "$SNAP/$name" | head -10; }
done
echo "served run at $URL: outputs compared with the embedded run"
exit $fail
