# Sourced by the receiver benchmarks (receiver/run.sh, receiver/slow_clients.sh, peer/run.sh): the wrk
# script posting one signed 1 KiB Standard Webhooks request.
#   wrk_post_lua RECEIVER_SERVER SECRET WORK_DIR   → writes WORK_DIR/body.json and WORK_DIR/post.lua
# RECEIVER_SERVER is bench_receiver_receiver_server (its --sign prints the headers signing a body).
wrk_post_lua() {
  local server=$1 secret=$2 work=$3 pad prefix suffix body
  pad=$(head -c 2000 /dev/zero | tr '\0' 'x')
  prefix='{"type":"invoice.paid","data":{"pad":"'
  suffix='"}}'
  body="$prefix${pad:0:$((1024 - ${#prefix} - ${#suffix}))}$suffix" # exactly 1024 bytes
  printf '%s' "$body" > "$work/body.json"
  "$server" "$secret" --sign "$work/body.json" > "$work/headers.txt"
  {
    echo 'wrk.method = "POST"'
    printf 'wrk.body = [==[%s]==]\n' "$body"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    while IFS= read -r line; do
      printf 'wrk.headers["%s"] = "%s"\n' "${line%%: *}" "${line#*: }"
    done < "$work/headers.txt"
  } > "$work/post.lua"
}
