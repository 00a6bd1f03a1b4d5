#!/usr/bin/env bash
# `make bench-kv`: YCSB load + workload A + workload C (sdp-ycsb, zipfian
# 0.99) against sdp-kv over SDP (plaintext, AES-128-GCM), TCP and kTLS
# (AES-128-GCM, TLS 1.2), and against Debian's redis-server over TCP with the
# same client settings, for every value size, all in ONE boot of the 6.1 VM
# (client netns sdpb -> server netns sdpa over veth). Writes OUT/kv.json
# (metadata, every result, ratios, target verdicts), OUT/kv.md and, if
# python3-matplotlib is installed, OUT/kv-throughput.png and OUT/kv-p99.png.
# Not a test: it fails only if a run fails (a wrong read, a missing tool).
#
#   tests/bench/kv.sh [--records N] [--operations N] [--sizes LIST]
#                     [--transports LIST] [--connections N] [--depth N]
#                     [--out DIR] [--cpus N] [--mode wallclock|icount]
#
# Defaults: 100000 records, 100000 operations per workload, sizes 64,1K,4K,
# transports redis,tcp,ktls-aes128,sdp,sdp-aes128 ("redis" = redis-server,
# TCP), 64 connections x depth 1 (64 outstanding requests, closed loop), OUT
# build/bench-kv, 1 vCPU (see tests/bench/run.sh for why), wall clock (TCG;
# --mode icount: vm/run's deterministic mode, ops/s of guest time).
# sdp-kv runs with 1 thread, like redis-server's one command thread.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034 # read by tests/vm/lib.sh
TEST_NAME=bench-kv

records=100000 operations=100000 sizes=64,1K,4K connections=64 depth=1 cpus=1 mode=wallclock
transports=redis,tcp,ktls-aes128,sdp,sdp-aes128
out=$ROOT/build/bench-kv
args=("$@")
while (($#)); do
  case $1 in
    --records) records=${2:?}; shift 2 ;;
    --operations) operations=${2:?}; shift 2 ;;
    --sizes) sizes=${2:?}; shift 2 ;;
    --transports) transports=${2:?}; shift 2 ;;
    --connections) connections=${2:?}; shift 2 ;;
    --depth) depth=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    --mode) mode=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench-kv: unknown option $1" >&2; exit 2 ;;
  esac
done
out=$(realpath -m "$out")

