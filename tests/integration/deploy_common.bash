# Shared setup for the deploy tests: a temp AKT_HOME with a funded tenant, the default
# simulated network, the offline test image. Exits 77 when no Docker engine answers.
set -euo pipefail
AKT=${AKT:-$(cd "$(dirname "$0")/../.." && pwd)/build/akt}
AKT_SOURCE_DIR=${AKT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
docker info >/dev/null 2>&1 || { echo "no dockerd; skipping"; exit 77; }
export AKT_HOME=$(mktemp -d)
export AKT_FROM=tenant
IMAGE=$(bash "$AKT_SOURCE_DIR/scripts/test-image.sh")
cleanup() { docker rm -f $(docker ps -aq --filter label=akt.lease) >/dev/null 2>&1 || true; rm -rf "$AKT_HOME"; }
trap cleanup EXIT
"$AKT" keys add tenant >/dev/null
"$AKT" ledger fund tenant 1000000000uakt >/dev/null
"$AKT" sim init >/dev/null
fail() { echo "FAIL: $*" >&2; exit 1; }
lease_containers() { docker ps -aq --filter "label=akt.deployment=$1" | wc -l; }
