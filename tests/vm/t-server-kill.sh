#!/usr/bin/env bash
# A server killed mid-run: the client's RPC fails with ETIMEDOUT within the
# documented bound (timeout_ms of silence, checked every tick_ms;
# docs/PROTOCOL.md "Timers"), plus 250 ms for scheduling in the emulated VM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
timeout_ms=1000
tick_ms=4
sdp_load timeout_ms=$timeout_ms tick_ms=$tick_ms
netns_pair_up
start_echo_server "$NS_A" --port 5000
out_file=$(mktemp)
in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --sizes 100 --until-error >"$out_file" &
client=$!
sleep 2
kill -9 "$ECHO_PID"
rc=0
wait "$client" || rc=$?
out=$(cat "$out_file")
((rc == 0)) || fail "client did not end with ETIMEDOUT (exit $rc): $out"
ms=$(json_field "$out" ms_to_error)
completed=$(json_field "$out" completed)
((completed > 0)) || fail "no RPC completed before the kill: $out"
bound=$((timeout_ms + tick_ms + 250))
awk -v ms="$ms" -v b="$bound" 'BEGIN { exit !(ms <= b && ms >= 900) }' ||
  fail "ETIMEDOUT after $ms ms, expected within [900, $bound] ms"
pass "ETIMEDOUT ${ms} ms after the last response (bound $bound ms): $out"
