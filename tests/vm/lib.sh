# Helpers for the VM test scripts (tests/vm/t-*.sh). Source it:
#   . "$(dirname "$0")/lib.sh"
# Each t-*.sh runs as root inside its own `vm/run` boot (tests/vm/run-all.sh).
# A missing prerequisite is a failure (`need_*` call `fail`), never a skip.
# shellcheck shell=bash

set -euo pipefail

SDP_REPO=${SDP_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

# The netns pair every test may use: sdpa <-> sdpb over one veth link.
NS_A=sdpa
NS_B=sdpb
VETH_A=veth-sdpa
VETH_B=veth-sdpb
IP4_A=10.77.0.1
IP4_B=10.77.0.2
IP6_A=fd77::1
IP6_B=fd77::2

# fail MSG...: print "FAIL: <test>: MSG" and exit 1 (cleanups registered with on_exit run).
fail() {
  printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
  exit 1
}

# pass MSG...: report one passed check (does not exit).
pass() {
  printf 'ok: %s: %s\n' "$TEST_NAME" "$*"
}

# note MSG...: informational line.
note() {
  printf '# %s: %s\n' "$TEST_NAME" "$*"
}

need_root() {
  ((EUID == 0)) || fail "must run as root (run it in the VM: vm/run -- $0)"
}

# need_vm: the test loads kernel modules or changes the network: only in the VM.
need_vm() {
  [[ ${SDP_IN_VM:-} == 1 ]] || fail "runs only inside the test VM: vm/run -- $0"
}

# need_cmd CMD...: every command must exist.
need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || fail "missing command '$c' (run: make deps, or make to build SDP's tools)"
  done
}

# need_file FILE...: every file must exist.
need_file() {
  local f
  for f in "$@"; do
    [[ -e $f ]] || fail "missing $f (build it first: make)"
  done
}

# need_module MOD...: modprobe each (veth, sch_netem, tls, ...).
need_module() {
  local m
  for m in "$@"; do
    modprobe "$m" 2>/dev/null || fail "modprobe $m failed (is the kernel cache complete? make deps)"
  done
}

# insmod_btf KO [NAME] [PARAMS...]: insmod an out-of-tree module and check that it
# got module BTF (/sys/kernel/btf/NAME): without it kfunc registration fails silently.
insmod_btf() {
  local ko=$1 name=${2:-}
  shift $(($# >= 2 ? 2 : 1))
  [[ -n $name ]] || name=$(basename "$ko" .ko)
  need_file "$ko"
  insmod "$ko" "$@" || fail "insmod $ko failed"
  [[ -e /sys/kernel/btf/$name ]] || fail "$name loaded without module BTF (/sys/kernel/btf/$name missing)"
}

# on_exit CMD: run CMD (a string, eval'd) when the script exits, last registered first.
_SDP_ON_EXIT=()
_sdp_run_on_exit() {
  local i
  for ((i = ${#_SDP_ON_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${_SDP_ON_EXIT[i]}" || true
  done
}
on_exit() {
  _SDP_ON_EXIT+=("$1")
  trap _sdp_run_on_exit EXIT
}

# wait_for SECS CMD...: poll CMD every 0.1 s until it succeeds; fail after SECS.
wait_for() {
  local secs=$1 end
  shift
  end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || fail "timed out after ${secs}s waiting for: $*"
    sleep 0.1
  done
}

# in_a CMD... / in_b CMD...: run CMD in netns sdpa / sdpb.
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# netns_pair_up: create sdpa and sdpb joined by veth, with
#   sdpa: veth-sdpa 10.77.0.1/24 fd77::1/64     sdpb: veth-sdpb 10.77.0.2/24 fd77::2/64
# lo and the veth ends up, IPv6 without DAD. Torn down at exit.
netns_pair_up() {
  need_root
  need_cmd ip busybox
  need_module veth
  netns_pair_down
  on_exit netns_pair_down
  ip netns add "$NS_A" || fail "ip netns add $NS_A"
  ip netns add "$NS_B" || fail "ip netns add $NS_B"
  ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" ||
    fail "creating veth pair $VETH_A/$VETH_B"
  in_a ip link set lo up
  in_b ip link set lo up
  in_a ip addr add "$IP4_A/24" dev "$VETH_A"
  in_b ip addr add "$IP4_B/24" dev "$VETH_B"
  in_a ip addr add "$IP6_A/64" dev "$VETH_A" nodad
  in_b ip addr add "$IP6_B/64" dev "$VETH_B" nodad
  in_a ip link set "$VETH_A" up
  in_b ip link set "$VETH_B" up
  wait_for 10 _link_is_up "$NS_A" "$VETH_A"
  wait_for 10 _link_is_up "$NS_B" "$VETH_B"
  # Connectivity inside the VM only (busybox ping: iputils-ping is not a dependency).
  wait_for 10 in_a busybox ping -c1 -W1 "$IP4_B"
  wait_for 10 in_a busybox ping -6 -c1 -W1 "$IP6_B"
}

_link_is_up() {
  [[ $(ip -n "$1" -o link show dev "$2") == *",LOWER_UP"* ]]
}

netns_pair_down() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
