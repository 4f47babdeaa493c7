#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in this build makes
# lmdbapi_<VERSION>_amd64.deb; its Depends must all be installable from
# Debian 12 (here: installed); installed with dpkg (as root, when no lmdbapi
# package is installed already; otherwise unpacked into a temporary root),
# it builds examples/cmake-consumer with find_package() finding it under /usr
# unaided, using only files of packages the .deb declares (transitively) or
# that every Debian install has (package_closure.py over an strace of the
# build: what "a clean Debian 12 with this package builds it" needs, without
# a clean machine), and consumer_check.py serves and calls the result.
#   tests/adoption/deb_test.sh BUILD_DIR
set -euo pipefail
build="$(realpath "$1")"
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
installed=""
cleanup() {
  [ -n "$installed" ] && dpkg -r lmdbapi >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
version="$(cat "$root/VERSION")"

(cd "$build" && cpack -G DEB -B "$tmp/pkg" >/dev/null)
deb="$tmp/pkg/lmdbapi_${version}_amd64.deb"
[ -f "$deb" ] || { echo "cpack did not make $(basename "$deb"): $(ls "$tmp/pkg")" >&2; exit 1; }
echo "== $(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
missing=()
IFS=',' read -ra deps <<<"$(dpkg-deb -f "$deb" Depends)"
for d in "${deps[@]}"; do
  name="$(echo "$d" | sed 's/(.*//; s/ //g')"
  dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$name")
done
[ ${#missing[@]} -eq 0 ] || { echo "Depends not installed: ${missing[*]}" >&2; exit 1; }
contents="$(dpkg-deb -c "$deb")"
for f in usr/bin/protoc-gen-lmdbapi usr/bin/lmdbapi usr/lib/cmake/lmdbapi/lmdbapiConfig.cmake \
         usr/include/lmdbapi/proto/lmdbapi/options.proto usr/share/lmdbapi/gateway/build-gateway \
         usr/share/lmdbapi/swagger-ui/swagger-ui-bundle.js usr/share/doc/lmdbapi/LICENSE; do
  grep -q " \./$f\$" <<<"$contents" || { echo "the package lacks /$f" >&2; exit 1; }
done

cmake_args=()
if [ "$(id -u)" -eq 0 ] && ! dpkg-query -W lmdbapi >/dev/null 2>&1; then
  echo "== dpkg -i"
  dpkg -i "$deb" >/dev/null
  installed=yes
  proto_root=/usr/include/lmdbapi
else
  echo "== not root, or lmdbapi already installed: unpacked into a temporary root"
  dpkg-deb -x "$deb" "$tmp/root"
  cmake_args+=(-DCMAKE_PREFIX_PATH="$tmp/root/usr")
  proto_root="$tmp/root/usr/include/lmdbapi"
fi
# Installed: traced, so that every file the build reads or runs can be
# checked to come from a package the .deb declares (transitively) or from
# one every Debian install has.
traced() {
  if [ -n "$installed" ]; then
    strace -f -qq -e trace=openat,execve -o "$tmp/strace.log.$((++traces))" "$@"
  else
    "$@"
  fi
}
traces=0
echo "== building examples/cmake-consumer"
traced cmake -S "$root/examples/cmake-consumer" -B "$tmp/build" -G Ninja "${cmake_args[@]}" >/dev/null
traced cmake --build "$tmp/build"
if [ -n "$installed" ]; then
  cat "$tmp"/strace.log.* >"$tmp/strace.log"
  /usr/bin/python3 "$root/tests/adoption/package_closure.py" lmdbapi "$tmp/strace.log" \
    "$root" "$tmp" "$HOME" /tmp /var/tmp
fi
/usr/bin/python3 "$root/tests/adoption/consumer_check.py" "$tmp/build/shop-server" \
  "$tmp/build/shop-gateway" "$tmp/build" "$proto_root" -v
