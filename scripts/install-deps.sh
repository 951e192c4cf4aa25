#!/usr/bin/env bash
# Installs the Debian packages Keel builds, tests and benchmarks with, and the pinned npm tools of tests/openapi/;
# does nothing when all are present.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config make
  # libraries (see docs/architecture.md, "Dependencies")
  libboost-dev libsimdjson-dev nlohmann-json3-dev libsqlite3-dev
  prometheus-cpp-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  zlib1g-dev libssl-dev libsodium-dev libcurl4-openssl-dev libxgboost-dev libpq-dev libhiredis-dev libre2-dev
  # Image2Model's local generator: image decoding, mesh simplification, glTF writing
  libstb-dev libwebp-dev libmeshoptimizer-dev libtinygltf-dev
  # ONNX models (ml/onnx/): the model format, checker and shape inference
  libonnx-dev libprotobuf-dev
  # the scaled-out topology (keel cluster, scaled-mode tests)
  postgresql-15 pgbouncer redis-server
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev curl wrk nginx-light sqlite3 python3-aiosmtpd python3-psycopg2
  python3-yaml python3-h11 python3-jsonschema json-schema-test-suite python3-pil
  # ONNX: the backend test data per operator, and models built in the tests from scikit-learn's
  libonnx-testdata python3-onnx python3-sklearn
  # the deploy check reads deploy/docker-compose.yml with Debian's own Compose (1.29)
  docker-compose
  clang-format-14
  # the web console's tests drive Debian's Chromium with playwright-core (tests/console)
  chromium fonts-dejavu-core
  # the fuzz targets (make fuzz): clang with libFuzzer and the sanitizers
  clang-14 libclang-rt-14-dev
)
# The OpenAPI document's checks (tests/openapi/) run Node.js tools; a machine whose Node.js came with npm keeps it.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The console's bundler (esbuild) needs Node.js 18 or newer, its browser tests (playwright-core) 20 or newer;
# Debian 12's own Node.js is 18.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 18 ]; then
  echo "install-deps: Node.js $(node --version 2>/dev/null || echo missing) is too old to build the console (18+)" >&2
  exit 1
elif [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js $(node --version) builds the console, but its browser tests need 20 or newer" >&2
fi

# The Node.js tools of the tests, exactly as each folder's package-lock.json pins them (tests/openapi: the
# OpenAPI document's checks; tests/node: the glTF validator and the tus client; console: the web console's
# packages, its bundler and its browser-test tools); installed again only when a
# lock changed (the stamp holds the lock's checksum). Nothing is fetched when the tests run.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for folder in "$root/tests/openapi" "$root/tests/node" "$root/console"; do
  stamp="$folder/node_modules/.keel-package-lock.sha256"
  lock_sum="$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    echo "install-deps: installing ${folder#"$root"/}/node_modules from package-lock.json"
    (cd "$folder" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$lock_sum" >"$stamp"
  fi
done
