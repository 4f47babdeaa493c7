#!/usr/bin/env bash
# lmdbapi used from a project of its own (examples/cmake-consumer), as a team
# would: `cmake --install` of this build into a fresh prefix, then
#  1. plain protoc with the installed plugin on PATH emits the five files;
#  2. the consumer's own CMake project finds the package and builds
#     shop-server, shop-gateway and shop_service.proto;
#  3. consumer_check.py serves them and calls them over gRPC and REST.
#   tests/adoption/cmake_consumer_test.sh BUILD_DIR
set -euo pipefail
build="$(realpath "$1")"
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
version="$(cat "$root/VERSION")"

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
prefix="$tmp/prefix"

echo "== plain protoc, the plugin on PATH"
mkdir "$tmp/protoc-out"
PATH="$prefix/bin:$PATH" protoc -I "$root/examples/cmake-consumer" -I "$prefix/include/lmdbapi" \
  --lmdbapi_out="$tmp/protoc-out" shop.proto
for f in shop_service.proto shop.lmdbapi.h shop.lmdbapi.cc shop.lmdbapi_main.cc \
         shop.gateway_main.go; do
  [ -s "$tmp/protoc-out/$f" ] || { echo "protoc --lmdbapi_out did not write $f" >&2; exit 1; }
done
"$prefix/bin/protoc-gen-lmdbapi" --version | grep -qF "$version" ||
  { echo "protoc-gen-lmdbapi --version does not say $version" >&2; exit 1; }
"$prefix/bin/lmdbapi" --version | grep -qF "$version" ||
  { echo "lmdbapi --version does not say $version" >&2; exit 1; }

echo "== find_package(lmdbapi) in examples/cmake-consumer"
cmake -S "$root/examples/cmake-consumer" -B "$tmp/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$tmp/build"
# The generated service .proto is the one protoc wrote by hand above.
cmp "$tmp/build/shop_service.proto" "$tmp/protoc-out/shop_service.proto"

echo "== serve it, call it"
/usr/bin/python3 "$root/tests/adoption/consumer_check.py" "$tmp/build/shop-server" \
  "$tmp/build/shop-gateway" "$tmp/build" "$prefix/include/lmdbapi" -v
