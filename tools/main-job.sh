#!/usr/bin/env bash
# The main job: sets up (installs what is missing, configures, builds) and runs rpcfit.
# Until the scenario runner exists it writes rpcfit's sample capture of cancelled calls with the
# project's own pcap writer and dumps it, as text and as JSON lines, into runs/main/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh default
rpcfit=build/default/harness/cli/rpcfit
out=runs/main
mkdir -p "$out"
"$rpcfit" capture example "$out/example.pcap"
"$rpcfit" capture dump "$out/example.pcap" | tee "$out/example.txt"
"$rpcfit" capture dump --json "$out/example.pcap" > "$out/example.jsonl"
echo "main job: wrote $out/example.pcap, $out/example.txt and $out/example.jsonl"
