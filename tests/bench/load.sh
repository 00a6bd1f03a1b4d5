#!/usr/bin/env bash
# Loaded closed-loop throughput (issue 13 item 2): `sdp-bench load` keeps C
# requests in flight (a new one as soon as a response arrives) for every
# protocol, size and C, all in ONE boot of the 6.1 VM, client and server in
# two netns over veth. SDP: one client socket with C outstanding RPCs; tcp /
# ktls-*: C connections, one request each (how Redis clients use them);
# tcp+pipe / ktls-*+pipe: C requests pipelined on one connection. Writes
# OUT/load.json (metadata, RPCs per second and p50/p99 per cell, ratios),
# OUT/load.md and OUT/load.png (throughput vs C per size). Not a test.
#
#   tests/bench/load.sh [--mode icount|wallclock] [--sizes LIST] [--protos LIST]
#                       [--inflight LIST] [--requests N] [--warmup N]
#                       [--out DIR] [--cpus N] [--peer-opts OPTS]
#
# Defaults: icount mode (RPCs per second of guest time on 1 vCPU: the CPU
# cost per RPC of both sides under load), sizes 64,1K,16K, protocols
# sdp,sdp-aes128,tcp,ktls-aes128,tcp+pipe,ktls-aes128+pipe, C = 1,8,64,256,
# 2000 measured requests after 200 warm-up per cell, OUT build/bench-load.
# SDP_BENCH_PARAMS: sdp.ko module parameters (e.g. timeout_ms=30000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # read by tests/vm/lib.sh
TEST_NAME=bench-load
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"

sizes=64,1K,16K protos=sdp,sdp-aes128,tcp,ktls-aes128,tcp+pipe,ktls-aes128+pipe inflight=1,8,64,256
requests=2000 warmup=200 cpus=1 mode=icount peer_opts=""
out=$ROOT/build/bench-load
args=("$@")
while (($#)); do
  case $1 in
    --mode) mode=${2:?}; shift 2 ;;
    --sizes) sizes=${2:?}; shift 2 ;;
    --protos) protos=${2:?}; shift 2 ;;
    --inflight) inflight=${2:?}; shift 2 ;;
    --requests) requests=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    --peer-opts) peer_opts=${2?}; shift 2 ;;
    -h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench-load: unknown option $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")
case $mode in icount|wallclock) ;; *) echo "bench-load: --mode wants icount or wallclock, not '$mode'" >&2; exit 2 ;; esac

if [[ ${SDP_IN_VM:-} != 1 ]]; then
  mkdir -p "$out"
  rm -f "$out"/raw.json "$out"/meta.json "$out"/load.json "$out"/load.md "$out"/load.png
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  SDP_BENCH_COMMAND="tests/bench/load.sh$(shell_words "${args[@]}")" SDP_BENCH_HOST_REPORT=1 "$ROOT/vm/run" \
    --mode "$mode" --cpus "$cpus" --memory 2G --timeout 7200 --rwdir "$out" -- "$0" "${args[@]}" --out "$out"
  exec "$(bench_python)" "$ROOT/tests/bench/report.py" --load "$out" "host_load_before=$load_before" \
    "host_load_after=$(cut -d' ' -f1-3 /proc/loadavg)" "host_date=$(date -u +%FT%TZ)"
fi

bench_vm_start "$protos" "$peer_opts"
mkdir -p "$out"
in_b "$SDP_BENCH" load --server "$IP4_A" --port 6000 --protos "$protos" --sizes "$sizes" --inflight "$inflight" \
  --requests "$requests" --warmup "$warmup" "${keys[@]}" "${peer[@]}" >"$out/raw.json" 2>"$out/client.err" ||
  { cat "$out/client.err" >&2; fail "sdp-bench load failed"; }
cat "$out/client.err" >&2
kill -0 "$BENCH_SERVER" 2>/dev/null || fail "sdp-bench server died"
cat >"$out/meta.json" <<EOF
{$(bench_meta_common "$out/client.err"),
 "sizes": $(json_str "$sizes"), "protos": $(json_str "$protos"), "inflight": $(json_str "$inflight"),
 "requests": $requests, "warmup": $warmup,
 "setup": "closed loop, C requests in flight, client netns sdpb -> server netns sdpa over veth; sdp: one client socket; tcp/ktls: C connections x 1 request; +pipe: C requests pipelined on one connection; ktls = TLS 1.2",
 "command": $(json_str "${SDP_BENCH_COMMAND:-tests/bench/load.sh$(shell_words "${args[@]}")}")}
EOF
[[ ${SDP_BENCH_HOST_REPORT:-} == 1 ]] || python3 "$ROOT/tests/bench/report.py" --load "$out"
