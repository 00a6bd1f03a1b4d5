#!/usr/bin/env bash
# Run the VM test lane: first tests/vm/harness-selftest.sh (on the host, checks
# vm/run itself), then every tests/vm/t-*.sh, each in its own `vm/run` boot.
#
#   tests/vm/run-all.sh [-v] [--list] [PATTERN...]
#     -v        show each test's console live (default: only in its log)
#     --list    print the names of the selected tests (the variants included), run nothing
#     PATTERN   run only the t-*.sh whose name contains PATTERN (skips the selftest
#               unless a pattern matches "harness-selftest")
#
# A t-*.sh may ask for VM settings with a line near its top:
#   # vm/run: --cpus 2 --memory 3G --timeout 900
# SDP_VM_TIMEOUT sets the default per-test timeout (600 s).
# Cipher variants (the VARIANTS matrix below) run a t-*.sh again with
# SDP_TEST_CIPHER set, each under its own name (t-echo-aes128, ...) with its
# own PASS/FAIL line; PATTERN selects them by that name.
# One PASS/FAIL line per test with its time, then "N passed, N failed";
# exits 1 if any failed. A missing prerequisite is a FAIL, never a skip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TDIR=$ROOT/tests/vm
LOGDIR=$ROOT/build/vm-out/logs
verbose=0
list=0
patterns=()
for a in "$@"; do
  case $a in
    -v) verbose=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run-all: unknown option $a" >&2; exit 2 ;;
    *) patterns+=("$a") ;;
  esac
done

cd "$ROOT"
passed=0 failed=0
failures=()

selected() { # selected NAME: no patterns, or one of them is in NAME
  local p
  ((${#patterns[@]} == 0)) && return 0
  for p in "${patterns[@]}"; do [[ $1 == *"$p"* ]] && return 0; done
  return 1
}

# result NAME RC SECONDS LOG [MESSAGE]
result() {
  local name=$1 rc=$2 secs=$3 log=$4 msg=${5:-}
  if ((rc == 0)); then
    printf 'PASS  %-32s %4d s\n' "$name" "$secs"
    passed=$((passed + 1))
  else
    printf 'FAIL  %-32s %4d s  (exit %s%s; log: %s)\n' "$name" "$secs" "$rc" "${msg:+, $msg}" "$log"
    failed=$((failed + 1))
    failures+=("$name")
    if ((!verbose)) && [[ -f $log ]]; then
      tail -n 25 "$log" | sed 's/^/      | /'
    fi
  fi
}

# Prerequisites: without them every test fails (loudly), none is skipped.
prereq_msg=""
if ((!list)) && ! prereq_out=$("$ROOT/scripts/deps.sh" --check 2>&1); then
  prereq_msg="prerequisites missing: $(tr '\n' ' ' <<<"$prereq_out")"
  echo "run-all: $prereq_msg" >&2
fi

# The cipher matrix: NAME SCRIPT SDP_TEST_CIPHER. Each variant runs SCRIPT
# (with the VM settings of its header) with every RPC encrypted.
VARIANTS=(
  "t-echo-aes128 t-echo.sh aes-gcm-128"
  "t-echo-aes256 t-echo.sh aes-gcm-256"
  "t-netem-aes128 t-netem.sh aes-gcm-128"
  "t-netem-aes256 t-netem.sh aes-gcm-256"
  "t-concurrency-aes128 t-concurrency.sh aes-gcm-128"
)
declare -A variant_script=() variant_cipher=()
for v in "${VARIANTS[@]}"; do
  read -r vname vscript vcipher <<<"$v"
  variant_script[$vname]=$vscript
  variant_cipher[$vname]=$vcipher
done

# Every test by name, in name order: the t-*.sh and the variants.
mapfile -t tests < <({
  find "$TDIR" -maxdepth 1 -name 't-*.sh' -printf '%f\n' | sed 's/\.sh$//'
  printf '%s\n' "${!variant_script[@]}"
} | LC_ALL=C sort)

if ((list)); then
  if selected harness-selftest; then echo harness-selftest; fi
  for name in "${tests[@]}"; do if selected "$name"; then echo "$name"; fi; done
  exit 0
fi
mkdir -p "$LOGDIR"

run_logged() { # run_logged LOG CMD...: output to LOG (and the terminal with -v)
  local log=$1
  shift
  if ((verbose)); then
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
  fi
  "$@" >"$log" 2>&1
}

if selected harness-selftest; then
  log=$LOGDIR/harness-selftest.log
  t0=$SECONDS
  if [[ -n $prereq_msg ]]; then
    echo "$prereq_msg" >"$log"
    result harness-selftest 1 0 "$log" "prerequisites missing"
  else
    set +e
    run_logged "$log" "$TDIR/harness-selftest.sh"
    rc=$?
    set -e
    result harness-selftest "$rc" $((SECONDS - t0)) "$log"
  fi
fi

for name in "${tests[@]}"; do
  selected "$name" || continue
  t=${variant_script[$name]:-$name.sh}
  cipher_env=()
  [[ -n ${variant_cipher[$name]:-} ]] && cipher_env=(SDP_TEST_CIPHER="${variant_cipher[$name]}")
  log=$LOGDIR/$name.log
  console=$LOGDIR/$name.console.log
  if [[ -n $prereq_msg ]]; then
    echo "$prereq_msg" >"$log"
    result "$name" 1 0 "$log" "prerequisites missing"
    continue
  fi
  if [[ ! -x $TDIR/$t ]]; then
    echo "$TDIR/$t is not executable (chmod +x)" >"$log"
    result "$name" 1 0 "$log" "not executable"
    continue
  fi
  # Per-test VM settings from a "# vm/run: ..." line in the first 20 lines.
  vmargs=(--timeout "${SDP_VM_TIMEOUT:-600}")
  line=$(head -n 20 "$TDIR/$t" | sed -n 's/^# *vm\/run: *//p' | head -n 1)
  if [[ -n $line ]]; then
    read -r -a extra <<<"$line"
    vmargs+=("${extra[@]}")
  fi
  t0=$SECONDS
  set +e
  run_logged "$log" env "${cipher_env[@]}" "$ROOT/vm/run" "${vmargs[@]}" --log "$console" -- "$TDIR/$t"
  rc=$?
  set -e
  msg=""
  case $rc in
    124) msg="timeout" ;;
    125) msg="kernel problem or VM failure, see $console" ;;
  esac
  result "$name" "$rc" $((SECONDS - t0)) "$log" "$msg"
done

echo
if ((failed)); then echo "failed: ${failures[*]}"; fi
echo "vm-tests: $passed passed, $failed failed"
((failed == 0))
