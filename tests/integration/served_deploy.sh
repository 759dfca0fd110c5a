#!/usr/bin/env bash
# The served shape end to end: `akt ledger serve` on a ledger file, `akt sim serve` running
# the providers with their APIs on free ports, and a tenant that reaches both only over
# HTTP: deploy, curl the service, lease status/logs/shell through the provider API, a
# request signed by someone else refused (exit 5 with the reason), close and nothing left.
source "$(dirname "$0")/deploy_env.bash"
unset AKT_LEDGER
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  docker rm -f $(docker ps -aq --filter "label=akt.deployment=${owner:-none}/${dseq:-0}") >/dev/null 2>&1 || true
  rm -rf "$AKT_HOME"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$AKT_HOME"/*.err; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}

# The ledger, served.
db=$AKT_HOME/served.db
"$AKT" --ledger "$db" ledger init >/dev/null
"$AKT" --ledger "$db" ledger serve --listen 127.0.0.1:0 >"$AKT_HOME/ledger.out" 2>"$AKT_HOME/ledger.err" &
pids+=($!)
url=
for _ in $(seq 100); do
  url=$(grep -ho 'http://127\.0\.0\.1:[0-9]*' "$AKT_HOME/ledger.out" "$AKT_HOME/ledger.err" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && "$AKT" --ledger "$url" ledger status >/dev/null 2>&1 && break
  url=
  sleep 0.1
done
[ -n "$url" ] || fail "akt ledger serve did not answer"
export AKT_LEDGER=$url

"$AKT" keys add tenant >/dev/null
"$AKT" keys add intruder >/dev/null
"$AKT" ledger fund tenant 1000000000uakt >/dev/null
owner=$("$AKT" keys show tenant -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')

# The providers, served, each API on a free port.
"$AKT" sim init >/dev/null
steady_network
python3 - "$AKT_HOME/sim.yaml" <<'PY'
import re, socket, sys
path = sys.argv[1]
text = open(path).read()
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
text = re.sub(r"host_uri: http://127\.0\.0\.1:\d+", lambda m: "host_uri: http://127.0.0.1:%d" % port(), text)
open(path, "w").write(text)
PY
"$AKT" sim serve --interval 1s >"$AKT_HOME/sim.out" 2>"$AKT_HOME/sim.err" &
pids+=($!)
for _ in $(seq 100); do
  [ "$(grep -c 'serving at' "$AKT_HOME/sim.err" 2>/dev/null || true)" -ge 2 ] && break
  sleep 0.1
done
grep -q 'serving at' "$AKT_HOME/sim.err" || fail "akt sim serve did not start"

sdl=$AKT_HOME/one.yaml
one_service_sdl "$sdl" '["echo served-ok > /www/index.html; echo web up; httpd -f -p 80 -h /www"]' '["sh", "-c"]'

out=$("$AKT" -o json deploy "$sdl" --bid-window 3s --timeout 60s) || fail "served deploy failed"
dseq=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["dseq"])')
lease=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leases"][0]["id"])')
uri=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leases"][0]["status"]["services"]["web"]["uris"][0])')
[ -n "$uri" ] || fail "deploy printed no service URI: $out"
case $uri in http*) ;; *) uri=http://$uri ;; esac
body=
for _ in $(seq 50); do
  body=$(curl -fsS --max-time 2 "$uri/" 2>/dev/null || true)
  [ "$body" = served-ok ] && break
  sleep 0.1
done
[ "$body" = served-ok ] || fail "GET $uri answered '$body'"

"$AKT" lease status --dseq "$dseq" >"$AKT_HOME/status.txt" || fail "lease status"
grep -q web "$AKT_HOME/status.txt" || fail "lease status does not name the service"
"$AKT" -o json lease status --dseq "$dseq" | python3 -c 'import json,sys; assert json.load(sys.stdin)["services"]["web"]["available"] == 1' ||
  fail "lease status JSON does not show the service available"
"$AKT" lease logs --dseq "$dseq" | grep -q "web up" || fail "lease logs lack the service's output"
[ "$("$AKT" lease shell --dseq "$dseq" web -- cat /www/index.html)" = served-ok ] || fail "lease shell"
[ "$(printf 'a\nb\nc\n' | "$AKT" lease shell --dseq "$dseq" web -i -- wc -l)" = 3 ] || fail "lease shell --stdin (served)"

# Someone else's key: the provider refuses, exit 5, and says why.
set +e
"$AKT" --from intruder lease status --lease "$lease" >/dev/null 2>"$AKT_HOME/intruder.txt"
rc=$?
set -e
[ $rc -eq 5 ] || fail "a request signed by another key exited $rc, expected 5"
grep -qi "owner" "$AKT_HOME/intruder.txt" || fail "the refusal does not say why: $(cat "$AKT_HOME/intruder.txt")"

# Why no bid, served: each provider's API says why it declined.
sed 's/^profiles:/profiles:/; s/^    dc:$/    dc:\n      attributes: {region: mars}/' "$sdl" >"$AKT_HOME/mars.yaml"
grep -q "region: mars" "$AKT_HOME/mars.yaml" || fail "could not write the mars SDL"
set +e
"$AKT" deploy "$AKT_HOME/mars.yaml" --bid-window 5s >/dev/null 2>"$AKT_HOME/mars.err"; rc=$?
set -e
[ $rc -eq 4 ] || fail "a deploy nobody can take exited $rc, expected 4"
grep -q "westcoast-cpu: missing_attribute: missing attribute region=mars" "$AKT_HOME/mars.err" ||
  fail "served deploy does not give the providers' reasons: $(cat "$AKT_HOME/mars.err")"

# Close: the served provider notices and removes the containers.
"$AKT" deployment close --dseq "$dseq" >/dev/null || fail "deployment close"
gone=
for _ in $(seq 100); do
  if [ -z "$(docker ps -aq --filter "label=akt.deployment=$owner/$dseq")" ]; then gone=1; break; fi
  sleep 0.1
done
[ -n "$gone" ] || fail "containers of $owner/$dseq still there 10 s after the close"

# A registered provider whose API does not answer is named as offline, with its address.
"$AKT" keys add ghost >/dev/null
"$AKT" ledger fund ghost 10000000uakt >/dev/null
"$AKT" provider register --from ghost --host-uri http://127.0.0.1:1 >/dev/null || fail "ghost register"
"$AKT" deployment create "$AKT_HOME/mars.yaml" --dseq 9 >/dev/null || fail "deployment create 9"
"$AKT" deployment explain 9 >"$AKT_HOME/explain9.txt" || fail "explain 9"
grep -q "declined by akash1[a-z0-9]*: offline: provider does not answer at http://127.0.0.1:1" "$AKT_HOME/explain9.txt" ||
  fail "explain does not name the silent provider: $(cat "$AKT_HOME/explain9.txt")"

# `akt sim fault` works beside `akt sim serve`: the provider taken down answers as offline.
"$AKT" sim fault westcoast-cpu down >/dev/null || fail "sim fault against a served ledger"
"$AKT" deployment create "$AKT_HOME/mars.yaml" --dseq 10 >/dev/null || fail "deployment create 10"
"$AKT" deployment explain 10 >"$AKT_HOME/explain10.txt" || fail "explain 10"
grep -q "offline: provider westcoast-cpu is offline (\`akt sim fault westcoast-cpu up\` brings it back)" "$AKT_HOME/explain10.txt" ||
  fail "explain does not say westcoast-cpu is down: $(cat "$AKT_HOME/explain10.txt")"
"$AKT" sim fault westcoast-cpu up >/dev/null || fail "sim fault up"
echo ok
