#!/usr/bin/env bash
# Benchmark of the conformance suite: the wall time of `rpcfit run scenarios` at time scale 1 and
# 0.05, with -j 1 and -j 8, and what each run's verdicts were (a scale too small for the machine
# shows as timing failures, not as a faster suite). Builds the default preset first.
# Usage: tools/bench-suite.sh [extra rpcfit run options]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh default >/dev/null
rpcfit=build/default/harness/cli/rpcfit
out=$(mktemp -d "${TMPDIR:-/tmp}/rpcfit-bench-suite-XXXXXX")
trap 'rm -rf "$out"' EXIT
scenarios=$("$rpcfit" validate scenarios | sed 's/.*, \([0-9]*\) scenario.*/\1/')
echo "suite: $scenarios scenarios; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-5s %10s  %s\n' "time scale" "-j" "wall (s)" "verdicts"
for scale in 1 0.05; do
  for jobs in 1 8; do
    start=$(date +%s%N)
    status=0
    "$rpcfit" run scenarios --time-scale "$scale" -j "$jobs" --out "$out/$scale-$jobs" "$@" \
      >"$out/$scale-$jobs.txt" 2>&1 || status=$?
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    verdicts=$(tail -1 "$out/$scale-$jobs.txt" | sed 's/ in .*//')
    printf '%-12s %-5s %7d.%02d  %s (exit %d)\n' "$scale" "$jobs" $((ms / 1000)) \
      $((ms % 1000 / 10)) "$verdicts" "$status"
  done
done
