# Shared setup for the embedded deploy tests: deploy_env.bash, then a funded tenant on the
# embedded ledger and the default simulated network.
source "$(dirname "${BASH_SOURCE[0]}")/deploy_env.bash"
"$AKT" keys add tenant >/dev/null
TENANT=$("$AKT" keys show tenant -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
# Removes only what this test's tenant created: other tests and the user's own leases
# share the engine.
cleanup() {
  local ids
  ids=$(docker ps -a --filter label=akt.deployment --format '{{.ID}} {{.Label "akt.deployment"}}' |
    awk -v owner="$TENANT/" 'index($2, owner) == 1 { print $1 }')
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$AKT_HOME"
}
trap cleanup EXIT
"$AKT" ledger fund tenant 1000000000uakt >/dev/null
"$AKT" sim init >/dev/null
steady_network
fail() { echo "FAIL: $*" >&2; exit 1; }
lease_containers() { docker ps -aq --filter "label=akt.deployment=$1" | wc -l; }
