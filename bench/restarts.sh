#!/usr/bin/env bash
# bench/restarts.sh -- what a node killed mid-send costs when it starts
# again. A hub, a link of --latency-ms each way (baocao-flaky), and one
# ward node with the default window (32) and --reports reports filed; the
# node is killed (SIGKILL) after a random 0.5 to 3.4 s of each run and
# started again, until the outbox has nothing pending. Then the hub's own
# log (`baocao audit verify`) tells how many reports it stored and how many
# sends it answered as duplicates: each duplicate is a report that crossed
# the link twice. Prints one line:
#   kills K stored S duplicates D
# Usage:
#   bench/restarts.sh [--reports N] [--latency-ms N] [--seed N]
#                     [--bin DIR] [--node-bin PATH]
#   --bin       the programs (default build/bin)
#   --node-bin  another baocao-node to compare (an older build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reports=200 latency=300 seed=1 bin=$root/build/bin node_bin=
while (($#)); do
  case $1 in
    --reports) reports=$2; shift 2 ;;
    --latency-ms) latency=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --node-bin) node_bin=$2; shift 2 ;;
    *) echo "usage: bench/restarts.sh [--reports N] [--latency-ms N] [--seed N] [--bin DIR] [--node-bin PATH]" >&2
       exit 2 ;;
  esac
done
node_bin=${node_bin:-$bin/baocao-node}
RANDOM=$seed
work=$(mktemp -d /tmp/baocao-restarts-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/baocao-hub" --store "$work/hub" --registry "$root/data/units.csv" \
  --catalog "$root/data/indicators.csv" --bind 'tcp://127.0.0.1:*' \
  --endpoint-file "$work/hub.endpoint" --plain --log-level warn \
  2>"$work/hub.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/hub.endpoint ]] && break; sleep 0.1; done
hub=$(cat "$work/hub.endpoint")
"$bin/baocao-flaky" --target "${hub#tcp://}" --port-file "$work/link.port" \
  --latency-ms "$latency" --seed "$seed" >/dev/null 2>"$work/link.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/link.port ]] && break; sleep 0.1; done
link=tcp://127.0.0.1:$(cat "$work/link.port")

unit=HP-HB-QT
for ((i = 0; i < reports; i++)); do
  printf 'indicator,value\nsdd_u5,%d\n' $((100 + i)) >"$work/r.csv"
  "$bin/baocao" submit --store "$work/node" --unit $unit \
    --period "$(printf '%04d-%02d' $((2008 + i / 12)) $((i % 12 + 1)))" \
    --file "$work/r.csv" >/dev/null 2>&1
done

pending() {
  "$bin/baocao" status --store "$work/node" --format json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pending"])'
}
kills=0
while (($(pending) > 0)); do
  "$node_bin" --store "$work/node" --unit $unit --hub "$link" --plain \
    --log-level warn 2>>"$work/node.log" &
  node=$!
  sleep "$((RANDOM % 3)).$((RANDOM % 10))"
  sleep 0.5
  kill -KILL "$node" 2>/dev/null || true
  wait "$node" 2>/dev/null || true
  kills=$((kills + 1))
  if ((kills > 10 * reports)); then
    echo "bench/restarts.sh: still pending after $kills runs" >&2
    exit 1
  fi
done
counts=$("$bin/baocao" audit verify --store "$work/hub" |
  sed -n 's/.*stored \([0-9]*\), duplicate \([0-9]*\).*/\1 \2/p')
echo "kills $kills stored ${counts% *} duplicates ${counts#* }"
