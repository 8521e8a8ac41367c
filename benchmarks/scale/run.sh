#!/usr/bin/env bash
# The delivery engine at scale (benchmarks/scale/scale_bench.cpp, the figures in benchmarks/README.md,
# "Scale"): builds the driver in Release (-O2) and runs each of the issue's scenarios with the default
# engine (scale_bench: the asynchronous sender on curl_transport) and, where it finishes in bounded
# time, the blocking engine (scale_bench_httplib: a worker per request) as the baseline in the same run.
# Every scenario line carries its own ratio (against its own baseline run in the same invocation).
#
#   bash benchmarks/scale/run.sh              # every scenario (about 10 minutes)
#   bash benchmarks/scale/run.sh --quick      # smaller counts (about 3 minutes)
#   bash benchmarks/scale/run.sh --repeat 3   # each isolation scenario 3 times (p99 ratios vary)
#
# The driver raises its soft RLIMIT_NOFILE to the hard limit (20,000 here) and forks the receiver into
# its own process, so the sender's CPU, threads and memory are its alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
quick=0
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "benchmarks/scale/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
targets="scale_bench scale_bench_httplib scale_receiver"
# shellcheck source=benchmarks/release_build.sh
source "$root/benchmarks/release_build.sh"
async="$build/benchmarks/scale_bench"
blocking="$build/benchmarks/scale_bench_httplib"
if [ "$quick" = 1 ]; then bad=300; many=20000; events=1000; inflight=3000; else bad=1000; many=100000; events=2000; inflight=10000; fi

for kind in never slow tarpit; do
  for _ in $(seq "$repeat"); do
    "$async" --scenario isolation --bad "$bad" --bad-kind "$kind" --events "$events" --rate 100 --timeout 5s
  done
done
# The blocking engine with the same dead endpoints: its healthy endpoint waits for workers.
"$blocking" --scenario isolation --bad "$bad" --bad-kind never --events 500 --rate 100 --timeout 5s --budget 30s
"$async" --scenario endpoints --endpoints "$many" --events 100000
"$async" --scenario inflight --requests "$inflight" --delay 5s
"$async" --scenario throughput --endpoints 10 --seconds 10
"$blocking" --scenario throughput --endpoints 10 --seconds 10
