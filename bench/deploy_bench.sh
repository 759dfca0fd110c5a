#!/usr/bin/env bash
# Deploy timings on the embedded simulator against the real dockerd:
#  1. `akt deploy` of one service until ready vs the Docker floor (create + start of the
#     same container through the API with curl) + 100 ms;
#  2. `akt deployment close` until every container of the lease is gone (≤ 300 ms);
#  3. peak RSS of akt during a deploy (≤ 30 MB), from /usr/bin/time -v.
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
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor=(); deploy=(); close=(); rss=()
for i in $(seq "$runs"); do
  t0=$(ms)
  id=$(curl -fsS --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \
       -d "{\"Image\":\"$image\",\"Cmd\":[\"httpd\",\"-f\",\"-p\",\"80\",\"-h\",\"/www\"],\"HostConfig\":{\"PublishAllPorts\":true}}" \
       http://localhost/containers/create | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')
  curl -fsS --unix-socket /var/run/docker.sock -X POST "http://localhost/containers/$id/start"
  floor+=($(( $(ms) - t0 )))
  docker rm -f "$id" >/dev/null
  t0=$(ms)
  out=$(/usr/bin/time -v -o "$AKT_HOME/time.txt" "$AKT" -o json deploy "$AKT_HOME/one.yaml" --bid-window 5s)
  deploy+=($(( $(ms) - t0 )))
  rss+=($(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$AKT_HOME/time.txt"))
  dseq=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
  owner=$("$AKT" keys show tenant -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
  t0=$(ms)
  "$AKT" deployment close --dseq "$dseq" >/dev/null
  deadline=$(( $(ms) + 30000 ))
  while [ -n "$(docker ps -aq --filter "label=akt.deployment=$owner/$dseq")" ]; do
    [ "$(ms)" -lt "$deadline" ] || { echo "deploy_bench: containers of $owner/$dseq still there 30 s after close" >&2; exit 1; }
    sleep 0.01
  done
  close+=($(( $(ms) - t0 )))
done
f=$(printf '%s\n' "${floor[@]}" | median); d=$(printf '%s\n' "${deploy[@]}" | median)
c=$(printf '%s\n' "${close[@]}" | median); r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
echo "docker floor (create+start) median: ${f} ms; target for deploy: $((f + 100)) ms"
echo "akt deploy until ready median: ${d} ms (runs: ${deploy[*]})"
echo "deployment close until containers gone median: ${c} ms (target 300; runs: ${close[*]})"
echo "peak RSS of akt deploy: ${r} kB (target 30720)"
