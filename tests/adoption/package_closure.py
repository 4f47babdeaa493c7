#!/usr/bin/python3
"""Would a clean Debian 12 with only the lmdbapi package (and what it
declares) build what was just built? Reads an strace log of the build and
names every package that owns a file the build read or ran but that is
neither in the transitive Depends of PACKAGES nor in every Debian install
(Essential, or Priority: required).

Usage: package_closure.py PACKAGES STRACE_LOG IGNORED_DIR...
PACKAGES: one or more, comma-separated (e.g. `scripts/install-deps --serve`'s).
Files under an IGNORED_DIR (the project, the build dir, $HOME caches, /tmp)
and files no package owns are not counted, nor what a program reads only
because it happens to be there (OPPORTUNISTIC): every linker plugin in
/usr/lib/bfd-plugins (clang's LLVMgold here; a clean machine has none) with
the libraries it loads, every ld.so.conf.d fragment, the locale aliases.
Exits 1 and lists the packages when any is missing from the closure.
"""
import os
import re
import subprocess
import sys

OPPORTUNISTIC = ("/etc/ld.so.conf.d/", "/etc/locale.alias", "/usr/lib/locale/")
PLUGINS = "/bfd-plugins/"
OPENED = re.compile(r'(?:openat\(\w+, |execve\()"([^"]+)".*\) = (\d+)')


def files_used(log, ignored):
    """(files the build used, linker plugins it loaded)."""
    used, plugins = set(), set()
    with open(log) as f:
        for line in f:
            m = OPENED.search(line)
            if not m:
                continue
            path = os.path.realpath(m.group(1))
            if path.startswith(OPPORTUNISTIC):
                continue
            if PLUGINS in os.path.normpath(m.group(1)):
                plugins.add(path)
                continue
            if path.startswith(("/proc/", "/sys/", "/dev/")) or any(
                    path == d or path.startswith(d + "/") for d in ignored):
                continue
            if os.path.isfile(path):
                used.add(path)
    return used, plugins


def owners(paths):
    """{package: a file it owns} for the paths a package owns."""
    owned = {}
    paths = sorted(paths)
    for i in range(0, len(paths), 200):
        out = subprocess.run(["dpkg-query", "-S"] + paths[i:i + 200],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            packages, path = line.split(": ", 1)
            for p in packages.split(", "):
                owned.setdefault(p.split(":")[0], path)
    return owned


def closure(packages):
    """The packages and everything they depend on, transitively."""
    if not packages:
        return set()
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(packages),
        capture_output=True, text=True, check=True).stdout
    names = set(packages)
    for line in out.splitlines():
        line = line.strip().lstrip("|")
        if ":" in line:
            line = line.split(":", 1)[1].strip()
        if line and not line.startswith("<"):
            names.add(line.split(":")[0])
    return names


def in_every_install():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Essential} ${Priority}\n"],
                         capture_output=True, text=True, check=True).stdout
    return {f[0] for f in (l.split() for l in out.splitlines())
            if len(f) >= 3 and (f[1] == "yes" or f[2] == "required")}


def main():
    packages = set(sys.argv[1].split(","))
    log, ignored = sys.argv[2], [os.path.realpath(d) for d in sys.argv[3:]]
    files, plugins = files_used(log, ignored)
    used = owners(files)
    # What every install has (and what that depends on), what the package
    # declares, and the plugins' own packages with their dependencies.
    allowed = closure(in_every_install() | packages | set(owners(plugins)))
    missing = {p: f for p, f in used.items() if p not in allowed}
    print(f"{len(used)} packages own what the build used; "
          f"{len(allowed)} in the closure of {sys.argv[1]} or in every install")
    if missing:
        for p, f in sorted(missing.items()):
            print(f"  not declared: {p} (the build used {f})")
        sys.exit(1)


if __name__ == "__main__":
    main()
