#!/usr/bin/env bash
# `akt deploy --dseq N` again: an unchanged SDL changes nothing (the same containers run
# on); a changed env updates the running lease in place (a new manifest version, the same
# lease, the container sees the new value); a resource change is refused with the commands
# for a new deployment (exit 2), and the lease keeps running.
source "$(dirname "$0")/deploy_common.bash"
sdl=$AKT_HOME/web.yaml
write_sdl() {  # write_sdl GREETING CPU_UNITS
  cat >"$sdl" <<YAML
version: "2.0"
services:
  web:
    image: $IMAGE
    command: ["sh", "-c"]
    args: ["echo greeting=\$GREETING; httpd -f -p 80 -h /"]
    env: ["GREETING=$1"]
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    web: {resources: {cpu: {units: $2}, memory: {size: 64Mi}, storage: {size: 128Mi}}}
  placement:
    dc: {pricing: {web: {denom: uakt, amount: 10000}}}
deployment:
  web: {dc: {profile: web, count: 1}}
YAML
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
containers() { docker ps -q --filter "label=akt.deployment=$TENANT/$dseq" | sort | tr '\n' ' '; }

write_sdl one 0.1
out=$("$AKT" -o json deploy "$sdl") || fail "first deploy"
dseq=$(echo "$out" | field 'd["deployment"]["dseq"]')
lease=$(echo "$out" | field 'd["leases"][0]["id"]')
version=$(echo "$out" | field 'd["deployment"]["version"]')
[ "$(echo "$out" | field 'd["deployment"]["action"]')" = created ] || fail "first deploy did not create"
before=$(containers)
[ -n "$before" ] || fail "no container runs"

out=$("$AKT" -o json deploy "$sdl" --dseq "$dseq") || fail "unchanged redeploy"
[ "$(echo "$out" | field 'd["deployment"]["action"]')" = unchanged ] || fail "unchanged SDL: $out"
[ "$(echo "$out" | field 'd["leases"][0]["id"]')" = "$lease" ] || fail "unchanged SDL changed the lease"
[ "$(containers)" = "$before" ] || fail "unchanged SDL replaced the containers"

write_sdl two 0.1
out=$("$AKT" -o json deploy "$sdl" --dseq "$dseq") || fail "env update"
[ "$(echo "$out" | field 'd["deployment"]["action"]')" = updated ] || fail "changed env: $out"
[ "$(echo "$out" | field 'd["leases"][0]["id"]')" = "$lease" ] || fail "an env update took a new lease"
[ "$(echo "$out" | field 'd["deployment"]["version"]')" != "$version" ] || fail "an env update kept the version"
[ "$("$AKT" lease shell --dseq "$dseq" web -- sh -c 'echo $GREETING')" = two ] || fail "the container does not see the new env"

write_sdl two 0.2
set +e
"$AKT" deploy "$sdl" --dseq "$dseq" >/dev/null 2>"$AKT_HOME/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "a resource change exited $rc, expected 2"
grep -q "cannot be updated" "$AKT_HOME/err" || fail "the refusal does not say why: $(cat "$AKT_HOME/err")"
grep -q "akt deployment close --dseq $dseq" "$AKT_HOME/err" || fail "the refusal does not give the close command"
[ "$("$AKT" -o json lease status --dseq "$dseq" | field 'd["services"]["web"]["available"]')" = 1 ] ||
  fail "the refused update stopped the lease"

"$AKT" deployment close --dseq "$dseq" >/dev/null || fail "close"
[ "$(lease_containers "$TENANT/$dseq")" -eq 0 ] || fail "containers left after close"
echo ok
