#!/usr/bin/env bash
# Echo RPCs between two netns over veth, IPv4 and IPv6, 1 B .. 1 MiB, byte-exact.
# With SDP_TEST_CIPHER=aes-gcm-128|aes-gcm-256 (the t-echo-aes* variants of run-all.sh) all encrypted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
sdp_load
netns_pair_up
sizes=1,100,1400,1500,64K,1M
for fam in 4 6; do
  echo_keys $fam 40000
  if [[ $fam == 4 ]]; then start_echo_server "$NS_A" --port 5000 "${SRV_KEYS[@]}"; dst=$IP4_A
  else start_echo_server "$NS_A" --port 5000 -6 "${SRV_KEYS[@]}"; dst=$IP6_A; fi
  out=$(in_b "$SDP_ECHO" client --server "$dst" --port 5000 "${CLI_KEYS[@]}" --sizes "$sizes" --count 60) ||
    fail "IPv$fam echo failed: $out"
  pass "IPv$fam sizes $sizes${SDP_TEST_CIPHER:+ ($SDP_TEST_CIPHER)}: $out"
  stop_echo_server
done

# Software GSO and unequal packet sizes: TSO off on both veth ends, so the
# kernel cuts SDP segments with sdp_gso_segment(); the client's route MTU is
# 1280 while the server sends 1500-byte packets. The receivers place every
# packet by its seq (wire offset) alone.
need_cmd ethtool
tx_seg0=$(sdp_stat "$NS_B" tx_data)
rx_pkt0=$(sdp_stat "$NS_A" rx_data)
in_a ethtool -K "$VETH_A" tso off >/dev/null || fail "ethtool tso off on $VETH_A"
in_b ethtool -K "$VETH_B" tso off >/dev/null || fail "ethtool tso off on $VETH_B"
in_b ip route replace 10.77.0.0/24 dev "$VETH_B" mtu 1280 || fail "route mtu 1280"
in_b ip -6 route replace fd77::/64 dev "$VETH_B" mtu 1280 || fail "IPv6 route mtu 1280"
for fam in 4 6; do
  echo_keys $fam 40001
  if [[ $fam == 4 ]]; then start_echo_server "$NS_A" --port 5000 "${SRV_KEYS[@]}"; dst=$IP4_A
  else start_echo_server "$NS_A" --port 5000 -6 "${SRV_KEYS[@]}"; dst=$IP6_A; fi
  out=$(in_b "$SDP_ECHO" client --server "$dst" --port 5000 "${CLI_KEYS[@]}" --sizes 1,1300,3000,64K,1M --count 30) ||
    fail "IPv$fam echo with software GSO and MTU 1280/1500 failed: $out"
  pass "IPv$fam software GSO, client MTU 1280, server MTU 1500: $out"
  stop_echo_server
done
segs=$(( $(sdp_stat "$NS_B" tx_data) - tx_seg0 ))
pkts=$(( $(sdp_stat "$NS_A" rx_data) - rx_pkt0 ))
note "client sent $segs DATA segments; the server received $pkts DATA packets"
((pkts > 2 * segs)) || fail "segments were not cut into packets ($segs segments, $pkts packets)"
pass "software GSO cut $segs segments into $pkts packets"
check_no_auth_drops "$NS_A" "$NS_B"
