#!/usr/bin/env bash
# `make bench`: unloaded ping-pong latency of SDP (plaintext, AES-128-GCM,
# AES-256-GCM), kTLS (TCP + tls.ko, TLS 1.2, the same ciphers and keys), TCP
# and UDP, 64 B .. 1 MiB, all in ONE boot of the 6.1 VM, client and server in
# two netns over veth. Writes OUT/latency.json (metadata, p10/p50/p90/p99 per
# protocol and size, ratios SDP-enc/kTLS and SDP-enc/SDP, target verdicts),
# OUT/latency.md and OUT/latency.png (python3-matplotlib), and prints the
# table. Not a test: it fails only if a run fails (a wrong echo, tls.ko
# missing, ...), never because of a number.
#
#   tests/bench/run.sh [--mode icount|wallclock] [--iterations N] [--warmup N]
#                      [--rounds N] [--sizes LIST] [--protos LIST] [--out DIR]
#                      [--cpus N] [--append KERNEL-ARGS] [--peer-opts OPTS]
#                      [--no-repeat]
#
# --mode icount (the default): qemu's deterministic mode (vm/run --mode
# icount): the guest clock advances 1 ns per guest instruction, so a latency
# is the instructions of client and server on the critical path (plus
# virtual-time timer waits) on 1 vCPU, with no cache or memory effects, the
# same from run to run whatever the host does. After the main run it boots
# twice more with one small configuration (sdp,sdp-aes128,ktls-aes128,tcp at
# 64 B and 16 KiB, 200 iterations, 50 warm-up, 4 rounds) and reports whether
# the two runs' p50s agree within 1% (OUT/repeat.json; --no-repeat skips it).
# --mode wallclock: multi-threaded TCG timed by the host's clock: noisy
# (p50 415 vs 575 us for one configuration in one run), AES-NI emulated at
# about 45 ns/byte; use it with --cpus 2 for the large sizes, where sender
# and receiver overlap. --append adds guest kernel arguments (e.g. idle=poll).
#
# Defaults: 500 iterations in 10 rounds that alternate between the protocols,
# 100 warm-up (at most 8 MiB of requests per protocol and size), sizes
# 64,1K,4K,16K,64K,256K,1M, protocols
# sdp,sdp-aes128,sdp-aes256,ktls-aes128,ktls-aes256,tcp,udp (see
# `sdp-bench --help`; ktls13-aes128/256 are TLS 1.3), OUT build/bench, 1 vCPU.
# Peers: TCP and kTLS with TCP_NODELAY and autotuned buffers, delayed ACKs
# allowed (measured best for this ping-pong: TCP_QUICKACK made 64 B 24-41%
# slower, fixed 4 MiB buffers TCP 1 MiB 28% slower; docs/BENCH.md).
# --peer-opts passes sdp-bench's PEER OPTIONS (e.g. "--tcp-quickack
# --sockbuf 4M") to client and server; the settings read back from the
# client's sockets are "peer_settings" in the metadata.
# Why 1 vCPU in wallclock mode: on this 2-core host a 2-vCPU TCG guest waits
# for a host reschedule (often a whole 4 ms guest tick) on every cross-vCPU
# wake-up, so up to 16 KiB most p50s were 3-8 ms whatever the protocol.
# Keys: fresh random key files per run, made in the VM's tmpfs.
# SDP_BENCH_PARAMS: sdp.ko module parameters (e.g. grant_window=1048576).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # read by tests/vm/lib.sh
TEST_NAME=bench
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"

iterations=500 warmup=100 rounds=10 sizes=64,1K,4K,16K,64K,256K,1M cpus=1
protos=sdp,sdp-aes128,sdp-aes256,ktls-aes128,ktls-aes256,tcp,udp
mode=icount append="" repeat=1 peer_opts=""
out=$ROOT/build/bench
# The repeat check of icount mode: one small configuration, booted twice.
REPEAT_ARGS=(--protos sdp,sdp-aes128,ktls-aes128,tcp --sizes 64,16K --iterations 200 --warmup 50 --rounds 4)
args=("$@")
while (($#)); do
  case $1 in
    --mode) mode=${2:?}; shift 2 ;;
    --append) append=${2:?}; shift 2 ;;
    --no-repeat) repeat=0; shift ;;
    --peer-opts) peer_opts=${2?}; shift 2 ;;
    --iterations) iterations=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --sizes) sizes=${2:?}; shift 2 ;;
    --protos) protos=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,44s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")
