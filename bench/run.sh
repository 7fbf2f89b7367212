#!/usr/bin/env bash
# The whole benchmark, one command: builds in Release mode and runs, each
# on a fresh store on loopback,
#   1. the hub: 240,000 reports (10,000 facilities x 24 months, 100 values)
#      from 100 simulated nodes, durable acks; then the four queries, and
#      SliceQuery (one indicator, 100 children x 24 months);
#   2. raw LMDB: the same request bytes appended with the hub's batch size
#      and full sync (inside bench_ingest);
#   2b. the round trip's floor: a bare ZeroMQ ROUTER echo against the
#      hub's Ping, from a bare DEALER and from bc_client (bench_floor);
#   3. the hub again, SIGKILLed every 8,000 acks, counting at the end that
#      every acknowledged report is there;
#   4. PostgreSQL: the same reports into a DHIS2-style table (bench/pg_run.sh);
#   5. Redis Streams, appendfsync always: XADD of the same bytes, 100 clients
#      x 8 in flight (bench/redis_run.sh);
#   6. a reconnect storm: 20,000 peers connecting and vanishing;
#   7. the audit tools on a log of 1,000,000 submissions;
#   8. the registry: loading 12,000 units (bench_registry);
#   9. the map changes (issue 12): the same province with a tenth of its
#      facilities merged or moved on 2024-01, 236,400 reports, then the
#      questions that cross the change (bench_map, always at full scale);
#  10. the pages written per report and the DBs they go to (issue 21, goal
#      1): a store filled with all but 30,000 of the reports, then the next
#      ones committed in batches of 1, 10, 100 and 400 (about the hub's
#      average batch here) of consecutive reports, 400 spread over 1,600
#      (about the hub's own batches) and 100 spread over a whole month (the
#      worst), each commit's new pages counted by DB from a walk of LMDB's
#      file (bench_pages); and the hub's own commits, sampled while it
#      fills that store (bench_pages --watch: stopped, walked, run, walked);
#  11. a node's backlog drained after an outage of the link and of the hub
#      (bench_drain, 64 kbit/s and 200 ms through baocao-flaky);
#  12. the node's memory, idle and while it drains 10,000 reports
#      (bench_idle, bench_drain at full speed);
# and prints one table, with the disk's fsync time, and last the goals of
# issues 13 and 21 against this run's figures, each met or not. Usage:
#   bench/run.sh [--quick] [--no-pg] [--no-redis] [--curves [--million]]
#   --quick     60,000 reports and 200,000 audit submissions (a few minutes)
#   --no-pg     skip PostgreSQL (its load alone takes about 4 minutes)
#   --no-redis  skip Redis Streams
#   --curves    also the cost curves (bench/curves.sh: 10/50/100 % of the
#               reports, 10/100/1,000 nodes; table and curves.png in the
#               current folder; about 10 more minutes)
#   --million   with --curves, also the 1,000,000-report point (a few more
#               minutes, ~5 GB of disk in /tmp while it runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reports=240000 audit=1000000 pg=1 redis=1 curves=0 queries=1000 pgqueries=200
million=0
for a in "$@"; do
  case $a in
    --quick) reports=60000 audit=200000 queries=300 pgqueries=50 ;;
    --no-pg) pg=0 ;;
    --no-redis) redis=0 ;;
    --curves) curves=1 ;;
    --million) million=1 ;;
    *) echo "usage: bench/run.sh [--quick] [--no-pg] [--no-redis] [--curves [--million]]" >&2; exit 2 ;;
  esac
