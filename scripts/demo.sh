#!/usr/bin/env bash
# The main job, on this machine: a hub and nine ward nodes of Hồng Bàng
# district (Hải Phòng) carry the real 2023 nutrition figures of
# ../shared/fixtures/hong-bang-2023-nutrition.csv to the hub, which prints
# the district and province totals it computed.
#
#   bash scripts/demo.sh          ends by itself
#   bash scripts/demo.sh --web    then keeps the hub and the operators' desk
#                                 (baocao-web) running on 127.0.0.1:8080 (or
#                                 $BAOCAO_WEB_LISTEN), prints the URL, and
#                                 stops on Ctrl-C
#
# BAOCAO_BIN=FOLDER runs the programs already built there, without the
# install and the build (tests/packaging/test_demo.sh: the test suite runs
# this script so).
set -euo pipefail
web=no
case "${1:-}" in
  --web) web=yes ;;
  "") ;;
  *) echo "usage: demo.sh [--web]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${BAOCAO_SHARED:-$root/../shared}
fixture=$shared/fixtures/hong-bang-2023-nutrition.csv
[[ -f $fixture ]] || { echo "demo: $fixture not found (set BAOCAO_SHARED)" >&2; exit 2; }

# The install and the build stay quiet unless they fail (about 114 lines
# of cmake output used to come before the result): then their whole
# output is shown.
quiet() {
  local out
  out=$(mktemp /tmp/baocao-demo-build-XXXXXX.log)
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2
    echo "demo: '$*' failed (output above, kept in $out)" >&2
    exit 1
  fi
  rm -f "$out"
}
if [[ -n ${BAOCAO_BIN:-} ]]; then
  bin=$BAOCAO_BIN
  [[ -x $bin/baocao-hub ]] || { echo "demo: no baocao-hub in BAOCAO_BIN=$bin" >&2; exit 2; }
else
  echo "== install and build (quiet unless they fail)"
  quiet "$root/scripts/install-deps.sh"
  quiet env BUILD_DIR="$root/build" "$root/scripts/build.sh"
  bin=$root/build/bin
fi

work=$(mktemp -d /tmp/baocao-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "${BAOCAO_KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

echo "== hub (store $work/hub, plain mode for a local demo)"
"$bin/baocao-hub" --store "$work/hub" --registry "$root/data/units.csv" \
  --catalog "$root/data/indicators.csv" --bind 'tcp://127.0.0.1:*' \
  --endpoint-file "$work/hub.endpoint" --plain --log-level warn \
  2>"$work/hub.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/hub.endpoint ]] && break; sleep 0.1; done
hub=$(cat "$work/hub.endpoint")
echo "   listening on $hub"

# Ward codes in the fixture's row order (data/units.csv names them).
codes=(HP-HB-QT HP-HB-HV HP-HB-SD HP-HB-TC HP-HB-TL HP-HB-HL HP-HB-HVT HP-HB-PBC HP-HB-MK)

echo "== nine ward nodes file their 2023-12 reports and deliver them"
i=0
tail -n +2 "$fixture" | while IFS=, read -r ward u5 u2 maln _uw _st _wa uwc; do
  code=${codes[$i]}
  printf 'indicator,value\nsdd_u5,%s\nsdd_u2,%s\nsdd_malnourished,%s\nsdd_underweight,%s\n' \
    "$u5" "$u2" "$maln" "$uwc" >"$work/$code.csv"
  id=$("$bin/baocao" submit --store "$work/node-$code" --unit "$code" \
        --period 2023-12 --file "$work/$code.csv" 2>/dev/null)
  echo "   $code  filed $id  ($ward)"
  i=$((i + 1))
done
for code in "${codes[@]}"; do
  "$bin/baocao-node" --store "$work/node-$code" --unit "$code" --hub "$hub" \
    --plain --drain --max-seconds 60 --log-level warn 2>>"$work/nodes.log" &
  pids+=($!)
done
for p in "${pids[@]:1}"; do wait "$p"; done
pids=("${pids[0]}")
echo "   all nine delivered and acknowledged"

echo
echo "== Hồng Bàng district totals, computed by the hub"
"$bin/baocao" query --hub "$hub" --plain --unit HP-HB --period 2023-12 \
  --indicator sdd_u5 --indicator sdd_u2 --indicator sdd_malnourished \
  --indicator sdd_underweight --indicator sdd_underweight_rate
echo
echo "== Hải Phòng province totals"
"$bin/baocao" query --hub "$hub" --plain --unit HP --period 2023-12 \
  --indicator sdd_u5 --indicator sdd_u2 --indicator sdd_malnourished

if [[ $web == yes ]]; then
  listen=${BAOCAO_WEB_LISTEN:-127.0.0.1:8080}
  "$bin/baocao-web" --hub "$hub" --plain --listen "$listen" \
    --url-file "$work/web.url" --log-level warn 2>"$work/web.log" &
  pids+=($!)
  for _ in $(seq 100); do [[ -s $work/web.url ]] && break; sleep 0.1; done
  [[ -s $work/web.url ]] || { cat "$work/web.log" >&2; exit 1; }
  url=$(cat "$work/web.url")
  echo
  echo "== the operators' desk: ${url}?unit=HP-HB&period=2023-12"
  echo "   completeness:        ${url}completeness?unit=HP-HB&period=2023-12"
  echo "   (Ctrl-C stops the desk and the hub)"
  trap 'echo; echo "stopping"; exit 0' INT TERM
  wait "${pids[-1]}"
fi
