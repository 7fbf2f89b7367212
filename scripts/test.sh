#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite three times:
# a normal build, one under AddressSanitizer + UndefinedBehaviorSanitizer,
# and the normal build's test programs under Valgrind's memcheck, which
# flags a read of uninitialised memory whatever the stack holds (the
# sanitizers only see it on machines where the garbage happens to hurt).
# Then runs every fuzz target for a fixed budget.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BAOCAO_SHARED=${BAOCAO_SHARED:-$root/../shared}
"$root/scripts/install-deps.sh"

jobs=$(nproc)
echo "== build (RelWithDebInfo) and test"
BUILD_DIR=$root/build "$root/scripts/build.sh" -DBC_VALGRIND=ON
(cd "$root/build" && ctest --output-on-failure -j "$jobs" -LE valgrind)

echo "== build with ASan+UBSan and test"
BUILD_DIR=$root/build-asan BUILD_TYPE=Debug "$root/scripts/build.sh" -DBC_SANITIZE=ON
(cd "$root/build-asan" && ctest --output-on-failure -j "$jobs")

echo "== test programs under valgrind memcheck (daemons native)"
(cd "$root/build" && ctest --output-on-failure -j "$jobs" -L valgrind)

if [[ -x "$root/scripts/fuzz.sh" ]]; then
  echo "== fuzz targets, fixed budget"
  "$root/scripts/fuzz.sh" --budget "${FUZZ_SECONDS:-20}"
fi
echo "all tests passed"
