#!/usr/bin/env bash
# sdp.ko loads and unloads cleanly with sdpctl; errors are clear.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root

"$SDPCTL" status >/dev/null 2>&1 && fail "sdpctl status says loaded before load"
sdp_load
lsmod | grep -q '^sdp ' || fail "lsmod does not show sdp after load"
pass "load; lsmod shows sdp"
out=$("$SDPCTL" status) || fail "sdpctl status failed"
grep -q ip_proto <<<"$out" || fail "status does not list ip_proto: $out"
out=$("$SDPCTL" status --json) || fail "sdpctl status --json failed"
grep -q '"ip_proto"' <<<"$out" || fail "status --json lacks ip_proto"
pass "status (pretty and --json)"
[[ $(cat /sys/module/sdp/parameters/ip_proto) == 253 ]] || fail "default ip_proto is not 253"

err=$("$SDPCTL" load --module "$SDP_KO" 2>&1) && fail "second load succeeded"
grep -qi 'already loaded' <<<"$err" || fail "second load: unclear error: $err"
pass "second load refused: $err"

"$SDPCTL" unload || fail "sdpctl unload failed"
lsmod | grep -q '^sdp ' && fail "lsmod still shows sdp after unload"
pass "unload; lsmod no longer shows sdp"

err=$("$SDPCTL" load --module "$SDP_KO" ip_proto=300 2>&1) && fail "ip_proto=300 was accepted"
grep -q 'ip_proto' <<<"$err" || fail "bad ip_proto: error does not show the kernel's reason: $err"
pass "ip_proto=300 refused with the kernel's message: $err"

sdp_load ip_proto=254
[[ $(cat /sys/module/sdp/parameters/ip_proto) == 254 ]] || fail "ip_proto=254 not applied"
"$SDPCTL" unload || fail "unload after ip_proto=254"
pass "ip_proto=254 works"
