#!/usr/bin/env bash
# tests/vm/run-all.sh --list: every t-*.sh and every cipher variant of the
# matrix is a test of its own name (none lost when the wrapper scripts went),
# and a pattern selects variants by name.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$ROOT/tests/vm/run-all.sh
list=$("$RUN" --list)
scripts=$(find "$ROOT/tests/vm" -maxdepth 1 -name 't-*.sh' | wc -l)
want=$((scripts + 5 + 1))  # the scripts, five cipher variants, harness-selftest
got=$(wc -l <<<"$list")
((got == want)) || { echo "run-all --list: $got tests, expected $want:"; echo "$list"; exit 1; }
for v in t-echo-aes128 t-echo-aes256 t-netem-aes128 t-netem-aes256 t-concurrency-aes128; do
  grep -qx "$v" <<<"$list" || { echo "variant $v missing from run-all --list"; exit 1; }
done
[[ $("$RUN" --list t-echo-aes) == $'t-echo-aes128\nt-echo-aes256' ]] ||
  { echo "pattern t-echo-aes selects: $("$RUN" --list t-echo-aes | paste -sd' ')"; exit 1; }
[[ $(sort <<<"$list" | uniq -d) == "" ]] || { echo "a test name twice"; exit 1; }
echo "run-all lists $got tests"
