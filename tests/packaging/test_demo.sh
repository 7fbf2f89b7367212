#!/usr/bin/env bash
# packaging.demo: the README's first command, scripts/demo.sh, as a user
# runs it, with the programs of this build (BAOCAO_BIN: no install, no
# build; those are scripts/install-deps.sh and scripts/build.sh, which the
# test command has just run).
#
#   bash tests/packaging/test_demo.sh BUILD_DIR      (ctest -L packaging)
#
# 1. `demo.sh` ends by itself (exit 0) and prints the district and
#    province totals of the Hồng Bàng 2023-12 fixture: 7 492, 2 855,
#    1 594, and the underweight rate 8.50 from 637 / 7 492; its hub is
#    stopped and its folder removed.
# 2. `demo.sh --web` keeps the hub and the desk running, prints the URL;
#    the desk answers there with the district's figures; Ctrl-C (SIGINT)
#    stops both, exit 0.
set -euo pipefail
build=${1:?usage: test_demo.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=${BC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export BAOCAO_SHARED=${BC_SHARED_DIR:-$src/../shared}
export BAOCAO_BIN=$build/bin
out=$(mktemp /tmp/baocao-test-demo-XXXXXX.txt)
web=
cleanup() {
  [[ -z $web ]] || kill -KILL -- "-$web" 2>/dev/null || true
  rm -f "$out"
}
trap cleanup EXIT
fail() { echo "test_demo: $*" >&2; echo "--- demo's output:" >&2; cat "$out" >&2; exit 1; }

# A figure's row: indicator name, then the value (thousands with a space).
row() { grep -E "^$1 .* $2 " "$out" | wc -l; }

echo "== demo.sh"
timeout 180 bash "$src/scripts/demo.sh" >"$out" 2>&1 || fail "exit $?"
for f in "sdd_u5 7 492" "sdd_u2 2 855" "sdd_malnourished 1 594"; do
  set -- $f
  n=$(row "$1" "$2 $3")
  [[ $n == 2 ]] || fail "$1 = $2 $3 in $n of the two tables (district, province)"
done
grep -Eq "^sdd_underweight_rate .* 8\.50 .* 637 +7 492 " "$out" \
  || fail "no underweight rate 8.50 (637 / 7 492)"
store=$(sed -n 's/^== hub (store \(.*\)\/hub, .*/\1/p' "$out")
[[ -n $store ]] || fail "no store folder named"
[[ ! -e $store ]] || fail "its folder $store is left behind"
echo "   totals right, folder removed"

echo "== demo.sh --web"
BAOCAO_WEB_LISTEN=127.0.0.1:0 setsid bash "$src/scripts/demo.sh" --web \
  >"$out" 2>&1 &
web=$!
url=
for _ in $(seq 600); do
  url=$(sed -n "s/^== the operators' desk: \(http[^?]*\)?.*/\1/p" "$out")
  [[ -n $url ]] && break
  kill -0 "$web" 2>/dev/null || fail "ended before printing the URL"
  sleep 0.1
done
[[ -n $url ]] || fail "no URL within 60 s"
body=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
  "${url}api/dashboard?unit=HP-HB&period=2023-12&indicator=sdd_u5") \
  || fail "the desk did not answer at $url"
[[ $body == *7492* ]] || fail "the desk's dashboard has no 7492: $body"
kill -0 "$web" 2>/dev/null || fail "ended while serving"
kill -INT -- "-$web"
rc=0
for _ in $(seq 100); do kill -0 "$web" 2>/dev/null || break; sleep 0.1; done
kill -0 "$web" 2>/dev/null && fail "still running 10 s after Ctrl-C"
wait "$web" || rc=$?
web=
[[ $rc == 0 ]] || fail "exit $rc after Ctrl-C"
store=$(sed -n 's/^== hub (store \(.*\)\/hub, .*/\1/p' "$out")
[[ ! -e $store ]] || fail "its folder $store is left behind"
echo "   served at $url, stopped by Ctrl-C"
