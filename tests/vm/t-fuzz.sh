#!/usr/bin/env bash
# 100k malformed and forged packets at a live server: it keeps serving, the
# kernel log stays clean (vm/run checks it), and the drop counters account
# for every packet.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
_rx_reached() { [[ $(sdp_stat "$NS_A" rx_packets) -ge $1 ]]; }
sdp_load
netns_pair_up
count=${SDP_FUZZ_COUNT:-100000}
start_echo_server "$NS_A" --port 5000
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --sizes 100,5000 --count 20) ||
  fail "echo before the fuzz: $out"
sleep 1   # let the last ACKs of the echo arrive
rx0=$(sdp_stat "$NS_A" rx_packets)
drops0=$(sdp_drops "$NS_A")
inj=$(in_b "$SDP_INJECT" --dst "$IP4_A" --port 5000 --count "$count" --seed 7) ||
  fail "sdp-inject failed: $inj"
note "injected: $inj"
# Let the receiver drain its backlog.
wait_for 60 _rx_reached "$((rx0 + count))"
rx=$(( $(sdp_stat "$NS_A" rx_packets) - rx0 ))
drops=$(( $(sdp_drops "$NS_A") - drops0 ))
((rx == count)) || fail "server received $rx packets, expected $count"
((drops == count)) || fail "drop counters grew by $drops, expected $count"
pass "$count hostile packets received and dropped, all counted"
ip netns exec "$NS_A" grep '^drop_' /proc/net/sdp_stats | sed 's/^/#   /'
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --sizes 1,1400,64K --count 50) ||
  fail "server stopped serving after the fuzz: $out"
pass "server still serves: $out"
stop_echo_server

