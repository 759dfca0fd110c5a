#!/usr/bin/env bash
# Escrow exhaustion closes the deployment (insufficient_funds) and removes the containers;
# a provider taken down loses its leases (unstable) once back past the health window, and
# the group pauses.
source "$(dirname "$0")/deploy_common.bash"
sdl=$AKT_HOME/one.yaml
one_service_sdl "$sdl"
owner=$TENANT
dseq=$("$AKT" -o json deploy "$sdl" --bid-window 3s --deposit 600000uakt | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
[ "$(lease_containers "$owner/$dseq")" -ge 1 ] || fail "nothing running"
"$AKT" ledger advance --blocks 10000000 >/dev/null
"$AKT" lease status --dseq "$dseq" | grep -q "insufficient_funds" || fail "lease not insufficient_funds"
[ "$(lease_containers "$owner/$dseq")" -eq 0 ] || fail "containers left after the escrow ran dry"

out=$("$AKT" -o json deploy "$sdl" --bid-window 3s)
dseq=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
provider=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leases"][0]["provider_name"])')
"$AKT" sim fault "$provider" down >/dev/null
set +e; "$AKT" lease status --dseq "$dseq" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 7 ] || fail "status of an offline provider's lease exited $rc, expected 7"
"$AKT" sim fault "$provider" up >/dev/null
"$AKT" sim reconcile >/dev/null          # the provider notices its services are down
"$AKT" ledger advance --blocks 600 >/dev/null   # past the 8-minute health window
"$AKT" sim reconcile >/dev/null
"$AKT" lease status --dseq "$dseq" | grep -q "closed (unstable)" || fail "lease not closed unstable"
group=$("$AKT" -o json deployment show --dseq "$dseq" | python3 -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["state"])')
[ "$group" = paused ] || fail "group is $group after the unstable close, expected paused"
[ "$(lease_containers "$owner/$dseq")" -eq 0 ] || fail "containers left after the unstable close"
echo ok
