#!/usr/bin/env bash
# Close vs receive (issue 9 item 6). The receive path finds a socket in the
# port table under RCU and takes a reference with refcount_inc_not_zero();
# that is safe only if sockets are freed after an RCU grace period
# (SOCK_RCU_FREE). Stress: for 60 s (SDP_RACE_SECONDS), netns A binds and
# closes sockets on port 5000 (IPv4 and IPv6 wildcard) as fast as it can,
# while netns B floods that port with well-formed plaintext one-packet
# requests (fresh RPC ids) from a raw socket, so packets keep arriving while
# sockets close. The SDP slab caches run with slub_debug poisoning and
# checks (kernel command line below): a use of a freed socket shows up as
# "Poison overwritten" or a corrupt object in dmesg; vm/run fails the run on
# any WARNING, BUG or soft lockup. At the end no socket or RPC is left.
# Before the stress, a kprobe on __sk_destruct checks deterministically that
# closed SDP sockets are freed in RCU callbacks, not directly by close().
# vm/run: --cpus 2 --timeout 600 --append slub_debug=FZPU,SDP,SDPv6
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_file "$SDP_SOCK_TEST"
sdp_load
netns_pair_up
DUR=${SDP_RACE_SECONDS:-60}
KD=$(mktemp -d)
for c in SDP SDPv6; do
  [[ $(cat /sys/kernel/slab/$c/poison 2>/dev/null) == 1 ]] ||
    fail "slab cache $c is not poisoned (slub_debug=FZPU,SDP,SDPv6 missing from the kernel command line?)"
done
pass "slab caches SDP and SDPv6 run with slub_debug poisoning"

# Deterministic part: where sockets are freed. A kprobe on __sk_destruct
# (which frees the socket) while one process binds and closes SDP sockets
# for 2 s: with SOCK_RCU_FREE it runs as an RCU callback (softirq, 's' in
# the trace's context flags), never directly in the closing process.
T=/sys/kernel/tracing
[[ -d $T/events ]] || mount -t tracefs nodev $T || fail "cannot mount tracefs"
echo 'p:sdp_sk_destruct __sk_destruct' >>$T/kprobe_events || fail "cannot add a kprobe on __sk_destruct"
on_exit "echo 0 >$T/events/kprobes/sdp_sk_destruct/enable; echo '-:sdp_sk_destruct' >>$T/kprobe_events"
echo >$T/trace
echo 1 >$T/events/kprobes/sdp_sk_destruct/enable
out=$(in_a "$SDP_SOCK_TEST" bindloop 0.0.0.0 5000 2) || fail "bindloop: $out"
sleep 0.5
echo 0 >$T/events/kprobes/sdp_sk_destruct/enable
binds=$(json_field "$out" binds)
read -r total direct < <(awk '/sdp_sk_destruct:/ { n++; if ($1 ~ /^sdp-sock-test-/ && substr($3, 3, 1) !~ /[sHh]/) d++ }
  END { print n + 0, d + 0 }' $T/trace)
note "$binds sockets closed; __sk_destruct ran $total times, $direct of them in the closing process"
((total >= binds)) || fail "the kprobe saw $total socket frees for $binds closed sockets"
((direct == 0)) || fail "$direct SDP sockets were freed directly by close(), without an RCU grace period (no SOCK_RCU_FREE)"
pass "$binds closed SDP sockets were all freed after an RCU grace period (in RCU callbacks)"
dmesg -c >/dev/null
_sdp_idle() { [[ $(sdp_stat "$NS_A" sockets) == 0 && $(sdp_stat "$NS_A" rpcs_active) == 0 ]]; }

pids=()
in_a "$SDP_SOCK_TEST" bindloop 0.0.0.0 5000 "$DUR" >"$KD/bind4" & pids+=($!)
in_a "$SDP_SOCK_TEST" bindloop :: 5000 "$DUR" >"$KD/bind6" & pids+=($!)
in_b "$SDP_SOCK_TEST" flood "$IP4_A" 5000 "$DUR" >"$KD/flood4" & pids+=($!)
in_b "$SDP_SOCK_TEST" flood "$IP6_A" 5000 "$DUR" >"$KD/flood6" & pids+=($!)
for p in "${pids[@]}"; do
  on_exit "kill $p 2>/dev/null || true"
done
for p in "${pids[@]}"; do
  wait "$p" || fail "a bind/close loop or flooder failed: $(cat "$KD"/bind4 "$KD"/bind6 "$KD"/flood4 "$KD"/flood6)"
done
for f in bind4 bind6 flood4 flood6; do note "$f: $(cat "$KD/$f")"; done
b=$(( $(json_field "$(cat "$KD/bind4")" binds) + $(json_field "$(cat "$KD/bind6")" binds) ))
s=$(( $(json_field "$(cat "$KD/flood4")" sent) + $(json_field "$(cat "$KD/flood6")" sent) ))
started=$(sdp_stat "$NS_A" server_rpcs_started)
nosock=$(sdp_stat "$NS_A" drop_no_socket)
note "binds $b, packets sent $s, server RPCs started $started, drop_no_socket $nosock"
((b > 100 && s > 1000)) || fail "too little stress: $b binds, $s packets"
((started > 0)) || fail "no flood packet reached a bound socket"
((nosock > 0)) || fail "no flood packet arrived between two sockets"
pass "$b binds/closes of port 5000 while $s packets arrived ($started RPCs started, $nosock found no socket)"

sleep 1
if dmesg | grep -E "Poison overwritten|BUG SDP|Redzone|Object already free|Freepointer|Padding overwritten|refcount_t|use-after-free"; then
  fail "slab corruption or refcount error in dmesg"
fi
pass "dmesg clean of slab corruption and refcount errors"
wait_for 10 _sdp_idle || fail "left over: sockets $(sdp_stat "$NS_A" sockets), rpcs $(sdp_stat "$NS_A" rpcs_active)"
pass "no socket or RPC left"
