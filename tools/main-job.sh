#!/usr/bin/env bash
# The main job: sets up (installs what is missing, configures, builds) and runs the conformance
# suite (every scenario under scenarios/) on rpcfit's own runtime, writing each scenario's capture
# under runs/main/<scenario id>/capture.pcap. Options after the script's name go to `rpcfit run`
# (e.g. --time-scale 0.05, --filter 'timeout/*', --seed N).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh default
rpcfit=build/default/harness/cli/rpcfit
out=runs/main
rm -rf "$out"
mkdir -p "$out"
status=0
"$rpcfit" run scenarios --out "$out" "$@" | tee "$out/run.txt" || status=$?
echo "main job: results in $out/run.txt, captures under $out/<scenario id>/capture.pcap"
exit "$status"
