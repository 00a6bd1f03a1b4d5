#!/usr/bin/env bash
# sdp-decrypt against what the module really sends (issue 4):
# 1. encrypted echo runs (AES-128/256-GCM, IPv4/IPv6, 1 B .. 1 MiB) captured with
#    tcpdump: the capture holds no plaintext, and sdp-decrypt recovers every
#    request and response byte-exactly; a wrong key is an error;
# 2. 100000 one-byte RPCs captured: every record tag and control-packet GMAC
#    verifies, no (key, nonce) pair repeats (record sequence numbers and
#    ctrl_seqs), at least as many distinct nonces as records sent;
# 3. the worked example of docs/PROTOCOL.md sent by a real client (its key and
#    salt, message ID 5, "hello, SDP"): the module's record bytes equal the
#    bytes OpenSSL computes for them with the RPC id the module chose, and
#    OpenSSL computes the document's bytes for the document's RPC id.
# vm/run: --timeout 900 --memory 2G
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
SDP_DECRYPT=${SDP_DECRYPT:-$SDP_REPO/build/userspace/sdp-decrypt}
SDP_SEND_FILE=${SDP_SEND_FILE:-$SDP_REPO/build/tests/vm/sdp-send-file}
need_vm
need_root
need_cmd tcpdump od cmp basenc
need_file "$SDP_DECRYPT" "$SDP_SEND_FILE" "$SDP_ECHO"
sdp_load
netns_pair_up
KD=$(mktemp -d)
# SDP_DECRYPT_SAVE=DIR (a host directory the VM can write, e.g. build/vm-out): keep the captures.
save() { [[ -z ${SDP_DECRYPT_SAVE:-} ]] || cp "$@" "$SDP_DECRYPT_SAVE"/; }

# check_control TAG SUMMARY: every control packet carried a GMAC tag that verified.
check_control() {
  local cv cp
  cv=$(json_field "$2" control_verified) cp=$(json_field "$2" control_packets)
  ((cp > 0 && cv == cp)) || fail "$1: $cv of $cp control packets with a verified GMAC tag"
}

# ---- 1. echo runs: every byte recovered ------------------------------------------------
SIZES=(1 100 1400 65536 1048576)
COUNT=5  # each size once per run

# needle_file OUT COOKIE...: for each request of 32 bytes or more, 32 of its bytes (a window
# without NUL or newline bytes, so grep -F can take it) in binary, one a line.
needle_file() {
  local out=$1 c hex i j w esc
  shift
  : >"$out"
  for c in "$@"; do
    ((${SIZES[c % 5]} >= 32)) || continue
    hex=$("$SDP_ECHO" pattern "$c" 96)
    for ((i = 0; i <= 64; i++)); do
      w=${hex:i*2:64} esc=""
      for ((j = 0; j < 64; j += 2)); do
        [[ ${w:j:2} == 00 || ${w:j:2} == 0a ]] && break
        esc+="\\x${w:j:2}"
      done
      ((j == 64)) && break
    done
    ((i <= 64)) || fail "no NUL- and newline-free window in request $c"
    printf "$esc\n" >>"$out"
  done
}

