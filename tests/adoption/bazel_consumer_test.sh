#!/usr/bin/env bash
# lmdbapi as an external Bazel repository: examples/bazel-consumer (its own
# WORKSPACE: local_repository(name = "lmdbapi", path = "../..") and
# lmdbapi_dependencies()) builds //:shop-server and //:shop-gateway with
# load("@lmdbapi//bazel:lmdbapi.bzl", ...), and consumer_check.py serves and
# calls them. Then the same workspace with http_archive() of a release
# archive of this checkout (a file:// URL: nothing else is reachable here). Outputs stay out of the tree (--symlink_prefix); actions are
# shared through a disk cache under ~/.cache, whose keys do not depend on
# where the checkout is, so a fresh clone rebuilds little.
#   tests/adoption/bazel_consumer_test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
consumer="$root/examples/bazel-consumer"
cleanup() {
  for ws in "$consumer" "$tmp/ws"; do
    [ -d "$ws" ] && (cd "$ws" && bazel shutdown >/dev/null 2>&1) || true
  done
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

echo "== the same workspace with http_archive(name = \"lmdbapi\", ...)"
version="$(cat "$root/VERSION")"
archive="$tmp/lmdbapi-$version.tar.gz"
(cd "$root" && git ls-files -z | tar --null --ignore-failed-read -czf "$archive" \
  --transform "s,^,lmdbapi-$version/," -T -)
mkdir "$tmp/ws"
cp "$consumer/BUILD.bazel" "$consumer/shop.proto" "$consumer/.bazelrc" "$tmp/ws/"
cat >"$tmp/ws/WORKSPACE" <<WORKSPACE
workspace(name = "shop")

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")

http_archive(
    name = "lmdbapi",
    urls = ["file://$archive"],
    sha256 = "$(sha256sum "$archive" | cut -d' ' -f1)",
    strip_prefix = "lmdbapi-$version",
)

load("@lmdbapi//bazel:deps.bzl", "lmdbapi_dependencies")

lmdbapi_dependencies()
WORKSPACE
cd "$tmp/ws"
# http_archive needs Bazel's downloader, which the .bazelrc turns off.
bazel build --jobs="$(nproc)" --symlink_prefix="$tmp/http-" --disk_cache="$cache" \
  --noexperimental_repository_disable_download //:shop-server //:shop-gateway
/usr/bin/python3 "$root/tests/adoption/consumer_check.py" "$tmp/http-bin/shop-server" \
  "$tmp/http-bin/shop-gateway" "$tmp/http-bin" "$(bazel info output_base)/external/lmdbapi" -v
