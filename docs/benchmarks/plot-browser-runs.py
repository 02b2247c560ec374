#!/usr/bin/env python3
"""Browser to browser, run by run: click -> row (in the DOM) and the branch page's main-thread time against the number
of rows in the branch's open inbox, one series per log of `Whistle.Bench --only browser --browser-runs N`.

    python3 docs/benchmarks/plot-browser-runs.py OUT.svg "title" "label=log.txt" ...

Reads the bench's run lines ("run 7: click → row 114 ms (painted 127 ms), 74 rows in the branch's inbox; ... all tasks
1246"). Only the standard library.
"""
import re
import sys

COLOURS = ["#b0413e", "#d08c2f", "#2f6690", "#3a7d44", "#8e6c8a", "#555555"]
RUN = re.compile(r"run \d+: click → row (\d+) ms \(painted (\d+) ms\), (\d+) rows.*all tasks (\d+)")


def runs(file):
    out = []
    for line in open(file, encoding="utf-8"):
        m = RUN.search(line)
        if m:
            out.append({"row": int(m[1]), "painted": int(m[2]), "rows": int(m[3]), "tasks": int(m[4])})
    return out


def panel(svg, series, key, label, x0, y0, w, h, xmax, ymax):
    def x(v):
        return x0 + w * v / xmax

    def y(v):
        return y0 + h * (1 - min(v, ymax) / ymax)

    step_y = ymax / 5
    for k in range(6):
        svg.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y(k * step_y):.1f}" y2="{y(k * step_y):.1f}" stroke="#e5e5e5"/>')
        svg.append(f'<text x="{x0 - 6}" y="{y(k * step_y) + 4:.1f}" text-anchor="end">{k * step_y:g}</text>')
    for k in range(0, int(xmax) + 1, 50):
        svg.append(f'<text x="{x(k):.1f}" y="{y0 + h + 16}" text-anchor="middle">{k}</text>')
    svg.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle">rows in the branch\'s open inbox</text>')
    svg.append(f'<text x="{x0}" y="{y0 - 8}" font-weight="bold">{label}</text>')
    for i, (_, rs) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f'{x(r["rows"]):.1f},{y(r[key]):.1f}' for r in rs)
        svg.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for r in rs:
            svg.append(f'<circle cx="{x(r["rows"]):.1f}" cy="{y(r[key]):.1f}" r="2.5" fill="{colour}"/>')


def main():
    out, title, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    series = [(spec.split("=", 1)[0], runs(spec.split("=", 1)[1])) for spec in specs]
    xmax = max(r["rows"] for _, rs in series for r in rs) * 1.05
    w, h = 980, 400
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="60" y="22" font-size="14" font-weight="bold">{title}</text>']
    ymax_row = max(500, max(r["row"] for _, rs in series for r in rs))
    ymax_tasks = max(r["tasks"] for _, rs in series for r in rs)
    panel(svg, series, "row", "click → row in the DOM (ms)", 60, 60, 340, 260, xmax, round(ymax_row, -2) + 100)
    panel(svg, series, "tasks", "branch page's main thread between runs (ms)", 470, 60, 340, 260, xmax, round(ymax_tasks, -3) + 500)
    for i, (label, _) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        ly = 70 + i * 20
        svg.append(f'<line x1="840" x2="864" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        svg.append(f'<text x="870" y="{ly + 4}">{label}</text>')
    svg.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
