#!/usr/bin/env python3
"""Turn sdp-bench's JSON array into build/bench/latency.json and latency.md.

  tests/bench/report.py OUTDIR [KEY=VALUE ...]
  tests/bench/report.py --repeat OUTDIR RUN1 RUN2
  tests/bench/report.py --load OUTDIR [KEY=VALUE ...]

Reads OUTDIR/raw.json (sdp-bench client output) and OUTDIR/meta.json (written
by tests/bench/run.sh in the VM); KEY=VALUE pairs are added to the metadata
(the host's load, the accelerator). Writes OUTDIR/latency.json (metadata,
results, ratios, target verdicts), OUTDIR/latency.md and, with
python3-matplotlib, OUTDIR/latency.png (p50 vs size per protocol, p10-p90
bars; encrypted SDP / kTLS p50 ratio), and prints the markdown. Ratios are
p50/p50 and p99/p99 within this one run.

--repeat compares the p50 of every (protocol, size) of two reports of the
same configuration (RUN1/latency.json, RUN2/latency.json), writes
OUTDIR/repeat.json and appends the verdict (agree within REPEAT_TOLERANCE)
to OUTDIR/latency.md and latency.json. Exit status 0 either way: a
disagreement is a finding, reported, not a failure.

--load reads the closed-loop results of tests/bench/load.sh (OUTDIR/raw.json
from `sdp-bench load`, OUTDIR/meta.json) and writes OUTDIR/load.json
(metadata, results, RPC/s ratios, the loaded target), load.md and load.png
(throughput vs requests in flight, one panel per size).
"""
import json
import sys

# The targets of issue 13 (deterministic mode, measured in one boot).
# SDP-enc p50 <= LIMIT x kTLS p50 (same cipher) for sizes in [LO, HI]:
TARGETS_VS_KTLS = ((0.75, 64, 16384), (0.9, 65536, 1 << 20))
TARGET_VS_TCP = 1.0           # plaintext SDP p50 <= 1.0 x TCP p50 at every size, 64 B .. 1 MiB
TARGET_OVERHEAD = 1.15        # SDP-enc p50 <= 1.15 x SDP-plain p50 ...
TARGET_OVERHEAD_SIZE = 64     # ... at 64 B
CIPHERS = ("aes128", "aes256")
# Loaded target (issue 13): SDP-AES-128 >= 1.3 x kTLS RPCs/s at 64 B and 1 KiB, 64 in flight.
TARGET_LOADED = 1.3
TARGET_LOADED_SIZES = (64, 1024)
TARGET_LOADED_INFLIGHT = 64
REPEAT_TOLERANCE = 0.01       # two icount runs of one configuration: p50s within 1%


def fmt(v):
    return "n/a" if v is None else f"{v:.1f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def cell_table(protos, sizes, cell, q, lo, hi, sep):
    """Markdown rows: one per size, 'lo SEP hi' per protocol."""
    rows = ["| size (B) | " + " | ".join(protos) + " |", "|---" * (len(protos) + 1) + "|"]
    for s in sizes:
        rows.append(f"| {s} | " + " | ".join(
            f"{fmt(q(p, s, lo))}{sep}{fmt(q(p, s, hi))}" if (p, s) in cell else "n/a" for p in protos) + " |")
    return rows


def read_run(outdir, extra):
    with open(f"{outdir}/raw.json") as f:
        results = json.load(f)
    with open(f"{outdir}/meta.json") as f:
        meta = json.load(f)
    for kv in extra:
        k, _, v = kv.partition("=")
        meta[k] = v
    return results, meta


def header(meta):
    if meta.get("mode") == "icount":
        mode = ("Mode icount: guest time, 1 guest instruction = 1 ns "
                f"(qemu {meta.get('qemu_flags', '?')}; no cache or memory effects).")
    else:
        mode = f"Mode {meta.get('mode', '?')}: wall-clock time (TCG emulation: noisy, compare within a run)."
    return [mode, f"Peers: {meta.get('peer_settings', '?')}. Commit {meta.get('commit', '?')}; "
            f"command: `{meta.get('command', '?')}`."]


