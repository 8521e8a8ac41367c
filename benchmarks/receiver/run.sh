#!/usr/bin/env bash
# Requests per second of the hookline receiver (verify + dispatch to an empty handler, 1 KiB signed
# JSON body, keep-alive) next to a bare cpp-httplib server that only answers 200, under wrk, in the
# same run. Rounds alternate between the servers so drift on a shared machine hits both.
#   bash benchmarks/receiver/run.sh [--duration SECONDS] [--rounds N] [--connections C] [--threads T]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
duration=5; rounds=5; connections=16; threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }
build="$root/build/bench-receiver"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF \
  -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j 2 --target bench_receiver_bare_server bench_receiver_receiver_server >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# A 1 KiB JSON body and wrk's script posting it signed.
# shellcheck source=benchmarks/receiver/wrk_post.sh
source "$root/benchmarks/receiver/wrk_post.sh"
wrk_post_lua "$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret" "$work"

calc() { awk "BEGIN { print $1 }"; }

start() { # name, command...: starts a server, sets $port
  local name=$1; shift
  "$@" > "$work/$name.port" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(head -1 "$work/$name.port" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "$name did not start" >&2; exit 1; }
  # One request first: the receiver must answer 200, or the numbers would measure rejections.
  local status
  status=$(wrk -t1 -c1 -d1s -s "$work/post.lua" "http://127.0.0.1:$port/webhooks" | grep -c "Non-2xx" || true)
  [ "$status" = 0 ] || { echo "$name answers non-2xx to the signed request" >&2; exit 1; }
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

start bare "$build/benchmarks/receiver/bench_receiver_bare_server"; bare_port=$port; bare_pid=${pids[-1]}
start receiver "$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret"; rx_port=$port; rx_pid=${pids[-1]}
start dedup "$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret" dedup; dd_port=$port; dd_pid=${pids[-1]}

echo "wrk -t$threads -c$connections -d${duration}s, 1 KiB body, $rounds alternating rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rps = requests/s; cpu = server CPU time per request in µs (user+system, from /proc; load-independent-ish)"
printf '%-5s | %8s %6s | %8s %6s %6s %6s | %8s %6s %6s %6s\n' round "bare rps" cpu "rx rps" cpu "rps x" "cpu x" "dd rps" cpu "rps x" "cpu x"
: > "$work/ratios"
for i in $(seq "$rounds"); do
  read -r b bc < <(measure "$bare_pid" "http://127.0.0.1:$bare_port/webhooks")
  read -r r rc < <(measure "$rx_pid" "http://127.0.0.1:$rx_port/webhooks")
  read -r d dc < <(measure "$dd_pid" "http://127.0.0.1:$dd_port/webhooks")
  rr=$(calc "$r / $b"); rcx=$(calc "$bc / $rc"); dr=$(calc "$d / $b"); dcx=$(calc "$bc / $dc")
  printf '%-5s | %8.0f %6.1f | %8.0f %6.1f %6.3f %6.3f | %8.0f %6.1f %6.3f %6.3f\n' "$i" "$b" "$bc" "$r" "$rc" "$rr" "$rcx" "$d" "$dc" "$dr" "$dcx"
  echo "$rr $rcx $dr $dcx" >> "$work/ratios"
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "median ratios vs bare: receiver rps $(cut -d' ' -f1 "$work/ratios" | median), receiver cpu $(cut -d' ' -f2 "$work/ratios" | median);" \
     "receiver+dedup rps $(cut -d' ' -f3 "$work/ratios" | median), cpu $(cut -d' ' -f4 "$work/ratios" | median)"
