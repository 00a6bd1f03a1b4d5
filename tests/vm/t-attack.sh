#!/usr/bin/env bash
# Attacks on a live keyed pair (issue 9), tests/vm/sdp_attack_test.cpp:
# overlapping forged and benign DATA, plaintext packets forged from keyed
# peers, a forged response packet for a lost request, forged copies of a
# record of an 8 MiB response, 100k forged first packets during 1 MiB RPCs,
# a response and a request each held back until it is behind the replay
# window. Every case
# for AES-128 and AES-256 over IPv4 and IPv6; timeout_ms=4000 bounds the
# wedge case (TCG on a loaded host). Arguments go to the test binary
# (e.g. --gtest_filter=*Flood*).
# vm/run: --memory 2G --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_cmd tc
need_module sch_netem
test_bin=$SDP_REPO/build/tests/vm/sdp_attack_test
need_file "$test_bin"
sdp_load timeout_ms=4000
netns_pair_up
"$test_bin" "$@" || { sdp_dump_stats "$NS_A" "$NS_B"; fail "sdp_attack_test failed"; }
pass "attacks on a live keyed pair"
