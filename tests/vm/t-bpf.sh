#!/usr/bin/env bash
# The XDP classifier/steering tests (tests/bpf) on the real 6.1 kernel:
# BPF_PROG_TEST_RUN on crafted packets, live-frame CPUMAP redirects.
# vm/run: --cpus 2
. "$(dirname "$0")/lib.sh"
need_vm
need_root
test_bin=$SDP_REPO/build/tests/bpf/sdp_bpf_test
need_file "$test_bin"
"$test_bin" || fail "sdp_bpf_test failed on $(uname -r)"
pass "BPF tests on $(uname -r) with $(nproc) CPUs"
