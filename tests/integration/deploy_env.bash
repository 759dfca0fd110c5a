# What every deploy test needs, embedded or served: the akt binary, a Docker engine (exits
# 77 when none answers), a temp AKT_HOME acting as `tenant`, the offline test image, and
# a one-service SDL to deploy.
set -euo pipefail
AKT=${AKT:-$(cd "$(dirname "$0")/../.." && pwd)/build/akt}
AKT_SOURCE_DIR=${AKT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
docker info >/dev/null 2>&1 || { echo "no dockerd; skipping"; exit 77; }
export AKT_HOME=$(mktemp -d)
export AKT_FROM=tenant
IMAGE=$(bash "$AKT_SOURCE_DIR/scripts/test-image.sh")

# steady_network: the providers of $AKT_HOME/sim.yaml lose their random failures (a lease
# that fails to start, a missed round, an early close), so that a test sees only the
# faults it injects with `akt sim fault`.
steady_network() {
  python3 - "$AKT_HOME/sim.yaml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"^(\s+(?:fail|offline|early_close)): .*$", r"\1: 0", text, flags=re.M)
open(path, "w").write(text)
PY
}

# one_service_sdl FILE [ARGS [COMMAND]]: service `web` runs IMAGE with ARGS (a YAML flow
# list; default busybox httpd serving /www) and COMMAND when given, published on port 80.
one_service_sdl() {
  local file=$1 args=${2:-'["httpd", "-f", "-p", "80", "-h", "/www"]'} command=${3:-}
  local command_line=
  [ -z "$command" ] || command_line="    command: $command"$'\n'
  cat >"$file" <<YAML
version: "2.0"
services:
  web:
    image: $IMAGE
${command_line}    args: $args
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    web:
      resources: {cpu: {units: 0.1}, memory: {size: 64Mi}, storage: {size: 128Mi}}
  placement:
    dc:
      pricing:
        web: {denom: uakt, amount: 10000}
deployment:
  web: {dc: {profile: web, count: 1}}
YAML
}
