#!/usr/bin/env bash
# The main job: sets up (installs what is missing, configures, builds) and runs the conformance
# suite (every scenario under scenarios/) on rpcfit's own runtime against the golden captures,
# leaving the reports (report.json, junit.xml, report.html, summary.md) and each scenario's capture
# in runs/main/. Options after the script's name go to `rpcfit run` (e.g. --time-scale 0.05,
# --filter 'timeout/*', --seed N, --baseline reports/baseline.json).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh default
rpcfit=build/default/harness/cli/rpcfit
out=runs/main
rm -rf "$out"
mkdir -p "$out"
status=0
"$rpcfit" run scenarios --out "$out" "$@" | tee "$out/run.txt" || status=$?
echo "main job: $out/report.html (report.json, junit.xml, summary.md), console in $out/run.txt, captures under $out/<scenario id>/"
exit "$status"
