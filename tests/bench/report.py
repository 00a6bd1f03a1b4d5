#!/usr/bin/env python3
"""Turn sdp-bench's JSON array into build/bench/latency.json and latency.md.

  tests/bench/report.py OUTDIR [KEY=VALUE ...]

Reads OUTDIR/raw.json (sdp-bench client output) and OUTDIR/meta.json (written
by tests/bench/run.sh in the VM); KEY=VALUE pairs are added to the metadata
(the host's load, the accelerator). Writes OUTDIR/latency.json (metadata,
results, ratios, target verdicts) and OUTDIR/latency.md, and prints the
markdown. Ratios are p50/p50 and p99/p99 within this one run.
"""
import json
import sys

# The targets of issue 4 (encrypted SDP vs kTLS, encryption overhead).
TARGET_VS_KTLS = 0.8          # SDP-enc p50 <= 0.8 x kTLS p50 ...
TARGET_VS_KTLS_MAX_SIZE = 65536  # ... for 64 B .. 64 KiB
TARGET_OVERHEAD = 1.15        # SDP-enc p50 <= 1.15 x SDP-plain p50 ...
TARGET_OVERHEAD_SIZE = 64     # ... at 64 B
CIPHERS = ("aes128", "aes256")


def fmt(v):
    return "n/a" if v is None else f"{v:.1f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main():
    outdir = sys.argv[1]
    with open(f"{outdir}/raw.json") as f:
        results = json.load(f)
    with open(f"{outdir}/meta.json") as f:
        meta = json.load(f)
    for kv in sys.argv[2:]:
        k, _, v = kv.partition("=")
        meta[k] = v

    protos, sizes = [], []
    cell = {}
    for r in results:
        if r["proto"] not in protos:
            protos.append(r["proto"])
        if r["size"] not in sizes:
            sizes.append(r["size"])
        cell[r["proto"], r["size"]] = r

    def q(proto, size, key):
        r = cell.get((proto, size))
        return r[key] if r else None

    # Ratio pairs: encrypted SDP over kTLS (TLS 1.2 and 1.3) and over plaintext SDP.
    pairs = []
    for c in CIPHERS:
        enc = f"sdp-{c}"
        if enc not in protos:
            continue
        for other in (f"ktls-{c}", f"ktls13-{c}", "sdp"):
            if other in protos:
                pairs.append((enc, other))

    ratios = []
    for s in sizes:
        row = {"size": s}
        for a, b in pairs:
            row[f"{a}/{b}"] = {
                "p50": ratio(q(a, s, "p50_us"), q(b, s, "p50_us")),
                "p99": ratio(q(a, s, "p99_us"), q(b, s, "p99_us")),
            }
        ratios.append(row)

    targets = []
    for c in CIPHERS:
        enc, ktls = f"sdp-{c}", f"ktls-{c}"
        if enc in protos and ktls in protos:
            pts = {s: ratio(q(enc, s, "p50_us"), q(ktls, s, "p50_us"))
                   for s in sizes if s <= TARGET_VS_KTLS_MAX_SIZE}
            pts = {s: v for s, v in pts.items() if v is not None}
            if pts:
                targets.append({
                    "target": f"{enc} p50 <= {TARGET_VS_KTLS} x {ktls} p50, 64 B-64 KiB",
                    "measured": {str(s): round(v, 3) for s, v in pts.items()},
                    "met": all(v <= TARGET_VS_KTLS for v in pts.values()),
                })
        if enc in protos and "sdp" in protos:
            v = ratio(q(enc, TARGET_OVERHEAD_SIZE, "p50_us"), q("sdp", TARGET_OVERHEAD_SIZE, "p50_us"))
            if v is not None:
                targets.append({
                    "target": f"{enc} p50 <= {TARGET_OVERHEAD} x sdp p50 at {TARGET_OVERHEAD_SIZE} B",
                    "measured": {str(TARGET_OVERHEAD_SIZE): round(v, 3)},
                    "met": v <= TARGET_OVERHEAD,
                })

    with open(f"{outdir}/latency.json", "w") as f:
        json.dump({"meta": meta, "results": results, "ratios": ratios, "targets": targets}, f, indent=1)
        f.write("\n")

    md = []
    vcpus = str(meta.get("vcpus", "?"))
    md.append(f"# {meta.get('kernel', '?')}, {vcpus} vCPU{'' if vcpus == '1' else 's'}, accel {meta.get('accel', '?')}, "
              f"{meta.get('date', '?')}; {meta.get('iterations', '?')} iterations in "
              f"{meta.get('rounds', '?')} rounds, {meta.get('warmup', '?')} warm-up; host load "
              f"{meta.get('host_load_before', '?')} before, {meta.get('host_load_after', '?')} after")
    md.append("")
    md.append("p50 / p99 latency in us:")
    md.append("")
    md.append("| size (B) | " + " | ".join(protos) + " |")
    md.append("|---" * (len(protos) + 1) + "|")
    for s in sizes:
        md.append(f"| {s} | " + " | ".join(
            f"{fmt(q(p, s, 'p50_us'))} / {fmt(q(p, s, 'p99_us'))}" if (p, s) in cell else "n/a"
            for p in protos) + " |")
    if pairs:
        md.append("")
        md.append("Ratios, p50 (p99):")
        md.append("")
        md.append("| size (B) | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |")
        md.append("|---" * (len(pairs) + 1) + "|")
        for row in ratios:
            cells = []
            for a, b in pairs:
                r = row[f"{a}/{b}"]
                cells.append("n/a" if r["p50"] is None else
                             f"{r['p50']:.2f} ({r['p99']:.2f})" if r["p99"] is not None else f"{r['p50']:.2f}")
            md.append(f"| {row['size']} | " + " | ".join(cells) + " |")
    if targets:
        md.append("")
        md.append("Targets:")
        md.append("")
        for t in targets:
            vals = ", ".join(f"{s} B: {v:.2f}" for s, v in t["measured"].items())
            md.append(f"- {t['target']}: {'met' if t['met'] else 'NOT met'} ({vals})")
    text = "\n".join(md) + "\n"
    with open(f"{outdir}/latency.md", "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
