#!/usr/bin/env bash
# Key installation (issue 9 item 9 and "Also"):
# 1. A key install the kernel refuses (the key is already installed on the
#    socket) leaves no peer entry behind: keyed_peers (SDP_RPC_STATS) stays 1
#    after 100 refused installs for 100 other peers. IPv4 and IPv6.
# 2. The module cannot see other sockets, so libsdp (every tool's
#    install_keys) refuses one key file's transmit key on a second socket:
#    sdp-echo --sockets 2 with a key file is refused with "one key file per
#    socket"; a second client run, and a restarted server, with the key file
#    of a finished session are refused with "make a fresh key file", and
#    send nothing. The used-key records hold no key bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_file "$SDP_SOCK_TEST"
sdp_load
netns_pair_up
KD=$(mktemp -d)
FAILED=()
check() { # check LABEL CMD...: run CMD, record LABEL as failed if it fails
  local label=$1
  shift
  if "$@"; then pass "$label"; else FAILED+=("$label"); note "FAILED: $label"; fi
}

# 1. Refused installs add no peer.
for fam in 4 6; do
  out=$("$SDP_SOCK_TEST" keys $fam) || fail "sdp-sock-test keys $fam: $out"
  note "IPv$fam: $out"
  check "IPv$fam: 100 refused key installs (EINVAL) leave keyed_peers at 1" \
    test "$(json_field "$out" refused)" == 100 -a "$(json_field "$out" keyed_peers)" == 1
done

# 2. One key file, one socket: a server keyed for two peers from one file,
# and a client with --sockets 2, are refused before sending anything.
new_keyfile "$KD/k" aes-gcm-128
out=$(in_a timeout 5 "$SDP_ECHO" server --port 5000 --key-file "$KD/k" --peer "$IP4_B:40000" \
  --peer "$IP4_B:40001" 2>&1) && FAILED+=("a server keyed for two peers from one key file ran")
note "server, one key file for two peers: $out"
check "a server keyed for two peers from one key file is refused: one key file per socket (and per peer)" \
  grep -q "one key file per socket" <<<"$out"
tx0=$(sdp_stat "$NS_B" tx_data)
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --local-port 40000 --key-file "$KD/k" \
  --sizes 100 --count 2 --sockets 2 2>&1) && FAILED+=("sdp-echo --sockets 2 with one key file ran")
note "--sockets 2: $out"
check "sdp-echo --sockets 2 --key-file is refused: use one key file per socket" \
  grep -q "one key file per socket" <<<"$out"
check "... and sends no DATA" test "$(sdp_stat "$NS_B" tx_data)" == "$tx0"

new_keyfile "$KD/k1" aes-gcm-128
start_echo_server "$NS_A" --port 5001 --key-file "$KD/k1" --peer "$IP4_B:40002"
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5001 --local-port 40002 --key-file "$KD/k1" \
  --sizes 100,2000 --count 4 2>&1) || FAILED+=("first client run with a fresh key file failed: $out")
pass "first client run with a fresh key file: $out"
tx0=$(sdp_stat "$NS_B" tx_data)
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5001 --local-port 40002 --key-file "$KD/k1" \
  --sizes 100,2000 --count 4 2>&1) && FAILED+=("a second client run with the same key file ran: $out")
note "second client run: $out"
check "a second client run with the same key file is refused: make a fresh key file" \
  grep -q "already used for transmitting.*Make a fresh key file" <<<"$out"
check "... and sends no DATA" test "$(sdp_stat "$NS_B" tx_data)" == "$tx0"
stop_echo_server
out=$(in_a timeout 5 "$SDP_ECHO" server --port 5001 --key-file "$KD/k1" --peer "$IP4_B:40002" 2>&1) &&
  FAILED+=("a restarted server with the same key file ran")
note "restarted server: $out"
check "a restarted server with the same key file is refused" \
  grep -q "server-to-client key was already used" <<<"$out"

dir=/var/lib/sdp/used-tx-keys
n=$(find "$dir" -type f | wc -l)
check "used-key records exist ($n in $dir)" test "$n" -ge 2
leaked=0
while read -r _ key _; do
  grep -rqi "$key" "$dir" && leaked=1
  find "$dir" -name "*$key*" | grep -q . && leaked=1
done < <(grep -- '-to-' "$KD/k1")
check "the records hold no key bytes" test $leaked == 0

if ((${#FAILED[@]})); then
  printf 'failed check: %s\n' "${FAILED[@]}" >&2
  fail "${#FAILED[@]} check(s) failed"
fi
pass "keys: no peer left by refused installs, no transmit key on two sockets"
