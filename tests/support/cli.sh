# Shared by the tests/cli/*.sh scripts (sourced, not run): a temporary folder `$tmp`, the counters and
# `expect`, and `report`, which prints "N passed, M failed" and fails when anything did.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
expect() { # expect NAME EXPECTED_STATUS EXPECTED_OUTPUT_SUBSTRING -- command...
  local name="$1" want_status="$2" want_out="$3"; shift 4
  local out status
  out=$("$@" 2>"$tmp/stderr"); status=$?
  if [ "$status" -eq "$want_status" ] && [[ "$out$(cat "$tmp/stderr")" == *"$want_out"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name: status $status (want $want_status), output: $out $(cat "$tmp/stderr")"
  fi
}
report() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
