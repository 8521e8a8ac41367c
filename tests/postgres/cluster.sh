#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for hookline's tests and benchmarks: a fresh data directory in a temp
# dir, listening only on a Unix socket in that dir (no TCP port, so it never collides with anything).
#
#   dir=$(bash tests/postgres/cluster.sh start)   # prints the cluster's dir; conninfo in $dir/conninfo
#   export HOOKLINE_TEST_PG="$(cat "$dir/conninfo")"
#   bash tests/postgres/cluster.sh stop "$dir"    # stops the server and deletes the dir
#
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (runuser).
# Environment: HOOKLINE_PG_FSYNC=on keeps fsync (default off: fast, fine for throw-away data);
# HOOKLINE_PG_BIN overrides where initdb/pg_ctl live.
set -euo pipefail

find_bin() {
  if [ -n "${HOOKLINE_PG_BIN:-}" ]; then echo "$HOOKLINE_PG_BIN"; return; fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  available)
    find_bin >/dev/null ;;
  start)
    bin=$(find_bin) || { echo "cluster.sh: PostgreSQL server binaries (initdb, pg_ctl) not found" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/hookline-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    port=$(( 20000 + RANDOM % 30000 ))
    as_owner "$bin/initdb" -D "$dir/data" -U hookline --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    fsync=${HOOKLINE_PG_FSYNC:-off}
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses= -c fsync=$fsync -c synchronous_commit=$fsync -c full_page_writes=$fsync -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir port=$port dbname=postgres user=hookline" >"$dir/conninfo"
    echo "$dir" ;;
  stop)
    dir="${2:?usage: cluster.sh stop DIR}"
    [ -f "$dir/conninfo" ] || { echo "cluster.sh: $dir is not a cluster dir" >&2; exit 1; }
    bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" ;;
  *)
    echo "usage: cluster.sh start | stop DIR | available" >&2; exit 2 ;;
esac
