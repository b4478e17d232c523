#!/usr/bin/env bash
# Builds runtime_bench and dg_bench when needed and runs each twice: every thread pinned to CPU 0
# (taskset -c 0, so no round trip needs a cross-CPU wake-up) and unpinned. Each run prints its own
# table: compare like with like, as a wake-up on the other CPU costs several times a same-CPU
# round trip. dg_bench runs the datagram clock at --scale 0.1 unless told otherwise.
# Usage: tools/bench.sh [runtime_bench options] [-- dg_bench options]
#   e.g. tools/bench.sh --iterations 20000 --cancels 2000 -- --cancels 40 --scale 0.1
# The build dir is build/bench (RelWithDebInfo, benchmarks on, tests off), or $RPCFIT_BENCH_BUILD.
# Exits 1 when a run missed a target, with another non-zero status when one failed to run.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${RPCFIT_BENCH_BUILD:-build/bench}"
runtime_args=()
dg_args=()
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  runtime_args+=("$1")
  shift
done
if [ "$#" -gt 0 ]; then
  shift
  dg_args=("$@")
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
    -DRPCFIT_BUILD_TESTS=OFF -DRPCFIT_BUILD_BENCH=ON
fi
# -j1: a 2-CPU VM; the build is not timed.
cmake --build "$build" -j1 --target runtime_bench dg_bench
bin="$build/drivers/runtime"

echo "bench: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) (other work skews results)"
status=0
summary=()
for pass in pinned unpinned; do
  for bench in runtime_bench dg_bench; do
    if [ "$bench" = runtime_bench ]; then
      args=("${runtime_args[@]}")
    else
      args=("${dg_args[@]}")
    fi
    echo
    rc=0
    if [ "$pass" = pinned ]; then
      taskset -c 0 "$bin/$bench" --pass "$pass" "${args[@]}" || rc=$?
    else
      "$bin/$bench" --pass "$pass" "${args[@]}" || rc=$?
    fi
    case "$rc" in
      0) summary+=("$pass $bench: PASS") ;;
      1) summary+=("$pass $bench: FAIL (targets missed)") ;;
      *) summary+=("$pass $bench: ERROR (exit $rc)") ;;
    esac
    if [ "$rc" -ne 0 ] && { [ "$status" -eq 0 ] || [ "$rc" -ne 1 ]; }; then status=$rc; fi
  done
done
echo
printf 'bench: %s\n' "${summary[@]}"
exit "$status"
