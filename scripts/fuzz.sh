#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/
# and runs each for a fixed time budget on its seed corpus in
# tests/fuzz/corpus/<target>/. New inputs found go to build-fuzz/corpus/.
# Usage: scripts/fuzz.sh [--budget SECONDS] [--target NAME]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
budget=20
only=""
while (($#)); do
  case $1 in
    --budget) budget=$2; shift 2 ;;
    --target) only=$2; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--budget SECONDS] [--target NAME]" >&2; exit 2 ;;
  esac
done
"$root/scripts/install-deps.sh"
CC=clang BUILD_DIR=$root/build-fuzz BUILD_TYPE=RelWithDebInfo \
  "$root/scripts/build.sh" -DBC_FUZZ=ON
export BC_SOURCE_DIR=$root
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for target in submission report_csv config registry audit_export audit_chain dhis2 rules; do
  [[ -z $only || $only == "$target" ]] || continue
  work=$root/build-fuzz/corpus/$target
  mkdir -p "$work"
  echo "fuzz_$target: ${budget}s"
  "$root/build-fuzz/fuzz/fuzz_$target" -max_total_time="$budget" \
    -max_len=65536 -print_final_stats=1 "$work" "$root/tests/fuzz/corpus/$target" \
    2>"$root/build-fuzz/fuzz_$target.log" \
    || { tail -50 "$root/build-fuzz/fuzz_$target.log"; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$root/build-fuzz/fuzz_$target.log" | tail -2
done