if [[ ${SDP_IN_VM:-} != 1 ]]; then
  mkdir -p "$out"
  rm -rf "$out"/raw "$out"/meta.json "$out"/kv.json "$out"/kv.md "$out"/*.png
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "bench-kv: host $(nproc) cores, load average $load_before"
  SDP_BENCH_COMMAND="tests/bench/kv.sh${args[*]:+ ${args[*]}}" SDP_BENCH_HOST_REPORT=1 "$ROOT/vm/run" --mode "$mode" --cpus "$cpus" --memory 3G \
    --timeout 7200 --rwdir "$out" -- "$0" "${args[@]}" --out "$out"
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  accel=$(sed -n 's/.* accel=\([a-z]*\) .*/\1/p' "$out/vm-console.log" | head -n 1)
  # Debian's python3 has python3-matplotlib (the PNGs); another python3 first in PATH may not.
  py=python3
  [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import matplotlib' 2>/dev/null && py=/usr/bin/python3
  exec "$py" "$ROOT/tests/bench/kv_report.py" "$out" "host_load_before=$load_before" \
    "host_load_after=$load_after" "host_cores=$(nproc)" "accel=${accel:-?}"
fi

# ------------------------------------------------------------------ VM --
. "$ROOT/tests/vm/lib.sh"
. "$ROOT/tests/vm/sdp-lib.sh"
need_vm
need_root
need_cmd python3 ss od redis-server
KV=$SDP_REPO/build/userspace/sdp-kv
YCSB=$SDP_REPO/build/userspace/sdp-ycsb
need_file "$KV" "$YCSB"
mkdir -p "$out/raw"
# An RPC fails after timeout_ms of silence (default 2 s); a starved TCG VM
# with 64 RPCs in flight can be silent that long, while TCP and kTLS wait
# for the client's 30 s: give SDP the same 30 s. SDP_KV_PARAMS: more sdp.ko parameters.
# shellcheck disable=SC2086 # module parameters, one word each
sdp_load timeout_ms=30000 ${SDP_KV_PARAMS:-}
[[ $transports != *ktls* ]] || need_module tls
netns_pair_up
KD=$(mktemp -d)
on_exit "rm -rf $KD"
new_keyfile "$KD/k128" aes-gcm-128
new_keyfile "$KD/k256" aes-gcm-256
keys=(--key-file "$KD/k128" --key-file "$KD/k256")
_listening() { [[ -n $(in_a ss -Hltn "sport = :$1") ]]; }
IFS=, read -r -a size_list <<<"$sizes"
IFS=, read -r -a transport_list <<<"$transports"
for size in "${size_list[@]}"; do
  # A fresh server per size (its memory back).
  ip netns exec "$NS_A" "$KV" server "${keys[@]}" --allow-plaintext --max-value 1M --max-memory 1536M >"$KD/kv.json" 2>"$KD/kv.err" &
  kv_pid=$!
  wait_for 60 _listening 6381
  for t in "${transport_list[@]}"; do
    label=sdp-kv target=(--transport "$t")
    if [[ $t == redis ]]; then
      label=redis target=(--transport tcp --port 7379)
      ip netns exec "$NS_A" redis-server --port 7379 --bind "$IP4_A" --save '' --appendonly no --protected-mode no \
        --daemonize no --loglevel warning >"$KD/redis.log" 2>&1 &
      redis_pid=$!
      wait_for 60 _listening 7379
    fi
    echo "bench-kv: $t, value size $size" >&2
    in_b "$YCSB" "${target[@]}" --server "$IP4_A" "${keys[@]}" --label "$label" --records "$records" \
      --operations "$operations" --value-size "$size" --connections "$connections" --depth "$depth" \
      --workloads load,a,c >"$out/raw/$size-$t.json" || fail "sdp-ycsb $t at $size failed"
    if [[ $t == redis ]]; then
      kill "$redis_pid"
      wait "$redis_pid" || true
    fi
  done
  kill "$kv_pid"
  wait "$kv_pid" || fail "sdp-kv exited with an error: $(cat "$KD/kv.err")"
done

json_str() { printf '"%s"' "$(sed 's/["\\]/\\&/g' <<<"$1")"; }
cat >"$out/meta.json" <<EOF2
{"kernel": $(json_str "$(uname -r)"), "vcpus": $(nproc), "date": $(json_str "$(date -u +%FT%TZ)"),
 "records": $records, "operations": $operations, "sizes": $(json_str "$sizes"),
 "transports": $(json_str "$transports"), "connections": $connections, "depth": $depth,
 "mode": $(json_str "${SDP_VM_MODE:-unknown}"), "qemu_flags": $(json_str "${SDP_VM_QEMU_FLAGS:-unknown}"),
 "redis": $(json_str "$(redis-server --version)"),
 "redis_settings": "redis-server --save '' --appendonly no (persistence off), one connection per client, TCP_NODELAY (Redis default)",
 "sdp_params": $(json_str "timeout_ms=30000 ${SDP_KV_PARAMS:-}"),
 "sdp_kv_settings": "1 epoll thread; TCP_NODELAY on both ends; kTLS TLS 1.2 AES-128-GCM software, 64 KiB reads (whole records decrypt into the user buffer); SDP one server socket, one client socket and key session per connection",
 "setup": "client netns sdpb -> server netns sdpa over veth; closed loop: connections x depth requests outstanding",
 "command": $(json_str "${SDP_BENCH_COMMAND:-tests/bench/kv.sh${args[*]:+ ${args[*]}}}")}
EOF2
[[ ${SDP_BENCH_HOST_REPORT:-} == 1 ]] || python3 "$ROOT/tests/bench/kv_report.py" "$out"
