#!/usr/bin/env bash
# sdp-kv over every transport from one server: SDP plaintext and keyed
# (AES-128-GCM, one socket for all clients), TCP, kTLS (AES-128-GCM, TLS
# 1.2): a short YCSB load + A (1000 operations) with every read verified,
# clients of all transports at once; malformed, oversized and over-memory
# commands answered with errors; clients killed mid-run and a half-sent
# command; the server keeps serving and its counters add up.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_cmd python3 ss
KV=${SDP_KV:-$SDP_REPO/build/userspace/sdp-kv}
YCSB=${SDP_YCSB:-$SDP_REPO/build/userspace/sdp-ycsb}
need_file "$KV" "$YCSB"
sdp_load
need_module tls
netns_pair_up
KD=$(mktemp -d)
on_exit "rm -rf $KD"
new_keyfile "$KD/k128" aes-gcm-128
new_keyfile "$KD/other" aes-gcm-128

ip netns exec "$NS_A" "$KV" server --key-file "$KD/k128" --allow-plaintext --max-value 64K --max-memory 64M \
  >"$KD/server.json" 2>"$KD/server.err" &
SERVER=$!
on_exit "kill $SERVER 2>/dev/null || true"
_listening() { [[ -n $(in_a ss -Hltn "sport = :$1") ]]; }
wait_for 10 _listening 6379
wait_for 10 _listening 6380
wait_for 10 _listening 6381

ycsb() { # ycsb TRANSPORT OUT [ARGS...]
  local t=$1 out=$2
  shift 2
  in_b "$YCSB" --transport "$t" --server "$IP4_A" --key-file "$KD/k128" --records 300 --operations 1000 \
    --workloads load,a --value-size 1K --connections 8 "$@" >"$out" 2>"$out.err"
}
check_run() { # check_run TRANSPORT OUT: the JSON of a finished run
  python3 - "$2" <<'PY' || fail "$1: bad result: $(cat "$2" "$2.err")"
import json, sys
d = json.load(open(sys.argv[1]))
a = {r["op"]: r for r in d["results"] if r["workload"] == "a"}
assert d["reads_verified"] == a["read"]["ops"] > 0, d
assert a["all"]["ops"] == 1000 and a["update"]["ops"] > 0, a
PY
  pass "$1: load 300 + A 1000 ops, $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reads_verified"])' "$2") reads verified"
}
TRANSPORTS=(sdp sdp-aes128 tcp ktls-aes128)
for t in "${TRANSPORTS[@]}"; do
  ycsb "$t" "$KD/$t.json" || fail "$t: sdp-ycsb failed: $(cat "$KD/$t.json.err")"
  check_run "$t" "$KD/$t.json"
done
# The keyed traffic really was keyed (sdp-ycsb checks SDP_KEY_INFO and TLS_TX itself).
[[ $(in_b cat /proc/net/tls_stat | awk '$1 == "TlsTxSw" { print $2 }') -gt 0 ]] || fail "kTLS: no software TX sessions in tls_stat"

# All transports at once, 4 clients each: one SDP socket serves them all.
pids=()
for t in "${TRANSPORTS[@]}"; do
  ycsb "$t" "$KD/par-$t.json" --connections 4 --seed 7 --key-prefix "par-$t:" &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || fail "${TRANSPORTS[i]} (concurrent): $(cat "$KD/par-${TRANSPORTS[i]}.json.err")"
  check_run "${TRANSPORTS[i]} concurrent" "$KD/par-${TRANSPORTS[i]}.json"
done

# Nothing failed authentication so far (the wrong key below makes the
# client count failures on purpose, so this is checked here).
check_no_auth_drops "$NS_A" "$NS_B"
pass "no authentication failures in either netns"

# A wrong key: the key exchange succeeds but nothing authenticates.
rc=0
in_b "$YCSB" --transport sdp-aes128 --server "$IP4_A" --key-file "$KD/other" --records 10 --operations 10 \
  --workloads load --connections 1 >/dev/null 2>"$KD/wrong.err" || rc=$?
((rc == 1)) || fail "a client with another key file did not fail (exit $rc)"
pass "a client with another key file fails: $(cat "$KD/wrong.err")"