port=5000
for cipher in aes-gcm-128 aes-gcm-256; do
  for fam in 4 6; do
    key=$KD/$cipher-$fam.key
    new_keyfile "$key" "$cipher"  # one key file per client socket
    port=$((port + 1))
    if [[ $fam == 4 ]]; then dst=$IP4_A; srv=$IP4_A:$port; cli=$IP4_B:40000; six=()
    else dst=$IP6_A; srv=[$IP6_A]:$port; cli=[$IP6_B]:40000; six=(-6); fi
    start_echo_server "$NS_A" --port "$port" "${six[@]}" --key-file "$key" --peer "$cli"
    pcap=$KD/echo-$cipher-$fam.pcap
    sdp_capture_start "$pcap"
    t0=$SECONDS
    out=$(in_b "$SDP_ECHO" client --server "$dst" --port "$port" --local-port 40000 \
      --key-file "$key" --sizes 1,100,1400,64K,1M --count $COUNT) ||
      fail "$cipher IPv$fam: echo failed: $out"
    sdp_capture_stop
    stop_echo_server
    save "$pcap" "$key"
    tag="$cipher IPv$fam"
    note "$tag: echo took $((SECONDS - t0)) s"

    # No request's plaintext in the capture; the same check finds the needles in the
    # decrypted requests.
    t0=$SECONDS
    needle_file "$KD/needles" $(seq 1 $COUNT)
    LC_ALL=C grep -a -q -F -f "$KD/needles" "$pcap" &&
      fail "$tag: plaintext of a request found in the capture"
    out_dir=$KD/out-$cipher-$fam
    mkdir -p "$out_dir"
    "$SDP_DECRYPT" --key-file "$key" --out-dir "$out_dir" --json "$pcap" >"$KD/list" 2>"$KD/err" ||
      fail "$tag: sdp-decrypt failed: $(cat "$KD/err")"
    summary=$(tail -1 "$KD/err")
    check_control "$tag" "$summary"
    while IFS= read -r needle; do
      LC_ALL=C grep -a -q -F -e "$needle" "$out_dir"/*-request-*.bin ||
        fail "$tag: the plaintext check does not find a request's bytes in the decrypted requests"
    done <"$KD/needles"

    declare -A req_file=() resp_file=()
    re='"dir":"([a-z]+)","src":"([^"]+)","dst":"([^"]+)","rpc_id":([0-9]+),"epoch":([0-9]+),"msg_id":([0-9]+),"length":([0-9]+),.*"complete":true,.*"file":"([^"]+)"'
    while IFS= read -r line; do
      [[ $line == '{"type":"message"'* ]] || continue
      [[ $line =~ $re ]] || fail "$tag: message not decoded: $line"
      dir=${BASH_REMATCH[1]} src=${BASH_REMATCH[2]} dst_=${BASH_REMATCH[3]} rpc=${BASH_REMATCH[4]}
      epoch=${BASH_REMATCH[5]} msg=${BASH_REMATCH[6]} len=${BASH_REMATCH[7]} file=${BASH_REMATCH[8]}
      ((epoch == 1)) || fail "$tag: $dir rpc $rpc under epoch $epoch"
      if [[ $dir == request ]]; then
        [[ $src == "$cli" && $dst_ == "$srv" ]] || fail "$tag: request $src -> $dst_"
        # One socket sends its requests in order: message ID k is cookie k + 1.
        cookie=$((msg + 1))
        want=${SIZES[cookie % 5]}
        ((len == want)) || fail "$tag: request msg $msg has $len bytes, sdp-echo sent $want"
        "$SDP_ECHO" pattern "$cookie" "$len" | tr -d '\n' | tr a-f A-F | basenc --base16 -d >"$KD/expect" ||
          fail "cannot convert sdp-echo's pattern to bytes"
        cmp -s "$KD/expect" "$file" ||
          fail "$tag: request msg $msg (cookie $cookie) decrypted to other bytes than sdp-echo sent"
        [[ -z ${req_file[$rpc]:-} ]] || fail "$tag: request rpc $rpc printed twice"
        req_file[$rpc]=$file
      else
        [[ $src == "$srv" && $dst_ == "$cli" ]] || fail "$tag: response $src -> $dst_"
        [[ -z ${resp_file[$rpc]:-} ]] || fail "$tag: response rpc $rpc printed twice"
        resp_file[$rpc]=$file
      fi
    done <"$KD/list"
    ((${#req_file[@]} == COUNT && ${#resp_file[@]} == COUNT)) ||
      fail "$tag: ${#req_file[@]} requests and ${#resp_file[@]} responses decoded, $COUNT of each sent"
    for rpc in "${!resp_file[@]}"; do
      [[ -n ${req_file[$rpc]:-} ]] || fail "$tag: response rpc $rpc without its request"
      cmp -s "${req_file[$rpc]}" "${resp_file[$rpc]}" ||
        fail "$tag: response rpc $rpc differs from its request (sdp-echo echoes)"
    done
    unset req_file resp_file
    note "$tag: checks took $((SECONDS - t0)) s"
    pass "$tag: no plaintext in $(stat -c %s "$pcap") captured bytes; $COUNT requests and $COUNT responses decrypted byte-exactly: $summary"
  done
done

# A wrong key is an error, not silence.
new_keyfile "$KD/wrong.key" aes-gcm-256
"$SDP_DECRYPT" --key-file "$KD/wrong.key" --quiet "$KD/echo-aes-gcm-256-4.pcap" 2>"$KD/err" &&
  fail "sdp-decrypt accepted a capture with the wrong key"
grep -q "fails authentication" "$KD/err" || fail "wrong key: no authentication error: $(head -3 "$KD/err")"
pass "wrong key: sdp-decrypt exits non-zero: $(head -1 "$KD/err")"

# ---- 2. 100000 RPCs: no (key, nonce) repeats -------------------------------------------
N=${SDP_DECRYPT_NONCE_RPCS:-100000}
key=$KD/nonce.key
new_keyfile "$key" aes-gcm-128
start_echo_server "$NS_A" --port 5100 --key-file "$key" --peer "$IP4_B:40100"
pcap=$KD/nonces.pcap
sdp_capture_start "$pcap" 128 bulk  # a one-byte message's packet is 112 bytes
t0=$SECONDS
out=$(in_b "$SDP_ECHO" client --server "$IP4_A" --port 5100 --local-port 40100 --key-file "$key" \
  --sizes 1 --count "$N" --concurrency 32) || fail "$N RPCs failed: $out"
sdp_capture_stop
stop_echo_server
save "$pcap" "$key"
[[ $(json_field "$out" ok) == "$N" ]] || fail "not all $N RPCs completed: $out"
note "$N RPCs in $((SECONDS - t0)) s: $out"
t0=$SECONDS
"$SDP_DECRYPT" --key-file "$key" --list-nonces --quiet "$pcap" >"$KD/nonces" 2>"$KD/err" ||
  fail "sdp-decrypt --list-nonces failed: $(head -5 "$KD/err")"
summary=$(tail -1 "$KD/err")
note "sdp-decrypt took $((SECONDS - t0)) s: $summary"
records=$((2 * N))  # every request and response: one record of one byte
check_control "$N RPCs" "$summary"
[[ $(json_field "$summary" nonce_repeats) == 0 ]] || fail "nonce repeats: $summary"
nonces=$(json_field "$summary" nonces)
((nonces == $(wc -l <"$KD/nonces"))) || fail "summary says $nonces nonces, listed $(wc -l <"$KD/nonces")"
((nonces >= records)) || fail "$nonces distinct nonces for $records records sent"
# Nonces = record sequence numbers + distinct ctrl_seqs (a control packet captured twice
# is one nonce).
ctrl=$(($(json_field "$summary" control_verified) - $(json_field "$summary" control_duplicates)))
((nonces == records + ctrl)) ||
  fail "$nonces nonces, expected $records records + $ctrl control packets: $summary"
[[ $(json_field "$summary" complete_messages) == "$records" ]] ||
  fail "not every one of the $records messages was captured and authenticated: $summary"
[[ $(json_field "$summary" verified_records) -ge $records ]] || fail "records not verified: $summary"
grep -qv ' uses 1$' "$KD/nonces" && fail "a nonce listed with more than one use: $(grep -v ' uses 1$' "$KD/nonces" | head -1)"
pass "$N RPCs: $records records and $ctrl control packets, $nonces distinct (key, nonce) pairs, 0 repeats, every tag verified"

# ---- 3. the worked example, sent by the module -----------------------------------------
doc=$SDP_REPO/docs/PROTOCOL.md
need_file "$doc"
ex=$(sed -n '/^### Worked example/,/^## /p' "$doc")
# field NAME: the hex bytes after NAME at the start of a line, and on the
# indented hex-only lines that continue it.
field() {
  awk -v k="$1" 'index($0, k) == 1 { s = substr($0, length(k) + 1); gsub(/ /, "", s); printf "%s", s; on = 1; next }
    on && /^ +[0-9a-f ]+$/ { s = $0; gsub(/ /, "", s); printf "%s", s; next } { on = 0 }' <<<"$ex"
}
doc_bytes=$(field 'record header')$(field 'explicit nonce')$(field 'ciphertext+tag')
grep -q "key \`000102030405060708090a0b0c0d0e0f\`, salt \`a0a1a2a3\`" <<<"$ex" &&
  grep -q "message ID 5," <<<"$ex" && grep -q "the 10-byte message \`hello, SDP\`" <<<"$ex" ||
  fail "docs/PROTOCOL.md's worked example no longer has the inputs this test reproduces"
[[ $doc_bytes =~ ^[0-9a-f]+$ ]] &&
  [[ ${#doc_bytes} == $(((13 + 16 + 10 + 16) * 2)) ]] ||
  fail "cannot read the worked example's bytes from docs/PROTOCOL.md (got '$doc_bytes')"
# The example's RPC id (the framing header carries it).
doc_rpc=$(sed -n 's/.*RPC id `\(0x\)\{0,1\}\([0-9a-f]*\)`.*/\2/p' <<<"$ex" | head -1)
[[ -n $doc_rpc ]] || fail "cannot read the worked example's RPC id from docs/PROTOCOL.md"
key=$KD/example.key
{ echo "cipher aes-gcm-128"; echo "epoch 1"
  echo "client-to-server 000102030405060708090a0b0c0d0e0f a0a1a2a3"
  echo "server-to-client $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n') b0b1b2b3"; } >"$key"
