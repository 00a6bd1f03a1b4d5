#!/usr/bin/env bash
# sdp-bench works (a check of correctness, never of speed): tls.ko missing is
# named; wrong keys and a server without keys fail instead of measuring; a
# corrupted echo is caught; then tests/bench/run.sh with every protocol
# (SDP plaintext and AES-128/256-GCM, kTLS TLS 1.2 and 1.3 with both ciphers,
# TCP, UDP) at 64 B, 16 KiB and 1 MiB, 20 iterations, and its JSON and table
# hold every protocol and size, the ratios, the target verdicts and the
# metadata of issue 13 (mode and qemu flags of this boot, cost model, commit,
# kernel, peer settings read back from the sockets), the PNG plot exists,
# and the repeat check of icount mode (report.py --repeat) works: a run
# compared with itself agrees, a copy with one p50 moved by 2% does not;
# then tests/bench/load.sh (closed loop) with every kind of protocol.
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
if len(d["targets"]) != 7: bad.append(f"{len(d['targets'])} target verdicts, want 7")
for k in ("kernel", "kernel_abi_pinned", "vcpus", "iterations", "date", "command", "mode", "qemu_flags",
          "cost_model", "commit", "peer_settings"):
    if not d["meta"].get(k): bad.append(f"meta has no {k}")
import os
m = d["meta"]
if m.get("mode") != os.environ.get("SDP_VM_MODE"): bad.append(f"meta mode {m.get('mode')} is not this boot's")
if m.get("qemu_flags") != os.environ.get("SDP_VM_QEMU_FLAGS"): bad.append("meta qemu_flags are not this boot's")
if "TCP_NODELAY=1" not in m.get("peer_settings", ""): bad.append("peer_settings lack the sockets' read-back")
if m.get("mode") == "icount" and "1 guest instruction = 1 ns" not in m.get("cost_model", ""): bad.append("cost model")
print("\n".join(bad) or "latency.json: every protocol and size")
sys.exit(1 if bad else 0)
EOF
pass "run.sh: $(grep -c '^| [0-9]' "$OUT/latency.md") table rows, every protocol and size in latency.json"
[[ -s $OUT/latency.png ]] || fail "no latency.png (python3-matplotlib)"
pass "latency.png: $(file -b "$OUT/latency.png")"

# The repeat check's comparison: a run against itself agrees; with one p50
# 2% off it does not, and says so.
for r in a b; do mkdir -p "$KD/rep-$r" && cp "$OUT/latency.json" "$KD/rep-$r/"; done
python3 - "$KD/rep-b/latency.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); d["results"][0]["p50_us"] *= 1.02; json.dump(d, open(sys.argv[1], "w"))
EOF
python3 "$SDP_REPO/tests/bench/report.py" --repeat "$OUT" "$KD/rep-a" "$KD/rep-a" >/dev/null
grep -q '"agree": true' "$OUT/repeat.json" || fail "a run compared with itself does not agree: $(head -c 300 "$OUT/repeat.json")"
python3 "$SDP_REPO/tests/bench/report.py" --repeat "$OUT" "$KD/rep-a" "$KD/rep-b" >"$KD/rep.out"
grep -q '"agree": false' "$OUT/repeat.json" || fail "a 2% difference passed the 1% repeat check"
grep -q 'DO NOT agree within 1%' "$KD/rep.out" || fail "the repeat check does not say it failed: $(cat "$KD/rep.out")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["repeat"]; assert r["agree"] is False, r' "$OUT/latency.json" ||
  fail "latency.json has no repeat verdict"
pass "repeat check: itself agrees, a 2% change is reported as disagreeing"

# The closed-loop bench (tests/bench/load.sh, sdp-bench load): every protocol
# kind (SDP one socket, C connections, pipelined) at two sizes and two C.
LOUT=$KD/load
LPROTOS=sdp,sdp-aes128,tcp,ktls-aes128,tcp+pipe,ktls-aes128+pipe
"$SDP_REPO/tests/bench/load.sh" --sizes 64,16K --inflight 1,8 --requests 20 --warmup 5 --protos "$LPROTOS" \
  --out "$LOUT" >"$KD/load.log" 2>&1 || { cat "$KD/load.log"; fail "tests/bench/load.sh failed"; }
python3 - "$LOUT/load.json" "$LPROTOS" <<'EOF' || fail "load.json is incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
got = {(r["proto"], r["size"], r["inflight"]): r for r in d["results"]}
bad = [f"missing {p} {s} {c}" for p in sys.argv[2].split(",") for s in (64, 16384) for c in (1, 8)
       if not (got.get((p, s, c)) or {}).get("rpcs_per_s", 0) > 0]
bad += [f"odd {r}" for r in d["results"] if r["requests"] != 20 or not 0 < r["p50_us"] <= r["p99_us"]]
bad += [f"meta has no {k}" for k in ("mode", "qemu_flags", "cost_model", "commit", "peer_settings", "command")
        if not d["meta"].get(k)]
print("\n".join(bad) or "load.json: every protocol, size and C")
sys.exit(1 if bad else 0)
EOF
[[ -s $LOUT/load.png ]] || fail "no load.png"
pass "load.sh: $(grep -c '^| [0-9]' "$LOUT/load.md") table rows, load.json complete, load.png"
