#!/usr/bin/env bash
# Management API throughput (issue #18): endpoint creation and message creation requests/s over the
# Svix-compatible REST API of `hookline serve`, on the SQLite store and on the memory store, each as a
# ratio to GET /api/v1/health on the same server in the same round. Builds the hookline tool
# (hookline_cli) and bench_sink in Release (-O2) in build/bench-mgmt, starts bench_sink (the receiver
# the one-endpoint app delivers to: answers 204), then for each round and store a fresh
# `hookline serve --store sqlite:TMPFILE|memory --allow-loopback` driven by wrk (benchmarks/management/api.lua):
#   health        GET  /api/v1/health  (the baseline: HTTP and routing, no auth, no store; run first and
#                 again last as health_end: the ratios divide by the mean of the two)
#   endpoint      POST /api/v1/app/A/endpoint {"url":...}   (every call adds an endpoint to app A)
#   msg_0ep       POST /api/v1/app/B/msg {"eventType":"invoice.paid","payload":{"n":1}}   (B: no endpoints)
#   msg_1ep       the same on app C, which has one endpoint (bench_sink): every message is delivered
#   msg_1ep_idem  msg_1ep with a fresh `idempotency-key` header on every call (as the Svix SDKs send)
# After each msg_1ep* scenario the script waits until every accepted message has been delivered (GET
# /metrics), so one scenario's deliveries do not run into the next; the server's CPU is counted up to
# then. Stores alternate order each round; the table gives medians over the rounds.
#
#   bash benchmarks/management/run.sh                  # 3 rounds, 6 s per scenario, wrk -t2 -c16 (about 4.5 minutes)
#   bash benchmarks/management/run.sh --rounds 5 --duration 10 --connections 32
#   bash benchmarks/management/run.sh --quick          # 1 round, 2 s per scenario
#   bash benchmarks/management/run.sh --no-build ...   # the binaries already in build/bench-mgmt, as they are
#   bash benchmarks/management/run.sh --stores sqlite --rounds 1 --syscalls
#                      # also count the server's fsync/fdatasync/pwrite64 calls per API call (perf stat on
#                      # syscall tracepoints: root; slows the server a little, so not for the timed rounds)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=3
duration=6
connections=16
threads=2
stores="sqlite memory"
syscalls=0
no_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --stores) stores="$2"; shift 2 ;;
    --syscalls) syscalls=1; shift ;;
    --no-build) no_build=1; shift ;;
    --quick) rounds=1; duration=2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "benchmarks/management/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

build="$root/build/bench-mgmt"
if [ "$no_build" = 0 ]; then
  bash "$root/cmake/install-deps.sh"
  echo "== configuring $build (Release, -O2, with the hookline tool)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=ON -DHOOKLINE_BUILD_BENCHMARKS=ON \
    -DHOOKLINE_INSTALL=OFF >/dev/null
  echo "== building hookline_cli and bench_sink"
  cmake --build "$build" -j "${JOBS:-2}" --target hookline_cli bench_sink
fi
hookline="$build/examples/hookline"
sink="$build/benchmarks/bench_sink"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- include examples 2>/dev/null || echo '+local changes') (binary built $(date -r "$hookline" '+%F %T')), wrk -t$threads -c$connections -d${duration}s, $rounds round(s)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # a few dozen sockets suffice; --connections in the thousands need more

work=$(mktemp -d "${TMPDIR:-/tmp}/hookline-mgmt.XXXXXX") # on disk here (SQLite's fsync must be real)
results="$build/management-results.txt"
: > "$results"
token="bench-token"
sink_pid=
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$sink" > "$work/sink.out" 2> "$work/sink.err" &
sink_pid=$!
for _ in $(seq 100); do [ -s "$work/sink.out" ] && break; sleep 0.05; done
sink_port=$(head -1 "$work/sink.out")
[ -n "$sink_port" ] || { echo "bench_sink did not start" >&2; exit 1; }

port=
api() { # METHOD PATH [BODY]: prints the answer's body; fails on a non-2xx status
  curl -sS -f -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "http://127.0.0.1:$port$2"
}
json_id() { sed -E 's/.*"id":"([^"]+)".*/\1/'; }
settled() { # deliveries that reached an end (delivered, exhausted, failed)
  api GET /metrics | awk '$1 ~ /^hookline_deliveries_total/ && $1 !~ /retried/ {s += $2} END {printf "%d\n", s}'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system CPU, clock ticks
hz=$(getconf CLK_TCK)

start_server() { # STORE
  "$hookline" serve --listen 127.0.0.1:0 --store "$1" --token "$token" --allow-loopback \
    > "$work/server.out" 2> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 200); do [ -s "$work/server.out" ] && break; sleep 0.05; done
  port=$(head -1 "$work/server.out" | sed -nE 's|^listening on http://127\.0\.0\.1:([0-9]+) .*|\1|p')
  [ -n "$port" ] || { echo "hookline serve did not start:" >&2; cat "$work/server.err" >&2; exit 1; }
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=
  [ "$rc" = 0 ] || echo "   !! hookline serve exited with status $rc" >&2
  if [ -s "$work/server.err" ]; then echo "   !! hookline serve wrote to stderr:" >&2; sed 's/^/      /' "$work/server.err" | head -20 >&2; fi
}

