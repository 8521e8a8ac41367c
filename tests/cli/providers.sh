#!/usr/bin/env bash
# The hookline tool with every scheme: what `sign` prints, `verify` accepts (exit 0, "ok"); a tampered
# body (or, for shared_token, which does not cover the body, a wrong token) is rejected (exit 1 and the
# reason); usage errors exit 2. Also --tolerance for the schemes that sign a timestamp, and that it is
# ignored by those that do not. Usage: providers.sh PATH_TO_HOOKLINE
set -u
bin="$1"
source "$(dirname "$0")/../support/cli.sh"

ts=1700000000
printf '%s' '{"id":"evt_1","type":"test.event"}' > "$tmp/body"
printf '%s' '{"id":"evt_1","type":"test.evenT"}' > "$tmp/tampered"
printf '%s' 'CallSid=CA123&From=%2B15551234567&To=%2B15557654321' > "$tmp/form"
printf '%s' 'CallSid=CA124&From=%2B15551234567&To=%2B15557654321' > "$tmp/form_tampered"

# sign_to_args SCHEME_ARGS... : runs `hookline sign` and turns its output into -H arguments in the
# array `hdrs` (and the exit status into `sign_status`).
sign_to_args() {
  hdrs=()
  local out line
  out=$("$bin" sign "$@" 2>"$tmp/sign_stderr"); sign_status=$?
  while IFS= read -r line; do [ -n "$line" ] && hdrs+=(-H "$line"); done <<< "$out"
  printf '%s\n' "$out" > "$tmp/signed"
}

# round_trip NAME SIGN_ARGS_VAR VERIFY_ARGS_VAR BODY TAMPERED_BODY
round_trip() {
  local name="$1"; local -n sargs="$2" vargs="$3"; local body="$4" tampered="$5"
  sign_to_args "${sargs[@]}" "$body"
  if [ "$sign_status" -eq 0 ] && [ "${#hdrs[@]}" -gt 0 ]; then passed=$((passed + 1))
  else failed=$((failed + 1)); echo "FAIL: $name: sign exited $sign_status: $(cat "$tmp/sign_stderr")"; fi
  expect "$name: verify the signed body" 0 "ok" -- "$bin" verify "${vargs[@]}" "${hdrs[@]}" "$body"
  expect "$name: verify a tampered body" 1 "no matching signature" -- \
    "$bin" verify "${vargs[@]}" "${hdrs[@]}" "$tampered"
}

# --- standard ---------------------------------------------------------------------------------
s_sign=(--scheme standard --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --id msg_1 --timestamp $ts)
s_verify=(--scheme standard --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --now $ts)
round_trip standard s_sign s_verify "$tmp/body" "$tmp/tampered"
expect "standard: usage error (not a whsec_ key)" 2 "not a valid" -- \
  "$bin" sign --scheme standard --secret "whsec_not base64!" "$tmp/body"

# --- github -----------------------------------------------------------------------------------
g_sign=(--scheme github --secret "It's a Secret to Everybody" --type push --id d-1)
g_verify=(--scheme github --secret "It's a Secret to Everybody")
round_trip github g_sign g_verify "$tmp/body" "$tmp/tampered"
expect "github: --type becomes X-GitHub-Event" 0 "X-GitHub-Event: push" -- cat "$tmp/signed"
expect "github: usage error (sign takes one secret)" 2 "exactly one --secret" -- \
  "$bin" sign --scheme github --secret a --secret b "$tmp/body"

# --- stripe -----------------------------------------------------------------------------------
st_sign=(--scheme stripe --secret whsec_test_secret --timestamp $ts)
st_verify=(--scheme stripe --secret whsec_test_secret --now $ts)
round_trip stripe st_sign st_verify "$tmp/body" "$tmp/tampered"
expect "stripe: usage error (bad --tolerance)" 2 "--tolerance takes a whole number" -- \
  "$bin" verify "${st_verify[@]}" --tolerance -5 "${hdrs[@]}" "$tmp/body"

