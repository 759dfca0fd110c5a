#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what akt needs, build it, start a
# Docker engine, deploy an example on the local simulated marketplace, show it answering,
# then close it. State lives in $AKT_HOME (default: build/demo-home), not in ~/.akt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
bash "$root/scripts/start-dockerd.sh"
akt="$root/build/akt"
export AKT_HOME=${AKT_HOME:-$root/build/demo-home}
export AKT_FROM=demo
mkdir -p "$AKT_HOME"

step() { printf '\n== %s\n' "$*"; }

# The example names busybox:1.36; with no registry reachable the same SDL runs on a
# busybox image built offline from Debian's busybox-static.
sdl="$AKT_HOME/web-and-backend.yaml"
image=busybox:1.36
if ! docker image inspect "$image" >/dev/null 2>&1 && ! docker pull -q "$image" >/dev/null 2>&1; then
  image=$(bash "$root/scripts/test-image.sh")
fi
sed "s#busybox:1.36#$image#" "$root/examples/local-two-services.yaml" > "$sdl"

step "a tenant key, funded by the local faucet"
"$akt" keys show demo >/dev/null 2>&1 || "$akt" keys add demo
"$akt" ledger fund demo 100000000uakt
[ -f "$AKT_HOME/sim.yaml" ] || "$akt" sim init
"$akt" sim show

step "akt sdl validate examples/local-two-services.yaml"
"$akt" sdl validate "$sdl"

step "akt deploy (image $image)"
result=$("$akt" deploy "$sdl" -o json)
dseq=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])' <<<"$result")
uri=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["leases"][0]["status"]["services"]["front"]["uris"][0])' <<<"$result")
"$akt" deployment show --dseq "$dseq"

step "akt lease status --dseq $dseq"
"$akt" lease status --dseq "$dseq"

step "curl http://$uri/ (the front, which reaches its backend by service name)"
# A ready container may still be starting its server: retry for a few seconds.
for _ in $(seq 1 50); do curl -fsS --max-time 2 "http://$uri/" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 1 50); do "$akt" lease shell --dseq "$dseq" front -- wget -qO- http://backend:9000/ 2>/dev/null && break; sleep 0.1; done

step "akt deployment close --dseq $dseq"
"$akt" deployment close --dseq "$dseq"
left=$(docker ps -aq --filter "label=akt.deployment=$("$akt" keys show demo -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')/$dseq" | wc -l)
echo "containers left for the deployment: $left"
