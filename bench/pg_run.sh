#!/usr/bin/env bash
# pg_run.sh -- run bench_pg (bench/pg_peer.c) against a throwaway PostgreSQL.
#
# Why a throwaway server: the figures must come from a known configuration
# (the distribution's defaults, not whatever a machine's cluster was tuned
# to), on a clean database, and leave nothing behind. So this script
# creates a cluster in a temporary folder, starts it listening only on a
# unix socket in that folder (no TCP port to collide with anything), runs
# bench_pg with the arguments it was given, and on exit, however it exits,
# stops the server and removes the folder.
#
# Durability is PostgreSQL's default: fsync = on, synchronous_commit = on,
# full_page_writes = on (bench_pg prints what the server runs with). Two
# settings are raised, as any competent engineer would before a bulk load
# on a machine with memory to spare: shared_buffers = 1GB (the default
# 128MB makes the indexes thrash) and max_wal_size = 4GB (the default 1GB
# forces a checkpoint every few seconds of load). Neither weakens
# durability.
#
# Usage: bench/pg_run.sh [bench_pg options except --conninfo]
#   e.g. bench/pg_run.sh --reports 20000 --queries 200
# Env:   BENCH_PG  path to the bench_pg binary (default: search PATH, then
#                  build*/bin/bench_pg beside this script's repo)
#        PG_RUN_TMPDIR  where the cluster's folder is made (default /tmp;
#                  it must be a real disk for the fsync figures to mean much)
# Works as root on a fresh Debian 12: installs the packages it needs, and
# runs the server as user postgres (PostgreSQL refuses to run as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- packages ---------------------------------------------------------------
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" || ! -e /usr/include/postgresql/libpq-fe.h ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "pg_run.sh: PostgreSQL is missing; run as root or install postgresql postgresql-client libpq-dev" >&2
        exit 1
    fi
    echo "pg_run.sh: installing postgresql postgresql-client libpq-dev" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q postgresql postgresql-client libpq-dev >&2
    pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

# --- the benchmark binary ---------------------------------------------------
bench="${BENCH_PG:-}"
if [[ -z "$bench" ]]; then
    bench="$(command -v bench_pg || true)"
fi
if [[ -z "$bench" ]]; then
    for c in "$here"/../build*/bin/bench_pg; do
        if [[ -x "$c" ]]; then bench="$c"; break; fi
    done
fi
if [[ -z "$bench" || ! -x "$bench" ]]; then
    echo "pg_run.sh: bench_pg not found; build it (cmake target bench_pg) or set BENCH_PG" >&2
    exit 1
fi

# --- who runs the server ----------------------------------------------------
# PostgreSQL will not run as root, so as root it runs as user postgres
# (created by the Debian package); otherwise as the calling user.
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

# --- the throwaway cluster --------------------------------------------------
dir="$(mktemp -d "${PG_RUN_TMPDIR:-/tmp}/pg_run.XXXXXX")"
started=0
cleanup() {
    if [[ $started -eq 1 ]]; then
        as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
fi

as_pg "$pg_bin/initdb" -D "$dir/data" -U bench --auth=trust -E UTF8 \
    --no-locale >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}

# listen_addresses='' : no TCP at all; the socket lives in $dir.
started=1
as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 \
        -c shared_buffers=1GB -c max_wal_size=4GB" start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
}

# --- the benchmark ----------------------------------------------------------
rc=0
"$bench" --conninfo "host=$dir port=5432 user=bench dbname=postgres" "$@" || rc=$?
if [[ $rc -ne 0 ]]; then
    echo "pg_run.sh: bench_pg failed ($rc); server log tail:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
fi
exit "$rc"
