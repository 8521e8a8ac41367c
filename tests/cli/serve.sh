#!/usr/bin/env bash
# `hookline serve`: usage errors, the management API over HTTP (curl), the body limit, metrics, and
# secrets sealed with --secret-key-file: a restart with another key is refused, with the right key the
# endpoints come back. Usage: serve.sh PATH_TO_HOOKLINE
set -u
bin="$1"
source "$(dirname "$0")/../support/cli.sh"
token="tok_$RANDOM$RANDOM"

expect "--help" 0 "Usage: hookline serve" -- "$bin" serve --help
expect "a token is required" 2 "a token is required" -- timeout 10 env -u HOOKLINE_TOKEN "$bin" serve
expect "an unknown store" 2 "--store must be" -- timeout 10 "$bin" serve --token t --store mysql://x
expect "--pg-schema needs PostgreSQL" 2 "--pg-schema needs" -- timeout 10 "$bin" serve --token t --pg-schema x
printf 'short' > "$tmp/bad.key"
expect "a key file of the wrong size" 2 "32 bytes" -- timeout 10 "$bin" serve --token t --secret-key-file "$tmp/bad.key"
expect "a bad --listen" 2 "HOST:PORT" -- timeout 10 "$bin" serve --token t --listen nowhere

head -c 32 /dev/urandom > "$tmp/one.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/two.key" # 64 hex digits
pid=""
start() { # start ARGS...: runs serve in the background, sets $url once it listens (at most 20 s)
  "$bin" serve --listen 127.0.0.1:0 --token "$token" "$@" > "$tmp/out" 2> "$tmp/err" &
  pid=$!
  url=$(timeout 20 tail -f "$tmp/out" | grep -m1 -o 'http://127\.0\.0\.1:[0-9]*')
}
stop() { # stops it with SIGTERM; sets $status to its exit status
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  status=$?
}
api() { # api METHOD PATH [BODY]: prints the status, then the body
  curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "$url$2"
  echo; cat "$tmp/body"
}

start --store "sqlite:$tmp/s.db" --secret-key-file "$tmp/one.key" --max-body 2048
expect "serve listens" 0 "http://127.0.0.1:" -- echo "$url"
app=$(api POST /api/v1/app '{"name":"Acme","uid":"acme"}' | sed -n 's/.*"id":"\(app_[A-Z0-9]*\)".*/\1/p')
expect "an application is created" 0 "app_" -- echo "$app"
expect "an endpoint is created" 0 "201" -- api POST "/api/v1/app/acme/endpoint" '{"url":"https://hooks.example.com/in"}'
expect "a loopback endpoint is refused without --allow-loopback" 0 "422" -- api POST "/api/v1/app/acme/endpoint" '{"url":"http://127.0.0.1:9/x"}'
big=$(head -c 3000 /dev/zero | tr '\0' 'a')
expect "a body over --max-body is 413" 0 "413" -- api POST /api/v1/app "{\"name\":\"$big\"}"
expect "metrics need the token" 0 "401" -- curl -s -o /dev/null -w '%{http_code}' "$url/metrics"
expect "metrics" 0 "hookline_endpoints 1" -- api GET /metrics
stop
expect "SIGTERM stops it with status 0" 0 "0" -- echo "$status"
expect "the stop is reported" 0 "handed back" -- cat "$tmp/out"

expect "another key is refused at open" 1 "do not open with the key given" -- \
  timeout 20 "$bin" serve --listen 127.0.0.1:0 --token "$token" --store "sqlite:$tmp/s.db" --secret-key-file "$tmp/two.key"
expect "no key is refused too" 1 "do not open with the key given" -- \
  timeout 20 "$bin" serve --listen 127.0.0.1:0 --token "$token" --store "sqlite:$tmp/s.db"
start --store "sqlite:$tmp/s.db" --secret-key-file "$tmp/one.key"
expect "the right key: the endpoint is loaded" 0 "1 endpoints loaded" -- cat "$tmp/out"
expect "its secret reads back" 0 '"key":"whsec_' -- api GET "/api/v1/app/acme/endpoint/$(api GET /api/v1/app/acme/endpoint | sed -n 's/.*"id":"\(ep_[A-Z0-9]*\)".*/\1/p' | head -1)/secret"
stop
if grep -q "$token" "$tmp/out" "$tmp/err"; then
  failed=$((failed + 1)); echo "FAIL: the token was printed"
else passed=$((passed + 1)); fi
start --store "sqlite:$tmp/h.db" --secret-key-file "$tmp/two.key" # the hex form
expect "a hex key file works" 0 "http://127.0.0.1:" -- echo "$url"
stop
report
