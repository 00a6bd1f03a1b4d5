#!/usr/bin/env bash
# Unloading with open sockets and RPCs in flight is refused cleanly; after the
# sockets close, unload works. No oops, no leak (vm/run checks the log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
# The module is unused (lsmod "Used by" 0) once every socket is gone.
_no_sockets() { lsmod | awk '$1 == "sdp" { exit ($3 != 0) }'; }
sdp_load
netns_pair_up
start_echo_server "$NS_A" --port 5000
kill -STOP "$ECHO_PID"          # requests arrive, nobody answers
in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --sizes 1,64K,1M --count 30 \
  --concurrency 30 >/dev/null 2>&1 &
client=$!
sleep 2
[[ $(sdp_stat "$NS_B" rpcs_active) -gt 0 ]] || fail "no RPC in flight"
err=$("$SDPCTL" unload 2>&1) && fail "unload with open sockets succeeded"
pass "unload refused while busy: $err"
kill -9 "$client" "$ECHO_PID" 2>/dev/null || true
wait "$client" 2>/dev/null || true
wait "$ECHO_PID" 2>/dev/null || true
wait_for 20 _no_sockets
"$SDPCTL" unload || fail "unload after closing sockets failed"
lsmod | grep -q '^sdp ' && fail "sdp still loaded"
pass "unload after the sockets closed"

