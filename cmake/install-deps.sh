#!/usr/bin/env bash
# Installs the Debian packages hookline builds, tests and benchmarks with, when any is missing.
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config libcpp-httplib-dev nlohmann-json3-dev libsimdjson-dev catch2 libssl-dev
          libsqlite3-dev libbenchmark-dev libpq-dev postgresql wrk clang libclang-rt-14-dev clang-format python3)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
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
