#!/usr/bin/env bash
# Requests per second of the hookline receiver (verify + dispatch to an empty handler, 1 KiB signed
# JSON body, keep-alive) next to a bare cpp-httplib server that only answers 200, under wrk, in the
# same run. Rounds alternate between the servers so drift on a shared machine hits both.
#   bash benchmarks/receiver/run.sh [--duration SECONDS] [--rounds N] [--connections C] [--threads T]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
duration=10; rounds=3; connections=16; threads=1
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
# A 1 KiB JSON body (exactly 1024 bytes) and the headers that sign it.
pad=$(head -c 2000 /dev/zero | tr '\0' 'x')
prefix='{"type":"invoice.paid","data":{"pad":"'
suffix='"}}'
body="$prefix${pad:0:$((1024 - ${#prefix} - ${#suffix}))}$suffix"
printf '%s' "$body" > "$work/body.json"
"$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret" --sign "$work/body.json" > "$work/headers.txt"
{
  echo 'wrk.method = "POST"'
  printf 'wrk.body = [==[%s]==]\n' "$body"
  echo 'wrk.headers["Content-Type"] = "application/json"'
  while IFS= read -r line; do
    printf 'wrk.headers["%s"] = "%s"\n' "${line%%: *}" "${line#*: }"
  done < "$work/headers.txt"
} > "$work/post.lua"

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
rps() { # url → requests/s
  wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/post.lua" "$1" > "$work/wrk.out"
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "non-2xx answers:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}

start bare "$build/benchmarks/receiver/bench_receiver_bare_server"; bare_port=$port
start receiver "$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret"; rx_port=$port
start dedup "$build/benchmarks/receiver/bench_receiver_receiver_server" "$secret" dedup; dd_port=$port

echo "wrk -t$threads -c$connections -d${duration}s, 1 KiB body, $rounds alternating rounds, $(nproc) cores"
printf '%-6s %12s %12s %8s %16s %8s\n' round bare receiver ratio "receiver+dedup" ratio
sum_b=0; sum_r=0; sum_d=0
for i in $(seq "$rounds"); do
  b=$(rps "http://127.0.0.1:$bare_port/webhooks")
  r=$(rps "http://127.0.0.1:$rx_port/webhooks")
  d=$(rps "http://127.0.0.1:$dd_port/webhooks")
  printf '%-6s %12.0f %12.0f %8.3f %16.0f %8.3f\n' "$i" "$b" "$r" "$(calc "$r / $b")" "$d" "$(calc "$d / $b")"
  sum_b=$(calc "$sum_b + $b"); sum_r=$(calc "$sum_r + $r"); sum_d=$(calc "$sum_d + $d")
done
printf '%-6s %12.0f %12.0f %8.3f %16.0f %8.3f\n' mean "$(calc "$sum_b / $rounds")" \
  "$(calc "$sum_r / $rounds")" "$(calc "$sum_r / $sum_b")" \
  "$(calc "$sum_d / $rounds")" "$(calc "$sum_d / $sum_b")"
