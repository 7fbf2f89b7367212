#!/usr/bin/env bash
# Installs the Debian packages baocao needs, only those that are missing.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds PostgreSQL, Redis, gnuplot)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libzmq3-dev libczmq-dev          # ZeroMQ sockets, CURVE, zcert key files
  libprotobuf-c-dev protobuf-c-compiler   # the wire contract
  liblmdb-dev lmdb-utils           # stores (hub, node outbox); mdb_stat
  libsodium-dev                    # SHA-256 chain, random ids
  libcsv-dev                       # CSV parsing
  libcjson-dev                     # JSON output
  libinih-dev                      # config files
  libxml2-dev                      # ADX (DHIS2's XML exchange format): baocao export / import
  libsystemd-dev                   # sd_notify: Type=notify readiness, the watchdog (common/bc_notify.c)
  libcmocka-dev                    # tests
  valgrind                         # tests: memcheck pass (uninitialised reads)
  strace                           # tests: inject I/O errors into the daemons
                                   # (integration.disk_faults)
  clang libclang-rt-14-dev         # fuzzing (libFuzzer) and sanitizers
  libmicrohttpd-dev                # baocao-web: the HTTP server of the operators' desk
  libjs-chart.js                   # baocao-web: Chart.js, embedded at build time (no CDN)
  libxlsxwriter-dev                # baocao-web: Excel (.xlsx) export
  chromium chromium-driver python3-selenium   # browser test of baocao-web (headless)
  python3-openpyxl                 # browser test: reads the exported .xlsx
  dpkg-dev                         # packages: dpkg-shlibdeps gives their Depends (CPack)
  lintian file                     # packaging test: Debian's checks; are the programs stripped
  docker-compose python3-yaml      # Docker test: `docker-compose config` validates the compose
                                   # file, python3-yaml reads it (there is no Docker engine)
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(postgresql postgresql-client libpq-dev)
  # Redis Streams, the durable-queue peer of bench/redis_run.sh (issue 21):
  # redis-server, and redis-tools' redis-benchmark and redis-cli. The
  # package's own service is not used; the bench starts a private one.
  packages+=(redis-server redis-tools)
  # The cost-curve plot of bench/curves.sh (PNG, no X).
  packages+=(gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
