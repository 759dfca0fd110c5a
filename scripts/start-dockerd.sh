#!/usr/bin/env bash
# Makes sure a Docker engine answers: uses the running one, or starts dockerd as root.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-dockerd: no Docker engine answers and this user cannot start one." >&2
  echo "  start it with: sudo dockerd >/tmp/dockerd.log 2>&1 &" >&2
  exit 1
fi
command -v dockerd >/dev/null || { echo "start-dockerd: dockerd missing; run scripts/install-deps.sh" >&2; exit 1; }
nohup dockerd >/tmp/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "start-dockerd: dockerd is up"; exit 0; fi
  sleep 0.5
done
echo "start-dockerd: dockerd did not answer in 30 s; see /tmp/dockerd.log" >&2
tail -20 /tmp/dockerd.log >&2 || true
exit 1
