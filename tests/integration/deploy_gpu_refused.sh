#!/usr/bin/env bash
# A GPU request on an engine without the NVIDIA runtime fails clearly with exit 6.
source "$(dirname "$0")/deploy_common.bash"
docker info 2>/dev/null | grep -qi 'runtimes:.*nvidia' && { echo "nvidia runtime present; skipping"; exit 77; }
sdl=$AKT_HOME/gpu.yaml
cat > "$sdl" <<YAML
version: "2.0"
services:
  train:
    image: $IMAGE
    args: ["httpd", "-f", "-p", "80", "-h", "/www"]
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    train:
      resources:
        cpu: {units: 1}
        memory: {size: 256Mi}
        storage: {size: 256Mi}
        gpu:
          units: 1
          attributes: {vendor: {nvidia: [{model: rtx4090}]}}
  placement:
    dc:
      pricing:
        train: {denom: uakt, amount: 100000}
deployment:
  train: {dc: {profile: train, count: 1}}
YAML
set +e; err=$("$AKT" deploy "$sdl" --bid-window 3s 2>&1 >/dev/null); rc=$?; set -e
echo "$err"
[ $rc -eq 6 ] || fail "expected exit 6, got $rc"
echo "$err" | grep -qi "gpu\|nvidia" || fail "error does not mention the GPU"
echo ok
