#!/usr/bin/env bash
# Installs the Debian packages hookline needs, when any is missing.
#
#   bash cmake/install-deps.sh          # everything: build, tests, benchmarks, fuzzing, lint (tests/run.sh)
#   bash cmake/install-deps.sh --demo   # only what the demo (examples/run.sh) builds with
#   bash cmake/install-deps.sh --beast  # only Boost 1.81 (Asio, Beast: hookline::beast, the server `hookline
#                                       # listen` runs on; benchmarks/scale/run.sh --compare-beast)
set -euo pipefail
# The library and the hookline tool (its `listen` runs on the Boost.Beast server: libboost1.81-dev).
demo=(g++ cmake ninja-build pkg-config libcpp-httplib-dev nlohmann-json3-dev libsimdjson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
      libsqlitecpp-dev libboost1.81-dev)
# Tests, benchmarks, the PostgreSQL store, fuzzing (clang + libFuzzer), lint, the npm peers.
rest=(catch2 libbenchmark-dev libpq-dev postgresql wrk clang libclang-rt-14-dev clang-format clang-tidy python3 git)
case "${1:-}" in
  --demo) packages=("${demo[@]}") ;;
  --beast) packages=(libboost1.81-dev) ;;
  "") packages=("${demo[@]}" "${rest[@]}")
      command -v node >/dev/null 2>&1 || packages+=(nodejs npm) ;;
  -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
  *) echo "cmake/install-deps.sh: unknown option $1" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "== installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
