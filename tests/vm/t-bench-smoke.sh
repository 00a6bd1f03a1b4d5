#!/usr/bin/env bash
# sdp-bench works (a check of correctness, never of speed): tls.ko missing is
# named; wrong keys and a server without keys fail instead of measuring; a
# corrupted echo is caught; then tests/bench/run.sh with every protocol
# (SDP plaintext and AES-128/256-GCM, kTLS TLS 1.2 and 1.3 with both ciphers,
# TCP, UDP) at 64 B, 16 KiB and 1 MiB, 20 iterations, and its JSON and table
# hold every protocol and size, the ratios and the target verdicts.
# vm/run: --timeout 900
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_cmd python3 ss
PROTOS=sdp,sdp-aes128,sdp-aes256,ktls-aes128,ktls-aes256,ktls13-aes128,ktls13-aes256,tcp,udp
SIZES=64,16K,1M
KD=$(mktemp -d)
new_keyfile "$KD/a128" aes-gcm-128
new_keyfile "$KD/a256" aes-gcm-256
new_keyfile "$KD/b128" aes-gcm-128

_tcp_listening() { [[ -n $(in_a ss -Hltn "sport = :$1") ]]; }
start_bench_server() { # start_bench_server PORT ARGS...
  local port=$1
  shift
  ip netns exec "$NS_A" "$SDP_BENCH" server --port "$port" "$@" 2>"$KD/server-$port.err" &
  on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null || true"
  wait_for 10 _tcp_listening "$port"
}
# expect_failure WHAT REGEX CLIENT-ARGS...: the client must fail, print no
# JSON and say REGEX (grep -E) on stderr.
expect_failure() {
  local what=$1 want=$2 rc=0
  shift 2
  in_b "$SDP_BENCH" client --server "$IP4_A" --iterations 5 --warmup 0 "$@" >"$KD/out" 2>"$KD/err" || rc=$?
  ((rc != 0)) || fail "$what: the client succeeded: $(cat "$KD/out")"
  [[ ! -s $KD/out ]] || fail "$what: the client printed results: $(cat "$KD/out")"
  grep -Eq "$want" "$KD/err" || fail "$what: expected '$want' in the client's error: $(cat "$KD/err")"
  pass "$what: exit $rc, $(tr '\n' ' ' <"$KD/err")"
}

(
  sdp_load
  netns_pair_up

  # No tls.ko and no way to load it: the error names tls.ko.
  [[ ! -d /sys/module/tls ]] || fail "tls is loaded already; this check needs it absent"
  modprobe_path=$(cat /proc/sys/kernel/modprobe)
  echo /bin/false >/proc/sys/kernel/modprobe
  on_exit "echo $modprobe_path >/proc/sys/kernel/modprobe"
  start_bench_server 6000 --key-file "$KD/a128"
  expect_failure "kTLS without tls.ko" 'tls\.ko' --port 6000 --protos ktls-aes128 --key-file "$KD/a128"
  echo "$modprobe_path" >/proc/sys/kernel/modprobe
  modprobe tls || fail "modprobe tls failed (tls.ko from the kernel cache: make deps)"

  # Keys that differ between client and server.
  expect_failure "kTLS with the wrong key" 'kTLS: the server closed the connection' --port 6000 --protos ktls-aes128 \
    --key-file "$KD/b128"
  before=$(sdp_stat "$NS_A" drop_auth_failed)
  expect_failure "SDP with the wrong key" 'RPC failed' --port 6000 --protos sdp-aes128 --key-file "$KD/b128"
  (($(sdp_stat "$NS_A" drop_auth_failed) > before)) || fail "the server counted no auth failure"
  # A cipher the server has no key for; a client without the key file.
  expect_failure "server without an AES-256 key" 'server has no key for aes-gcm-256' --port 6000 \
    --protos sdp-aes256 --key-file "$KD/a256"
  expect_failure "kTLS server without an AES-256 key" 'server has no key for aes-gcm-256' --port 6000 \
    --protos ktls-aes256 --key-file "$KD/a256"
  expect_failure "client without a key file" 'needs a --key-file' --port 6000 --protos sdp-aes128

  # An echo server that flips one byte: the comparison must catch it.
  ip netns exec "$NS_A" python3 - 6001 <<'EOF' &
import socket, struct, sys
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept()
def take(n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: sys.exit(0)
        b += d
    return b
assert take(1) == b"T"
while True:
    n, = struct.unpack("<Q", take(8))
    m = bytearray(take(n)); m[n // 2] ^= 1
    c.sendall(struct.pack("<Q", n) + m)
EOF
  on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null || true"
  wait_for 10 _tcp_listening 6001
  expect_failure "a corrupted echo" 'differs from the request at byte 32' --port 6001 --protos tcp --sizes 64
)

# Every protocol through the bench script (same code path as make bench).
OUT=$KD/bench
"$SDP_REPO/tests/bench/run.sh" --iterations 20 --warmup 2 --rounds 2 --sizes "$SIZES" --protos "$PROTOS" \
  --out "$OUT" >"$KD/bench.log" 2>&1 || { cat "$KD/bench.log"; fail "tests/bench/run.sh failed"; }
cat "$OUT/latency.md"
python3 - "$OUT/latency.json" "$PROTOS" "$SIZES" <<'EOF' || fail "latency.json is incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
protos = sys.argv[2].split(",")
sizes = [int(s.replace("K", "")) * (1024 if "K" in s else 1) if "M" not in s else int(s[:-1]) << 20
         for s in sys.argv[3].split(",")]
got = {(r["proto"], r["size"]): r for r in d["results"]}
bad = []
for p in protos:
    for s in sizes:
        if p == "udp" and s > 65000:
            if (p, s) in got: bad.append(f"udp has {s} B")
            continue
        r = got.get((p, s))
        if not r: bad.append(f"missing {p} {s}")
        elif r["iterations"] != 20 or not 0 < r["p50_us"] <= r["p99_us"]: bad.append(f"odd {r}")
for s in sizes:
    row = next((x for x in d["ratios"] if x["size"] == s), None)
    for k in ("sdp-aes128/ktls-aes128", "sdp-aes256/ktls-aes256", "sdp-aes128/ktls13-aes128",
              "sdp-aes128/sdp", "sdp-aes256/sdp"):
        if not row or row.get(k, {}).get("p50") is None: bad.append(f"no ratio {k} at {s}")
if len(d["targets"]) != 4: bad.append(f"{len(d['targets'])} target verdicts, want 4")
for k in ("kernel", "vcpus", "iterations", "date", "command"):
    if k not in d["meta"]: bad.append(f"meta has no {k}")
print("\n".join(bad) or "latency.json: every protocol and size")
sys.exit(1 if bad else 0)
EOF
pass "run.sh: $(grep -c '^| [0-9]' "$OUT/latency.md") table rows, every protocol and size in latency.json"
