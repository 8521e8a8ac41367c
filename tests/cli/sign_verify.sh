#!/usr/bin/env bash
# The hookline tool's sign and verify verbs: outputs, exit statuses and usage errors, as documented in
# their --help. Usage: sign_verify.sh PATH_TO_HOOKLINE
set -u
bin="$1"
source "$(dirname "$0")/../support/cli.sh"
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
printf '%s' '{"test": 2432232314}' > "$tmp/body"

expect "sign prints the spec vector" 0 "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" -- \
  "$bin" sign --scheme standard --secret $secret --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 "$tmp/body"
expect "sign reads standard input" 0 "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek" -- \
  bash -c "'$bin' sign --secret $secret --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 < '$tmp/body'"
expect "sign picks an id and a timestamp" 0 "webhook-id: msg_" -- "$bin" sign --secret $secret "$tmp/body"

vargs=(verify --scheme standard --secret $secret -H "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek"
       -H "webhook-timestamp: 1614265330" -H "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
expect "verify ok" 0 "ok" -- "$bin" "${vargs[@]}" --now 1614265330 "$tmp/body"
expect "verify too old" 1 "timestamp too old" -- "$bin" "${vargs[@]}" --now 1614265931 "$tmp/body"
expect "verify tolerance widens the window" 0 "ok" -- "$bin" "${vargs[@]}" --now 1614265931 --tolerance 601 "$tmp/body"
expect "verify too new" 1 "timestamp too new" -- "$bin" "${vargs[@]}" --now 1614264000 "$tmp/body"
expect "verify tampered" 1 "no matching signature" -- bash -c "printf x | '$bin' ${vargs[*]@Q} --now 1614265330"
expect "verify missing header" 1 "missing header" -- "$bin" verify --secret $secret -H "webhook-id: a" --now 1 "$tmp/body"
expect "verify with a second (rotated) secret" 0 "ok" -- "$bin" "${vargs[@]}" --secret whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --now 1614265330 "$tmp/body"

# Ed25519: sign with whsk_, verify with whpk_.
expect "v1a sign" 0 "v1a,tQ9V2XOqn7jL" -- "$bin" sign --secret whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk= \
  --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 "$tmp/body"
expect "v1a verify" 0 "ok" -- "$bin" verify --secret whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g= \
  -H "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek" -H "webhook-timestamp: 1614265330" \
  -H "webhook-signature: v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==" \
  --now 1614265330 "$tmp/body"
expect "a public key cannot sign" 2 "cannot sign" -- "$bin" sign --secret whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g= "$tmp/body"

# Usage errors exit 2 and never echo the secret.
expect "invalid secret" 2 "not a valid" -- "$bin" sign --secret "whsec_Sup3r!Secret" "$tmp/body"
if "$bin" sign --secret "whsec_Sup3r!Secret" "$tmp/body" 2>&1 | grep -q "Sup3r"; then
  failed=$((failed + 1)); echo "FAIL: an invalid secret was echoed"
else passed=$((passed + 1)); fi
expect "missing secret" 2 "--secret is required" -- "$bin" sign "$tmp/body"
expect "unknown scheme" 2 "unknown scheme" -- "$bin" sign --scheme nope --secret $secret "$tmp/body"
expect "unknown option" 2 "unknown option --bogus" -- "$bin" verify --bogus --secret $secret "$tmp/body"
expect "bad --now" 2 "--now takes a whole number" -- "$bin" verify --secret $secret --now soon "$tmp/body"
expect "bad -H" 2 "-H takes" -- "$bin" verify --secret $secret -H nocolon "$tmp/body"
expect "unreadable body file" 2 "cannot read" -- "$bin" sign --secret $secret "$tmp/missing"
expect "unknown verb" 2 "unknown verb" -- "$bin" frobnicate
expect "no verb" 2 "Usage" -- "$bin"
expect "main help" 0 "Verbs:" -- "$bin" --help
expect "sign help" 0 "--timestamp UNIX" -- "$bin" sign --help
expect "verify help" 0 "--tolerance SECONDS" -- "$bin" verify --help
expect "version" 0 "hookline 0." -- "$bin" --version

report
