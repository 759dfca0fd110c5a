#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what akt needs, build it, and run
# an example through it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
akt="$root/build/akt"
example="$root/examples/web-service.yaml"
echo "== akt sdl validate $example"
"$akt" sdl validate "$example"
echo "== akt sdl version $example"
"$akt" sdl version "$example"
echo "== akt sdl manifest $example"
"$akt" sdl manifest "$example"
