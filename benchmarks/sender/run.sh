#!/usr/bin/env bash
# Sender load benchmark (issue 5): hookline's sender against bench_sink, next to wrk against the same
# sink in the same run. Builds Release (-O2), starts bench_sink, and per round runs
#   wrk -t1 -c8 -d5s with the sender's request (post.lua; and with a minimal request, post_minimal.lua),
#   bench_sender bare (8 threads of bare httplib::Client, same headers: the ceiling of
#   blocking cpp-httplib I/O) and bench_sender throughput 20000 (8 workers, max_concurrency 8),
# then once: fanout 100, latency 500 5 and latency 2000 5 (send -> handler p50/p99 from the sink).
# Prints every ratio to wrk -c8 of the same round and the medians over the rounds. Target: sender
# deliveries/s >= 0.6 x wrk -c8 requests/s.
#
# Wall-clock ratios swing widely when other processes load the machine. So each run also measures
# the CPU time (user + system) per request of the client and of the sink; "cpu ratio" is
# (wrk + sink CPU per request) / (client + sink CPU per request): the throughput ratio to expect
# when the two processes have the machine's cores to themselves.
#
#   bash benchmarks/sender/run.sh               # 3 rounds
#   bash benchmarks/sender/run.sh --rounds 5    # more rounds (steadier on a busy machine)
#   bash benchmarks/sender/run.sh --no-build    # use the binaries already in build/bench
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

rounds=3
build_it=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --no-build) build_it=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "benchmarks/sender/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null 2>&1 || { echo "benchmarks/sender/run.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }

build="$root/build/bench"
if [ "$build_it" = 1 ]; then
  echo "== configuring $build (Release, -O2)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON \
    -DHOOKLINE_INSTALL=OFF >/dev/null
  echo "== building bench_sink bench_sender"
  cmake --build "$build" --target bench_sink bench_sender bench_receiver_receiver_server >/dev/null
fi
sink_bin="$build/benchmarks/bench_sink"
receiver_bin="$build/benchmarks/receiver/bench_receiver_receiver_server"
sender_bin="$build/benchmarks/bench_sender"

sink_out=$(mktemp)
"$sink_bin" >"$sink_out" &
sink_pid=$!
cleanup() {
  kill "$sink_pid" 2>/dev/null || true
  wait "$sink_pid" 2>/dev/null || true
  rm -f "$sink_out"
}
trap cleanup EXIT INT TERM

port=""
for _ in $(seq 100); do # the sink prints its port at once; give it up to 5 s
  port=$(head -n1 "$sink_out" 2>/dev/null || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "bench_sink did not start" >&2; exit 1; }
url="http://127.0.0.1:$port"

