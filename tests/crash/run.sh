#!/usr/bin/env bash
# The SQLite store's crash test: a sender (crash_sender) streams events to a receiver (crash_receiver)
# while this driver SIGKILLs it at random moments and restarts it, 10 times, alternating per-call and
# group commit; a last run finishes the stream. Then: every id the sender reported accepted was received
# at least once, the receiver dispatched each id exactly once, and duplicates stay within what the
# kills can explain (at most the deliveries in flight at each kill: 4).
#
# With ORDERED=1: the endpoint delivers per key (8 keys), the receiver fails 20% of requests at random,
# and each key's ids must also be dispatched in send order (no gaps: every accepted id dispatched).
#
#   [ORDERED=1] bash tests/crash/run.sh CRASH_SENDER CRASH_RECEIVER [KILLS] [TOTAL]
set -euo pipefail
sender=$1
receiver=$2
kills_wanted=${3:-10}
total=${4:-3000}
ordered=${ORDERED:-0}
order_arg=""; fail_percent=0
if [ "$ordered" = 1 ]; then order_arg=ordered; fail_percent=20; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/hookline-crash-XXXXXX")
rpid=""
spid=""
cleanup() {
  [ -n "$spid" ] && kill -9 "$spid" 2>/dev/null || true
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
  [ -n "$rpid" ] && wait "$rpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$receiver" "$work/port" "$work/received" "$work/dispatched" "$fail_percent" &
rpid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "FAIL: the receiver did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")/hook"

kills=0
for round in $(seq 1 $((kills_wanted * 2))); do
  [ "$kills" -ge "$kills_wanted" ] && break
  mode=each; [ $((round % 2)) -eq 0 ] && mode=group
  "$sender" "$work/store.db" "$url" "$work/accepted" "$total" "$mode" $order_arg 2>>"$work/sender.err" &
  spid=$!
  # a random moment between 0.1 and 1.3 s after the start
  sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"; sleep 0.1
  if kill -9 "$spid" 2>/dev/null; then kills=$((kills + 1)); fi
  status=0; wait "$spid" 2>/dev/null || status=$?
  echo "round $round ($mode): exit $status, $(wc -l < "$work/accepted" 2>/dev/null || echo 0) accepted"
  spid=""
done

# The last run is not killed: it sends the rest and delivers everything pending.
if ! timeout 60 "$sender" "$work/store.db" "$url" "$work/accepted" "$total" each $order_arg 2>>"$work/sender.err"; then
  echo "FAIL: the final sender run failed"; cat "$work/sender.err"; exit 1
fi

kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=""

accepted=$(sort -u "$work/accepted" | wc -l)
received_total=$(wc -l < "$work/received")
received_unique=$(sort -u "$work/received" | wc -l)
dispatched_total=$(wc -l < "$work/dispatched")
dispatched_unique=$(sort -u "$work/dispatched" | wc -l)
missing=$(comm -23 <(sort -u "$work/accepted") <(sort -u "$work/received") | wc -l)
duplicates=$((received_total - received_unique))
echo "kills=$kills accepted=$accepted received=$received_total unique=$received_unique duplicates=$duplicates dispatched=$dispatched_total"

fail=0
[ "$accepted" -eq "$total" ] || { echo "FAIL: $accepted of $total ids accepted"; fail=1; }
[ "$missing" -eq 0 ] || { echo "FAIL: $missing accepted ids never received"; comm -23 <(sort -u "$work/accepted") <(sort -u "$work/received") | head; fail=1; }
[ "$dispatched_total" -eq "$dispatched_unique" ] || { echo "FAIL: an id was dispatched twice"; fail=1; }
[ "$dispatched_unique" -eq "$received_unique" ] || { echo "FAIL: dispatched and received ids differ"; fail=1; }
if [ "$ordered" = 1 ]; then
  # Each key's ids (evt-N has key N % 8) were dispatched in send order.
  out_of_order=$(awk '{ n = substr($1, 5) + 0; k = n % 8; if (k in last && n < last[k]) bad++; last[k] = n } END { print bad + 0 }' "$work/dispatched")
  echo "ordered: 8 keys, receiver failing 20% of requests; ids dispatched out of their key's order: $out_of_order"
  [ "$out_of_order" -eq 0 ] || { echo "FAIL: $out_of_order ids dispatched before an earlier id of their key"; fail=1; }
else
  [ "$duplicates" -le $((kills * 4)) ] || { echo "FAIL: $duplicates duplicates for $kills kills"; fail=1; }
fi
if [ -s "$work/sender.err" ]; then echo "sender stderr:"; sort "$work/sender.err" | uniq -c | head; fi
[ "$fail" -eq 0 ] && echo "PASS"
exit "$fail"
