#!/usr/bin/python3
"""Runs one CTest test the way CTest would (its command, environment and
working directory, read from `ctest --show-only=json-v1`) but without its
TIMEOUT, for the long modes (scripts/long). Variables already set in the
environment win over the test's own.
  scripts/ctest_exec.py BUILD_DIR TEST_NAME
"""
import json
import os
import subprocess
import sys


def main():
    build, name = sys.argv[1], sys.argv[2]
    listing = subprocess.run(
        ["ctest", "--test-dir", build, "--show-only=json-v1", "-R", "^%s$" % name],
        check=True, capture_output=True, text=True).stdout
    tests = json.loads(listing)["tests"]
    if len(tests) != 1:
        sys.exit("no CTest test named %s in %s" % (name, build))
    test = tests[0]
    env, cwd = {}, None
    for prop in test.get("properties", []):
        if prop["name"] == "ENVIRONMENT":
            env.update(v.split("=", 1) for v in prop["value"])
        elif prop["name"] == "WORKING_DIRECTORY":
            cwd = prop["value"]
    env.update(os.environ)
    print("== %s: %s" % (name, " ".join(test["command"])), flush=True)
    sys.exit(subprocess.run(test["command"], env=env, cwd=cwd).returncode)


if __name__ == "__main__":
    main()