stats() { # GET /stats (and reset): {"count","p50_us","p99_us"}
  if command -v curl >/dev/null 2>&1; then curl -s "$url/stats"
  else python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())" "$url/stats"
  fi
}
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; } # a number from a one-line JSON object
wrk_rps() { wrk -t1 -c"$1" -d5s -s "$root/benchmarks/sender/$2" "$url/hook" | sed -n 's/^Requests\/sec: *//p'; }
sink_ticks() { awk '{print $14 + $15}' "/proc/$sink_pid/stat"; } # user + system, clock ticks
tck=$(getconf CLK_TCK)
# measured CMD...: runs CMD, sets out (its stdout), cpu_s (its user + system seconds) and sink_s
# (the sink's CPU seconds meanwhile).
measured() {
  local before after tf
  tf=$(mktemp)
  before=$(sink_ticks)
  out=$( { TIMEFORMAT='%U %S'; time "$@" 2>/dev/null; } 2>"$tf" )
  after=$(sink_ticks)
  cpu_s=$(awk '{print $1 + $2}' "$tf")
  sink_s=$(awk -v a="$after" -v b="$before" -v t="$tck" 'BEGIN {print (a - b) / t}')
  rm -f "$tf"
}
us_per() { awk -v s="$1" -v n="$2" 'BEGIN {if (n > 0) printf "%.1f", 1e6 * s / n; else print "nan"}'; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "nan"}'; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== bench_sink on port $port; $rounds rounds"
w8s=() w32s=() bares=() sends=() r_bare=() r_send=() c_wrk=() c_bare=() c_send=() cr_bare=() cr_send=()
for r in $(seq "$rounds"); do
  measured wrk -t1 -c8 -d5s -s "$root/benchmarks/sender/post.lua" "$url/hook"
  w8=$(echo "$out" | sed -n 's/^Requests\/sec: *//p')
  n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
  wrk_c=$(us_per "$cpu_s" "$n") wrk_sink=$(us_per "$sink_s" "$n")
  w32=$(wrk_rps 8 post_minimal.lua)
  measured "$sender_bin" "$port" bare 20000
  bare=$(echo "$out" | field requests_per_s)
  bare_c=$(us_per "$cpu_s" 20200) bare_sink=$(us_per "$sink_s" 20200) # with the 200 warm-up requests
  measured "$sender_bin" "$port" throughput 20000
  send=$(echo "$out" | field deliveries_per_s)
  send_c=$(us_per "$cpu_s" 20200) send_sink=$(us_per "$sink_s" 20200)
  echo "$out" | grep -q '"complete":true' || echo "   (throughput run incomplete: $out)"
  cpu_ratio() { awk -v a="$wrk_c" -v b="$wrk_sink" -v c="$1" -v d="$2" 'BEGIN {printf "%.2f", (a + b) / (c + d)}'; }
  echo "round $r: wrk -c8 $w8 req/s (CPU us/request: wrk $wrk_c + sink $wrk_sink), wrk -c8 with a minimal request (Content-Type only) $w32 req/s"
  echo "         bare httplib $bare req/s = $(ratio "$bare" "$w8")x wrk (CPU us/request: client $bare_c + sink $bare_sink; cpu ratio $(cpu_ratio "$bare_c" "$bare_sink"))"
  echo "         sender $send deliveries/s = $(ratio "$send" "$w8")x wrk (CPU us/delivery: sender $send_c + sink $send_sink; cpu ratio $(cpu_ratio "$send_c" "$send_sink"))"
  w8s+=("$w8") w32s+=("$w32") bares+=("$bare") sends+=("$send")
  r_bare+=("$(ratio "$bare" "$w8")") r_send+=("$(ratio "$send" "$w8")")
  c_wrk+=("$(awk -v a="$wrk_c" -v b="$wrk_sink" 'BEGIN {print a + b}')")
  c_bare+=("$(awk -v a="$bare_c" -v b="$bare_sink" 'BEGIN {print a + b}')")
  c_send+=("$(awk -v a="$send_c" -v b="$send_sink" 'BEGIN {print a + b}')")
  cr_bare+=("$(cpu_ratio "$bare_c" "$bare_sink")") cr_send+=("$(cpu_ratio "$send_c" "$send_sink")")
done
stats >/dev/null # reset the sink's latency samples

fanout_json=$("$sender_bin" "$port" fanout 100)
lat500_json=$("$sender_bin" "$port" latency 500 5)
lat500=$(stats)
lat2000_json=$("$sender_bin" "$port" latency 2000 5)
lat2000=$(stats)
for j in "$fanout_json" "$lat500_json" "$lat2000_json"; do
  echo "$j" | grep -q '"complete":true' || echo "   (incomplete: $j)"
done

m() { printf '%s\n' "$@" | median; }
send_ratio=$(m "${r_send[@]}")
echo
echo "== medians over $rounds rounds (ratios are per round, to wrk -c8 of the same round)"
printf '%-44s %11s %9s %14s %10s\n' "what" "per second" "x wrk-c8" "CPU us/request" "cpu ratio"
printf '%-44s %11s %9s %14s %10s\n' "wrk -t1 -c8 -d5s (+ sink)" "$(m "${w8s[@]}")" "1.00" "$(m "${c_wrk[@]}")" "1.00"
printf '%-44s %11s %9s %14s %10s\n' "wrk -t1 -c8, minimal request" "$(m "${w32s[@]}")" "-" "-" "-"
printf '%-44s %11s %9s %14s %10s\n' "bare httplib::Client x 8 threads (ceiling)" "$(m "${bares[@]}")" "$(m "${r_bare[@]}")" "$(m "${c_bare[@]}")" "$(m "${cr_bare[@]}")"
printf '%-44s %11s %9s %14s %10s\n' "bench_sender throughput 20000" "$(m "${sends[@]}")" "$send_ratio" "$(m "${c_send[@]}")" "$(m "${cr_send[@]}")"
echo
echo "fan-out, one event to 100 endpoints: $(echo "$fanout_json" | field all_delivered_ms) ms until all delivered"
echo "latency at 500/s for 5 s, send -> handler: p50 $(echo "$lat500" | field p50_us) us, p99 $(echo "$lat500" | field p99_us) us ($(echo "$lat500" | field count) samples)"
echo "latency at 2000/s for 5 s, send -> handler: p50 $(echo "$lat2000" | field p50_us) us, p99 $(echo "$lat2000" | field p99_us) us ($(echo "$lat2000" | field count) samples)"
echo

