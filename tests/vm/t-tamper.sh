#!/usr/bin/env bash
# Tamper lane (issue 4): every single-bit variant of captured encrypted
# packets, re-injected with a raw socket from the original source address,
# is dropped and counted, and no application sees an extra or altered
# message; a live RPC survives forged packets aimed at it.
#
# How: an encrypted sdp-echo session (netem loss, a stopped server) is
# captured until it holds every packet type; the server process is then
# left stopped (SIGSTOP) so the client keeps one RPC waiting and both
# sockets stay alive with the receive state that saw the originals (between
# batches the server answers one RPC, so the client's 30 s receive timeout
# never fires). Into each side go, one batch at a time, the variants of one captured packet of
# each control type and of DATA packets:
#   - control packets and a small DATA packet (one whole record): every bit;
#   - larger DATA packets: every bit of the SDP header and of each record's
#     TLS header, explicit nonce, framing header and tag (the fields a
#     receiver parses), plus 512 (whole record) or 256 (part of a record)
#     random ciphertext bits. The sample is enough because past the fields
#     a receiver parses, every bit of a record is covered by the same GCM
#     tag: a change anywhere fails authentication with probability
#     1 - 2^-128, and the small packet shows it for every bit of a record.
# Each batch's receiving netns must count exactly as many drops as
# packets were injected (rx covers them all); a DATA packet carrying part
# of a record cannot be authenticated before the rest arrives, so there a
# variant that names a new RPC is held in a provisional RPC instead
# (server_rpcs_started), never delivered. At the end the server resumes:
# the client's RPCs all complete exactly once with the right bytes and the
# server saw every request once. Last, captured response records renamed
# to the waiting RPC's id (5 as captured, 5 with a bit flipped) must be
# dropped without ending that RPC.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
. "$(dirname "$0")/replay-lib.sh"
need_vm
need_root
need_cmd tcpdump tc
need_file "$SDP_REPLAY"
need_module sch_netem
sdp_load
netns_pair_up
KD=$(mktemp -d)
new_keyfile "$KD/k" aes-gcm-128 1
PCAP=$KD/cap.pcap
COUNT=120

start_echo_server "$NS_A" --port 5000 --key-file "$KD/k" --peer "$IP4_B:40000"
SERVER_PID=$ECHO_PID
on_exit "kill -CONT $SERVER_PID 2>/dev/null || true"
sdp_capture_start "$PCAP" lossy

# The session, port 40000. Its first request is lost with everything else
# for 0.3 s: the client's probe then reaches a server that has no such RPC
# and gets UNKNOWN. Then loss both ways (RESEND, NEED_ACK), messages up
# to 200 KiB (GRANT); after 16 requests the server process stops, so the
# client's next RPC waits (its probes get BUSY). The client's side loses 20%:
# with 10% a capture without a single RESEND from the server happened (1 run
# in about 5), and the server's RESEND is one of the packets tampered below.
in_b tc qdisc add dev "$VETH_B" root netem loss 100%
in_b "$SDP_ECHO" client --server "$IP4_A" --port 5000 --local-port 40000 --key-file "$KD/k" \
  --sizes 100,1400,64K,200K --count $COUNT >"$KD/client.out" 2>"$KD/client.err" &
CLIENT=$!
sleep 0.3
in_b tc qdisc change dev "$VETH_B" root netem delay 2ms loss 20%
in_a tc qdisc add dev "$VETH_A" root netem delay 2ms loss 10%
stop_at 16
note "[${SECONDS}s] server stopped"
sleep 1.5
in_a tc qdisc del dev "$VETH_A" root
in_b tc qdisc del dev "$VETH_B" root
sleep 0.5
sdp_capture_stop
note "[${SECONDS}s] capture done"
kill -0 "$CLIENT" 2>/dev/null || fail "the client finished before the server stopped: $(cat "$KD/client.out")"

# Which packets there are (from the server: A, from the client: B).
"$SDP_REPLAY" list "$PCAP" >"$KD/list" || fail "sdp-replay list failed"
note "captured: $(grep -o '"src":"[0-9.]*","dst":"[0-9.]*","type":"[A-Z_]*"' "$KD/list" |
  sed 's/"src":"\([0-9.]*\)","dst":"[0-9.]*","type":"\([A-Z_]*\)"/\1:\2/' | sort | uniq -c | tr -s ' \n' ' ')"
for t in DATA GRANT RESEND UNKNOWN BUSY NEED_ACK ACK; do
  grep -q "\"type\":\"$t\"" "$KD/list" || fail "no $t packet in the capture"
done
pass "the capture holds every packet type"

FAILED=()
check() { # check LABEL: like expect_all_dropped, but keep going and fail at the end
  if (expect_all_dropped "$1"); then :; else FAILED+=("$1"); fi
}

