#!/usr/bin/env bash
# Socket API contract (tests/vm/sdp_api_test.cpp) over loopback, IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
test_bin=$SDP_REPO/build/tests/vm/sdp_api_test
need_file "$test_bin"
sdp_load
"$test_bin" || fail "sdp_api_test failed"
[[ $(awk '$1 == "rpcs_active" { print $2 }' /proc/net/sdp_stats) == 0 ]] ||
  fail "RPCs still active after the API tests"
pass "API tests"
