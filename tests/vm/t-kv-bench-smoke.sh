#!/usr/bin/env bash
# make bench-kv works (correctness, never speed): tests/bench/kv.sh with
# every transport and Redis at 64 B and 1 KiB, 200 records and 300
# operations, then kv_report.py: kv.json holds every transport, size,
# workload and op, the ratios and the target verdicts; kv.md has the table.
# vm/run: --timeout 900 --memory 2G
. "$(dirname "$0")/lib.sh"
need_vm
need_root
need_cmd python3 redis-server
OUT=$(mktemp -d)
"$SDP_REPO/tests/bench/kv.sh" --records 200 --operations 300 --sizes 64,1K --connections 8 --out "$OUT" \
  >"$OUT/bench.log" 2>&1 || { cat "$OUT/bench.log"; fail "tests/bench/kv.sh failed"; }
[[ -s $OUT/kv.json ]] || fail "kv.sh wrote no kv.json"
cat "$OUT/kv.md"
python3 - "$OUT/kv.json" <<'PY' || fail "kv.json is incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
got = {(r["transport"], r["value_size"], r["workload"], r["op"]): r for r in d["results"]}
bad = []
for t in ("redis", "tcp", "ktls-aes128", "sdp", "sdp-aes128"):
    for s in (64, 1024):
        for w, ops in (("load", ("insert", "all")), ("a", ("read", "update", "all")), ("c", ("read", "all"))):
            for op in ops:
                r = got.get((t, s, w, op))
                if not r: bad.append(f"missing {t} {s} {w} {op}")
                elif not 0 < r["p50_us"] <= r["p99_us"] <= r["p999_us"] or r["throughput_ops"] <= 0: bad.append(f"odd {r}")
if len(d["ratios"]) != 4: bad.append(f"{len(d['ratios'])} ratio rows")
if not any(t["value"] is not None for t in d["targets"]): bad.append("no target has a value")
for k in ("kernel", "vcpus", "records", "mode", "redis", "command"):
    if k not in d["meta"]: bad.append(f"meta has no {k}")
print("\n".join(bad) or "kv.json: every transport, size, workload and op")
sys.exit(1 if bad else 0)
PY
pass "bench-kv: $(grep -c '^| [0-9]' "$OUT/kv.md") table rows"
