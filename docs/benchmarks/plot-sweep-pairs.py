#!/usr/bin/env python3
"""The highest rate each saturation sweep sustained, run by run, before and after: one SVG from Whistle.Bench's JSON.

    python3 docs/benchmarks/plot-sweep-pairs.py OUT.svg "title" before-1.json,after-1.json before-2.json,after-2.json ...

Each argument after the title is one pair (run alternately); a sweep that failed its first step is drawn at 0. The
number beside a point is the first step that failed (none: every step held). Only the standard library.
"""
import json
import sys


def outcome(file):
    data = json.load(open(file, encoding="utf-8"))
    # the distributed sweep, or the embedded one where the run had only that (--only embedded)
    steps = sorted(data["sweep"] or (data.get("embedded") or {}).get("sweep") or [], key=lambda s: s["offeredRate"])
    held, failed = 0, None
    for s in steps:
        if not s.get("sustained"):
            failed = s["offeredRate"]
            break
        held = s["offeredRate"]
    return held, failed, steps[-1]["offeredRate"]


def main():
    out, title, pairs = sys.argv[1], sys.argv[2], [p.split(",") for p in sys.argv[3:]]
    results = [[outcome(f) for f in pair] for pair in pairs]
    top = max(r[2] for pair in results for r in pair)
    w, h, left, right, upper, lower = 640, 360, 70, 150, 40, 50

    def x(i, k):
        return left + (w - left - right) * (i + 0.5 + (k - 0.5) * 0.42) / len(pairs)

    def y(v):
        return upper + (h - upper - lower) * (1 - v / top)

    colours = ["#b0413e", "#2f6690"]
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14" font-weight="bold">{title}</text>']
    for v in range(0, int(top) + 1, 100):
        svg.append(f'<line x1="{left}" x2="{w - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}/s</text>')
    for i, pair in enumerate(results):
        svg.append(f'<text x="{x(i, 0.5):.1f}" y="{h - lower + 18}" text-anchor="middle">run {i + 1}</text>')
        for k, (held, failed, _) in enumerate(pair):
            c = colours[k]
            svg.append(f'<circle cx="{x(i, k):.1f}" cy="{y(held):.1f}" r="5" fill="{c}"/>')
            note = f"x{failed}" if failed else "all"
            svg.append(f'<text x="{x(i, k):.1f}" y="{y(held) - 9:.1f}" text-anchor="middle" fill="{c}" font-size="10">{note}</text>')
    for k, label in enumerate(["before", "after"]):
        ly = upper + 10 + k * 20
        svg.append(f'<circle cx="{w - right + 20}" cy="{ly}" r="5" fill="{colours[k]}"/><text x="{w - right + 32}" y="{ly + 4}">{label}</text>')
    svg.append(f'<text x="{w - right + 12}" y="{upper + 60}" font-size="10">x N: step N failed</text>')
    svg.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">highest step sustained (p99 &lt; 1 s), pairs run alternately</text>')
    svg.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
