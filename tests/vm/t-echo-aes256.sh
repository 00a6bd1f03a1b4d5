#!/usr/bin/env bash
# t-echo.sh with every RPC encrypted, AES-256-GCM.

SDP_TEST_CIPHER=aes-gcm-256 exec "$(dirname "$0")/t-echo.sh"
