#!/usr/bin/env bash
# Sourced by the benchmark scripts: installs what is missing and builds the benchmarks in Release (-O2)
# in build/bench. Set `targets` (empty: all) before sourcing; sets `build`.
bash "$root/cmake/install-deps.sh"
build="$root/build/bench"
echo "== configuring $build (Release, -O2)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON \
  -DHOOKLINE_INSTALL=OFF >/dev/null
echo "== building"
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" ${targets:+--target $targets}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