# run_wrk ROUND STORE SCENARIO METHOD PATH [BODY [IDEM]]
run_wrk() {
  local round=$1 store=$2 name=$3 before_cpu after_cpu before_settled=0 delivers=0 line ok t0 now drain
  case "$name" in msg_1ep*) delivers=1; before_settled=$(settled) ;; esac
  local perf_pid=
  if [ "$syscalls" = 1 ]; then
    perf stat -x, -o "$work/perf.txt" -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64 \
      -p "$server_pid" > /dev/null 2>&1 &
    perf_pid=$!
    sleep 0.3
  fi
  before_cpu=$(ticks "$server_pid")
  line=$(MGMT_METHOD=$4 MGMT_PATH=$5 MGMT_BODY=${6:-} MGMT_IDEM=${7:-0} MGMT_TOKEN=$token MGMT_NONCE="r$round$store$RANDOM" \
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$root/benchmarks/management/api.lua" \
      "http://127.0.0.1:$port" | grep '^RESULT ' | sed 's/^RESULT //')
  [ -n "$line" ] || { echo "wrk gave no result for $name" >&2; exit 1; }
  if [ "$delivers" = 1 ]; then
    ok=$(( $(sed -nE 's/.*requests=([0-9]+).*/\1/p' <<< "$line") - $(sed -nE 's/.*non2xx=([0-9]+).*/\1/p' <<< "$line") ))
    t0=$(date +%s.%N)
    for _ in $(seq 1200); do # up to 120 s
      now=$(settled)
      [ $((now - before_settled)) -ge "$ok" ] && break
      sleep 0.1
    done
    drain=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
    line="$line delivered=$((now - before_settled)) drain_s=$drain"
  fi
  after_cpu=$(ticks "$server_pid")
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    line="$line $(awk -F, '/sys_enter_/ {sub(/.*sys_enter_/, "", $3); printf "%s=%d ", $3, $1}' "$work/perf.txt")"
  fi
  line="$line server_cpu_ms=$(( (after_cpu - before_cpu) * 1000 / hz ))"
  echo "round=$round store=$store scenario=$name $line" | tee -a "$results"
  kill -0 "$server_pid" 2>/dev/null || { echo "   !! hookline serve died during $name" >&2; cat "$work/server.err" >&2; exit 1; }
}

msg='{"eventType":"invoice.paid","payload":{"n":1}}'
for round in $(seq "$rounds"); do
  order=$stores
  if [ $((round % 2)) = 0 ]; then order=$(tr ' ' '\n' <<< "$stores" | tac | tr '\n' ' '); fi
  for store in $order; do
    rm -f "$work"/store.db*
    if [ "$store" = sqlite ]; then start_server "sqlite:$work/store.db"; else start_server memory; fi
    echo "== round $round, store $store (port $port, load $(cut -d' ' -f1 /proc/loadavg))"
    app_ep=$(api POST /api/v1/app '{"name":"bench-endpoints"}' | json_id)
    app_m0=$(api POST /api/v1/app '{"name":"bench-msg-0"}' | json_id)
    app_m1=$(api POST /api/v1/app '{"name":"bench-msg-1"}' | json_id)
    api POST "/api/v1/app/$app_m1/endpoint" "{\"url\":\"http://127.0.0.1:$sink_port/hook\"}" > /dev/null
    # warm-up (not recorded)
    MGMT_TOKEN=$token wrk -t"$threads" -c"$connections" -d1s -s "$root/benchmarks/management/api.lua" "http://127.0.0.1:$port" > /dev/null
    run_wrk "$round" "$store" health GET /api/v1/health
    run_wrk "$round" "$store" endpoint POST "/api/v1/app/$app_ep/endpoint" "{\"url\":\"http://127.0.0.1:$sink_port/hook\"}"
    run_wrk "$round" "$store" msg_0ep POST "/api/v1/app/$app_m0/msg" "$msg"
    run_wrk "$round" "$store" msg_1ep POST "/api/v1/app/$app_m1/msg" "$msg"
    run_wrk "$round" "$store" msg_1ep_idem POST "/api/v1/app/$app_m1/msg" "$msg" 1
    run_wrk "$round" "$store" health_end GET /api/v1/health
    if [ "$store" = sqlite ]; then echo "   SQLite files after the round: $(du -ch "$work"/store.db* | tail -1 | cut -f1)"; fi
    stop_server
  done
done

echo
echo "== results (raw lines in $results)"
python3 "$root/benchmarks/management/summarize.py" "$results"
