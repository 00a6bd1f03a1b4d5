#!/usr/bin/env bash
# Ready requests are bounded (issue 9 item 9): with max_ready_requests=8 a
# server socket that never calls recvmsg holds at most 8 complete requests;
# the others are dropped whole and counted (requests_shed), and their client
# RPCs end (ETIMEDOUT) instead of waiting forever. IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_file "$SDP_SOCK_TEST"
sdp_load timeout_ms=1500
echo 8 >/sys/module/sdp/parameters/max_ready_requests ||
  note "FAILED: the module has no max_ready_requests parameter (the checks below fail)"
netns_pair_up
KD=$(mktemp -d)
shed_count() { in_a awk '$1 == "requests_shed" { print $2; f = 1 } END { if (!f) print 0 }' /proc/net/sdp_stats; }
for fam in 4 6; do
  if [[ $fam == 4 ]]; then a=0.0.0.0 dst=$IP4_A; else a=:: dst=$IP6_A; fi
  shed0=$(shed_count)
  in_a "$SDP_SOCK_TEST" hold "$a" 5000 8 >"$KD/hold" &
  hold=$!
  wait_for 10 _sdp_port_bound "$NS_A"
  out=$(in_b "$SDP_ECHO" client --server "$dst" --port 5000 --sizes 1,100 --count 20 --concurrency 20 2>/dev/null) &&
    fail "IPv$fam: every RPC completed although the server never reads: $out"
  note "IPv$fam client: $out"
  wait "$hold" || fail "IPv$fam: sdp-sock-test hold failed"
  h=$(cat "$KD/hold")
  shed=$(( $(shed_count) - shed0 ))
  note "IPv$fam server socket: $h, requests_shed +$shed"
  [[ $(json_field "$h" ready_msgs) == 8 ]] || fail "IPv$fam: $(json_field "$h" ready_msgs) requests ready, expected the cap 8"
  ((shed == 12)) || fail "IPv$fam: requests_shed grew by $shed, expected 12"
  [[ $(json_field "$out" timeouts) == 20 ]] || fail "IPv$fam: expected all 20 client RPCs to end with ETIMEDOUT: $out"
  pass "IPv$fam: 8 requests held, 12 shed and counted, all 20 client RPCs ended (ETIMEDOUT)"
done
