#!/usr/bin/env bash
# Installs what rpcfit needs from Debian's packages (when something is missing), then configures
# and builds one CMake preset.  Usage: tools/setup.sh [preset]   (default: "default")
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

# Debian packages and a file each one installs, to tell whether it is there.
packages=(
  "cmake:/usr/bin/cmake"
  "ninja-build:/usr/bin/ninja"
  "g++:/usr/bin/g++"
  "pkg-config:/usr/bin/pkg-config"
  "libpcap-dev:/usr/include/pcap/pcap.h"
  "libcli11-dev:/usr/include/CLI/CLI.hpp"
  "googletest:/usr/src/googletest/CMakeLists.txt"
  "libgtest-dev:/usr/include/gtest/gtest.h"
  "libgmock-dev:/usr/include/gmock/gmock.h"
  "libbenchmark-dev:/usr/include/benchmark/benchmark.h"
  "libyaml-cpp-dev:/usr/include/yaml-cpp/yaml.h"
  "nlohmann-json3-dev:/usr/include/nlohmann/json.hpp"
  "tshark:/usr/bin/tshark"
  "python3-impacket:/usr/lib/python3/dist-packages/impacket/__init__.py"
  "python3-jsonschema:/usr/lib/python3/dist-packages/jsonschema/__init__.py"
  "libxml2-utils:/usr/bin/xmllint"
  "clang-format:/usr/bin/clang-format"
)
if [ "$preset" = clang-fuzz ]; then
  packages+=("clang:/usr/bin/clang++" "libclang-rt-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a")
fi

missing=()
for entry in "${packages[@]}"; do
  pkg="${entry%%:*}"
  file="${entry#*:}"
  [ -e "$file" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer for it.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages. Install them with:" >&2
    echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

cmake --preset "$preset"
cmake --build --preset "$preset"
