#!/usr/bin/env bash
# t-echo.sh with every RPC encrypted, AES-128-GCM.

SDP_TEST_CIPHER=aes-gcm-128 exec "$(dirname "$0")/t-echo.sh"
