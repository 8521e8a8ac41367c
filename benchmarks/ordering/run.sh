#!/usr/bin/env bash
# Ordered delivery under load (issue #20; benchmarks/ordering/ordering_bench.cpp): builds the driver in
# Release (-O2) in build/bench-ordering and runs the issue's two targets on the default engine
# (curl_transport), each against its own baseline in the same invocation:
#   throughput  10,000 keys, 100,000 events on one endpoint: deliveries/s with order = per_key versus
#               none, alternating, 3 rounds; memory store with max_concurrency 64, with the sender's
#               default (16), and with every event stored before delivery starts (--preload); then
#               (when hookline::sqlite builds) the SQLite store, synchronous=normal, burst and preload,
#               2 rounds. Target: per_key >= 0.8x none.
#   isolation   1,000 keys at 200 events/s for 70 s on one per_key endpoint: the other keys' send ->
#               handler p99 with one key whose head fails (503) for 60 s versus without. Target <= 1.5x.
#
#   bash benchmarks/ordering/run.sh                  # both scenarios (about 15 minutes)
#   bash benchmarks/ordering/run.sh --quick          # smaller counts, a 5 s failure (about a minute)
#   bash benchmarks/ordering/run.sh --only throughput|isolation
#   bash benchmarks/ordering/run.sh --repeat 3       # isolation: 3 pairs, medians (p99 varies run to run)
#   bash benchmarks/ordering/run.sh --json           # each result line also as one JSON object
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
quick=()
only=
json=()
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick); shift ;;
    --only) only="$2"; shift 2 ;;
    --json) json=(--json); shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "benchmarks/ordering/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$only" in ""|throughput|isolation) ;; *) echo "benchmarks/ordering/run.sh: --only throughput|isolation" >&2; exit 2 ;; esac

bash "$root/cmake/install-deps.sh"
build="$root/build/bench-ordering"
configure() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON \
    -DHOOKLINE_INSTALL=OFF >/dev/null
}
echo "== configuring $build (Release, -O2)"
configure
echo "== building ordering_bench"
cmake --build "$build" -j "${JOBS:-2}" --target ordering_bench
sqlite=0
grep -q 'ORDERING_HAVE_SQLITE' "$build/build.ninja" && sqlite=1
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
bench="$build/benchmarks/ordering_bench"

# One throughput comparison (none versus per_key, alternating, in one process).
throughput() {
  echo "== throughput: $*"
  "$bench" --scenario throughput "$@" "${quick[@]}" "${json[@]}"
}
if [ "$only" != isolation ]; then
  throughput --max-concurrency 64
  throughput --max-concurrency 0 # the sender's default (16)
  throughput --max-concurrency 64 --preload
  if [ "$sqlite" = 1 ]; then
    # synchronous=normal: with full, every send waits for its fsync (~600 sends/s here), which bounds
    # both orders alike and makes 100,000 events take minutes. 2 rounds: each run takes ~30-60 s.
    if [ ${#quick[@]} -gt 0 ]; then rounds=(); else rounds=(--rounds 2); fi
    throughput --store sqlite --sqlite-sync normal --max-concurrency 64 "${rounds[@]}"
    throughput --store sqlite --sqlite-sync normal --max-concurrency 64 --preload "${rounds[@]}"
  else
    echo "== throughput, SQLite store: not built (hookline::sqlite not found)"
  fi
fi
if [ "$only" != throughput ]; then
  echo "== isolation"
  "$bench" --scenario isolation --repeat "$repeat" "${quick[@]}" "${json[@]}"
fi
