# SDP-specific helpers for the VM tests, on top of lib.sh. Source after it.
# shellcheck shell=bash

SDPCTL=${SDPCTL:-$SDP_REPO/build/userspace/sdpctl}
SDP_ECHO=${SDP_ECHO:-$SDP_REPO/build/userspace/sdp-echo}
SDP_INJECT=${SDP_INJECT:-$SDP_REPO/build/userspace/sdp-inject}
SDP_BENCH=${SDP_BENCH:-$SDP_REPO/build/userspace/sdp-bench}
SDP_KO=${SDP_KO:-$SDP_REPO/kmod/sdp.ko}
SDP_SOCK_TEST=${SDP_SOCK_TEST:-$SDP_REPO/build/tests/vm/sdp-sock-test}

# sdp_load [PARAM=VALUE...]: load sdp.ko with sdpctl (checks module BTF too); unloaded at exit.
# The CPU's AES-GCM (aesni_intel) is loaded first, as udev does at boot on
# a real machine (the VM has no udev); sdp.ko then uses it where SIMD is
# usable and its generic implementation elsewhere, and self-tests both.
# SDP_NO_AESNI=1 leaves it out: the generic implementation only.
sdp_load() {
  need_file "$SDPCTL" "$SDP_KO"
  if [[ -z ${SDP_NO_AESNI:-} ]] && grep -qw aes /proc/cpuinfo && [[ ! -d /sys/module/aesni_intel ]]; then
    modprobe aesni_intel || fail "the CPU has AES-NI but modprobe aesni_intel failed"
  fi
  "$SDPCTL" load --module "$SDP_KO" "$@" || fail "sdpctl load $* failed"
  [[ -e /sys/kernel/btf/sdp ]] || fail "sdp loaded without module BTF"
  on_exit sdp_unload_quiet
}

sdp_unload_quiet() {
  [[ -d /sys/module/sdp ]] || return 0
  "$SDPCTL" unload >/dev/null 2>&1 || true
}

# sdp_stat NETNS NAME: one counter of /proc/net/sdp_stats in netns NETNS.
sdp_stat() {
  local v
  v=$(ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/sdp_stats) ||
    fail "cannot read /proc/net/sdp_stats in $1"
  [[ -n $v ]] || fail "no counter $2 in /proc/net/sdp_stats"
  echo "$v"
}

# sdp_drops NETNS: sum of all drop_* counters.
sdp_drops() {
  ip netns exec "$1" awk '$1 ~ /^drop_/ { s += $2 } END { print s + 0 }' /proc/net/sdp_stats
}