def load_report(outdir, extra):
    results, meta = read_run(outdir, extra)
    protos, sizes, inflight, cell = [], [], [], {}
    for r in results:
        for lst, v in ((protos, r["proto"]), (sizes, r["size"]), (inflight, r["inflight"])):
            if v not in lst:
                lst.append(v)
        cell[r["proto"], r["size"], r["inflight"]] = r

    def rate(p, s, c):
        r = cell.get((p, s, c))
        return r["rpcs_per_s"] if r else None

    pairs = [(a, b) for a, b in (("sdp-aes128", "ktls-aes128"), ("sdp-aes128", "ktls-aes128+pipe"),
                                 ("sdp", "tcp"), ("sdp", "tcp+pipe")) if a in protos and b in protos]
    ratios = [{"size": s, "inflight": c, **{f"{a}/{b}": ratio(rate(a, s, c), rate(b, s, c)) for a, b in pairs}}
              for s in sizes for c in inflight]
    targets = []
    if "sdp-aes128" in protos and "ktls-aes128" in protos:
        pts = {str(s): ratio(rate("sdp-aes128", s, TARGET_LOADED_INFLIGHT), rate("ktls-aes128", s, TARGET_LOADED_INFLIGHT))
               for s in TARGET_LOADED_SIZES if s in sizes}
        pts = {s: round(v, 3) for s, v in pts.items() if v is not None}
        if pts:
            targets.append({"target": f"sdp-aes128 RPC/s >= {TARGET_LOADED} x ktls-aes128 (C connections) at "
                                      f"{', '.join(pts)} B with {TARGET_LOADED_INFLIGHT} in flight",
                            "measured": pts, "met": all(v >= TARGET_LOADED for v in pts.values())})
    with open(f"{outdir}/load.json", "w") as f:
        json.dump({"meta": meta, "results": results, "ratios": ratios, "targets": targets}, f, indent=1)
        f.write("\n")
    unit = "RPCs per second of guest time" if meta.get("mode") == "icount" else "RPCs per second (wall clock)"
    md = [f"# closed loop, {meta.get('kernel', '?')}, {meta.get('vcpus', '?')} vCPU, "
          f"{meta.get('host_date', meta.get('date', '?'))}; {meta.get('requests', '?')} requests after "
          f"{meta.get('warmup', '?')} warm-up per cell", ""] + header(meta) + [""]
    for s in sizes:
        md += [f"{s} B: {unit} (p50 / p99 latency in us)", "",
               "| in flight | " + " | ".join(protos) + " |", "|---" * (len(protos) + 1) + "|"]
        for c in inflight:
            md.append(f"| {c} | " + " | ".join(
                f"{cell[p, s, c]['rpcs_per_s']:.0f} ({cell[p, s, c]['p50_us']:.0f} / {cell[p, s, c]['p99_us']:.0f})"
                if (p, s, c) in cell else "n/a" for p in protos) + " |")
        md.append("")
    if pairs:
        md += ["RPC/s ratios:", "", "| size (B) | in flight | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |",
               "|---|---" + "|---" * len(pairs) + "|"]
        for row in ratios:
            md.append(f"| {row['size']} | {row['inflight']} | " + " | ".join(
                "n/a" if row[f"{a}/{b}"] is None else f"{row[f'{a}/{b}']:.2f}" for a, b in pairs) + " |")
    if targets:
        md += ["", "Targets:", ""] + [
            f"- {t['target']}: {'met' if t['met'] else 'NOT met'} ("
            + ", ".join(f"{s} B: {v:.2f}" for s, v in t["measured"].items()) + ")" for t in targets]
    text = "\n".join(md) + "\n"
    with open(f"{outdir}/load.md", "w") as f:
        f.write(text)
    sys.stdout.write(text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: no matplotlib (apt-get install python3-matplotlib): no PNG plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4.2), squeeze=False)
    for ax, s in zip(axes[0], sizes):
        for p in protos:
            xs = [c for c in inflight if rate(p, s, c) is not None]
            ax.plot(xs, [rate(p, s, c) for c in xs], marker="o", markersize=3, label=p)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("requests in flight (C)")
        ax.set_ylabel(unit)
        ax.set_title(f"closed loop, {s} B")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{outdir}/load.png", dpi=100)
    plt.close(fig)


def main():
    if sys.argv[1] == "--repeat":
        repeat(*sys.argv[2:5])
        return
    if sys.argv[1] == "--load":
        load_report(sys.argv[2], sys.argv[3:])
        return
    outdir = sys.argv[1]
    results, meta = read_run(outdir, sys.argv[2:])

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

    def size_name(n):
        return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB" if n >= 1024 else f"{n} B"

    def ratio_target(a, b, limit, lo, hi):
        pts = {s: ratio(q(a, s, "p50_us"), q(b, s, "p50_us")) for s in sizes if lo <= s <= hi}
        pts = {s: v for s, v in pts.items() if v is not None}
        if pts:
            span = size_name(lo) if lo == hi else f"{size_name(lo)}-{size_name(hi)}"
            targets.append({
                "target": f"{a} p50 <= {limit} x {b} p50, {span}",
                "measured": {str(s): round(v, 3) for s, v in pts.items()},
                "met": all(v <= limit for v in pts.values()),
            })

    for c in CIPHERS:
        enc, ktls = f"sdp-{c}", f"ktls-{c}"
        if enc in protos and ktls in protos:
            for limit, lo, hi in TARGETS_VS_KTLS:
                ratio_target(enc, ktls, limit, lo, hi)
        if enc in protos and "sdp" in protos:
            ratio_target(enc, "sdp", TARGET_OVERHEAD, TARGET_OVERHEAD_SIZE, TARGET_OVERHEAD_SIZE)
    if "sdp" in protos and "tcp" in protos:
        ratio_target("sdp", "tcp", TARGET_VS_TCP, 64, 1 << 20)

    with open(f"{outdir}/latency.json", "w") as f:
        json.dump({"meta": meta, "results": results, "ratios": ratios, "targets": targets}, f, indent=1)
        f.write("\n")

    md = []
    vcpus = str(meta.get("vcpus", "?"))
    md.append(f"# {meta.get('kernel', '?')}, {vcpus} vCPU{'' if vcpus == '1' else 's'}, accel {meta.get('accel', '?')}, "
              f"{meta.get('host_date', meta.get('date', '?'))}; {meta.get('iterations', '?')} iterations in "
              f"{meta.get('rounds', '?')} rounds, {meta.get('warmup', '?')} warm-up; host load "
              f"{meta.get('host_load_before', '?')} before, {meta.get('host_load_after', '?')} after")
    md.append("")
    md += header(meta)
    md.append("")
    md.append("p50 / p99 latency in us:")
    md.append("")
    md += cell_table(protos, sizes, cell, q, "p50_us", "p99_us", " / ")
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
    md.append("")
    md.append("p10 - p90 in us (some distributions are bimodal: a p50 can sit in either mode):")
    md.append("")
    md += cell_table(protos, sizes, cell, q, "p10_us", "p90_us", " - ")
    text = "\n".join(md) + "\n"
    with open(f"{outdir}/latency.md", "w") as f:
        f.write(text)
    sys.stdout.write(text)
    plot(outdir, meta, protos, sizes, q, pairs, ratios)


