#!/usr/bin/env bash
# Deploy timings on the embedded simulator against the real dockerd:
#  1. `akt deploy` of one service until ready vs the Docker floor (create + start of the
#     same container through the API with curl) + 100 ms. For context it also times the
#     floor with what one network per lease adds: the network's creation, and the
#     container created and started on it;
#  2. `akt deployment close` until every container of the lease is gone (≤ 300 ms);
#  3. peak RSS of akt during a deploy (≤ 30 MB), from /usr/bin/time -v.
# Only curl runs inside a timed span: starting an interpreter there (python is ~20 ms on
# Debian, over 100 ms behind pyenv's shims) would be counted as Docker's or akt's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKT=${AKT:-$root/build/akt}
runs=${RUNS:-5}
docker info >/dev/null 2>&1 || { echo "no dockerd"; exit 77; }
export AKT_HOME=$(mktemp -d) AKT_FROM=tenant
trap 'docker rm -f $(docker ps -aq --filter label=akt.lease) >/dev/null 2>&1; rm -rf "$AKT_HOME"' EXIT
image=$(bash "$root/scripts/test-image.sh")
"$AKT" keys add tenant >/dev/null; "$AKT" ledger fund tenant 1000000000000uakt >/dev/null; "$AKT" sim init >/dev/null
cat > "$AKT_HOME/one.yaml" <<YAML
version: "2.0"
services:
  web:
    image: $image
    args: ["httpd", "-f", "-p", "80", "-h", "/www"]
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    web: {resources: {cpu: {units: 0.1}, memory: {size: 64Mi}, storage: {size: 128Mi}}}
  placement:
    dc: {pricing: {web: {denom: uakt, amount: 10000}}}
deployment:
  web: {dc: {profile: web, count: 1}}
YAML
ms() { echo $(( $(date +%s%N) / 1000000 )); }
engine() { curl -fsS --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' "$@"; }
id_of() { sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p'; }
body='{"Image":"'$image'","Cmd":["httpd","-f","-p","80","-h","/www"],"ExposedPorts":{"80/tcp":{}},"HostConfig":{"PublishAllPorts":true'
# Containers of deployment $1, through the API (the docker CLI takes ~15 ms to start).
containers_of() {
  engine -G --data-urlencode "filters={\"label\":[\"akt.deployment=$1\"]}" --data-urlencode all=1 \
    http://localhost/containers/json | grep -c '"Id"' || true
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor=(); network_floor=(); deploy=(); close=(); close_command=(); rss=()
for i in $(seq "$runs"); do
  t0=$(ms)
  id=$(engine -d "$body}}" http://localhost/containers/create | id_of)
  engine -X POST "http://localhost/containers/$id/start"
  floor+=($(( $(ms) - t0 )))
  docker rm -f "$id" >/dev/null
  t0=$(ms)
  net=$(engine -d '{"Name":"akt-bench-floor"}' http://localhost/networks/create | id_of)
  id=$(engine -d "$body,\"NetworkMode\":\"akt-bench-floor\"}}" http://localhost/containers/create | id_of)
  engine -X POST "http://localhost/containers/$id/start"
  network_floor+=($(( $(ms) - t0 )))
  docker rm -f "$id" >/dev/null; docker network rm "$net" >/dev/null
  t0=$(ms)
  out=$(/usr/bin/time -v -o "$AKT_HOME/time.txt" "$AKT" -o json deploy "$AKT_HOME/one.yaml" --bid-window 5s)
  deploy+=($(( $(ms) - t0 )))
  rss+=($(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$AKT_HOME/time.txt"))
  dseq=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
  owner=$("$AKT" keys show tenant -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
  # A poller sees the containers go while the command still removes the lease network.
  rm -f "$AKT_HOME/gone"
  ( deadline=$(( $(ms) + 30000 ))
    while [ "$(containers_of "$owner/$dseq")" != 0 ]; do
      [ "$(ms)" -lt "$deadline" ] || exit 1
      sleep 0.005
    done
    ms > "$AKT_HOME/gone" ) &
  poller=$!
  t0=$(ms)
  "$AKT" deployment close --dseq "$dseq" >/dev/null
  close_command+=($(( $(ms) - t0 )))
  wait "$poller" || { echo "deploy_bench: containers of $owner/$dseq still there 30 s after close" >&2; exit 1; }
  close+=($(( $(cat "$AKT_HOME/gone") - t0 )))
done
f=$(printf '%s\n' "${floor[@]}" | median); d=$(printf '%s\n' "${deploy[@]}" | median)
c=$(printf '%s\n' "${close[@]}" | median); r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
n=$(printf '%s\n' "${network_floor[@]}" | median)
echo "docker floor (create+start) median: ${f} ms; target for deploy: $((f + 100)) ms"
echo "floor with a network of its own (network create, then create+start on it) median: ${n} ms"
echo "akt deploy until ready median: ${d} ms (runs: ${deploy[*]})"
echo "deployment close until containers gone median: ${c} ms (target 300; runs: ${close[*]})"
echo "deployment close command, network removal included, median: $(printf '%s\n' "${close_command[@]}" | median) ms (runs: ${close_command[*]})"
echo "peak RSS of akt deploy: ${r} kB (target 30720)"
