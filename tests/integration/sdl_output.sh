#!/usr/bin/env bash
# `akt sdl manifest|groups|version`: Go's bytes for the shared corpus, refusal of a bad SDL
# with validate's errors and exit 2, and -o json for version.
set -euo pipefail
: "${AKT:?path to the akt binary}" "${AKT_SOURCE_DIR:?source tree}"
export AKT_HOME=$(mktemp -d)
trap 'rm -rf "$AKT_HOME"' EXIT
fail=0

# Every example compiles to a manifest, groups and a 64-hex version.
for f in "$AKT_SOURCE_DIR"/examples/*.yaml; do
  "$AKT" sdl manifest "$f" | python3 -c 'import json,sys; assert isinstance(json.load(sys.stdin), list)' \
    || { echo "FAIL: manifest of $f"; fail=1; }
  "$AKT" sdl groups "$f" | python3 -c 'import json,sys; assert isinstance(json.load(sys.stdin), list)' \
    || { echo "FAIL: groups of $f"; fail=1; }
  v=$("$AKT" sdl version "$f")
  [[ $v =~ ^[0-9a-f]{64}$ ]] || { echo "FAIL: version of $f: $v"; fail=1; }
  # The version is the sha256 of the manifest bytes (without the trailing newline).
  h=$("$AKT" sdl manifest "$f" | head -c -1 | sha256sum | cut -c1-64)
  [ "$v" = "$h" ] || { echo "FAIL: version != sha256(manifest) for $f"; fail=1; }
  j=$("$AKT" -o json sdl version "$f")
  [ "$j" = "{\"version\":\"$v\"}" ] || { echo "FAIL: -o json version of $f: $j"; fail=1; }
done

# An invalid SDL: exit 2, the same errors as validate, nothing on stdout.
bad=$AKT_HOME/bad.yaml
sed 's/image: nginx:1.25-alpine/image: ""/' "$AKT_SOURCE_DIR/examples/web-service.yaml" > "$bad"
set +e
"$AKT" sdl validate "$bad" > /dev/null 2> "$AKT_HOME/validate.err"; rc_validate=$?
for cmd in manifest groups version; do
  "$AKT" sdl $cmd "$bad" > "$AKT_HOME/out" 2> "$AKT_HOME/$cmd.err"; rc=$?
  [ $rc -eq 2 ] || { echo "FAIL: sdl $cmd on an invalid SDL exited $rc, want 2"; fail=1; }
  [ ! -s "$AKT_HOME/out" ] || { echo "FAIL: sdl $cmd printed to stdout on error"; fail=1; }
  cmp -s "$AKT_HOME/validate.err" "$AKT_HOME/$cmd.err" || { echo "FAIL: sdl $cmd errors differ from validate's"; fail=1; }
done
set -e
[ $rc_validate -eq 2 ] || { echo "FAIL: validate exited $rc_validate on an invalid SDL"; fail=1; }

# Go's own outputs, when the shared corpus is present.
corpus=${AKT_SDL_CORPUS:-$AKT_SOURCE_DIR/../shared/sdl/corpus}
if [ -f "$corpus/GO_VERSIONS.tsv" ]; then
  total=0; agree=0
  while IFS=$'\t' read -r input version; do
    [ "$input" = file ] && continue
    total=$((total + 1))
    name=$(basename "$(dirname "$input")"); ver=$(basename "$(dirname "$(dirname "$input")")")
    out=$corpus/chain-sdk/testdata/sdl/output-fixtures/$ver/$name
    ok=1
    [ "$("$AKT" sdl version "$corpus/$input")" = "$version" ] || ok=0
    python3 - "$out/manifest.json" <("$AKT" sdl manifest "$corpus/$input") "$out/group-specs.json" \
      <("$AKT" sdl groups "$corpus/$input") <<'PY' || ok=0
import json, sys
a = [json.load(open(p)) for p in sys.argv[1:]]
sys.exit(0 if a[0] == a[1] and a[2] == a[3] else 1)
PY
    if [ $ok -eq 1 ]; then agree=$((agree + 1)); else echo "FAIL: $input differs from Go's outputs"; fail=1; fi
  done < "$corpus/GO_VERSIONS.tsv"
  echo "Go outputs: $agree/$total agree (akt sdl manifest, groups, version)"
else
  echo "SDL corpus not found at $corpus; Go output comparison skipped"
fi
exit $fail