# The same comparison against a verifying receiver: hookline's Standard Webhooks receiver
# (benchmarks/receiver/receiver_server.cpp: verify, parse, dispatch to an empty handler; de-duplication
# off because wrk repeats one signed request). wrk posts one signed 1 KiB request; the sender signs
# each delivery with the same secret. A second reading, closer to a real integration than the bare sink.
if [ -x "$receiver_bin" ]; then
  secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  rx_work=$(mktemp -d)
  "$receiver_bin" "$secret" >"$rx_work/port" 2>/dev/null &
  rx_pid=$!
  trap 'cleanup; kill "$rx_pid" 2>/dev/null || true; rm -rf "$rx_work"' EXIT INT TERM
  rx_port=""
  for _ in $(seq 100); do rx_port=$(head -n1 "$rx_work/port" 2>/dev/null || true); [ -n "$rx_port" ] && break; sleep 0.05; done
  [ -n "$rx_port" ] || { echo "receiver server did not start" >&2; exit 1; }
  body='{"type":"bench.event","sent_us":0,"pad":"'
  pad=$(head -c 2000 /dev/zero | tr '\0' 'x')
  body="$body${pad:0:$((1024 - ${#body} - 2))}\"}"
  printf '%s' "$body" >"$rx_work/body.json"
  { echo 'wrk.method = "POST"'; printf 'wrk.body = [==[%s]==]\n' "$body"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    "$receiver_bin" "$secret" --sign "$rx_work/body.json" | while IFS= read -r line; do
      printf 'wrk.headers["%s"] = "%s"\n' "${line%%: *}" "${line#*: }"; done; } >"$rx_work/post.lua"
  rx_ticks() { awk '{print $14 + $15}' "/proc/$rx_pid/stat"; }
  rw=() rs=() rr=() rcw=() rcs=() rcr=()
  for r in $(seq "$rounds"); do
    b=$(rx_ticks); tf=$(mktemp)
    out=$( { TIMEFORMAT='%U %S'; time wrk -t1 -c8 -d5s -s "$rx_work/post.lua" "http://127.0.0.1:$rx_port/webhooks" 2>/dev/null; } 2>"$tf" )
    a=$(rx_ticks)
    w=$(echo "$out" | sed -n 's/^Requests\/sec: *//p'); n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    non2xx=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *//p')
    [ -z "$non2xx" ] || echo "   (wrk got $non2xx non-2xx responses: the numbers measure rejections)"
    wc_=$(us_per "$(awk '{print $1 + $2}' "$tf")" "$n"); ws_=$(awk -v a="$a" -v b="$b" -v t="$tck" -v n="$n" 'BEGIN {printf "%.1f", 1e6 * (a - b) / t / n}')
    b=$(rx_ticks)
    out=$( { TIMEFORMAT='%U %S'; time env BENCH_SECRET="$secret" BENCH_PATH=/webhooks "$sender_bin" "$rx_port" throughput 20000 2>/dev/null; } 2>"$tf" )
    a=$(rx_ticks)
    echo "$out" | grep -q '"complete":true' || echo "   (throughput run incomplete: $out)"
    sv=$(echo "$out" | field deliveries_per_s)
    sc_=$(us_per "$(awk '{print $1 + $2}' "$tf")" 20200); ss_=$(awk -v a="$a" -v b="$b" -v t="$tck" 'BEGIN {printf "%.1f", 1e6 * (a - b) / t / 20200}')
    rm -f "$tf"
    cr=$(awk -v a="$wc_" -v b="$ws_" -v c="$sc_" -v d="$ss_" 'BEGIN {printf "%.2f", (a + b) / (c + d)}')
    echo "receiver round $r: wrk -c8 $w req/s (CPU us: wrk $wc_ + receiver $ws_); sender $sv deliveries/s = $(ratio "$sv" "$w")x (CPU us: sender $sc_ + receiver $ss_; cpu ratio $cr)"
    rw+=("$w") rs+=("$sv") rr+=("$(ratio "$sv" "$w")") rcr+=("$cr")
  done
  echo "against hookline's receiver, medians: wrk -c8 $(m "${rw[@]}") req/s, sender $(m "${rs[@]}") deliveries/s = $(m "${rr[@]}")x wall clock, $(m "${rcr[@]}")x by CPU cost"
  echo
fi
awk -v r="$send_ratio" -v c="$(m "${cr_send[@]}")" 'BEGIN {printf "sender / wrk -c8 = %.2f wall clock, %.2f by CPU cost (target >= 0.60): %s\n", r, c, (r >= 0.6 ? "met" : "NOT met")}'
