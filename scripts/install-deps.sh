#!/usr/bin/env bash
# Installs the Debian packages Keel builds, tests and benchmarks with; does nothing when all are present.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config make
  # libraries (see docs/architecture.md, "Dependencies")
  libboost-dev libsimdjson-dev nlohmann-json3-dev libsqlite3-dev
  prometheus-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  zlib1g-dev libssl-dev libsodium-dev libcurl4-openssl-dev libxgboost-dev libpq-dev libhiredis-dev
  # the scaled-out topology (keel cluster, scaled-mode tests)
  postgresql-15 pgbouncer redis-server
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev curl wrk nginx-light sqlite3 python3-aiosmtpd python3-psycopg2
  python3-yaml python3-h11 python3-jsonschema
  clang-format-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