def plot(outdir, meta, protos, sizes, q, pairs, ratios):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: no matplotlib (apt-get install python3-matplotlib): no PNG plot", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    for p in protos:
        xs = [s for s in sizes if q(p, s, "p50_us") is not None]
        if not xs:
            continue
        mid = [q(p, s, "p50_us") for s in xs]
        lo = [m - (q(p, s, "p10_us") or m) for s, m in zip(xs, mid)]
        hi = [(q(p, s, "p90_us") or m) - m for s, m in zip(xs, mid)]
        ax.errorbar(xs, mid, yerr=[lo, hi], marker="o", markersize=3, capsize=2, label=p)
    unit = "us of guest time (1 instr = 1 ns)" if meta.get("mode") == "icount" else "us (wall clock)"
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("request = response size (B)")
    ax.set_ylabel(f"ping-pong p50, {unit}")
    ax.set_title(f"latency vs size, {meta.get('mode', '?')} mode, {meta.get('vcpus', '?')} vCPU")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[1]
    for a, b in pairs:
        pts = [(row["size"], row[f"{a}/{b}"]["p50"]) for row in ratios if row[f"{a}/{b}"]["p50"] is not None]
        if pts:
            ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", markersize=3, label=f"{a} / {b}")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("request = response size (B)")
    ax.set_ylabel("p50 ratio")
    ax.set_title("encrypted SDP relative to its peers")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{outdir}/latency.png", dpi=100)
    plt.close(fig)


def repeat(outdir, run1, run2):
    a, b = (json.load(open(f"{d}/latency.json")) for d in (run1, run2))
    cells = []
    p50b = {(r["proto"], r["size"]): r["p50_us"] for r in b["results"]}
    for r in a["results"]:
        key = (r["proto"], r["size"])
        other = p50b.get(key)
        dev = None if other is None or r["p50_us"] == 0 else abs(other - r["p50_us"]) / r["p50_us"]
        cells.append({"proto": key[0], "size": key[1], "p50_us": [r["p50_us"], other],
                      "deviation": None if dev is None else round(dev, 5)})
    devs = [c["deviation"] for c in cells if c["deviation"] is not None]
    agree = bool(devs) and len(devs) == len(cells) and max(devs) <= REPEAT_TOLERANCE
    out = {"tolerance": REPEAT_TOLERANCE, "agree": agree, "max_deviation": max(devs) if devs else None,
           "command": a["meta"].get("command"), "modes": [a["meta"].get("mode"), b["meta"].get("mode")],
           "cells": cells}
    with open(f"{outdir}/repeat.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    md = ["", f"Repeat check (two boots of `{out['command']}`): p50s "
          f"{'agree' if agree else 'DO NOT agree'} within {REPEAT_TOLERANCE:.0%} "
          f"(largest deviation {out['max_deviation']:.2%})." if devs else "", ""]
    md += ["| proto | size (B) | p50 run 1 | p50 run 2 | deviation |", "|---|---|---|---|---|"]
    md += [f"| {c['proto']} | {c['size']} | {fmt(c['p50_us'][0])} | {fmt(c['p50_us'][1])} | "
           f"{'n/a' if c['deviation'] is None else format(c['deviation'], '.2%')} |" for c in cells]
    text = "\n".join(md) + "\n"
    try:
        with open(f"{outdir}/latency.json") as f:
            main_report = json.load(f)
        main_report["repeat"] = {k: v for k, v in out.items() if k != "cells"}
        with open(f"{outdir}/latency.json", "w") as f:
            json.dump(main_report, f, indent=1)
            f.write("\n")
        with open(f"{outdir}/latency.md", "a") as f:
            f.write(text)
    except FileNotFoundError:
        pass
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
