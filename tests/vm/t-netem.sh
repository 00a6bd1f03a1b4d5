#!/usr/bin/env bash
# Loss 5%, reordering 10%, duplication 2% on the veth (both directions):
# every RPC completes exactly once, content intact, no duplicate request.
# With SDP_TEST_CIPHER=aes-gcm-128|aes-gcm-256 (the t-netem-aes* variants of run-all.sh) all encrypted.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_module sch_netem
# timeout_ms=5000 (default 2000): with 5% loss each way in the emulated VM
# a request can be lost twice and the UNKNOWNs that answer the client's
# probes (backoff up to 32 x resend_ms) lost too, so that no packet of the
# server reaches the client for 2 s although it is alive: a trace of such a
# run showed 3 UNKNOWNs sent in 2.7 s, one received. The ETIMEDOUT bound
# itself is checked by t-server-kill.
sdp_load timeout_ms=5000
netns_pair_up
for ns in "$NS_A" "$NS_B"; do
  dev=$VETH_A; [[ $ns == "$NS_B" ]] && dev=$VETH_B
  ip netns exec "$ns" tc qdisc add dev "$dev" root netem delay 1ms loss 5% \
    reorder 10% duplicate 2% || fail "tc netem on $dev"
done
echo_keys 4 40000
start_echo_server "$NS_A" --port 5000 "${SRV_KEYS[@]}"
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 "${CLI_KEYS[@]}" --sizes 1,100,1500,64K,1M \
  --count 200 --concurrency 20) || { sdp_dump_stats "$NS_A" "$NS_B"; fail "RPCs over a lossy link: $out"; }
pass "IPv4 over netem: $out"
stop_echo_server
echo_keys 6 40001
start_echo_server "$NS_A" --port 5001 -6 "${SRV_KEYS[@]}"
out=$(in_b "$SDP_ECHO" client --server "$IP6_A" --port 5001 "${CLI_KEYS[@]}" --sizes 1,1500,200K \
  --count 100 --concurrency 10) || { sdp_dump_stats "$NS_A" "$NS_B"; fail "IPv6 RPCs over a lossy link: $out"; }
pass "IPv6 over netem: $out"
stop_echo_server
for k in retransmitted_segments tx_resend; do
  note "$k: client $(sdp_stat "$NS_B" "$k"), server $(sdp_stat "$NS_A" "$k")"
done
[[ $(( $(sdp_stat "$NS_A" tx_resend) + $(sdp_stat "$NS_B" tx_resend) )) -gt 0 ]] ||
  fail "no RESEND was sent: netem did not bite?"
check_no_auth_drops "$NS_A" "$NS_B"
