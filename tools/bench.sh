#!/usr/bin/env bash
# Builds runtime_bench when needed and runs it twice: every thread pinned to CPU 0 (taskset -c 0,
# so no round trip needs a cross-CPU wake-up) and unpinned. Each pass prints its own table: compare
# like with like, as a wake-up on the other CPU costs several times a same-CPU round trip.
# Usage: tools/bench.sh [runtime_bench options, e.g. --iterations 20000 --cancels 2000]
# The build dir is build/bench (RelWithDebInfo, benchmarks on, tests off), or $RPCFIT_BENCH_BUILD.
# Exits 1 when a pass missed a target, with another non-zero status when one failed to run.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${RPCFIT_BENCH_BUILD:-build/bench}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
    -DRPCFIT_BUILD_TESTS=OFF -DRPCFIT_BUILD_BENCH=ON
fi
# -j1: a 2-CPU VM; the build is not timed.
cmake --build "$build" -j1 --target runtime_bench
bin="$build/drivers/runtime/runtime_bench"

echo "bench: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) (other work skews results)"
status=0
summary=()
for pass in pinned unpinned; do
  echo
  rc=0
  if [ "$pass" = pinned ]; then
    taskset -c 0 "$bin" --pass "$pass" "$@" || rc=$?
  else
    "$bin" --pass "$pass" "$@" || rc=$?
  fi
  case "$rc" in
    0) summary+=("$pass: PASS") ;;
    1) summary+=("$pass: FAIL (targets missed)") ;;
    *) summary+=("$pass: ERROR (exit $rc)") ;;
  esac
  if [ "$rc" -ne 0 ] && { [ "$status" -eq 0 ] || [ "$rc" -ne 1 ]; }; then status=$rc; fi
done
echo
printf 'bench: %s\n' "${summary[@]}"
exit "$status"