# --- slack ------------------------------------------------------------------------------------
sl_sign=(--scheme slack --secret 8f742231b10e8888abcd99yyyzzz85a5 --timestamp $ts)
sl_verify=(--scheme slack --secret 8f742231b10e8888abcd99yyyzzz85a5 --now $ts)
round_trip slack sl_sign sl_verify "$tmp/body" "$tmp/tampered"
expect "slack: usage error (sign takes one secret)" 2 "exactly one --secret" -- \
  "$bin" sign --scheme slack --secret a --secret b "$tmp/body"

# --- twilio (form body, then the JSON bodySHA256 variant) -------------------------------------
tw_url="https://example.com/voice?x=1"
tw_sign=(--scheme twilio --secret 12345 --url "$tw_url")
tw_verify=(--scheme twilio --secret 12345 --url "$tw_url")
round_trip twilio tw_sign tw_verify "$tmp/form" "$tmp/form_tampered"
expect "twilio: usage error (sign without --url)" 2 "needs --url" -- "$bin" sign --scheme twilio --secret 12345 "$tmp/form"
expect "twilio: usage error (verify without --url)" 2 "needs --url" -- \
  "$bin" verify --scheme twilio --secret 12345 "${hdrs[@]}" "$tmp/form"
sign_to_args --scheme twilio --secret 12345 --url https://example.com/events -H "Content-Type: application/json" "$tmp/body"
json_url=$(sed -n 's/^hookline: send to //p' "$tmp/sign_stderr")
expect "twilio json: sign names the URL to send to" 0 "bodySHA256=" -- echo "$json_url"
expect "twilio json: verify" 0 "ok" -- "$bin" verify --scheme twilio --secret 12345 --url "$json_url" \
  -H "Content-Type: application/json" "${hdrs[@]}" "$tmp/body"
expect "twilio json: tampered body" 1 "body hash mismatch" -- "$bin" verify --scheme twilio --secret 12345 \
  --url "$json_url" -H "Content-Type: application/json" "${hdrs[@]}" "$tmp/tampered"

# --- shopify ----------------------------------------------------------------------------------
sh_sign=(--scheme shopify --secret hush --type orders/create --id wh-1)
sh_verify=(--scheme shopify --secret hush)
round_trip shopify sh_sign sh_verify "$tmp/body" "$tmp/tampered"
expect "shopify: --type becomes X-Shopify-Topic" 0 "X-Shopify-Topic: orders/create" -- cat "$tmp/signed"
expect "shopify: usage error (empty secret)" 2 "is empty" -- "$bin" sign --scheme shopify --secret "" "$tmp/body"

# --- square -----------------------------------------------------------------------------------
sq_url="https://example.com/square"
sq_sign=(--scheme square --secret sig-key --url "$sq_url")
sq_verify=(--scheme square --secret sig-key --url "$sq_url")
round_trip square sq_sign sq_verify "$tmp/body" "$tmp/tampered"
expect "square: another URL does not verify" 1 "no matching signature" -- \
  "$bin" verify --scheme square --secret sig-key --url "$sq_url/other" "${hdrs[@]}" "$tmp/body"
expect "square: usage error (verify without --url)" 2 "needs --url" -- \
  "$bin" verify --scheme square --secret sig-key "${hdrs[@]}" "$tmp/body"

# --- shared_token (covers no body: a wrong token is the failure case) -------------------------
sign_to_args --scheme shared_token --secret tok-123 "$tmp/body"
expect "shared_token: default header and prefix" 0 "Authorization: Bearer tok-123" -- cat "$tmp/signed"
expect "shared_token: verify" 0 "ok" -- "$bin" verify --scheme shared_token --secret tok-123 "${hdrs[@]}" "$tmp/body"
expect "shared_token: wrong token" 1 "no matching signature" -- \
  "$bin" verify --scheme shared_token --secret tok-456 "${hdrs[@]}" "$tmp/body"
