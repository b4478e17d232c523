#!/usr/bin/env bash
# Sets up (installs what is missing, configures, builds) and runs every test of one preset.
# Usage: tools/test.sh [preset] [extra ctest arguments]   (default preset: "default")
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
tools/setup.sh "$preset"
ctest --preset "$preset" "$@"
