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

# In the embedded shape the providers act after a command that opens an order, so the
# bids (or each provider's reason for none) are there for `bids list` straight away.
source "$(dirname "$0")/sdl.bash"
small_sdl "$home/one.yaml"
"$AKT" keys add tenant >/dev/null || fail "keys add"
"$AKT" ledger fund tenant 100000000uakt >/dev/null || fail "fund"
"$AKT" deployment create "$home/one.yaml" --from tenant --dseq 7 >/dev/null 2>&1 || fail "deployment create"
bids=$("$AKT" -o json bids list --from tenant --dseq 7 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$bids" -ge 1 ] || fail "no bids listed right after deployment create"

# show_refuses WHAT: `akt sim show` exits 2; its message is left in $err.
show_refuses() {
  local rc
  set +e
  err=$("$AKT" sim show 2>&1 >/dev/null); rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "$1 exit $rc, want 2"
}

# A host URI the network would refuse is refused in sim.yaml, where it is written.
cp "$home/sim.yaml" "$home/sim.yaml.good"
sed -i '0,/^    host_uri: .*/s//    host_uri: 127.0.0.1:8443/' "$home/sim.yaml"
show_refuses "bad host_uri"
case "$err" in *"providers[0].host_uri"*"is not a host URI"*) ;; *) fail "host_uri message: $err" ;; esac
cp "$home/sim.yaml.good" "$home/sim.yaml"

# A typo in the file is refused with its position.
sed -i 's/^    host_uri:/    host_url:/' "$home/sim.yaml"
show_refuses "typo"
case "$err" in *"sim.yaml:"*":5: providers[0].host_url: unknown key"*) ;; *) fail "typo message: $err" ;; esac
echo ok
