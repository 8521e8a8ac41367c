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
#   bash benchmarks/scale/run.sh --compare-beast [--repeat 3] [--no-endpoints]
#       libcurl versus Boost.Beast (docs/transports-comparison.md): installs Boost 1.81
#       (cmake/install-deps.sh --beast), builds scale_bench_beast (the sender on the benchmark-only
#       beast_transport.hpp) and runs the same scenarios with scale_bench (curl) and scale_bench_beast,
#       alternating: throughput --repeat times (default 3) each, then inflight, isolation (never) and
#       endpoints (100,000) once each; prints medians and beast/curl ratios at the end.
#
# The driver raises its soft RLIMIT_NOFILE to the hard limit (20,000 here) and forks the receiver into
# its own process, so the sender's CPU, threads and memory are its alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
quick=0
repeat=
compare=0
endpoints_scenario=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --repeat) repeat="$2"; shift 2 ;;
    --compare-beast) compare=1; shift ;;
    --no-endpoints) endpoints_scenario=0; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "benchmarks/scale/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$compare" = 1 ]; then
  bash "$root/cmake/install-deps.sh" --beast
  targets="scale_bench scale_bench_beast scale_receiver"
else
  targets="scale_bench scale_bench_httplib scale_receiver"
fi
# shellcheck source=benchmarks/release_build.sh
source "$root/benchmarks/release_build.sh"
async="$build/benchmarks/scale_bench"
blocking="$build/benchmarks/scale_bench_httplib"
if [ "$quick" = 1 ]; then bad=300; many=20000; events=1000; inflight=3000; else bad=1000; many=100000; events=2000; inflight=10000; fi

if [ "$compare" = 1 ]; then
  beast="$build/benchmarks/scale_bench_beast"
  [ -x "$beast" ] || { echo "benchmarks/scale/run.sh: scale_bench_beast was not built (Boost 1.81 not found)" >&2; exit 1; }
  log="$build/compare-beast.jsonl"
  : >"$log"
  # Runs one scenario with one engine; its result line goes to the screen, its JSON (tagged with the
  # engine) to $log.
  one() {
    local engine=$1 bin=$2 out
    shift 2
    echo "== $engine: $*"
    out=$("$bin" "$@" --json)
    grep -v '^{' <<<"$out" || true
    grep '^{' <<<"$out" | sed "s/^{/{\"engine\":\"$engine\",/" >>"$log"
  }
  # Alternating, the order swapped every other round, so drift hits both engines alike.
  pair() {
    if [ "$1" = curl_first ]; then shift; one curl "$async" "$@"; one beast "$beast" "$@"
    else shift; one beast "$beast" "$@"; one curl "$async" "$@"; fi
  }
  order=curl_first
  for _ in $(seq "${repeat:-3}"); do
    pair "$order" --scenario throughput --endpoints 10 --seconds 10
    if [ "$order" = curl_first ]; then order=beast_first; else order=curl_first; fi
  done
  pair curl_first --scenario inflight --requests "$inflight" --delay 5s
  pair beast_first --scenario isolation --bad "$bad" --bad-kind never --events "$events" --rate 100 --timeout 5s
  if [ "$endpoints_scenario" = 1 ]; then
    pair curl_first --scenario endpoints --endpoints "$many" --events 100000 --budget 180s
  fi
  echo "== summary (median over runs; beast/curl)"
  python3 - "$log" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
keys = {
    "throughput": ["deliveries_per_s", "sender_cpu_us_per_delivery", "ratio_to_wrk", "cpu_ratio_to_wrk"],
    "inflight": ["peak_inflight", "threads_peak", "rss_peak_kb", "kb_per_inflight", "kb_per_inflight_after_setup",
                 "all_delivered_s"],
    "isolation": ["base_p99_us", "p99_us", "p99_ratio", "arrived", "events"],
    "endpoints": ["sends_per_s", "deliveries_per_s", "deliveries_ratio", "delivered", "seconds"],
}
for scenario, names in keys.items():
    by = {e: [r for r in runs if r["scenario"] == scenario and r["engine"] == e] for e in ("curl", "beast")}
    if not by["curl"] or not by["beast"]:
        continue
    print(f"{scenario} ({len(by['curl'])} run(s) each)")
    for k in names:
        vals = {e: [r[k] for r in by[e] if isinstance(r.get(k), (int, float))] for e in by}
        if not vals["curl"] or not vals["beast"]:
            continue
        med = {e: statistics.median(v) for e, v in vals.items()}
        spread = {e: f"{min(v):g}..{max(v):g}" if len(v) > 1 else "" for e, v in vals.items()}
        ratio = med["beast"] / med["curl"] if med["curl"] else float("nan")
        print(f"  {k:32} curl {med['curl']:>12g} {spread['curl']:>22}  beast {med['beast']:>12g} "
              f"{spread['beast']:>22}  beast/curl {ratio:.2f}")
    for e in by:
        for r in by[e]:
            if not r.get("complete", True):
                print(f"  {e}: PARTIAL {r.get('partial')}")
PY
  exit 0
fi

for kind in never slow tarpit; do
  for _ in $(seq "${repeat:-1}"); do
    "$async" --scenario isolation --bad "$bad" --bad-kind "$kind" --events "$events" --rate 100 --timeout 5s
  done
done
# The blocking engine with the same dead endpoints: its healthy endpoint waits for workers.
"$blocking" --scenario isolation --bad "$bad" --bad-kind never --events 500 --rate 100 --timeout 5s --budget 30s
"$async" --scenario endpoints --endpoints "$many" --events 100000
"$async" --scenario inflight --requests "$inflight" --delay 5s
"$async" --scenario throughput --endpoints 10 --seconds 10
"$blocking" --scenario throughput --endpoints 10 --seconds 10
