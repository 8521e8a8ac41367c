#!/usr/bin/env bash
# Builds hookline's examples and runs the main job. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF \
  -DHOOKLINE_BUILD_BENCHMARKS=OFF -DHOOKLINE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" --target example_quickstart
exec build/release/examples/quickstart "$@"
