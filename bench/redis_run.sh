#!/usr/bin/env bash
# redis_run.sh -- the durable-queue peer of issue 21: Redis Streams from
# Debian, XADD of a report-sized entry, acknowledged after fsync.
#
# Why this peer: a user who needs "a durable queue that acknowledges after
# fsync" can have it with one apt install, so the hub's ingest rate is set
# beside it. The server is started here on a private port (loopback only)
# and folder, with the durability a queue needs and nothing else changed:
# appendonly yes, appendfsync always (every write fsynced before its
# reply), no RDB snapshots. It is stopped, and its folder removed, on exit
# however the script exits. The load is redis-benchmark's: 100 clients,
# 8 commands in flight each (-P 8), as bench_ingest's 100 nodes x window
# 8, each an XADD of one field holding as many bytes as one report's
# request (1,350 by default, bench_ingest's request_bytes_per_report).
#
# Usage: bench/redis_run.sh [--requests N] [--bytes B]
# Prints: redis ingest_reports_per_s R, redis ack_p50_ms, redis ack_p99_ms,
#         redis aof_bytes_per_report
set -euo pipefail
requests=240000 bytes=1350
while (($#)); do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    *) echo "usage: bench/redis_run.sh [--requests N] [--bytes B]" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || {
  echo "redis_run.sh: redis-server is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
dir=$(mktemp -d "${REDIS_RUN_TMPDIR:-/tmp}/baocao-redis-XXXXXX")
# A free port: the kernel's choice for a socket that is then closed.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pid=""
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
  --appendonly yes --appendfsync always --daemonize no \
  --logfile "$dir/redis.log" &
pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -p "$port" config get appendfsync | tr '\n' ' ' >&2; echo >&2
payload=$(head -c "$bytes" /dev/zero | tr '\0' 'x')
# --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
#        "p95_latency_ms","p99_latency_ms","max_latency_ms"
line=$(redis-benchmark -p "$port" -c 100 -P 8 -n "$requests" --csv \
         XADD bench '*' r "$payload" | tail -n 1)
rps=$(awk -F'","' '{print $2}' <<<"$line")
p50=$(awk -F'","' '{print $5}' <<<"$line")
p99=$(awk -F'","' '{gsub(/"/,"",$7); print $7}' <<<"$line")
len=$(redis-cli -p "$port" xlen bench)
aof=$(du -sb "$dir" | awk '{print $1}')
echo "redis entries $len"
echo "redis ingest_reports_per_s ${rps%.*}"
echo "redis ack_p50_ms $p50"
echo "redis ack_p99_ms $p99"
echo "redis aof_bytes_per_report $((aof / (len > 0 ? len : 1)))"