done
if ((pg || redis || curves)); then "$root/scripts/install-deps.sh" --bench; else "$root/scripts/install-deps.sh"; fi
BUILD_DIR=$root/build-release BUILD_TYPE=Release "$root/scripts/build.sh" -DBC_TESTS=OFF >/dev/null
bin=$root/build-release/bin
out=$(mktemp /tmp/baocao-bench-XXXXXX.txt)
trap 'rm -f "$out"' EXIT
get() { awk -v k="$1 $2" '$1" "$2==k {print $3}' "$out"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p'), disk $(df -h /tmp | awk 'NR==2{print $1" "$2}')" >&2
# The disk's cost of one durable write, which bounds every durable ingest
# here: 1,000 writes of 4 KiB, each followed by its fdatasync (dd's dsync).
fs=$(mktemp /tmp/baocao-fsync-XXXXXX)
fsync_ms=$(dd if=/dev/zero of="$fs" bs=4k count=1000 oflag=dsync 2>&1 \
  | awk '/copied/ {for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) t = $(i-1); printf "%.3f", t}')
rm -f "$fs"
echo "disk fsync_4k_ms $fsync_ms" | tee -a "$out" >&2
echo "== hub and raw LMDB: $reports reports" >&2
"$bin/bench_ingest" --reports "$reports" --queries "$queries" | tee -a "$out" >&2
echo "== the round trip's floor: a bare ZeroMQ echo against the hub's Ping" >&2
"$bin/bench_floor" --requests 2000 --rounds 5 | tee -a "$out" >&2
echo "== hub SIGKILLed every 8000 acks" >&2
"$bin/bench_ingest" --reports $((reports < 100000 ? reports : 100000)) --kill-every 8000 --queries 10 \
  | sed -n 's/^hub \(kills\|resent\|check_all_acknowledged_present\|ingest_reports_per_s\) /kill \1 /p' | tee -a "$out" >&2
if ((pg)); then
  echo "== PostgreSQL: $reports reports" >&2
  BENCH_PG=$bin/bench_pg "$root/bench/pg_run.sh" --reports "$reports" --queries "$pgqueries" 2>/dev/null \
    | grep '^pg ' | tee -a "$out" >&2
fi
if ((redis)); then
  echo "== Redis Streams (appendfsync always): $reports XADDs" >&2
  rb=$(get hub request_bytes_per_report)
  "$root/bench/redis_run.sh" --requests "$reports" --bytes "${rb:-1350}" | tee -a "$out" >&2
fi
echo "== reconnect storm: 20,000 peers" >&2
"$bin/bench_storm" --rounds 40 --peers 500 2>/dev/null | tee -a "$out" >&2
echo "== audit: $audit submissions" >&2
"$bin/bench_audit" --submissions "$audit" 2>/dev/null | tee -a "$out" >&2
"$bin/bench_registry" "$root/data/indicators.csv" 20 | tee -a "$out" >&2
echo "== the map changes: a tenth of the facilities merged or moved on 2024-01" >&2
"$bin/bench_map" --queries "$queries" 2>/dev/null | tee -a "$out" >&2

pfill=$((reports - 30000))
echo "== pages written per report: $pfill reports, then batches of 1, 10, 100, 400; 400 spread over 1,600; 100 over 10,000" >&2
pdir=$(mktemp -d /tmp/baocao-bench-pages-XXXXXX)
"$bin/bench_ingest" --reports "$pfill" --queries 10 --keep --dir "$pdir" >/dev/null 2>&1 &
fillpid=$!
# The hub's own commits, sampled while it fills the store: stopped, walked,
# run a moment, stopped and walked again (bench_pages --watch).
hubpid=""
for _ in $(seq 1 600); do
  hubpid=$(pgrep -f "baocao-hub --store $pdir/hub" | head -1 || true)
  [[ -n $hubpid && -s $pdir/hub/data.mdb ]] && break
  sleep 0.2
done
# The sampling starts once the store holds about a third of the fill (its
# file at a third of ~2,900 bytes a report): the commits caught are a grown
# store's, and the fill is not over yet; 10 ms runs between two walks
# hold one commit more often than 20 (the hub commits every ~13 ms here:
# 28 caught against 2). A fixed 5 s wait used to miss the
# whole fill where fsync takes 0.2 ms (210,000 reports in ~7 s). At
# --quick's size the fill is over in about a second: nothing to catch.
if ((pfill < 100000)); then
  echo "   (the hub's own commits are sampled only at full size: this fill is over before a sample)" >&2
elif [[ -n $hubpid ]]; then
  third=$((pfill * 2900 / 3))
  for _ in $(seq 1 600); do
    (($(stat -c %s "$pdir/hub/data.mdb" 2>/dev/null || echo 0) >= third)) && break
    sleep 0.05
  done
  "$bin/bench_pages" --dir "$pdir" --watch "$hubpid" --samples 40 --gap-us 10000 | tee -a "$out" >&2 || true
fi
wait "$fillpid"
{ "$bin/bench_pages" --dir "$pdir" --from "$pfill" --batches "1 10 100 400" --commits 20
  "$bin/bench_pages" --dir "$pdir" --from $((pfill + 10220)) --fill "$pfill" --batches 400 --commits 20 --spread 4
  "$bin/bench_pages" --dir "$pdir" --from $((pfill + 18220)) --fill "$pfill" --batches 100 --commits 100 --spread 100
} | grep -v store_pages | tee -a "$out" >&2
rm -rf "$pdir"

row() { # label, hub key, pg key, raw key
  local h p r ratio
  h=$(get hub "$2"); p=$(get pg "$3"); r=$(get raw "$4")
  ratio=""
  if [[ -n $h && -n $p ]]; then
    ratio=$(awk -v h="$h" -v p="$p" -v k="$2" 'BEGIN{
      if (k ~ /_ms$/) { if (p >= h) printf "%.0fx faster", p/h; else printf "%.1fx slower", h/p }
      else if (k ~ /bytes/) printf "%.2fx the size", h/p;
      else printf "%.1fx", h/p }')
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$1" "${h:--}" "${p:--}" "${r:--}" "$ratio"
}
echo
echo "| figure | hub | PostgreSQL | raw LMDB | hub vs PostgreSQL |"
echo "|---|---|---|---|---|"
row "ingest, reports/s" ingest_reports_per_s ingest_reports_per_s ingest_reports_per_s
row "ingest, values/s" ingest_values_per_s ingest_values_per_s ingest_values_per_s
row "ack latency p50, ms" ack_p50_ms ack_p50_ms none
row "ack latency p99, ms" ack_p99_ms ack_p99_ms none
row "store bytes per report" store_bytes_per_report bytes_per_report none
for q in province_month province_ytd district_month facility_month \
         province_quarter province_year facility_year; do
  row "query $q p50, ms" "q_${q}_p50_ms" "q_${q}_p50_ms" none
  row "query $q p99, ms" "q_${q}_p99_ms" "q_${q}_p99_ms" none
done
# The same facility month every time: the hub's reply cache (issue 21).
row "query facility_month_same p50, ms" q_facility_month_same_p50_ms none none
row "query facility_month_same p99, ms" q_facility_month_same_p99_ms none none
# SliceQuery: one indicator, 100 children x 24 months, one request (#13).
for q in slice_province slice_district; do
  row "query $q (100 x 24) p50, ms" "q_${q}_p50_ms" none none
  row "query $q (100 x 24) p99, ms" "q_${q}_p99_ms" none none
done
echo
h=$(get hub ingest_reports_per_s); r=$(get raw ingest_reports_per_s)
echo "disk: a 4 KiB write + fdatasync takes $(get disk fsync_4k_ms) ms"
if ((redis)); then
  hub_rate=$(get hub ingest_reports_per_s); redis_rate=$(get redis ingest_reports_per_s)
  echo "Redis Streams (appendfsync always, 100 clients x 8 in flight): $redis_rate XADD/s, ack p50 $(get redis ack_p50_ms) / p99 $(get redis ack_p99_ms) ms, $(get redis aof_bytes_per_report) AOF bytes per entry; hub / Redis ingest: $(awk -v h="$hub_rate" -v r="$redis_rate" 'BEGIN{if (r > 0) printf "%.2f", h/r}')x (goal: >= 1)"
fi
echo "query floor (a Ping's round trip, no store read): p50 $(get hub q_ping_p50_ms) / p99 $(get hub q_ping_p99_ms) ms"
echo "round trip floor (bench_floor, 10,000 each, interleaved): bare ZeroMQ echo p50 $(get floor echo_raw_p50_ms) / p99 $(get floor echo_raw_p99_ms) ms; hub Ping through bc_client p50 $(get floor hub_bc_p50_ms) / p99 $(get floor hub_bc_p99_ms) ms"
echo "hub / raw LMDB ingest: $(awk -v h="$h" -v r="$r" 'BEGIN{printf "%.1f %%", 100*h/r}') (raw batch $(get raw batch), hub average batch $(get hub avg_batch)); hub peak RSS $(get hub peak_rss_mb) MB; all acknowledged present: $(get hub check_all_acknowledged_present)"
echo "SIGKILL run: $(get kill kills) kills, $(get kill resent) resends, every acknowledged report present: $(get kill check_all_acknowledged_present)"
echo "reconnect storm, $(get storm peers) peers ($(get storm answered) answered): hub RSS $(get storm rss_start_kb) kB idle, peak $(get storm rss_peak_kb) kB, $(get storm rss_end_kb) kB at the end"
echo "audit, $(get audit submissions) submissions: export $(get audit export_s) s, verify $(get audit verify_s) s, replay $(get audit replay_s) s, digest $(get audit digest_s) s, replay digest matches: $(get audit replay_digest_matches); $(get audit export_bytes_per_submission) export bytes and $(get audit store_bytes_per_submission) store bytes per submission"
echo
echo "| across a change of the map (bench_map, $(get map queries_per_kind) each) | p50, ms | p99, ms | max, ms | hub CPU, us | hub major faults |"
echo "|---|---|---|---|---|---|"
for q in ping succ_first_month succ_month_after succ_year succ_before_refused \
         merged_before merged_after_refused district_moved moved_facility \
         province_after unchanged_facility unchanged_facility_year; do
  printf '| %s | %s | %s | %s | %s | %s |\n' "$q" "$(get map "q_${q}_p50_ms")" \
    "$(get map "q_${q}_p99_ms")" "$(get map "q_${q}_max_ms")" \
    "$(get map "q_${q}_hub_cpu_us")" "$(get map "q_${q}_hub_major_faults")"
done
echo "answers checked: $(get map answers_checked)"
echo
# Where a commit's pages go (bench_pages): per report, by DB, at each batch
# size; the total adds LMDB's meta page (one a commit). "syscall = walk":
# the bytes LMDB handed to pwrite/writev equal the walk's count.
echo "| pages written per report, by DB | batch 1 | batch 10 | batch 100 | batch 400 | 400 of 1,600 | 100 of 10,000 | the hub's own, sampled |"
echo "|---|---|---|---|---|---|---|---|"
for k in db_log db_cur db_agg db_revs db_subs db_units db_carry "db_(freelist)" "db_(main)" \
         meta_page total appended_to_file total_bytes_per_report syscall_matches_walk \
         io_write_bytes_pages; do
  printf '| %s |' "$k"
  for b in b1 b10 b100 b400 b400w4 b100w100 hub; do printf ' %s |' "$(get pages "${b}_$k")"; done
  echo
done
if [[ -n $(get pages hub_commits) ]]; then
  echo "the hub's own commits sampled: $(get pages hub_commits) commits, average batch $(get pages hub_avg_batch)"
else
  echo "the hub's own commits: none caught (at --quick's size the fill is over before a sample; else bench_pages' line above says why)"
fi
echo "the hub's own run: $(get hub ingest_syscall_write_pages_per_report) pages a report handed to pwrite/writev at its average batch $(get hub avg_batch); write_bytes $(get hub ingest_write_bytes_per_report) bytes a report (large folios inflate it: BENCHMARKS.md)"
if ((curves)); then
  echo
  mflag=(); if ((million)); then mflag=(--million); fi
  if ((reports < 240000)); then
    BENCH_BIN=$bin "$root/bench/curves.sh" --sizes "$((reports / 10)) $((reports / 2)) $reports" \
      --node-reports $((reports / 4)) --queries 100 --out "$PWD" "${mflag[@]}"
  else
    BENCH_BIN=$bin "$root/bench/curves.sh" --out "$PWD" "${mflag[@]}"
  fi
fi

# --- Backlog drain after an outage (issue #21 item 4; the weak-links
# helper's block, separate from the rest) ------------------------------------
# bench_drain: a district centre's backlog of 200 reports (70 figures)
# through baocao-flaky at 64 kbit/s and 200 ms, after a 90 s outage of the
# link (a black hole) and of the hub (stopped, then restarted at the same
# address); the clock starts when the hub is reachable again. Goal: at
# least 80 % of what the bandwidth allows. BENCHMARKS.md, "Backlog drain
# after an outage".
drain=$(mktemp /tmp/baocao-bench-drain-XXXXXX.txt)
for o in link hub; do
  "$bin/bench_drain" --outage "$o" --outage-s 90 --reports 200 2>/dev/null >>"$drain" || true
done
dget() { awk -v o="$1" -v k="$2" '$2=="outage"{cur=$3} cur==o && $2==k {print $3}' "$drain"; }
echo
echo "| backlog drain, 200 reports, 64 kbit/s, 200 ms | link outage 90 s | hub outage 90 s |"
echo "|---|---|---|"
for k in complete connections_during_outage bytes_up bandwidth_allows_s took_s ratio_pct; do
  printf '| %s | %s | %s |\n' "$k" "$(dget link $k)" "$(dget hub $k)"
done

# --- The node's memory (issue #21 item 5): idle, and while draining a
# 10,000-report backlog (through baocao-flaky at full speed: at 64 kbit/s
# it would take some 20 minutes). bench_proc_memory's split: the shared
# libraries' pages, the node's own anonymous pages, its outbox's map.
# BENCHMARKS.md, "The node's memory".
nmem=$(mktemp /tmp/baocao-bench-nmem-XXXXXX.txt)
"$bin/bench_idle" --idle-disconnect 5000 --settle 10 --window 5 2>/dev/null >>"$nmem" || true
"$bin/bench_drain" --outage link --outage-s 5 --reports 10000 --rate-bps 0 --latency-ms 0 \
  2>/dev/null >>"$nmem" || true
nget() { awk -v k="$1 $2" '$1" "$2==k {print $3}' "$nmem"; }
echo
echo "| the node's memory, MiB | idle | draining 10,000 reports (peaks) |"
echo "|---|---|---|"
printf '| RSS | %s | %s |\n' "$(nget idle node_rss_mb)" "$(nget drain node_rss_peak_mb)"
printf '| of it the outbox'"'"'s map (clean page cache) | %s | %s |\n' \
  "$(nget idle node_outbox_map_mb)" "$(nget drain node_outbox_map_peak_mb)"
printf '| RSS apart from that map | %s | %s |\n' "$(nget idle node_rss_mb)" \
  "$(nget drain node_rss_apart_from_outbox_map_peak_mb)"
printf '| shared libraries | %s | %s |\n' "$(nget idle node_libs_mb)" "$(nget drain node_libs_peak_mb)"
printf '| its own anonymous pages (heap, stacks) | %s | %s |\n' "$(nget idle node_anon_mb)" \
  "$(nget drain node_anon_peak_mb)"
printf '| PSS | %s | %s |\n' "$(nget idle node_pss_mb)" "$(nget drain node_pss_peak_mb)"
echo "10,000 reports drained: $(nget drain complete), in $(nget drain took_s) s ($(nget drain reports_per_s) reports/s)"

# --- The goals of issues 13 and 21, each against this run's figures -------
goal() { # label, figure, <= or >=, target
  local met
  met=$(awk -v v="$2" -v op="$3" -v t="$4" 'BEGIN{
    if (v == "" || t == "") { print "-"; exit }
    ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0)
    print ok ? "met" : "not met" }')
  printf '| %s | %s | %s %s | %s |\n' "$1" "${2:--}" "$3" "${4:--}" "$met"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a != "" && b > 0) printf "%.3f", a/b}'; }
