#!/usr/bin/env bash
# `scripts/run` installs only `scripts/install-deps --serve`'s packages: is
# that enough to build? A copy of the tracked tree (what a fresh clone has)
# runs `scripts/build --serve` under strace, and package_closure.py names any
# package the build used that --serve's packages do not bring (transitively)
# and that is not in every Debian install. Compiles go through ccache when it
# is warm, so this takes about a minute; the compilers are --serve packages.
#   tests/adoption/serve_deps_test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$root" && git ls-files -z | tar --null --ignore-failed-read -cf - -T -) | tar -xf - -C "$tmp/src"
cd "$tmp/src"
strace -f -qq -e trace=openat,execve -o "$tmp/strace.log" scripts/build --serve >"$tmp/build.log" ||
  { tail -30 "$tmp/build.log" >&2; exit 1; }
[ -x build/proto/permits-server ] && [ -x build/proto/permits-gateway ] ||
  { echo "scripts/build --serve did not build the server and the gateway" >&2; exit 1; }
[ ! -e build/tests ] || { echo "scripts/build --serve built the tests" >&2; exit 1; }
packages="$(scripts/install-deps --print-serve | paste -sd,)"
# install-deps keeps an npm that is already installed (here: whose package?).
if npm="$(command -v npm)"; then
  packages+=",$(dpkg-query -S "$(readlink -f "$npm")" | head -1 | cut -d: -f1)"
fi
/usr/bin/python3 "$root/tests/adoption/package_closure.py" "$packages" "$tmp/strace.log" \
  "$tmp" "$HOME" /tmp /var/tmp
