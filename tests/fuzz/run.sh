#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 20)
# Needs clang++ and libclang-rt-14-dev. Exits non-zero when a target crashes, leaks or times out;
# the reproducer is left in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${1:-20}
build="$root/build/fuzz"
CXX=${CXX_FUZZ:-clang++}
command -v "$CXX" >/dev/null || { echo "tests/fuzz/run.sh: $CXX not found" >&2; exit 2; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DHOOKLINE_BUILD_FUZZERS=ON -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=OFF >/dev/null
targets=$(cd "$root/tests/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $targets
mkdir -p "$build/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in $targets; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  seeds="$root/tests/fuzz/corpus/$t"
  echo "== $t (${seconds}s)"
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} \
       2>"$build/$t.log"; then
    echo "tests/fuzz/run.sh: $t FAILED (log: $build/$t.log)" >&2
    tail -40 "$build/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$t.log" | sed 's/^/   /'
  fi
done
exit $status