echo
echo "| goal (issue) | this run | target | |"
echo "|---|---|---|---|"
if ((redis)); then
  goal "ingest / Redis Streams' durable rate (21.1)" \
    "$(ratio "$(get hub ingest_reports_per_s)" "$(get redis ingest_reports_per_s)")" ">=" 1
fi
goal "ingest / raw LMDB's rate (21.1)" "$(ratio "$h" "$r")" ">=" 0.40
for q in province_month province_ytd district_month facility_month; do
  goal "$q p50, ms (21.2)" "$(get hub "q_${q}_p50_ms")" "<=" 0.100
  goal "$q p99, ms (21.2)" "$(get hub "q_${q}_p99_ms")" "<=" 0.200
done
if ((pg)); then
  goal "facility_month p99 / PostgreSQL's bare select p99 (21.2)" \
    "$(ratio "$(get hub q_facility_month_p99_ms)" "$(get pg q_facility_month_p99_ms)")" "<=" 0.5
fi
for q in slice_province slice_district; do
  goal "$q (100 x 24) p99, ms (13, 21.3)" "$(get hub "q_${q}_p99_ms")" "<=" 2
done
goal "backlog drain after a link outage, % of the bandwidth's time (21.4)" "$(dget link ratio_pct)" ">=" 80
goal "backlog drain after a hub outage, % of the bandwidth's time (21.4)" "$(dget hub ratio_pct)" ">=" 80
goal "node RSS idle, MiB (21.5)" "$(nget idle node_rss_mb)" "<=" 8
goal "node RSS while draining 10,000 reports, MiB (21.5)" "$(nget drain node_rss_peak_mb)" "<=" 8
rm -f "$drain" "$nmem"
