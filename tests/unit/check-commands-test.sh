#!/usr/bin/env bash
# ctest: scripts/check-commands.py passes on the project's scripts and fails,
# naming the command, on a script that calls one nothing installs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHECK=$ROOT/scripts/check-commands.py
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CHECK" --dpkg || fail "the project's scripts use a command nothing installs (see above)"

rc=0
out=$("$CHECK" "$ROOT/tests/unit/fixtures/uses-column.sh" 2>&1) || rc=$?
((rc == 1)) || fail "check-commands exited $rc on the fixture that calls column, expected 1: $out"
grep -q "uses-column.sh:7: runs 'column'" <<<"$out" || fail "check-commands did not name column at line 7: $out"
for ok in awk date echo sort head; do
  ! grep -q "runs '$ok'" <<<"$out" || fail "check-commands flagged '$ok', which is in Debian's base: $out"
done
! grep -q "runs 'counters'" <<<"$out" || fail "check-commands took the script's own function for a command: $out"
echo "ok: check-commands passes on the project and catches 'column' in the fixture"