# json_field JSON KEY: a numeric field of a one-line JSON object.
json_field() {
  local v
  v=$(sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1")
  [[ -n $v ]] || fail "no field $2 in: $1"
  echo "$v"
}

# start_echo_server NETNS ARGS...: background sdp-echo server; waits until bound.
# Sets ECHO_PID and ECHO_OUT (its JSON summary file).
start_echo_server() {
  local ns=$1
  shift
  ECHO_OUT=$(mktemp)
  ip netns exec "$ns" "$SDP_ECHO" server "$@" >"$ECHO_OUT" &
  ECHO_PID=$!
  on_exit "kill $ECHO_PID 2>/dev/null || true"
  wait_for 10 _sdp_port_bound "$ns"
}

_sdp_port_bound() {
  [[ $(sdp_stat "$1" sockets) -ge 1 ]]
}

# stop_echo_server: SIGTERM, wait, check "duplicates":0 in its summary.
stop_echo_server() {
  kill "$ECHO_PID" 2>/dev/null || true
  local rc=0
  wait "$ECHO_PID" || rc=$?
  local out
  out=$(cat "$ECHO_OUT")
  note "server: $out"
  [[ $(json_field "$out" duplicates) == 0 ]] || fail "server saw duplicate requests: $out"
  ((rc == 0)) || fail "echo server exited with $rc"
}

# new_keyfile FILE CIPHER [EPOCH]: a key file (libsdp KeyMaterial format) with fresh
# random keys for both directions, mode 0600, written by `sdpctl genkey` (the one
# key writer; it never overwrites, so FILE must not exist). CIPHER: aes-gcm-128 or
# aes-gcm-256; EPOCH: 1 by default. Use one file for one client socket and
# its server only: message ids restart at 0 in every new socket, so a key
# shared by two client sockets would repeat nonces (the module refuses a key
# twice within one socket, it cannot see other sockets).
new_keyfile() {
  "$SDPCTL" genkey --cipher "$2" --epoch "${3:-1}" "$1" >/dev/null || fail "sdpctl genkey $1 failed"
}

# echo_keys FAMILY LOCAL_PORT: with SDP_TEST_CIPHER set (aes-gcm-128 or
# aes-gcm-256) the echo tests run encrypted: writes a fresh key file and
# sets SRV_KEYS (sdp-echo server arguments: the key file and the client
# NS_B:LOCAL_PORT as peer) and CLI_KEYS (client: key file, local port).
# Without SDP_TEST_CIPHER both arrays are empty (plaintext).
echo_keys() {
  SRV_KEYS=() CLI_KEYS=()
  [[ -n ${SDP_TEST_CIPHER:-} ]] || return 0
  local f peer
  f=$(mktemp -d /tmp/sdp-keys.XXXXXX)/key
  new_keyfile "$f" "$SDP_TEST_CIPHER"
  if [[ $1 == 6 ]]; then peer="[$IP6_B]:$2"; else peer="$IP4_B:$2"; fi
  SRV_KEYS=(--key-file "$f" --peer "$peer")
  CLI_KEYS=(--key-file "$f" --local-port "$2")
}

# check_no_auth_drops NETNS...: no record or control packet failed
# authentication and nothing arrived under an unknown epoch.
check_no_auth_drops() {
  local ns k
  for ns in "$@"; do
    for k in auth_failed ctrl_auth_failed wrong_epoch needs_key; do
      [[ $(sdp_stat "$ns" drop_$k) == 0 ]] || fail "$ns counted drop_$k"
    done
  done
}

# sdp_dump_stats NETNS...: non-zero counters of each netns on stderr, for
# the log of a failing test.
sdp_dump_stats() {
  local ns
  for ns in "$@"; do
    echo "--- /proc/net/sdp_stats in $ns (non-zero)" >&2
    ip netns exec "$ns" awk '$2 != 0' /proc/net/sdp_stats | paste -sd' ' >&2
  done
}

# sdp_capture_start PCAP [SNAPLEN] [bulk] [lossy]: the one capture helper of the VM tests:
# tcpdump on the client's veth end (netns sdpb, it sees both directions) into PCAP (snap
# length SNAPLEN, default 0 = whole packets), returning once it captures (it pings the
# server side until a packet is in the file).
# bulk: buffered capture for many packets (no per-packet wakeup and write, which cost most
# of the CPU under TCG); returns once tcpdump listens, and sdp_capture_stop waits 2.5 s for
# the last packets to reach the file.
# lossy: packets the kernel dropped from the capture are noted, not a failure (for tests
# whose checks do not need every packet: no plaintext in what was captured, replays of it).
# sdp_capture_stop: stop it; fails if the kernel dropped any packet of the capture (unless lossy).
sdp_capture_start() {
  need_cmd tcpdump
  local pcap=$1 snaplen=0 bulk=0 a
  SDP_CAPTURE_LOSSY=0
  shift
  for a in "$@"; do
    case $a in
      bulk) bulk=1 ;;
      lossy) SDP_CAPTURE_LOSSY=1 ;;
      *[!0-9]* | '') fail "sdp_capture_start: bad argument '$a'" ;;
      *) snaplen=$a ;;
    esac
  done
  local live=(-U --immediate-mode)
  SDP_CAPTURE_LINGER=0.5
  # Buffered, tcpdump gets packets when a ring block fills or its 1 s timeout retires it.
  ((bulk)) && live=() SDP_CAPTURE_LINGER=2.5
  SDP_CAPTURE_ERR=$(mktemp)
  ip netns exec "$NS_B" tcpdump -i "$VETH_B" -w "$pcap" -s "$snaplen" -B 65536 "${live[@]}" \
    2>"$SDP_CAPTURE_ERR" &
  SDP_CAPTURE_PID=$!
  on_exit "kill $SDP_CAPTURE_PID 2>/dev/null || true"
  wait_for 30 grep -q "^tcpdump: listening on" "$SDP_CAPTURE_ERR"
  ((bulk)) || wait_for 30 _sdp_captured "$pcap"
}
_sdp_captured() {
  in_b busybox ping -c1 -W1 "$IP4_A" >/dev/null 2>&1
  (($(stat -c %s "$1") > 100))
}
sdp_capture_stop() {
  sleep "$SDP_CAPTURE_LINGER"
  kill "$SDP_CAPTURE_PID"
  wait "$SDP_CAPTURE_PID" || true
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$SDP_CAPTURE_ERR")
  [[ -n $dropped ]] || fail "tcpdump printed no statistics: $(cat "$SDP_CAPTURE_ERR")"
  ((dropped == 0)) && return 0
  ((SDP_CAPTURE_LOSSY)) || fail "tcpdump: $dropped packets dropped by the kernel: the capture is incomplete"
  note "tcpdump: $dropped packets dropped by the kernel (lossy capture)"
}
