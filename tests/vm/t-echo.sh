#!/usr/bin/env bash
# Echo RPCs between two netns over veth, IPv4 and IPv6, 1 B .. 1 MiB, byte-exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
sdp_load
netns_pair_up
sizes=1,100,1400,1500,64K,1M
for fam in 4 6; do
  if [[ $fam == 4 ]]; then start_echo_server "$NS_A" --port 5000; dst=$IP4_A
  else start_echo_server "$NS_A" --port 5000 -6; dst=$IP6_A; fi
  out=$(in_b "$SDP_ECHO" client --server "$dst" --port 5000 --sizes "$sizes" --count 60) ||
    fail "IPv$fam echo failed: $out"
  pass "IPv$fam sizes $sizes: $out"
  stop_echo_server
done