# Errors: over each transport, the server answers and goes on serving.
cli() { in_b "$KV" cli --server "$IP4_A" --key-file "$KD/k128" "$@"; }
expect_reply() { # expect_reply WHAT REGEX CLI-ARGS...
  local what=$1 want=$2 got
  shift 2
  got=$(cli "$@" 2>&1) || fail "$what: cli failed: $got"
  grep -Eq "$want" <<<"$got" || fail "$what: expected /$want/, got: $got"
  pass "$what: $got"
}
printf 'garbage\001\r\n' >"$KD/garbage"
printf '*2\r\n$3\r\nGET\r\n$5\r\nab' >"$KD/short"
printf '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999999\r\n' >"$KD/huge-len"
python3 -c 'import sys; v = b"x" * 100000; sys.stdout.buffer.write(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n" % (len(v), v))' >"$KD/oversized"
for t in sdp-aes128 sdp tcp ktls-aes128; do
  expect_reply "$t: unknown command" "^\(error\) ERR unknown command 'FLUSHALL'" --transport "$t" FLUSHALL
  expect_reply "$t: wrong arity" "^\(error\) ERR wrong number of arguments for 'get'" --transport "$t" GET
  expect_reply "$t: garbage" "^\(error\) ERR Protocol error" --transport "$t" --raw "$KD/garbage"
  expect_reply "$t: oversized bulk length" "^\(error\) ERR Protocol error: invalid bulk length" --transport "$t" --raw "$KD/huge-len"
  expect_reply "$t: 100 KB SET (limit 64K)" "^\(error\) ERR Protocol error" --transport "$t" --raw "$KD/oversized"
  expect_reply "$t: PING" "^PONG$" --transport "$t" PING
done
expect_reply "sdp: a truncated command is an error" "^\(error\) ERR Protocol error: incomplete request" --transport sdp --raw "$KD/short"

# Vanishing clients: two runs killed mid-run, a half-sent command, a
# connection that closes during the key exchange.
for t in sdp-aes128 tcp ktls-aes128; do
  in_b "$YCSB" --transport "$t" --server "$IP4_A" --key-file "$KD/k128" --records 300 --operations 10000000 \
    --workloads load,a --connections 8 --seed 3 --key-prefix "victim-$t:" >/dev/null 2>&1 &
  pids+=($!)
  victims+=($!)
done
sleep 3
for p in "${victims[@]}"; do kill -9 "$p" 2>/dev/null || fail "a client finished before it was killed"; done
in_b python3 - "$IP4_A" <<'PY' || fail "half-sent command client failed"
import socket, sys
s = socket.create_connection((sys.argv[1], 6379)); s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$100\r\nabc"); s.close()
s = socket.create_connection((sys.argv[1], 6380)); s.sendall(b"KVT1\x01"); s.close()
s = socket.create_connection((sys.argv[1], 6381)); s.sendall(b"KVS1"); s.close()
PY
sleep 1
expect_reply "the half-sent SET stored nothing" '^\(integer\) 0$' --transport tcp EXISTS half
kill -0 "$SERVER" 2>/dev/null || fail "the server died"
for t in "${TRANSPORTS[@]}"; do
  ycsb "$t" "$KD/after-$t.json" --seed 11 || fail "$t after the kills: $(cat "$KD/after-$t.json.err")"
  check_run "$t after clients were killed" "$KD/after-$t.json"
done

# Memory bound: a second server with 256 KiB for data.
ip netns exec "$NS_A" "$KV" server --tcp-port 7379 --tls-port 0 --sdp-port 0 --max-memory 256K >/dev/null 2>&1 &
on_exit "kill $! 2>/dev/null || true"
wait_for 10 _listening 7379
v=$(head -c 60000 /dev/zero | tr '\0' v)
oom=0
for i in 1 2 3 4 5 6; do
  r=$(in_b "$KV" cli --transport tcp --server "$IP4_A" --port 7379 SET "big$i" "$v")
  [[ $r == OK ]] || { [[ $r == "(error) OOM"* ]] && oom=$i && break; } || fail "SET big$i: $r"
done
((oom >= 4)) || fail "expected OOM after about 4 values of 60 KB in 256 KiB, got it at $oom"
pass "max-memory 256K: SET number $oom answered OOM"
expect_reply "the store still reads after OOM" '^\(integer\) 1$' --transport tcp --port 7379 EXISTS big1

kill -TERM "$SERVER"
wait "$SERVER" || fail "the server exited with $?"
note "server: $(cat "$KD/server.json")"
python3 - "$KD/server.json" <<'PY' || fail "server counters: $(cat "$KD/server.json")"
import json, sys
d = json.loads(open(sys.argv[1]).read())
# 3 malformed or oversized inputs x 4 transports + the truncated SDP request
assert d["protocol_errors"] == 13 and d["error_replies"] >= 8 and d["sdp_sessions"] >= 10 and d["tls_sessions"] >= 10, d
PY
pass "server exited cleanly; counters: $(cat "$KD/server.json")"
