#!/usr/bin/env bash
# `hookline serve` under the svix SDK suite (svix_api.mjs), with a restart between registering and
# sending: state must survive it.
#   svix_serve.sh NODE HOOKLINE_BIN sqlite WORK_DIR     a fresh SQLite file in WORK_DIR
#   svix_serve.sh NODE HOOKLINE_BIN postgres            a fresh schema on $HOOKLINE_TEST_PG (skipped without)
set -euo pipefail
node=$1 bin=$2 kind=$3
script="$(dirname "$0")/svix_api.mjs"
case "$kind" in
  sqlite)
    db="$4/svix_serve.db"
    rm -f "$db" "$db"-*
    exec "$node" "$script" --restart -- "$bin" serve --listen 127.0.0.1:0 --store "sqlite:$db" --allow-loopback ;;
  postgres)
    if [ -z "${HOOKLINE_TEST_PG:-}" ]; then echo "HOOKLINE_TEST_SKIPPED: HOOKLINE_TEST_PG is not set"; exit 0; fi
    psql "$HOOKLINE_TEST_PG" -qc "DROP SCHEMA IF EXISTS hookline_svix CASCADE" >/dev/null
    exec "$node" "$script" --restart -- "$bin" serve --listen 127.0.0.1:0 --store "postgres:$HOOKLINE_TEST_PG" \
      --pg-schema hookline_svix --allow-loopback ;;
  *) echo "svix_serve.sh: unknown store kind $kind" >&2; exit 2 ;;
esac
