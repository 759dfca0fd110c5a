#!/usr/bin/env bash
# `akt keys` and `akt ledger`: key files are private, encrypted keys need their
# passphrase, delete needs --yes without a terminal, exit codes follow DESIGN.md.
set -euo pipefail
: "${AKT:?path to the akt binary}"
export AKT_HOME=$(mktemp -d)
trap 'rm -rf "$AKT_HOME"' EXIT
fail=0
check() { local want=$1; shift; set +e; "$@" > "$AKT_HOME/out" 2> "$AKT_HOME/err"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { echo "FAIL: exit $rc (want $want): $*"; cat "$AKT_HOME/err"; fail=1; }; }

AKT_KEYRING_PASSPHRASE="" check 0 "$AKT" keys add plain
AKT_KEYRING_PASSPHRASE="s3cret" check 0 "$AKT" -o json keys add sealed
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["encrypted"] is True and d["address"].startswith("akash1")' "$AKT_HOME/out" \
  || { echo "FAIL: keys add -o json"; fail=1; }
[ "$(stat -c %a "$AKT_HOME/keys")" = 700 ] || { echo "FAIL: keys dir mode"; fail=1; }
[ "$(stat -c %a "$AKT_HOME/keys/sealed.json")" = 600 ] || { echo "FAIL: key file mode"; fail=1; }
check 2 "$AKT" keys add plain                      # exists
check 3 "$AKT" keys show nobody
check 0 "$AKT" key show plain -a
addr=$(cat "$AKT_HOME/out")
[[ $addr =~ ^akash1[02-9ac-hj-np-z]{38}$ ]] || { echo "FAIL: address $addr"; fail=1; }

# Export/import round trip gives the same address.
AKT_KEYRING_PASSPHRASE="s3cret" check 0 "$AKT" -o json keys export sealed
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"])' "$AKT_HOME/out")
echo "$secret" | AKT_KEYRING_PASSPHRASE="" check 0 "$AKT" -o json keys import copy
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["address"]; b=json.load(open(sys.argv[2]))["address"]; assert a==b' \
  "$AKT_HOME/out" <(AKT_KEYRING_PASSPHRASE="" "$AKT" -o json keys show sealed) || { echo "FAIL: import address"; fail=1; }
AKT_KEYRING_PASSPHRASE="wrong" check 5 "$AKT" keys export sealed   # refused
grep -q 'wrong passphrase' "$AKT_HOME/err" || { echo "FAIL: wrong passphrase message"; fail=1; }

# Delete: refused without a terminal unless --yes.
check 2 "$AKT" keys delete copy < /dev/null
check 0 "$AKT" keys delete copy --yes
check 3 "$AKT" keys show copy

# Ledger: auto-created with a faucet, sends are signed by --from, refusals exit 5.
check 0 "$AKT" ledger fund plain 1000uakt
check 0 "$AKT" --from plain ledger send sealed 10uakt
check 5 "$AKT" --from plain ledger send sealed 100000uakt     # insufficient funds
check 2 "$AKT" ledger send sealed 1uakt                        # no --from
check 0 "$AKT" -o json ledger account plain
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["balances"]["uakt"]=="990" and d["next_sequence"]==1, d' "$AKT_HOME/out" \
  || { echo "FAIL: account after send"; fail=1; }
h1=$("$AKT" -o json ledger status | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])')
check 0 "$AKT" ledger advance --blocks 100
h2=$("$AKT" -o json ledger status | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])')
(( h2 >= h1 + 100 )) || { echo "FAIL: advance $h1 -> $h2"; fail=1; }

# A ledger without a faucet refuses to mint; genesis accounts are funded.
check 0 "$AKT" --ledger "$AKT_HOME/nofaucet.db" ledger init --no-faucet --genesis plain=5000uakt --block-interval 6s
check 5 "$AKT" --ledger "$AKT_HOME/nofaucet.db" ledger fund plain 1uakt
check 0 "$AKT" --ledger "$AKT_HOME/nofaucet.db" -o json ledger account plain
grep -q '"5000"' "$AKT_HOME/out" || { echo "FAIL: genesis balance"; fail=1; }
check 2 "$AKT" --ledger "$AKT_HOME/nofaucet.db" ledger init                 # exists
check 3 "$AKT" --ledger "$AKT_HOME/missing.db" ledger status                # explicit file missing
exit $fail
