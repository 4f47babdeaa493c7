#!/usr/bin/env bash
# The habits docs/ARCHITECTURE.md promises, checked on the source tree:
# no function over 80 lines without a "// Long:" reason, and no generated
# field named or numbered in server/ (model/request_access.h does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
if ! scripts/function_lengths; then
  echo "FAIL: functions above are over 80 lines with no '// Long:' reason" >&2
  status=1
fi
if grep -rn 'FindFieldByName("\|FindFieldByNumber(' server/; then
  echo "FAIL: server/ reads a generated field by name or number;" \
    "use model/request_access.h" >&2
  status=1
fi
[ $status -eq 0 ] && echo "style: function lengths and server/ field access OK"
exit $status
