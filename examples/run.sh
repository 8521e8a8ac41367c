#!/usr/bin/env bash
# The main job: builds the hookline tool and runs `hookline demo` (a sender and receivers on 127.0.0.1,
# one endpoint failing on purpose for a while, live progress, and a summary). Installs missing Debian
# packages first. Extra arguments go to the demo (see `hookline demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh --demo
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF \
  -DHOOKLINE_BUILD_BENCHMARKS=OFF -DHOOKLINE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target hookline_cli
exec build/release/examples/hookline demo "$@"
