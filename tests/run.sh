#!/usr/bin/env bash
# Builds hookline and runs every test. Installs what is missing first: the Debian packages it builds
# with, and (when node is present) the npm reference peers the interop tests compare against.
#
#   bash tests/run.sh                              # every test, each thing built once (the README's command):
#                                                  #   build-shape checks and examples in a plain build, the
#                                                  #   suites under ASan + UBSan, the concurrency tests under TSan
#   bash tests/run.sh --plain                      # one plain Debug build of everything, all tests (quickest loop)
#   bash tests/run.sh --sanitize address,undefined # the suites under ASan + UBSan
#   bash tests/run.sh --sanitize thread            # the concurrency tests under TSan
#   bash tests/run.sh --checks                     # the build-shape checks and examples only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=all
sanitize=""
compiler=""
while [ $# -gt 0 ]; do
  case "$1" in
    --plain) mode=plain; shift ;;
    --checks) mode=checks; shift ;;
    --sanitize) mode=sanitize; sanitize="$2"; shift 2 ;;
    --sanitize=*) mode=sanitize; sanitize="${1#*=}"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "tests/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$mode" = all ]; then
  # Nothing is compiled twice: the checks need no sanitizer, the suites run under one.
  phase() { echo "== tests/run.sh $*: started $(date +%T)"; SECONDS=0; bash "$0" "$@"; echo "== tests/run.sh $*: ${SECONDS} s"; }
  phase --checks
  phase --sanitize address,undefined
  phase --sanitize thread
  echo "== tests/run.sh: every test passed"
  exit 0
fi

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
tsan_targets="test_crypto test_management_api test_worker_pool test_sender test_ordering test_async_sender test_memory_store test_sqlite_store test_transport test_curl_transport test_retry_policy test_postgres_store test_beast_adapter test_beast_slow_client test_sqlite_lock"
tsan_tests="^(crypto|management api|worker_pool|sender|ordering|async_sender|memory_store|sqlite_store|transport|curl_transport|threaded_transport|retry_policy|postgres_store|beast_adapter|beast_slow_client):"

jobs=$(nproc 2>/dev/null || echo 2)
build="$root/build/test"
flags=""
suites=OFF   # only the suites and the tool (sanitizer builds)
checks=OFF   # only the build-shape checks and the examples (--checks)
benchmarks=ON
case "$mode" in
  sanitize)
    build="$root/build/sanitize-${sanitize//,/-}"
    flags="-fsanitize=$sanitize -fno-omit-frame-pointer -fno-sanitize-recover=all"
    # The suites build with clang (installed for the fuzzers): about 40% less compile time than GCC 12
    # under the sanitizers, and a second compiler's warnings; the checks build keeps GCC, the compiler
    # the headers' users most often have. CXX_SANITIZE=g++ builds them with GCC instead.
    compiler=${CXX_SANITIZE:-clang++}
    suites=ON; benchmarks=OFF ;;
  checks) build="$root/build/checks"; checks=ON ;;
esac

echo "== configuring $build"
if [ -f "$build/CMakeCache.txt" ] && [ "$(cat "$build/.hookline-compiler" 2>/dev/null)" != "$compiler" ]; then
  rm -rf "$build" # configured with another compiler: CMake cannot switch in place
fi
mkdir -p "$build" && echo "$compiler" > "$build/.hookline-compiler"
# -g1: line tables for stack traces, without the full debug info that doubles the build time.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
  ${compiler:+-DCMAKE_CXX_COMPILER="$compiler"} \
  -DCMAKE_CXX_FLAGS="$flags" -DHOOKLINE_SANITIZER_BUILD=$suites -DHOOKLINE_CHECKS_BUILD=$checks \
  -DHOOKLINE_BUILD_TESTS=ON -DHOOKLINE_BUILD_EXAMPLES=ON -DHOOKLINE_BUILD_BENCHMARKS=$benchmarks >/dev/null
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
if [ "$mode" != checks ] && [ -z "${HOOKLINE_TEST_PG:-}" ] && [ "${HOOKLINE_SKIP_PG:-}" != "1" ]; then
  echo "== starting a throw-away PostgreSQL cluster"
  pg_dir=$(bash "$root/tests/postgres/cluster.sh" start)
  trap 'bash "$root/tests/postgres/cluster.sh" stop "$pg_dir"' EXIT
  HOOKLINE_TEST_PG="$(cat "$pg_dir/conninfo")"
  export HOOKLINE_TEST_PG
fi
echo "== testing"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp"
ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300 ${only:+-R "$only"}
