#!/usr/bin/env bash
# XDP with the module (issue 11): the early replay drop's kfunc on live
# keyed sockets (sdp_xdp_guard_test: each drop reason and its near misses
# through BPF_PROG_TEST_RUN), and sdp_bpf_test again with sdp.ko loaded, so
# the 6.1 verifier also checks sdp_xdp_guard.
# vm/run: --cpus 2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
guard_test=$SDP_REPO/build/tests/bpf/sdp_xdp_guard_test
bpf_test=$SDP_REPO/build/tests/bpf/sdp_bpf_test
need_file "$guard_test" "$bpf_test"
sdp_load
"$guard_test" || fail "sdp_xdp_guard_test failed"
pass "early drop: every reason dropped, every near miss passed (v4 AES-128, v6 AES-256)"
"$bpf_test" || fail "sdp_bpf_test failed with sdp.ko loaded"
pass "sdp_xdp and sdp_xdp_guard load on $(uname -r); classifier and steering tests pass"
