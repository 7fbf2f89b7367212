#!/usr/bin/env bash
# curves.sh -- how the hub's costs grow (issue 21, goals 5 and 6): ingest
# rate, query p99s and the hub's memory apart from LMDB's map, against the
# store's size and against the number of connected nodes. One bench_ingest
# run a point, each on a fresh store; prints a Markdown table and draws
# them with gnuplot into curves.png, so that a reader sees at a glance
# whether a cost grows with the data.
#
# Usage: bench/curves.sh [--sizes "24000 120000 240000"] [--million]
#                        [--nodes "10 100 1000"] [--node-reports N]
#                        [--queries N] [--out DIR]
#   --sizes         store sizes in reports (10 %, 50 %, 100 % of 240,000 by
#                   default; up to 1,200,000: beyond 240,000 the reports
#                   start before 2023 and the queries still ask about
#                   2023-01..2024-12, bench_data.h's bench_layout)
#   --million       add the 1,000,000-report point (issue 21, goal 6): one
#                   more run of 2 to 4 minutes at ~10,000 reports/s, ~1.5 GB
#                   of memory for the encoded requests and ~5 GB of disk in
#                   /tmp (the hub's store, then raw LMDB's) while it runs
#   --nodes         connected nodes (simulated, 8 submissions in flight each)
#   --node-reports  reports of each --nodes run (default 60000)
# Env: BENCH_BIN  folder of bench_ingest and baocao-hub (default
#                 build-release/bin beside this script)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${BENCH_BIN:-$here/../build-release/bin}
sizes="24000 120000 240000" nodes="10 100 1000" node_reports=60000
queries=200 out=$PWD million=0
while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --million) million=1; shift ;;
    --nodes) nodes=$2; shift 2 ;;
    --node-reports) node_reports=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/curves.sh [--sizes LIST] [--million] [--nodes LIST] [--node-reports N] [--queries N] [--out DIR]" >&2; exit 2 ;;
  esac
done
if ((million)); then sizes="$sizes 1000000"; fi
mkdir -p "$out"
data=$(mktemp /tmp/baocao-curves-XXXXXX)
trap 'rm -f "$data" "$data".*' EXIT
val() { awk -v k="$2" '$1 == "hub" && $2 == k {print $3}' "$1"; }
# One point: columns x, ingest/s, province month p99, facility month p99,
# district slice p99, heap MB.
point() { # file x
  printf '%s %s %s %s %s %s\n' "$2" "$(val "$1" ingest_reports_per_s)" \
    "$(val "$1" q_province_month_p99_ms)" "$(val "$1" q_facility_month_p99_ms)" \
    "$(val "$1" q_slice_district_p99_ms)" "$(val "$1" heap_mb)"
}
: >"$data.size"; : >"$data.nodes"
for n in $sizes; do
  echo "== curves: $n reports, 100 nodes" >&2
  "$bin/bench_ingest" --reports "$n" --queries "$queries" >"$data" 2> >(grep -v '^bench: [0-9]' >&2)
  point "$data" "$n" >>"$data.size"
done
for k in $nodes; do
  echo "== curves: $k nodes, $node_reports reports" >&2
  "$bin/bench_ingest" --reports "$node_reports" --nodes "$k" --queries "$queries" >"$data" 2> >(grep -v '^bench: [0-9]' >&2)
  point "$data" "$k" >>"$data.nodes"
done
table() { # file, label of x
  echo "| $2 | ingest, reports/s | province month p99, ms | facility month p99, ms | district slice p99, ms | hub heap (no map), MB |"
  echo "|---|---|---|---|---|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$1"
}
{
  echo "Store size (100 nodes x 8 in flight):"; echo
  table "$data.size" "reports in the store"
  echo; echo "Connected nodes ($node_reports reports, 8 in flight each):"; echo
  table "$data.nodes" "nodes"
} | tee "$out/curves.md"
cp "$data.size" "$out/curves_size.dat"; cp "$data.nodes" "$out/curves_nodes.dat"
if command -v gnuplot >/dev/null; then
  gnuplot <<GP
set terminal png size 1200,800
set output "$out/curves.png"
set multiplot layout 2,2 title "baocao-hub: cost against store size and connected nodes"
set key left top
set grid
# Sizes span 10x (40x with --million): a log scale, ticks as 24k, 1M.
set logscale x
set format x "%.0s%c"
set title "ingest rate against store size"; set xlabel "reports in the store"; set ylabel "reports/s"
plot "$out/curves_size.dat" using 1:2 with linespoints title "ingest"
set title "query p99 against store size"; set ylabel "ms"
plot "$out/curves_size.dat" using 1:3 with linespoints title "province month", \
     "" using 1:4 with linespoints title "facility month", \
     "" using 1:5 with linespoints title "district slice"
set format x "%g"
set title "ingest rate against connected nodes"; set xlabel "nodes"; set ylabel "reports/s"
plot "$out/curves_nodes.dat" using 1:2 with linespoints title "ingest"
set title "hub heap (LMDB map excluded) against nodes"; set ylabel "MB"
plot "$out/curves_nodes.dat" using 1:6 with linespoints title "heap"
unset multiplot
GP
  echo "plot: $out/curves.png" >&2
else
  echo "curves.sh: gnuplot is missing (scripts/install-deps.sh --bench): no plot" >&2
fi
