#!/usr/bin/env bash
# PostgreSQL store throughput (benchmarks/postgres_store_bench.cpp) against a throw-away cluster started
# with tests/postgres/cluster.sh (fsync on, as a real server would run; HOOKLINE_PG_FSYNC=off to compare).
#
#   bash benchmarks/postgres_bench.sh [--messages N] [--threads T]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="$root/build/bench"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHOOKLINE_BUILD_TESTS=OFF \
  -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" --target hookline_postgres_bench >"$build/postgres_bench_build.log" 2>&1 || { cat "$build/postgres_bench_build.log" >&2; exit 1; }
export HOOKLINE_PG_FSYNC="${HOOKLINE_PG_FSYNC:-on}"
pg_dir=$(bash "$root/tests/postgres/cluster.sh" start)
trap 'bash "$root/tests/postgres/cluster.sh" stop "$pg_dir"' EXIT
HOOKLINE_TEST_PG="$(cat "$pg_dir/conninfo")"
export HOOKLINE_TEST_PG
echo "PostgreSQL $(psql "$HOOKLINE_TEST_PG" -Atc 'SHOW server_version'), fsync=$HOOKLINE_PG_FSYNC, $(nproc) cores"
"$build/benchmarks/hookline_postgres_bench" "$@"
