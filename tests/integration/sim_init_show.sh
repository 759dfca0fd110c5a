#!/usr/bin/env bash
# `akt sim init` writes the default network once, refuses to overwrite without --force,
# and `akt sim show` prints it as text and as one JSON document.
set -euo pipefail
AKT=${AKT:?path to the akt binary}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export AKT_HOME=$home

fail() { echo "FAIL: $*" >&2; exit 1; }

"$AKT" sim init >/dev/null || fail "init"
[ -f "$home/sim.yaml" ] || fail "no sim.yaml"
set +e
err=$("$AKT" sim init 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 5 ] || fail "second init exit $rc, want 5"
case "$err" in *"already exists; pass --force"*) ;; *) fail "message: $err" ;; esac
"$AKT" sim init --force >/dev/null || fail "init --force"

"$AKT" sim show | grep "apac-h100" >/dev/null || fail "show text lacks apac-h100"
count=$("$AKT" sim show -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["providers"]))')
[ "$count" -ge 4 ] || fail "json providers $count"
"$AKT" sim show --provider westcoast-cpu -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [p["name"] for p in d["providers"]] == ["westcoast-cpu"], d
'
set +e
"$AKT" sim show --provider nobody >/dev/null 2>&1; rc=$?
set -e
[ "$rc" -eq 3 ] || fail "unknown provider exit $rc, want 3"

# A typo in the file is refused with its position.
sed -i 's/^    host_uri:/    host_url:/' "$home/sim.yaml"
set +e
err=$("$AKT" sim show 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 2 ] || fail "typo exit $rc, want 2"
case "$err" in *"sim.yaml:"*":5: providers[0].host_url: unknown key"*) ;; *) fail "typo message: $err" ;; esac
echo ok
