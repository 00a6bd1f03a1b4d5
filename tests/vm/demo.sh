#!/usr/bin/env bash
# `make demo`: load SDP with sdpctl, show its status, run echo RPCs between two
# network namespaces over veth (IPv4 and IPv6), show the counters, unload.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "sdpctl load"
sdp_load
step "sdpctl status"
"$SDPCTL" status
step "echo RPCs: server in netns $NS_A, client in netns $NS_B"
netns_pair_up
start_echo_server "$NS_A" --port 5000
echo "\$ sdp-echo client --server $IP4_A --sizes 1,1400,64K,1M --count 40 --concurrency 8"
in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --sizes 1,1400,64K,1M --count 40 \
  --concurrency 8 || fail "IPv4 echo failed"
stop_echo_server
start_echo_server "$NS_A" --port 5000 -6
echo "\$ sdp-echo client --server $IP6_A --sizes 100,20K --count 20"
in_b "$SDP_ECHO" client --server "$IP6_A" --port 5000 --sizes 100,20K --count 20 ||
  fail "IPv6 echo failed"
stop_echo_server
step "counters of the server's netns (/proc/net/sdp_stats, non-zero)"
ip netns exec "$NS_A" awk '$2 != 0' /proc/net/sdp_stats | column -t
step "sdpctl unload"
netns_pair_down
"$SDPCTL" unload || fail "unload failed"
"$SDPCTL" status || true
echo
echo "demo: OK"
