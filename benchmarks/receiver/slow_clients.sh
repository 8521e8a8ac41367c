#!/usr/bin/env bash
# The receiver against slow clients, and its throughput without them: the hardening issue's targets.
#   1. Slow clients: bench_receiver_slow_clients against the receiver on the Boost.Beast adapter and on
#      a default httplib::Server (the README's old receiver), --rounds alternating rounds each: valid
#      webhooks' p99 with --attackers connections trickling a request head at 1 byte/s, over their p99
#      without (target on Beast: <= 2).
#   2. Throughput without attack: wrk against the receiver on the Beast adapter and on today's
#      cpp-httplib adapter (benchmarks/receiver/run.sh's settings: 64 threads, long keep-alive),
#      alternating rounds; Beast's requests/s over httplib's (target: >= 0.9). Also measured in the
#      same rounds: a default httplib::Server, and Beast with one handler thread and with inline handlers.
#   bash benchmarks/receiver/slow_clients.sh [--rounds 3] [--attackers 1000] [--seconds 20] [--rate 50]
#                                            [--duration 5] [--connections 16] [--no-attack] [--no-wrk]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=3; attackers=1000; seconds=20; rate=50; duration=5; connections=16; attack=1; throughput=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --attackers) attackers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --no-attack) attack=0; shift ;;
    --no-wrk) throughput=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "benchmarks/receiver/slow_clients.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bash "$root/cmake/install-deps.sh"
build="$root/build/bench-receiver"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF \
  -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j 2 --target bench_receiver_receiver_server bench_receiver_slow_clients >/dev/null
bin="$build/benchmarks/receiver"
ulimit -n "$(ulimit -Hn)"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { sed -n "s/.*\"$1\":\([-0-9.]*\).*/\1/p"; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

if [ "$attack" = 1 ]; then
  echo "== slow clients: $attackers connections at 1 byte/s; valid webhooks at $rate/s for $seconds s per phase," \
       "$rounds alternating rounds, $(nproc) cores"
  for i in $(seq "$rounds"); do
    for server in beast httplib-default; do
      out=$("$bin/bench_receiver_slow_clients" "$bin/bench_receiver_receiver_server" --server "$server" \
            --attackers "$attackers" --seconds "$seconds" --rate "$rate" --json 2>/dev/null)
      echo "$out" >> "$work/$server.jsonl"
      printf 'round %s %-15s base p99 %7s ms | attack p99 %7s ms, answered %5s, failed %5s | ratio %s | cut %s\n' "$i" "$server" \
        "$(echo "$out" | field base_p99_ms)" "$(echo "$out" | field attack_p99_ms)" "$(echo "$out" | field attack_ok)" \
        "$(echo "$out" | field attack_failed)" "$(echo "$out" | field p99_ratio)" "$(echo "$out" | field cut)"
    done
  done
  echo "median p99(attack)/p99(baseline): beast $(field p99_ratio < "$work/beast.jsonl" | median)" \
       "(attack p99 $(field attack_p99_ms < "$work/beast.jsonl" | median) ms," \
       "baseline $(field base_p99_ms < "$work/beast.jsonl" | median) ms);" \
       "httplib-default: answered under attack $(field attack_ok < "$work/httplib-default.jsonl" | median)" \
       "of $((rate * seconds)), failed $(field attack_failed < "$work/httplib-default.jsonl" | median)"
fi

if [ "$throughput" = 1 ]; then
  command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }
  secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  # shellcheck source=benchmarks/receiver/wrk_post.sh
  source "$root/benchmarks/receiver/wrk_post.sh"
  wrk_post_lua "$bin/bench_receiver_receiver_server" "$secret" "$work"
  start() { # label, receiver_server flags... → $port
    local label=$1; shift
    "$bin/bench_receiver_receiver_server" "$secret" "$@" > "$work/$label.port" 2>/dev/null &
    pids+=($!)
    port=""
    for _ in $(seq 100); do
      port=$(head -1 "$work/$label.port" 2>/dev/null || true)
      [ -n "$port" ] && break
      sleep 0.05
    done
    [ -n "$port" ] || { echo "$label did not start" >&2; exit 1; }
  }
  rps() { # url → requests/s (fails on any non-2xx answer)
    wrk -t1 -c"$connections" -d"${duration}s" -s "$work/post.lua" "$1" > "$work/wrk.out"
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "non-2xx answers:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
  }
  # The baseline (today's adapter on a tuned httplib::Server), the README's old default server, the Beast
  # adapter with its defaults, and two Beast settings for handlers known not to block.
  labels=(httplib httplib-default beast beast-workers-1 beast-workers-2 beast-io-2 beast-inline)
  declare -A ports
  start httplib --server=httplib; ports[httplib]=$port
  start httplib-default --server=httplib-default; ports[httplib-default]=$port
  start beast --server=beast; ports[beast]=$port
  start beast-workers-1 --server=beast --workers=1; ports[beast-workers-1]=$port
  start beast-workers-2 --server=beast --workers=2; ports[beast-workers-2]=$port
  start beast-io-2 --server=beast --io-threads=2; ports[beast-io-2]=$port
  start beast-inline --server=beast --inline; ports[beast-inline]=$port
  echo "== throughput without attack: wrk -t1 -c$connections -d${duration}s, 1 KiB signed body, $rounds alternating rounds;" \
       "ratios to the httplib adapter (64 threads) in the same round"
  for l in "${labels[@]}"; do : > "$work/ratio.$l"; done
  for i in $(seq "$rounds"); do
    declare -A r=()
    for l in "${labels[@]}"; do r[$l]=$(rps "http://127.0.0.1:${ports[$l]}/webhooks"); done
    line="round $i"
    for l in "${labels[@]}"; do
      ratio=$(awk "BEGIN { print ${r[$l]} / ${r[httplib]} }")
      echo "$ratio" >> "$work/ratio.$l"
      line="$line  $l $(printf '%.0f' "${r[$l]}") rps ($(printf '%.3f' "$ratio"))"
    done
    echo "$line"
  done
  for l in "${labels[@]}"; do
    [ "$l" = httplib ] || echo "median $l/httplib requests/s: $(median < "$work/ratio.$l")"
  done
fi
