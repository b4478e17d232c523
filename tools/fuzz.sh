#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-fuzz preset) and runs each for a bounded time.
# Usage: tools/fuzz.sh [seconds per target]   (default 60)
# Corpora live in build/clang-fuzz/corpus/<target>; a finding is written to build/clang-fuzz/
# findings/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
tools/setup.sh clang-fuzz
build=build/clang-fuzz
public="${RPCFIT_PUBLIC_CAPTURES:-$(pwd)/../shared/captures-public}"

"$build/harness/wire/write_seeds" "$build/corpus"
mkdir -p "$build/corpus/fuzz_pcap_reader"
if [ -d "$public" ]; then
  # Public captures are copied into the (gitignored) build corpus only, never into the project.
  cp -f "$public"/*.pcap "$public"/*.pcapng "$build/corpus/fuzz_pcap_reader/" 2>/dev/null || true
fi
"$build/harness/cli/rpcfit" capture example "$build/corpus/fuzz_pcap_reader/example.pcap" >/dev/null

status=0
for target in fuzz_co_decode fuzz_cl_decode fuzz_stream fuzz_pcap_reader; do
  bin=$(find "$build" -name "$target" -type f -perm -u+x | head -n 1)
  mkdir -p "$build/findings/$target"
  echo "fuzz: $target for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$build/findings/$target/" -print_final_stats=1 \
      "$build/corpus/$target" > "$build/findings/$target/log.txt" 2>&1; then
    echo "fuzz: $target FOUND A PROBLEM; see $build/findings/$target/log.txt" >&2
    tail -n 40 "$build/findings/$target/log.txt" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/findings/$target/log.txt" \
      | tail -n 1 || true
  fi
done
exit "$status"
