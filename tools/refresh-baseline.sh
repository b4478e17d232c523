#!/usr/bin/env bash
# Refreshes reports/baseline.json, the committed reference run that `rpcfit run --baseline` and
# `rpcfit report diff` compare with: runs the main job (the whole suite, its options as given
# here) and, when every scenario passed, copies its report.json over the baseline.
# Usage: tools/refresh-baseline.sh [rpcfit run options]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/main-job.sh "$@"
cp runs/main/report.json reports/baseline.json
echo "refresh-baseline: reports/baseline.json is now runs/main/report.json; review and commit it"
