#!/bin/sh
# Stand-in coverage tool: coverage is not available offline under Bazel (use the CMake gcov build).
echo "remote_coverage_tools stand-in: bazel coverage is not supported here" >&2
exit 1