expect "shared_token: rotation (second token)" 0 "ok" -- \
  "$bin" verify --scheme shared_token --secret tok-456 --secret tok-123 "${hdrs[@]}" "$tmp/body"
sign_to_args --scheme shared_token --secret tok-123 --token-header X-Api-Key --token-prefix "" "$tmp/body"
expect "shared_token: --token-header and empty --token-prefix" 0 "X-Api-Key: tok-123" -- cat "$tmp/signed"
expect "shared_token: verify with the same placement" 0 "ok" -- "$bin" verify --scheme shared_token \
  --secret tok-123 --token-header X-Api-Key --token-prefix "" "${hdrs[@]}" "$tmp/body"
expect "shared_token: default placement misses the header" 1 "missing header" -- \
  "$bin" verify --scheme shared_token --secret tok-123 "${hdrs[@]}" "$tmp/body"
expect "shared_token: usage error (sign takes one token)" 2 "exactly one --secret" -- \
  "$bin" sign --scheme shared_token --secret a --secret b "$tmp/body"

# --- --tolerance: honoured where a timestamp is signed, accepted and ignored elsewhere --------
for scheme in standard stripe slack; do
  case $scheme in
    standard) secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ;;
    stripe) secret=whsec_test_secret ;;
    slack) secret=8f742231b10e8888abcd99yyyzzz85a5 ;;
  esac
  sign_to_args --scheme $scheme --secret $secret --timestamp $ts "$tmp/body"
  expect "$scheme: too old by default" 1 "timestamp too old" -- \
    "$bin" verify --scheme $scheme --secret $secret --now $((ts + 301)) "${hdrs[@]}" "$tmp/body"
  expect "$scheme: --tolerance widens the window" 0 "ok" -- \
    "$bin" verify --scheme $scheme --secret $secret --now $((ts + 301)) --tolerance 400 "${hdrs[@]}" "$tmp/body"
  expect "$scheme: --tolerance narrows the window" 1 "timestamp too old" -- \
    "$bin" verify --scheme $scheme --secret $secret --now $((ts + 10)) --tolerance 5 "${hdrs[@]}" "$tmp/body"
  expect "$scheme: too new" 1 "timestamp too new" -- \
    "$bin" verify --scheme $scheme --secret $secret --now $((ts - 10)) --tolerance 5 "${hdrs[@]}" "$tmp/body"
done
sign_to_args "${g_sign[@]}" "$tmp/body"
expect "github: --tolerance and --now are ignored" 0 "ok" -- \
  "$bin" verify "${g_verify[@]}" --tolerance 0 --now 1 "${hdrs[@]}" "$tmp/body"
sign_to_args "${sq_sign[@]}" "$tmp/body"
expect "square: --tolerance and --now are ignored" 0 "ok" -- \
  "$bin" verify "${sq_verify[@]}" --tolerance 0 --now 1 "${hdrs[@]}" "$tmp/body"

# --- --help describes every scheme ------------------------------------------------------------
for verb in sign verify; do
  "$bin" $verb --help > "$tmp/help" 2>&1
  for scheme in standard github stripe slack twilio shopify square shared_token; do
    expect "$verb --help lists $scheme" 0 "  $scheme " -- cat "$tmp/help"
  done
  expect "$verb --help: Schemes section" 0 "Schemes:" -- cat "$tmp/help"
  expect "$verb --help: which need --url" 0 "--url is required by twilio and square" -- cat "$tmp/help"
  expect "$verb --help: --token-header" 0 "--token-header NAME" -- cat "$tmp/help"
done
expect "sign --help: which use --type" 0 "--type is sent by github and shopify" -- cat <("$bin" sign --help)
expect "verify --help: --tolerance ignored without a timestamp" 0 "accepted and ignored" -- cat <("$bin" verify --help)

report
