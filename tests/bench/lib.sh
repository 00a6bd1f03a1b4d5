# Shared by tests/bench/run.sh (ping-pong) and tests/bench/load.sh (closed
# loop): the host side's helpers and the VM side's setup. Sourced, not run.
# shellcheck shell=bash

# ---------------------------------------------------------------- host --
# bench_python: Debian's python3 when it has python3-matplotlib (the PNGs);
# another python3 first in PATH may not.
bench_python() {
  if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    echo /usr/bin/python3
  else
    echo python3
  fi
}

# shell_words ARGS...: the arguments as a command line, quoted only where needed.
shell_words() {
  local a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_,.:=/+-]+$ ]]; then printf ' %s' "$a"; else printf ' %q' "$a"; fi
  done
}

# ------------------------------------------------------------------ VM --
# bench_vm_start PROTOS PEER_OPTS: sdp.ko (SDP_BENCH_PARAMS), tls.ko when
# PROTOS has kTLS, the netns pair, fresh key files in the VM's memory, and
# sdp-bench's server in netns A on port 6000. Sets KD (key directory),
# keys (the --key-file arguments) and peer (the PEER OPTIONS array).
bench_vm_start() {
  local protos=$1 bits
  # The commit the run starts from (a later commit must not relabel it).
  BENCH_COMMIT=$(git -C "$SDP_REPO" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
  . "$ROOT/tests/vm/lib.sh"
  . "$ROOT/tests/vm/sdp-lib.sh"
  need_vm
  need_root
  need_cmd python3 ss od
  # shellcheck disable=SC2086 # module parameters, one word each
  sdp_load ${SDP_BENCH_PARAMS:-}
  if [[ $protos == *ktls* ]]; then
    modprobe tls ||
      fail "cannot load tls.ko (modprobe tls; expected at /lib/modules/$(uname -r)/kernel/net/tls/tls.ko from the kernel cache: make deps): kTLS cannot be measured"
    [[ -e /proc/net/tls_stat ]] || fail "tls.ko loaded but /proc/net/tls_stat is missing"
  fi
  netns_pair_up
  KD=$(mktemp -d)
  on_exit "rm -rf $KD"
  for bits in 128 256; do
    { echo "cipher aes-gcm-$bits"; echo "epoch 1"
      echo "client-to-server $(_bench_rnd $((bits / 8))) $(_bench_rnd 4)"
      echo "server-to-client $(_bench_rnd $((bits / 8))) $(_bench_rnd 4)"; } >"$KD/aes$bits.key"
  done
  keys=(--key-file "$KD/aes128.key" --key-file "$KD/aes256.key")
  read -r -a peer <<<"$2"
  ip netns exec "$NS_A" "$SDP_BENCH" server --port 6000 "${keys[@]}" "${peer[@]}" &
  BENCH_SERVER=$!
  on_exit "kill $BENCH_SERVER 2>/dev/null || true"
  wait_for 10 _sdp_port_bound "$NS_A"
  wait_for 10 _bench_tcp_listening
}
_bench_rnd() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
_bench_tcp_listening() { [[ -n $(in_a ss -Hltn 'sport = :6000') ]]; }

json_str() { printf '"%s"' "$(sed 's/["\\]/\\&/g' <<<"$1")"; }

# bench_meta_common CLIENT_STDERR: the JSON members (no braces) every bench
# records: kernel, mode, qemu flags, cost model, commit, peer settings.
bench_meta_common() {
  local vm_mode=${SDP_VM_MODE:-unknown} cost_model pinned
  case $vm_mode in
    icount) cost_model="guest time of qemu -icount shift=0: 1 guest instruction = 1 ns; no cache or memory effects; string instructions count per repetition (-erms,-fsrm: memcpy moves 8 bytes per count); $(nproc) vCPU(s), client and server share it, so a latency is the instructions of both sides on the critical path plus virtual-time timer waits" ;;
    *) cost_model="wall-clock time of TCG emulation on a shared host: noisy; AES-NI and PCLMULQDQ emulated (about 45 ns/byte)" ;;
  esac
  # kernel: the ABI the VM runs (kernel.conf's pin, or the one make deps fell back to).
  pinned=$(sed -n 's/^KERNEL_ABI=//p' "$SDP_REPO/kernel.conf")
  cat <<EOF
"kernel": $(json_str "$(uname -r)"), "kernel_abi_pinned": $(json_str "$pinned"), "vcpus": $(nproc), "date": $(json_str "$(date -u +%FT%TZ)"),
 "mode": $(json_str "$vm_mode"), "qemu_flags": $(json_str "${SDP_VM_QEMU_FLAGS:-unknown}"),
 "kernel_cmdline": $(json_str "$(cat /proc/cmdline)"),
 "cost_model": $(json_str "$cost_model"), "commit": $(json_str "${BENCH_COMMIT:-unknown}"),
 "peer_settings": $(json_str "$(sed -n 's/^peer settings: //p' "$1" | tail -n 1)"),
 "sdp_params": $(json_str "${SDP_BENCH_PARAMS:-}")
EOF
}
