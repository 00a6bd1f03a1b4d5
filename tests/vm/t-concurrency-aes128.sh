#!/usr/bin/env bash
# t-concurrency.sh, one-socket part encrypted with AES-128-GCM.
# vm/run: --cpus 2 --memory 2G
SDP_TEST_CIPHER=aes-gcm-128 exec "$(dirname "$0")/t-concurrency.sh"