printf 'hello, SDP' >"$KD/hello"
# Spec == OpenSSL: sealing the document's inputs gives the document's bytes.
sealed=$("$SDP_DECRYPT" seal --key-file "$key" --c2s --msg-id 5 --rpc-id $((16#$doc_rpc)) \
  "$KD/hello") || fail "sdp-decrypt seal failed"
[[ $sealed == "$doc_bytes" ]] || fail "OpenSSL seals the worked example to $sealed, the document says $doc_bytes"
start_echo_server "$NS_A" --port 5200 --key-file "$key" --peer "$IP4_B:40200"
pcap=$KD/example.pcap
sdp_capture_start "$pcap"
out=$(in_b "$SDP_SEND_FILE" --server "$IP4_A" --port 5200 --local-port 40200 --key-file "$key" \
  --fillers 5 "$KD/hello") || fail "sdp-send-file failed: $out"
sdp_capture_stop
stop_echo_server
save "$pcap" "$key"
rpc=$(json_field "$out" rpc_id)
"$SDP_DECRYPT" --key-file "$key" --json --wire "$pcap" >"$KD/example.json" 2>"$KD/err" ||
  fail "sdp-decrypt on the example capture: $(cat "$KD/err")"
line=$(grep "\"dir\":\"request\",.*\"rpc_id\":$rpc," "$KD/example.json") ||
  fail "request rpc $rpc not in the capture"
[[ $line == *'"msg_id":5,'* ]] || fail "the 6th request under a fresh key is not message 5: $line"
[[ $line == *"\"plaintext_hex\":\"68656c6c6f2c20534450\""* ]] || fail "example plaintext: $line"
wire=$(sed -n 's/.*"wire_hex":"\([0-9a-f]*\)".*/\1/p' <<<"$line")
# Module == OpenSSL: the captured record equals what OpenSSL seals for the same
# inputs and the RPC id the module chose (RPC ids are not the application's to pick).
expect=$("$SDP_DECRYPT" seal --key-file "$key" --c2s --msg-id 5 --rpc-id "$rpc" "$KD/hello")
[[ $wire == "$expect" ]] || fail "module sent $wire for the worked example, OpenSSL computes $expect"
if [[ $wire == "$doc_bytes" ]]; then
  pass "worked example: the module sent exactly the bytes of docs/PROTOCOL.md: $wire"
else
  pass "worked example: the module's record for rpc $rpc equals OpenSSL's recomputation for that RPC id ($wire); the document's bytes (RPC id 0x$doc_rpc) equal OpenSSL's for its inputs"
fi
