#!/usr/bin/env python3
"""Turn tests/bench/kv.sh's raw sdp-ycsb results into kv.json, kv.md, PNGs.

  tests/bench/kv_report.py OUTDIR [KEY=VALUE ...]

Reads OUTDIR/raw/*.json (one sdp-ycsb object per size and transport) and
OUTDIR/meta.json; KEY=VALUE pairs go into the metadata. Writes OUTDIR/kv.json
(meta, results, ratios, targets), OUTDIR/kv.md (printed too) and, with
matplotlib, OUTDIR/kv-throughput.png and OUTDIR/kv-p99.png. Ratios compare
runs of the same boot: throughput/throughput and p99/p99.
"""
import glob
import json
import sys

TARGET_VS_REDIS = 0.8    # sdp-kv TCP throughput >= 0.8 x redis on A and C
TARGET_VS_KTLS = 1.15    # sdp-aes128 throughput >= 1.15 x ktls-aes128 on A and C at 1 KiB
TARGET_SIZE = 1024


def main():
    outdir = sys.argv[1]
    with open(f"{outdir}/meta.json") as f:
        meta = json.load(f)
    for kv in sys.argv[2:]:
        k, _, v = kv.partition("=")
        meta[k] = v
    rows = []
    for path in sorted(glob.glob(f"{outdir}/raw/*.json")):
        with open(path) as f:
            d = json.load(f)
        name = "redis" if d["server"] == "redis" else d["transport"]
        for r in d["results"]:
            rows.append(dict(r, transport=name, value_size=d["value_size"], reads_verified=d["reads_verified"]))
    cell = {(r["transport"], r["value_size"], r["workload"], r["op"]): r for r in rows}
    transports = list(dict.fromkeys(r["transport"] for r in rows))
    sizes = sorted({r["value_size"] for r in rows})

    def get(t, s, w, key, op="all"):
        r = cell.get((t, s, w, op))
        return r[key] if r else None

    def ratio(a, b):
        return None if a is None or not b else a / b

    ratios, targets = [], []
    for s in sizes:
        for w in ("a", "c"):
            row = {"value_size": s, "workload": w}
            for num, den in (("tcp", "redis"), ("sdp-aes128", "ktls-aes128"), ("sdp", "tcp"),
                             ("sdp-aes128", "sdp")):
                row[f"{num}/{den}"] = {
                    "throughput": ratio(get(num, s, w, "throughput_ops"), get(den, s, w, "throughput_ops")),
                    "p99": ratio(get(num, s, w, "p99_us"), get(den, s, w, "p99_us"))}
            ratios.append(row)
            x = row["tcp/redis"]["throughput"]
            targets.append({"target": f"sdp-kv tcp >= {TARGET_VS_REDIS} x redis throughput, workload {w.upper()}, {s} B",
                            "value": x, "met": None if x is None else x >= TARGET_VS_REDIS})
            if s == TARGET_SIZE:
                x = row["sdp-aes128/ktls-aes128"]["throughput"]
                targets.append({"target": f"sdp-aes128 >= {TARGET_VS_KTLS} x ktls-aes128 throughput, workload {w.upper()}, 1 KiB",
                                "value": x, "met": None if x is None else x >= TARGET_VS_KTLS})
                x = row["sdp-aes128/ktls-aes128"]["p99"]
                targets.append({"target": f"sdp-aes128 p99 <= ktls-aes128 p99, workload {w.upper()}, 1 KiB",
                                "value": x, "met": None if x is None else x <= 1.0})
    with open(f"{outdir}/kv.json", "w") as f:
        json.dump({"meta": meta, "results": rows, "ratios": ratios, "targets": targets}, f, indent=1)

    fmt = lambda v, p=1: "n/a" if v is None else f"{v:.{p}f}"
    md = [f"# sdp-kv YCSB, one VM boot ({meta.get('date', '?')}, {meta.get('vcpus', '?')} vCPU, "
          f"{meta.get('accel', '?')}, {meta.get('mode', '')})", "",
          f"{meta.get('records')} records, {meta.get('operations')} operations per workload, "
          f"{meta.get('connections')} connections x depth {meta.get('depth')}, zipfian 0.99; "
          f"command: `{meta.get('command', '')}`", "",
          "| size | transport | load ops/s | A ops/s | A read p50/p99/p999 us | A update p50/p99/p999 us | C ops/s | C p50/p99/p999 us | reads verified |",
          "|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        for t in transports:
            if (t, s, "load", "all") not in cell:
                continue
            lat = lambda w, op: "/".join(fmt(get(t, s, w, k, op)) for k in ("p50_us", "p99_us", "p999_us"))
            md.append(f"| {s} | {t} | {fmt(get(t, s, 'load', 'throughput_ops'), 0)} | {fmt(get(t, s, 'a', 'throughput_ops'), 0)} | "
                      f"{lat('a', 'read')} | {lat('a', 'update')} | {fmt(get(t, s, 'c', 'throughput_ops'), 0)} | {lat('c', 'read')} | "
                      f"{cell[(t, s, 'load', 'all')]['reads_verified']} |")
    md += ["", "| size | workload | tcp/redis thr | sdp-aes128/ktls-aes128 thr | p99 | sdp/tcp thr | sdp-aes128/sdp thr |",
           "|---|---|---|---|---|---|---|"]
    for r in ratios:
        md.append(f"| {r['value_size']} | {r['workload'].upper()} | {fmt(r['tcp/redis']['throughput'], 2)} | "
                  f"{fmt(r['sdp-aes128/ktls-aes128']['throughput'], 2)} | {fmt(r['sdp-aes128/ktls-aes128']['p99'], 2)} | "
                  f"{fmt(r['sdp/tcp']['throughput'], 2)} | {fmt(r['sdp-aes128/sdp']['throughput'], 2)} |")
    md += ["", "| target | value | met |", "|---|---|---|"]
    for t in targets:
        md.append(f"| {t['target']} | {fmt(t['value'], 2)} | {'n/a' if t['met'] is None else ('yes' if t['met'] else 'NO')} |")
    text = "\n".join(md) + "\n"
    with open(f"{outdir}/kv.md", "w") as f:
        f.write(text)
    print(text)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("kv_report: no matplotlib (apt-get install python3-matplotlib): no PNG plots", file=sys.stderr)
        return
    for key, name, label in (("throughput_ops", "kv-throughput.png", "throughput (ops/s)"),
                             ("p99_us", "kv-p99.png", "p99 latency (us)")):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for ax, w in zip(axes, ("a", "c")):
            width = 0.8 / max(1, len(transports))
            for i, t in enumerate(transports):
                xs = [j + i * width for j in range(len(sizes))]
                ax.bar(xs, [get(t, s, w, key) or 0 for s in sizes], width, label=t)
            ax.set_xticks([j + 0.4 - width / 2 for j in range(len(sizes))])
            ax.set_xticklabels([f"{s} B" for s in sizes])
            ax.set_title(f"YCSB workload {w.upper()}")
            ax.set_ylabel(label)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(f"{outdir}/{name}", dpi=100)
        plt.close(fig)


if __name__ == "__main__":
    main()
