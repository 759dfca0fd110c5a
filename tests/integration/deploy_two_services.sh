#!/usr/bin/env bash
# Two services end to end: published port reached from the host, backend by service name,
# env, limits, a persistent volume across a restart; status, logs, shell; close leaves nothing.
source "$(dirname "$0")/deploy_common.bash"
sdl=$AKT_HOME/two.yaml
cat > "$sdl" <<YAML
version: "2.0"
services:
  web:
    image: $IMAGE
    command: ["sh", "-c"]
    args: ["echo web \$GREETING; echo hello-from-web > /www/index.html; httpd -f -p 80 -h /www"]
    env: ["GREETING=bonjour"]
    expose:
      - port: 80
        as: 80
        to: [{global: true}]
  api:
    image: $IMAGE
    command: ["sh", "-c"]
    args: ["mkdir -p /www && echo api-ok > /www/index.html && date >> /data/boots && httpd -f -p 8080 -h /www"]
    expose:
      - port: 8080
        to: [{service: web}]
    params:
      storage:
        data: {mount: /data}
profiles:
  compute:
    web:
      resources: {cpu: {units: 0.5}, memory: {size: 128Mi}, storage: {size: 256Mi}}
    api:
      resources:
        cpu: {units: 0.25}
        memory: {size: 64Mi}
        storage:
          - size: 256Mi
          - name: data
            size: 1Gi
            attributes: {persistent: true, class: beta2}
  placement:
    dc:
      pricing:
        web: {denom: uakt, amount: 10000}
        api: {denom: uakt, amount: 10000}
deployment:
  web: {dc: {profile: web, count: 1}}
  api: {dc: {profile: api, count: 1}}
YAML
out=$("$AKT" -o json deploy "$sdl" --bid-window 3s) || fail "deploy exited $?"
dseq=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
uri=$(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["leases"][0]["status"]["services"]["web"]["uris"][0])')
# A ready container may not be listening yet: give each server a few seconds.
eventually() { for _ in $(seq 1 50); do "$@" && return 0; sleep 0.1; done; "$@"; }
web_answers() { curl -fsS --max-time 2 "http://$uri/" 2>/dev/null | grep -q hello-from-web; }
api_by_name() { "$AKT" lease shell --dseq "$dseq" web -- wget -qO- http://api:8080/ 2>/dev/null | grep -q api-ok; }
eventually web_answers || fail "web not reachable at $uri"
eventually api_by_name || fail "web cannot reach api by name"
"$AKT" lease logs --dseq "$dseq" --service web | grep -q "web bonjour" || fail "env not honoured in logs"
"$AKT" -o json lease status --dseq "$dseq" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["services"]["api"]["available"]==1' || fail "status"
api=$(docker ps -q --filter "label=akt.deployment" --filter "label=akt.service=api" | head -1)
[ "$(docker inspect -f '{{.HostConfig.Memory}}' "$api")" = "67108864" ] || fail "memory limit not set"
[ "$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$api")" = "250000000" ] || fail "cpu limit not set"
docker restart "$api" >/dev/null
sleep 1
[ "$("$AKT" lease shell --dseq "$dseq" api -- sh -c 'wc -l < /data/boots')" -ge 2 ] || fail "volume did not survive a restart"
set +e; "$AKT" lease shell --dseq "$dseq" web -- sh -c 'exit 7'; rc=$?; set -e
[ $rc -eq 7 ] || fail "shell exit code $rc"
# --stdin: piped input reaches the command, which sees its end.
[ "$(printf 'one\ntwo\n' | "$AKT" lease shell --dseq "$dseq" web --stdin -- wc -l)" = 2 ] || fail "shell --stdin"
# A command that stops reading its input early still ends, with its output.
[ "$(head -c 20000000 /dev/zero | timeout 20 "$AKT" lease shell --dseq "$dseq" web -i -- head -c 10 | wc -c)" = 10 ] ||
  fail "shell -i with a command that reads only part of its input"
# --tty: the command runs in a terminal.
"$AKT" lease shell --dseq "$dseq" web --tty -- tty | grep -q '^/dev/pts/' || fail "shell --tty has no terminal"
"$AKT" deployment close --dseq "$dseq" >/dev/null || fail "close"
"$AKT" sim reconcile >/dev/null
owner=$("$AKT" keys show tenant -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
left=$(docker ps -aq --filter "label=akt.deployment=$owner/$dseq" | wc -l)
nets=$(docker network ls -q --filter "label=akt.deployment=$owner/$dseq" | wc -l)
[ "$left" -eq 0 ] && [ "$nets" -eq 0 ] || fail "$left containers, $nets networks left"
echo ok