# sdp_last_request_id: the id of the RPC the client waits for now: the
# last request the client sent (captured for a moment on the client's veth).
sdp_last_request_id() {
  local cap=$KD/last.pcap id
  ip netns exec "$NS_B" timeout 3 tcpdump -i "$VETH_B" -w "$cap" -U -s 0 -c 1 \
    "ip proto $(cat /sys/module/sdp/parameters/ip_proto) and src $IP4_B" >/dev/null 2>&1 || true
  id=$("$SDP_REPLAY" list "$cap" 2>/dev/null | sed -n 's/.*"rpc_id":\([0-9]*\),.*/\1/p' | tail -1)
  [[ -n $id ]] || fail "could not see the waiting RPC's probes"
  echo "$id"
}

# choose SRC PORT-FIELD LABEL TYPES...: sets CTRL (one captured packet of
# each control type, of the port-40000 session if it has one), SMALL (a
# DATA packet of one small whole record), BIG (one 1400-byte record) and
# PART (part of a record), all sent by SRC.
choose() {
  local src=$1 port=$2 label=$3 t i
  shift 3
  CTRL=()
  for t in "$@"; do
    i=$(first_of "$(pick "$KD/list" "\"src\":\"$src\"" "\"type\":\"$t\"" "\"$port\":40000")")
    [[ -n $i ]] || i=$(first_of "$(pick "$KD/list" "\"src\":\"$src\"" "\"type\":\"$t\"")")
    [[ -n $i ]] || fail "$label: no captured $t packet from $src"
    CTRL+=("$i")
  done
  local sel=("\"src\":\"$src\"" '"type":"DATA"' "\"$port\":40000")
  SMALL=$(first_of "$(pick_len "$KD/list" 0 400 "${sel[@]}" '"whole_records":true')")
  BIG=$(first_of "$(pick_len "$KD/list" 1000 100000 "${sel[@]}" '"whole_records":true')")
  PART=$(first_of "$(pick "$KD/list" "${sel[@]}" '"whole_records":false')")
  [[ -n $SMALL && -n $BIG && -n $PART ]] ||
    fail "$label: missing DATA packets to tamper with (small '$SMALL', whole record '$BIG', part of a record '$PART')"
}

# tamper FROM_NS TO_NS LABEL: the batches for what choose() picked.
tamper() {
  local from=$1 to=$2 label=$3
  inject "$from" "$to" "$label control" --index "$(IFS=,; echo "${CTRL[*]}")" --flip-all
  check "$label control, every bit"
  resume_one
  inject "$from" "$to" "$label DATA, one small record" --index "$SMALL" --flip-all
  check "$label DATA, one small record, every bit"
  resume_one
  inject "$from" "$to" "$label DATA, one 1400-byte record" --index "$BIG" --flip-sample 512
  check "$label DATA, one 1400-byte record, header + record fields + 512 bits"
  resume_one
  inject "$from" "$to" "$label DATA, part of a record" --index "$PART" --flip-sample 256
  if ((DROPS + STARTED == SENT && DELIVERED == 0 && RX >= SENT)); then
    pass "$label DATA, part of a record: $SENT injected, $DROPS dropped [$REASONS], $STARTED held in provisional RPCs, none delivered"
  else
    note "FAILED: $label DATA, part of a record: $SENT injected, $DROPS dropped, $STARTED held, $DELIVERED delivered, rx $RX; moved: $CHANGED"
    FAILED+=("$label DATA, part of a record")
  fi
  resume_one
}

choose "$IP4_A" dport "to the client" GRANT RESEND UNKNOWN BUSY NEED_ACK
# 1. Server -> client packets into the waiting client (netns B), then
# client -> server packets into the server's socket (netns A); between
# batches the server answers one RPC (resume_one).
tamper "$NS_A" "$NS_B" "to the client"
choose "$IP4_B" sport "to the server" GRANT RESEND ACK
tamper "$NS_B" "$NS_A" "to the server"

# Forged responses aimed at the waiting RPC: a captured response record
# renamed to its RPC id, as captured and with one ciphertext bit flipped,
# 5 times each. They must be dropped and must not end the RPC.
choose "$IP4_A" dport "to the client" GRANT RESEND UNKNOWN BUSY NEED_ACK
wait_id=$(sdp_last_request_id)
inject "$NS_A" "$NS_B" "renamed response" --index "$SMALL" --rpc-id "$wait_id" --repeat 5
check "a captured response renamed to the waiting RPC (x5)"
inject "$NS_A" "$NS_B" "renamed tampered response" --index "$SMALL" --rpc-id "$wait_id" \
  --flip 60:0 --repeat 5
check "a tampered response renamed to the waiting RPC (x5)"

# 3. The server resumes: every RPC completes exactly once with the right
# bytes, after all the injections (so the echo still works both ways).
finish_session

if ((${#FAILED[@]})); then
  printf 'failed check: %s\n' "${FAILED[@]}" >&2
  fail "${#FAILED[@]} check(s) failed"
fi
pass "every injected variant was dropped and counted; applications saw only the legitimate messages"
