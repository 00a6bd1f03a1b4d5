#!/usr/bin/env bash
# `make bench`: unloaded ping-pong latency of SDP (plaintext, AES-128-GCM,
# AES-256-GCM), kTLS (TCP + tls.ko, TLS 1.2, the same ciphers and keys), TCP
# and UDP, 64 B .. 1 MiB, all in ONE boot of the 6.1 VM, client and server in
# two netns over veth. Writes OUT/latency.json (metadata, p50/p99 per protocol
# and size, ratios SDP-enc/kTLS and SDP-enc/SDP, target verdicts) and
# OUT/latency.md, and prints the table. Not a test: it fails only if a run
# fails (a wrong echo, tls.ko missing, ...), never because of a number.
#
#   tests/bench/run.sh [--iterations N] [--warmup N] [--rounds N] [--sizes LIST]
#                      [--protos LIST] [--out DIR] [--cpus N]
#
# Defaults: 500 iterations in 10 rounds that alternate between the protocols,
# 100 warm-up (fewer left the first size measurably slower; at most 8 MiB
# of requests per protocol and size), sizes 64,1K,4K,16K,64K,256K,1M, protocols
# sdp,sdp-aes128,sdp-aes256,ktls-aes128,ktls-aes256,tcp,udp (see
# `sdp-bench --help`; ktls13-aes128/256 are TLS 1.3), OUT build/bench, 1 vCPU.
# Why 1 vCPU: on this 2-core host a 2-vCPU TCG guest waits for a host
# reschedule (often a whole 4 ms guest tick) on every cross-vCPU wake-up, so
# up to 16 KiB most p50s were 3-8 ms and a few 0.1-1.5 ms, whatever the
# protocol (three runs on 2026-11-25, one while no other VM ran).
# With one vCPU, client and server share it, nothing waits for a wake-up,
# and a p50 is the CPU cost of both sides. --cpus 2 lets the two sides
# overlap (what a kTLS stream of 16 KiB records profits from).
# Keys: fresh random key files per run, made in the VM's tmpfs.
# SDP_BENCH_PARAMS: sdp.ko module parameters (e.g. grant_window=1048576).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # read by tests/vm/lib.sh
TEST_NAME=bench

iterations=500 warmup=100 rounds=10 sizes=64,1K,4K,16K,64K,256K,1M cpus=1
protos=sdp,sdp-aes128,sdp-aes256,ktls-aes128,ktls-aes256,tcp,udp
out=$ROOT/build/bench
args=("$@")
while (($#)); do
  case $1 in
    --iterations) iterations=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --sizes) sizes=${2:?}; shift 2 ;;
    --protos) protos=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")

# ---------------------------------------------------------------- host --
# Boot the VM with OUT as its writable directory, then build the report here
# with the host's load (other processes share the cores with the VM).
if [[ ${SDP_IN_VM:-} != 1 ]]; then
  mkdir -p "$out"
  rm -f "$out"/raw.json "$out"/meta.json "$out"/latency.json "$out"/latency.md
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "bench: host $(nproc) cores, load average $load_before (uptime: $(uptime))"
  SDP_BENCH_COMMAND="tests/bench/run.sh${args[*]:+ ${args[*]}}" SDP_BENCH_HOST_REPORT=1 "$ROOT/vm/run" --cpus "$cpus" --memory 2G --timeout 3600 --rwdir "$out" \
    -- "$0" "${args[@]}" --out "$out"
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  accel=$(sed -n 's/.* accel=\([a-z]*\) .*/\1/p' "$out/vm-console.log" | head -n 1)
  echo "bench: host load average after: $load_after"
  exec python3 "$ROOT/tests/bench/report.py" "$out" "host_load_before=$load_before" \
    "host_load_after=$load_after" "host_cores=$(nproc)" "accel=${accel:-?}"
fi

# ------------------------------------------------------------------ VM --
. "$ROOT/tests/vm/lib.sh"
. "$ROOT/tests/vm/sdp-lib.sh"
need_vm
need_root
need_cmd python3 ss od
mkdir -p "$out"
# shellcheck disable=SC2086 # module parameters, one word each
sdp_load ${SDP_BENCH_PARAMS:-}
if [[ $protos == *ktls* ]]; then
  modprobe tls ||
    fail "cannot load tls.ko (modprobe tls; expected at /lib/modules/$(uname -r)/kernel/net/tls/tls.ko from the kernel cache: make deps): kTLS cannot be measured"
  [[ -e /proc/net/tls_stat ]] || fail "tls.ko loaded but /proc/net/tls_stat is missing"
fi
netns_pair_up

# Fresh keys per run, only in the VM's memory.
KD=$(mktemp -d)
on_exit "rm -rf $KD"
rnd() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
for bits in 128 256; do
  { echo "cipher aes-gcm-$bits"; echo "epoch 1"
    echo "client-to-server $(rnd $((bits / 8))) $(rnd 4)"
    echo "server-to-client $(rnd $((bits / 8))) $(rnd 4)"; } >"$KD/aes$bits.key"
done
keys=(--key-file "$KD/aes128.key" --key-file "$KD/aes256.key")

ip netns exec "$NS_A" "$SDP_BENCH" server --port 6000 "${keys[@]}" &
server=$!
on_exit "kill $server 2>/dev/null || true"
_tcp_listening() { [[ -n $(in_a ss -Hltn 'sport = :6000') ]]; }
wait_for 10 _sdp_port_bound "$NS_A"
wait_for 10 _tcp_listening
in_b "$SDP_BENCH" client --server "$IP4_A" --port 6000 --protos "$protos" --sizes "$sizes" \
  --iterations "$iterations" --warmup "$warmup" --rounds "$rounds" "${keys[@]}" >"$out/raw.json" ||
  fail "sdp-bench client failed"
kill -0 "$server" 2>/dev/null || fail "sdp-bench server died"

json_str() { printf '"%s"' "$(sed 's/["\\]/\\&/g' <<<"$1")"; }
# kernel: the ABI the VM runs (kernel.conf's pin, or the one make deps fell back to).
pinned=$(sed -n 's/^KERNEL_ABI=//p' "$SDP_REPO/kernel.conf")
cat >"$out/meta.json" <<EOF
{"kernel": $(json_str "$(uname -r)"), "kernel_abi_pinned": $(json_str "$pinned"), "vcpus": $(nproc), "date": $(json_str "$(date -u +%FT%TZ)"),
 "iterations": $iterations, "warmup": $warmup, "rounds": $rounds,
 "sizes": $(json_str "$sizes"), "protos": $(json_str "$protos"),
 "sdp_params": $(json_str "${SDP_BENCH_PARAMS:-}"),
 "setup": "client netns sdpb -> server netns sdpa over veth, one exchange in flight, request size = response size; ktls-* = TLS 1.2 records, ktls13-* = TLS 1.3",
 "command": $(json_str "${SDP_BENCH_COMMAND:-tests/bench/run.sh${args[*]:+ ${args[*]}}}")}
EOF
[[ ${SDP_BENCH_HOST_REPORT:-} == 1 ]] || python3 "$ROOT/tests/bench/report.py" "$out"
