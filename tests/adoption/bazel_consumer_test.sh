#!/usr/bin/env bash
# lmdbapi as an external Bazel repository: examples/bazel-consumer (its own
# WORKSPACE: local_repository(name = "lmdbapi", path = "../..") and
# lmdbapi_dependencies()) builds //:shop-server and //:shop-gateway with
# load("@lmdbapi//bazel:lmdbapi.bzl", ...), and consumer_check.py serves and
# calls them. Outputs stay out of the tree (--symlink_prefix); actions are
# shared through a disk cache under ~/.cache, whose keys do not depend on
# where the checkout is, so a fresh clone rebuilds little.
#   tests/adoption/bazel_consumer_test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
consumer="$root/examples/bazel-consumer"
cleanup() {
  (cd "$consumer" && bazel shutdown >/dev/null 2>&1) || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lmdbapi/bazel-consumer"
mkdir -p "$cache"
cd "$consumer"
bazel build --jobs="$(nproc)" --symlink_prefix="$tmp/" --disk_cache="$cache" \
  //:shop-server //:shop-gateway
/usr/bin/python3 "$root/tests/adoption/consumer_check.py" "$tmp/bin/shop-server" \
  "$tmp/bin/shop-gateway" "$tmp/bin" "$root" -v
