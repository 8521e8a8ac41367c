#!/usr/bin/env bash
# Builds hookline's benchmarks in Release (-O2) and runs the micro benchmarks, then prints each
# hookline operation's cost as a ratio to the bare OpenSSL baseline measured in the same run.
#
#   bash benchmarks/run.sh                        # all micro benchmarks, 5 repetitions each
#   bash benchmarks/run.sh --repetitions 9        # more repetitions (steadier on a busy machine)
#   bash benchmarks/run.sh --filter 'verify'      # only benchmarks whose name matches the regex
#
# Writes the raw Google Benchmark JSON to build/bench/results/NAME.json. Ratios use the minimum over
# the repetitions (the run least disturbed by other processes) and, next to it, the median.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

repetitions=5
filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repetitions) repetitions="$2"; shift 2 ;;
    --repetitions=*) repetitions="${1#*=}"; shift ;;
    --filter) filter="$2"; shift 2 ;;
    --filter=*) filter="${1#*=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "benchmarks/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

targets=""
# shellcheck source=benchmarks/release_build.sh
source "$root/benchmarks/release_build.sh"

mkdir -p "$build/results"
status=0
for bin in "$build"/benchmarks/bench_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  case "$name" in bench_sink|bench_sender|bench_sender_*|bench_peer_*) continue ;; esac # load drivers: benchmarks/{sender,peer}/run.sh
  json="$build/results/$name.json"
  echo "== $name"
  "$bin" --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
    --benchmark_enable_random_interleaving=true ${filter:+--benchmark_filter="$filter"} \
    --benchmark_out="$json" --benchmark_out_format=json
  # Ratio of each benchmark to its baseline of the same body size (bare_hmac_base64/SIZE), from
  # the JSON just written. A missing baseline or python3 only skips the table.
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$json" <<'PY' || status=1
import json, re, sys

with open(sys.argv[1]) as f:
    data = json.load(f)
stats = {}  # run name -> {aggregate: cpu ns}
for b in data.get("benchmarks", []):
    if b.get("run_type") != "aggregate":
        continue
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    stats.setdefault(b["run_name"], {})[b["aggregate_name"]] = b["cpu_time"] * scale
baseline_of = lambda name: re.sub(r"^[^/]+", "bare_hmac_base64", name)
rows = []
for name, s in stats.items():
    base = stats.get(baseline_of(name))
    if not base or "min" not in s or "min" not in base:
        continue
    rows.append((name, s["min"], s.get("median", float("nan")), s["min"] / base["min"],
                 s.get("median", float("nan")) / base.get("median", float("nan"))))
if not rows:
    print("(no bare_hmac_base64 baseline in this run: no ratios)")
    sys.exit(0)
print()
print(f"{'benchmark':<34} {'min ns':>10} {'median ns':>10} {'x bare (min)':>13} {'x bare (median)':>16}")
def order(row):  # baselines first, then by name and body size
    family, _, arg = row[0].partition("/")
    return (not family.startswith("bare_"), int(arg) if arg.isdigit() else 0, family)
for name, mn, med, rmin, rmed in sorted(rows, key=order):
    print(f"{name:<34} {mn:>10.0f} {med:>10.0f} {rmin:>13.2f} {rmed:>16.2f}")
target = stats.get("standard_verify/1024"), stats.get("bare_hmac_base64/1024")
if all(t and "min" in t for t in target):
    r = target[0]["min"] / target[1]["min"]
    print(f"\nstandard_verify/1024 is {r:.2f}x the bare HMAC-SHA256 + base64 (target <= 1.30): "
          + ("met" if r <= 1.30 else "NOT met"))
PY
  fi
done
exit $status
