#!/usr/bin/env python3
"""Rate against latency, before and after: one SVG per scenario from Whistle.Bench's JSON reports.

    python3 docs/benchmarks/plot-before-after.py OUT.svg "title" "label=file.json:path" ...

`path` picks a list of phases in the report: `sweep` (distributed), `embedded.sweep`, `parallel.one`, `parallel.two`.
Each series is drawn as p50 (solid) and p99 (dashed) of raise -> branch's push against the offered rate, on a
logarithmic latency axis; a step that was not sustained is drawn as an open circle. Only the standard library.
"""
import json
import math
import sys

COLOURS = ["#b0413e", "#2f6690", "#3a7d44", "#8e6c8a", "#d08c2f", "#555555"]


def phases(file, path):
    node = json.load(open(file, encoding="utf-8"))
    for key in path.split("."):
        node = node[key]
    return [p for p in node if p.get("dispatch", {}).get("count", 0) > 0]


def main():
    out, title, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    series = []
    for spec in specs:
        label, rest = spec.split("=", 1)
        file, path = rest.rsplit(":", 1)
        series.append((label, phases(file, path)))

    w, h, left, right, top, bottom = 760, 420, 70, 200, 40, 50
    rates = [p["offeredRate"] for _, ps in series for p in ps]
    lat = [p["dispatch"][q] for _, ps in series for p in ps for q in ("p50", "p99")]
    xmax = max(rates) * 1.05
    ymin, ymax = 10 ** math.floor(math.log10(max(min(lat), 0.5))), 10 ** math.ceil(math.log10(max(lat)))

    def x(v):
        return left + (w - left - right) * v / xmax

    def y(v):
        v = max(v, ymin)
        return top + (h - top - bottom) * (1 - (math.log10(v) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin)))

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14" font-weight="bold">{title}</text>']
    decade = ymin
    while decade <= ymax:
        svg.append(f'<line x1="{left}" x2="{w - right}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 6}" y="{y(decade) + 4:.1f}" text-anchor="end">{decade:g} ms</text>')
        decade *= 10
    step = 10 ** math.floor(math.log10(xmax)) / (2 if xmax / 10 ** math.floor(math.log10(xmax)) < 5 else 1)
    tick = 0.0
    while tick <= xmax:
        svg.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{h - bottom}" stroke="#eee"/>')
        svg.append(f'<text x="{x(tick):.1f}" y="{h - bottom + 16}" text-anchor="middle">{tick:g}</text>')
        tick += step
    svg.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">offered whistles/s</text>')
    svg.append(f'<line x1="{x(0)}" x2="{w - right}" y1="{y(1000):.1f}" y2="{y(1000):.1f}" stroke="#999" stroke-dasharray="2,3"/>')
    svg.append(f'<text x="{w - right - 4}" y="{y(1000) - 4:.1f}" text-anchor="end" fill="#777">p99 limit 1 s</text>')
    for i, (label, ps) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        ps = sorted(ps, key=lambda p: p["offeredRate"])
        for q, dash in (("p50", ""), ("p99", ' stroke-dasharray="6,4"')):
            points = " ".join(f'{x(p["offeredRate"]):.1f},{y(p["dispatch"][q]):.1f}' for p in ps)
            svg.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
            for p in ps:
                fill = colour if p.get("sustained") else "white"
                svg.append(f'<circle cx="{x(p["offeredRate"]):.1f}" cy="{y(p["dispatch"][q]):.1f}" r="3.5" fill="{fill}" stroke="{colour}"/>')
        ly = top + 10 + i * 36
        svg.append(f'<line x1="{w - right + 12}" x2="{w - right + 36}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        svg.append(f'<text x="{w - right + 42}" y="{ly + 4}">{label} p50</text>')
        svg.append(f'<line x1="{w - right + 12}" x2="{w - right + 36}" y1="{ly + 16}" y2="{ly + 16}" stroke="{colour}" stroke-width="2" stroke-dasharray="6,4"/>')
        svg.append(f'<text x="{w - right + 42}" y="{ly + 20}">{label} p99</text>')
    ly = top + 10 + len(series) * 36
    svg.append(f'<circle cx="{w - right + 24}" cy="{ly}" r="3.5" fill="white" stroke="#333"/><text x="{w - right + 42}" y="{ly + 4}">not sustained</text>')
    svg.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
