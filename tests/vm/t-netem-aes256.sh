#!/usr/bin/env bash
# t-netem.sh with every RPC encrypted, AES-256-GCM.
# vm/run: --timeout 900
SDP_TEST_CIPHER=aes-gcm-256 exec "$(dirname "$0")/t-netem.sh"
