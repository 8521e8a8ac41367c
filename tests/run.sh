#!/usr/bin/env bash
# Builds hookline and runs every test. Installs what is missing first: the Debian packages it builds
# with, and (when node is present) the npm reference peers the interop tests compare against.
#
#   bash tests/run.sh                              # Debug build, all tests (the README's test command)
#   bash tests/run.sh --sanitize address,undefined # the same under ASan + UBSan
#   bash tests/run.sh --sanitize thread            # the concurrency tests under TSan
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sanitize=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize="$2"; shift 2 ;;
    --sanitize=*) sanitize="${1#*=}"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "tests/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bash "$root/cmake/install-deps.sh"

if command -v node >/dev/null 2>&1; then
  stamp="$root/tests/interop/node_modules/.hookline-installed"
  if [ ! -f "$stamp" ] || [ "$root/tests/interop/package.json" -nt "$stamp" ]; then
    echo "== installing the npm reference peers (tests/interop/package.json)"
    (cd "$root/tests/interop" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
    touch "$stamp"
  fi
fi

# The suites that exercise hookline's own threads; under TSan only these run. The Debian cpp-httplib
# library is not instrumented: tests/tsan.supp silences races reported inside it.
tsan_targets="test_crypto test_sender test_memory_store test_sqlite_store test_transport test_retry_policy test_postgres_store"
tsan_tests="^(crypto|sender|memory_store|sqlite_store|transport|retry_policy|postgres_store):"

jobs=$(nproc 2>/dev/null || echo 2)
build="$root/build/test"
flags=""
exclude=""
if [ -n "$sanitize" ]; then
  build="$root/build/sanitize-${sanitize//,/-}"
  flags="-fsanitize=$sanitize -fno-omit-frame-pointer -fno-sanitize-recover=all"
  # The package tests rebuild the library without sanitizers; they ran in the plain build.
  exclude="^package\\."
fi

echo "== configuring $build"
# -g1: line tables for stack traces, without the full debug info that doubles the build time.
lean=OFF
[ -n "$sanitize" ] && lean=ON
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
  -DCMAKE_CXX_FLAGS="$flags" -DHOOKLINE_SANITIZER_BUILD=$lean \
  -DHOOKLINE_BUILD_TESTS=ON -DHOOKLINE_BUILD_EXAMPLES=ON -DHOOKLINE_BUILD_BENCHMARKS=$([ "$lean" = ON ] && echo OFF || echo ON) >/dev/null
echo "== building"
only=""
if [ "$sanitize" = "thread" ]; then
  cmake --build "$build" -j "$jobs" --target $tsan_targets
  only="$tsan_tests"
else
  cmake --build "$build" -j "$jobs"
fi
# The postgres_ tests run against a throw-away PostgreSQL cluster (tests/postgres/cluster.sh), stopped on
# exit; HOOKLINE_TEST_PG pointing at a server of your own skips it, HOOKLINE_SKIP_PG=1 skips those tests.
if [ -z "${HOOKLINE_TEST_PG:-}" ] && [ "${HOOKLINE_SKIP_PG:-}" != "1" ]; then
  echo "== starting a throw-away PostgreSQL cluster"
  pg_dir=$(bash "$root/tests/postgres/cluster.sh" start)
  trap 'bash "$root/tests/postgres/cluster.sh" stop "$pg_dir"' EXIT
  HOOKLINE_TEST_PG="$(cat "$pg_dir/conninfo")"
  export HOOKLINE_TEST_PG
fi
echo "== testing"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp"
ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300 ${exclude:+-E "$exclude"} ${only:+-R "$only"}
