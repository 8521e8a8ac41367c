#!/usr/bin/env bash
# hookline side by side with the reference Node.js implementation of Standard Webhooks (npm
# standardwebhooks@1.1.1), on the same 1 KiB signed message:
#   1. verify ops/s: verify_bench.mjs (node) vs bench_peer_verify_ops (hookline::standard_verifier);
#   2. receiver requests/s under wrk: node_receiver.mjs (node:http + standardwebhooks) vs hookline's
#      benchmark receiver (benchmarks/receiver/receiver_server.cpp, de-duplication off as Node has none).
# Rounds alternate between the two sides so drift on a shared machine hits both; medians are reported.
#   bash benchmarks/peer/run.sh [--rounds N] [--duration SECONDS] [--connections C] [--threads T]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=3; duration=5; connections=16; threads=1
node_iterations=60000; cpp_iterations=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in node npm wrk cmake; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

echo "== npm install (benchmarks/peer, standardwebhooks@1.1.1)"
(cd benchmarks/peer && npm install --no-package-lock --no-audit --no-fund --silent)
build="$root/build/bench"
echo "== building Release targets in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON \
  -DHOOKLINE_INSTALL=OFF >/dev/null
cmake --build "$build" -j 2 --target bench_peer_verify_ops bench_receiver_receiver_server >/dev/null
verify_ops="$build/benchmarks/bench_peer_verify_ops"
receiver="$build/benchmarks/receiver/bench_receiver_receiver_server"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# shellcheck source=benchmarks/receiver/wrk_post.sh
source "$root/benchmarks/receiver/wrk_post.sh"
sign() { # writes $work/post.lua: wrk posting the 1 KiB body with fresh Standard Webhooks headers
  # (re-signed every round: the npm package rejects timestamps more than 5 minutes old)
  wrk_post_lua "$receiver" "$secret" "$work"
}
sign

calc() { awk "BEGIN { print $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
json_ops() { sed -n 's/.*"ops_per_s":\([0-9.e+]*\).*/\1/p'; }

start() { # name, command...: starts a server that prints its port, sets $port
  local name=$1; shift
  "$@" > "$work/$name.port" 2>"$work/$name.err" &
  pids+=($!)
  port=""
  for _ in $(seq 100); do
    port=$(head -1 "$work/$name.port" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "$name did not start" >&2; cat "$work/$name.err" >&2; exit 1; }
  # The signed request must be accepted (200), or the numbers would measure rejections.
  local bad
  bad=$(wrk -t1 -c1 -d1s -s "$work/post.lua" "http://127.0.0.1:$port/webhooks" | grep -c "Non-2xx" || true)
  [ "$bad" = 0 ] || { echo "$name answers non-2xx to the signed request" >&2; exit 1; }
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system CPU of a process, in clock ticks
hz=$(getconf CLK_TCK)
measure() { # pid url → "requests/s server-CPU-µs-per-request"
  local before after
  before=$(ticks "$1")
  wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/post.lua" "$2" > "$work/wrk.out"
  after=$(ticks "$1")
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "non-2xx answers:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
  local rps requests
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  echo "$rps $(calc "($after - $before) * 1000000 / $hz / $requests")"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. verify ops/s, 1 KiB body ($rounds alternating rounds; node $node_iterations, hookline $cpp_iterations iterations per round)"
printf '%-5s | %12s | %12s | %8s\n' round "node ops/s" "hookline" "ratio"
: > "$work/verify"
for i in $(seq "$rounds"); do
  n=$(node benchmarks/peer/verify_bench.mjs "$node_iterations" | json_ops)
  h=$("$verify_ops" "$cpp_iterations" | json_ops)
  r=$(calc "$h / $n")
  printf '%-5s | %12.0f | %12.0f | %7.1fx\n' "$i" "$n" "$h" "$r"
  echo "$n $h $r" >> "$work/verify"
done

echo "== 2. receivers under wrk -t$threads -c$connections -d${duration}s, keep-alive, 1 KiB signed POST ($rounds alternating rounds)"
echo "   rps = requests/s; cpu = server CPU time per request in µs (user+system from /proc)"
start node node benchmarks/peer/node_receiver.mjs "$secret"; node_port=$port; node_pid=${pids[-1]}
start hookline "$receiver" "$secret"; hl_port=$port; hl_pid=${pids[-1]}
printf '%-5s | %8s %7s | %8s %7s | %7s %7s\n' round "node rps" cpu "hl rps" cpu "rps x" "cpu x"
: > "$work/rx"
for i in $(seq "$rounds"); do
  sign
  read -r n nc < <(measure "$node_pid" "http://127.0.0.1:$node_port/webhooks")
  read -r h hc < <(measure "$hl_pid" "http://127.0.0.1:$hl_port/webhooks")
  rr=$(calc "$h / $n"); cr=$(calc "$nc / $hc")
  printf '%-5s | %8.0f %7.1f | %8.0f %7.1f | %6.2fx %6.2fx\n' "$i" "$n" "$nc" "$h" "$hc" "$rr" "$cr"
  echo "$n $nc $h $hc $rr $cr" >> "$work/rx"
done

col() { cut -d' ' -f"$1" "$2" | median; }
echo "== medians (ratio = hookline / node; for CPU per request, node / hookline: higher is better for hookline)"
echo "verify ops/s:     node $(col 1 "$work/verify" | xargs printf '%.0f'), hookline $(col 2 "$work/verify" | xargs printf '%.0f'), ratio $(col 3 "$work/verify" | xargs printf '%.1f')x"
echo "receiver rps:     node $(col 1 "$work/rx" | xargs printf '%.0f'), hookline $(col 3 "$work/rx" | xargs printf '%.0f'), ratio $(col 5 "$work/rx" | xargs printf '%.2f')x"
echo "server CPU µs/rq: node $(col 2 "$work/rx" | xargs printf '%.1f'), hookline $(col 4 "$work/rx" | xargs printf '%.1f'), ratio $(col 6 "$work/rx" | xargs printf '%.2f')x"
echo "(load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
