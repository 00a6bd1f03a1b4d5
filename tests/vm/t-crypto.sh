#!/usr/bin/env bash
# Encrypted RPCs: keys per peer from a key file, AES-128-GCM and AES-256-GCM,
# IPv4 and IPv6, 1 B .. 1 MiB, byte-exact; the capture holds no plaintext;
# a wrong key is counted and ends in a clear error; a keyed socket refuses
# plaintext.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_cmd tcpdump od
sdp_load
netns_pair_up
KD=$(mktemp -d)

for cipher in aes-gcm-128 aes-gcm-256; do
  for fam in 4 6; do
    # A fresh key per client socket: message ids restart at 0 per socket.
    key=$KD/$cipher-$fam.key
    new_keyfile "$key" "$cipher"
    if [[ $fam == 4 ]]; then dst=$IP4_A; peer=$IP4_B:40000; six=()
    else dst=$IP6_A; peer=[$IP6_B]:40000; six=(-6); fi
    start_echo_server "$NS_A" --port 5000 "${six[@]}" --key-file "$key" --peer "$peer"
    pcap=$KD/cap-$cipher-$fam.pcap
    sdp_capture_start "$pcap" lossy
    out=$(in_b "$SDP_ECHO" client --server "$dst" --port 5000 --local-port 40000 \
      --key-file "$key" --sizes 1,100,1400,1500,64K,1M --count 30) ||
      fail "$cipher IPv$fam encrypted echo failed: $out"
    sdp_capture_stop
    stop_echo_server
    pass "$cipher IPv$fam: $out"
    # Request 2 (1400 bytes): its first 32 bytes must not be in the capture.
    needle=$("$SDP_ECHO" pattern 2 32)
    # grep -c reads all its input: with grep -q, tr could die of SIGPIPE
    # and pipefail would hide a match.
    od -An -tx1 -v "$pcap" | tr -d ' \n' | grep -c "$needle" >/dev/null &&
      fail "$cipher IPv$fam: plaintext of a request found in the capture"
    pass "$cipher IPv$fam: no plaintext in $(stat -c %s "$pcap") captured bytes"
  done
done
for ns in "$NS_A" "$NS_B"; do
  for k in auth_failed replay too_old wrong_epoch needs_key ctrl_auth_failed ctrl_replay ctrl_too_old; do
    [[ $(sdp_stat "$ns" drop_$k) == 0 ]] || fail "$ns counted drop_$k in good runs"
  done
  [[ $(sdp_stat "$ns" tx_ctrl_no_key) == 0 ]] || fail "$ns did not send a control packet for lack of a key"
done
# Control packets were authenticated and used: every server RPC ended with
# an authenticated ACK, and the 1 MiB requests needed authenticated GRANTs.
acks=$(sdp_stat "$NS_A" rx_ack) grants=$(sdp_stat "$NS_B" rx_grant)
((acks > 0 && grants > 0)) || fail "no authenticated ACK ($acks) or GRANT ($grants) arrived"
[[ $(sdp_stat "$NS_A" server_rpcs_completed) -ge $((4 * 30)) ]] ||
  fail "server RPCs not all completed by an ACK: $(sdp_stat "$NS_A" server_rpcs_completed)"
pass "control packets authenticated: server accepted $acks ACKs, client $grants GRANTs, no drops"

# The capture check can fail: a plaintext run shows the bytes.
start_echo_server "$NS_A" --port 5001
pcap=$KD/plain.pcap
sdp_capture_start "$pcap" lossy
in_b "$SDP_ECHO" client --server "$IP4_A" --port 5001 --sizes 100 --count 4 >/dev/null ||
  fail "plaintext echo failed"
sdp_capture_stop
stop_echo_server
od -An -tx1 -v "$pcap" | tr -d ' \n' | grep -c "$("$SDP_ECHO" pattern 2 32)" >/dev/null ||
  fail "the plaintext check does not see plaintext in a plaintext run"
pass "the capture check finds plaintext when there is some"

# Wrong key: the server counts authentication failures, delivers nothing, and
# the client's RPC ends with an error instead of hanging.
new_keyfile "$KD/right" aes-gcm-128
new_keyfile "$KD/wrong" aes-gcm-128
start_echo_server "$NS_A" --port 5002 --key-file "$KD/right" --peer "$IP4_B:40001"
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5002 --local-port 40001 \
  --key-file "$KD/wrong" --sizes 100,3000 --count 2 2>&1) && fail "RPCs with a wrong key succeeded"
grep -q '"failed":2' <<<"$out" || fail "wrong key: expected 2 failed RPCs: $out"
[[ $(sdp_stat "$NS_A" drop_auth_failed) -gt 0 ]] || fail "no auth failure counted"
stop_echo_server
[[ $(json_field "$(cat "$ECHO_OUT")" requests) == 0 ]] || fail "a request with a wrong key was delivered"
pass "wrong key: $(sdp_stat "$NS_A" drop_auth_failed) auth failures counted, nothing delivered; client: $(tail -1 <<<"$out")"

# A keyed server refuses a plaintext client (drop_needs_key).
new_keyfile "$KD/server" aes-gcm-128
start_echo_server "$NS_A" --port 5003 --key-file "$KD/server" --peer "$IP4_B:40002"
before=$(sdp_stat "$NS_A" drop_needs_key)
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5003 --local-port 40003 --sizes 100 \
  --count 1 2>&1) && fail "plaintext RPC to a keyed server succeeded"
[[ $(sdp_stat "$NS_A" drop_needs_key) -gt $before ]] || fail "plaintext not counted as drop_needs_key"
stop_echo_server
pass "keyed server refuses plaintext: $(tail -1 <<<"$out")"