case $mode in icount|wallclock) ;; *) echo "bench: --mode wants icount or wallclock, not '$mode'" >&2; exit 2 ;; esac

# ---------------------------------------------------------------- host --
# Boot the VM with OUT as its writable directory, then build the report here
# with the host's load (other processes share the cores with the VM).
if [[ ${SDP_IN_VM:-} != 1 ]]; then
  py=$(bench_python)
  # boot_bench DIR ARGS...: one VM boot running this script with ARGS, then the report of DIR.
  boot_bench() {
    local dir=$1 load_before load_after accel
    shift
    mkdir -p "$dir"
    rm -f "$dir"/raw.json "$dir"/meta.json "$dir"/latency.json "$dir"/latency.md "$dir"/latency.png
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "bench: host $(nproc) cores, load average $load_before (uptime: $(uptime))"
    SDP_BENCH_COMMAND="tests/bench/run.sh$(shell_words "$@")" SDP_BENCH_HOST_REPORT=1 "$ROOT/vm/run" --mode "$mode" \
      --cpus "$cpus" --memory 2G --timeout 7200 --rwdir "$dir" ${append:+--append "$append"} \
      -- "$0" "$@" --out "$dir"
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    accel=$(sed -n 's/.* accel=\([a-z]*\) .*/\1/p' "$dir/vm-console.log" | head -n 1)
    echo "bench: host load average after: $load_after"
    "$py" "$ROOT/tests/bench/report.py" "$dir" "host_load_before=$load_before" \
      "host_load_after=$load_after" "host_cores=$(nproc)" "accel=${accel:-?}" "host_date=$(date -u +%FT%TZ)"
  }
  boot_bench "$out" "${args[@]}"
  if [[ $mode == icount ]] && ((repeat)); then
    echo "bench: repeat check: ${REPEAT_ARGS[*]}, two boots"
    for i in 1 2; do
      boot_bench "$out/repeat-$i" --mode icount --no-repeat "${REPEAT_ARGS[@]}" ${peer_opts:+--peer-opts "$peer_opts"} >"$out/repeat-$i.log" 2>&1 ||
        { tail -n 20 "$out/repeat-$i.log" >&2; echo "bench: repeat run $i failed (log: $out/repeat-$i.log)" >&2; exit 1; }
    done
    "$py" "$ROOT/tests/bench/report.py" --repeat "$out" "$out/repeat-1" "$out/repeat-2"
  fi
  exit 0
fi

# ------------------------------------------------------------------ VM --
bench_vm_start "$protos" "$peer_opts"
mkdir -p "$out"
in_b "$SDP_BENCH" client --server "$IP4_A" --port 6000 --protos "$protos" --sizes "$sizes" \
  --iterations "$iterations" --warmup "$warmup" --rounds "$rounds" "${keys[@]}" "${peer[@]}" >"$out/raw.json" \
  2>"$out/client.err" || { cat "$out/client.err" >&2; fail "sdp-bench client failed"; }
cat "$out/client.err" >&2
kill -0 "$BENCH_SERVER" 2>/dev/null || fail "sdp-bench server died"
cat >"$out/meta.json" <<EOF
{$(bench_meta_common "$out/client.err"),
 "iterations": $iterations, "warmup": $warmup, "rounds": $rounds,
 "sizes": $(json_str "$sizes"), "protos": $(json_str "$protos"),
 "setup": "client netns sdpb -> server netns sdpa over veth, one exchange in flight, request size = response size; ktls-* = TLS 1.2 records, ktls13-* = TLS 1.3",
 "command": $(json_str "${SDP_BENCH_COMMAND:-tests/bench/run.sh$(shell_words "${args[@]}")}")}
EOF
[[ ${SDP_BENCH_HOST_REPORT:-} == 1 ]] || python3 "$ROOT/tests/bench/report.py" "$out"
