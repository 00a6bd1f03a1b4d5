#!/usr/bin/env bash
# `make demo`: what SDP is for, on one screen. Loads SDP with sdpctl, runs
# encrypted echo RPCs between two network namespaces over veth under
# AES-128-GCM and AES-256-GCM (keys from key files, as sdp-echo takes them
# today; the TLS handshake replaces them once it exists), re-injects one
# captured packet as-is (a replay) and one with a flipped ciphertext bit
# renamed to a new RPC id (tampered), checks both are dropped and counted, and
# prints the counters that moved. Exits non-zero if any step fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
. "$(dirname "$0")/replay-lib.sh"
need_vm
need_root
need_cmd tcpdump od
need_file "$SDP_REPLAY"

step() { printf '\033[1m== %s\033[0m\n' "$*"; }
KD=$(mktemp -d)

step "sdpctl load ($(uname -r))"
sdp_load
"$SDPCTL" status | grep -E '^sdp:|^  (version|kernel|btf):' | paste -sd' ' | tr -s ' '
netns_pair_up

# echo_run CIPHER LOCAL_PORT SERVER_PORT: keyed echo RPCs, one summary line.
echo_run() {
  local cipher=$1 lport=$2 sport=$3 out
  new_keyfile "$KD/$cipher.key" "$cipher"
  start_echo_server "$NS_A" --port "$sport" --key-file "$KD/$cipher.key" --peer "$IP4_B:$lport"
  out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port "$sport" --local-port "$lport" \
    --key-file "$KD/$cipher.key" --sizes 100,1400,64K,1M --count 24 --concurrency 4) ||
    fail "$cipher echo failed: $out"
  [[ $(json_field "$out" ok) == 24 && $(json_field "$out" mismatched) == 0 ]] ||
    fail "$cipher echo: not every RPC came back intact: $out"
  printf '  %-12s %s -> %s: 24 RPCs (100 B..1 MiB) ok, %s ms\n' "$cipher" "$NS_B" "$NS_A" \
    "$(json_field "$out" elapsed_ms)"
}

step "encrypted echo RPCs, client in netns $NS_B, server in netns $NS_A"
PCAP=$KD/cap.pcap
sdp_capture_start "$PCAP" lossy
echo_run aes-gcm-128 40000 5000
sdp_capture_stop
AES128_PID=$ECHO_PID AES128_OUT=$ECHO_OUT
echo_run aes-gcm-256 40001 5001
stop_echo_server >/dev/null

step "hostile packets into the AES-128 server's socket (sdp-replay, raw socket)"
"$SDP_REPLAY" list "$PCAP" >"$KD/list" || fail "sdp-replay list failed"
# A request DATA packet holding one whole small record, sent by the client.
idx=$(first_of "$(pick_len "$KD/list" 0 400 "\"src\":\"$IP4_B\"" '"type":"DATA"' '"whole_records":true')")
[[ -n $idx ]] || fail "no small request DATA packet in the capture"
inject "$NS_B" "$NS_A" "replay" --index "$idx" >/dev/null
((DROPS == SENT && DELIVERED == 0)) || fail "replayed packet: $SENT sent, $DROPS dropped [$REASONS], $DELIVERED delivered"
printf '  replayed as captured:           %d sent, %d dropped [%s]\n' "$SENT" "$DROPS" "${REASONS% }"
# Tampered: renamed to an RPC id the server has not seen (so it is decrypted)
# with one ciphertext bit flipped (byte 60: past the 40-byte header, the
# 5-byte TLS header and the 8-byte explicit nonce).
inject "$NS_B" "$NS_A" "tamper" --index "$idx" --rpc-id 4611686018427387904 --flip 60:0 >/dev/null
((DROPS == SENT && DELIVERED == 0)) || fail "tampered packet: $SENT sent, $DROPS dropped [$REASONS], $DELIVERED delivered"
[[ $REASONS == *auth_failed* ]] || fail "tampered packet dropped, but not as failed authentication [$REASONS]"
printf '  tampered (bit flipped, new id): %d sent, %d dropped [%s]\n' "$SENT" "$DROPS" "${REASONS% }"
ECHO_PID=$AES128_PID ECHO_OUT=$AES128_OUT
stop_echo_server >/dev/null
reqs=$(json_field "$(cat "$ECHO_OUT")" requests)
((reqs == 24)) || fail "the AES-128 server was handed $reqs requests, expected exactly 24"
echo "  the server's application got exactly its 24 requests: nothing replayed or forged reached it"

step "per-message steering (XDP CPUMAP, read with bpftool)"
# Place for the steering map once XDP steering is wired into the module's
# receive path: dump the pinned map with bpftool here and check it moved.
echo "  not shown: XDP steering is not wired into the receive path yet"

step "counters that moved (/proc/net/sdp_stats)"
snap "$NS_A" "$KD/a"
snap "$NS_B" "$KD/b"
# One row per counter that is non-zero in either netns; tx_X and rx_X share a row.
awk -v na="$NS_A" -v nb="$NS_B" '
  NR == FNR { a[$1] = $2; next }
  $1 ~ /^(rpcs_active|sockets)$/ { next }
  { b[$1] = $2; if ($2 == 0 && a[$1] == 0) next
    k = $1; if (k ~ /^[tr]x_/ && k != "tx_errors") k = substr(k, 4)
    if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
  function v(arr, key) { return (key in arr) ? arr[key] : "-" }
  function cell(arr, k) {
    if (("tx_" k) in b || ("rx_" k) in b) return sprintf("%11s %11s", v(arr, "tx_" k), v(arr, "rx_" k))
    return sprintf("%23s", v(arr, k))
  }
  END {
    printf "  %-22s %-23s   %-23s\n", "counter", "server " na " (tx rx)", "client " nb " (tx rx)"
    for (i = 1; i <= n; i++) printf "  %-22s %s   %s\n", order[i], cell(a, order[i]), cell(b, order[i])
  }' "$KD/a" "$KD/b"

netns_pair_down
"$SDPCTL" unload >/dev/null || fail "sdpctl unload failed"
echo "demo: OK"
