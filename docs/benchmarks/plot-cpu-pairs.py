#!/usr/bin/env python3
"""CPU by process, before and after: one SVG from the per-run CPU files of cpu-by-process.py.

    python3 docs/benchmarks/plot-cpu-pairs.py OUT.svg "title" before=a.json,b.json after=c.json,d.json

Each arm is a list of files (one run each, {process group: CPU-seconds}). For every process group the arms' runs are
drawn as dots and their mean as a bar, the arms side by side. Only the standard library.
"""
import json
import sys

COLOURS = ["#b0413e", "#2f6690", "#3a7d44", "#8e6c8a"]
GROUPS = [("postgres", "PostgreSQL"), ("rabbitmq", "RabbitMQ"), ("Whistle.Api", "Api"), ("Whistle.Dispatcher", "Dispatcher"), ("Whistle.Bench", "load generator")]


def main():
    out, title, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    arms = []
    for spec in specs:
        label, files = spec.split("=", 1)
        arms.append((label, [json.load(open(f, encoding="utf-8")) for f in files.split(",")]))
    top = max(run.get(key, 0) for _, runs in arms for run in runs for key, _ in GROUPS) * 1.15
    width, height, left, bottom, plot_top = 760, 380, 60, 60, 50
    plot_h = height - bottom - plot_top
    group_w = (width - left - 20) / len(GROUPS)
    bar_w = group_w / (len(arms) + 1)

    def y(value):
        return plot_top + plot_h - value / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{left}" y1="{plot_top + plot_h}" x2="{width - 20}" y2="{plot_top + plot_h}" stroke="black"/>',
        f'<line x1="{left}" y1="{plot_top}" x2="{left}" y2="{plot_top + plot_h}" stroke="black"/>',
        f'<text x="16" y="{plot_top + plot_h / 2}" transform="rotate(-90 16 {plot_top + plot_h / 2})" text-anchor="middle">CPU-seconds over the run</text>',
    ]
    step = 10 if top > 40 else 5
    for tick in range(0, int(top) + 1, step):
        parts.append(f'<line x1="{left - 4}" y1="{y(tick):.1f}" x2="{width - 20}" y2="{y(tick):.1f}" stroke="#e0e0e0"/>')
        parts.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for g, (key, name) in enumerate(GROUPS):
        x0 = left + g * group_w + bar_w / 2
        parts.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{plot_top + plot_h + 18}" text-anchor="middle">{name}</text>')
        for a, (label, runs) in enumerate(arms):
            values = [run.get(key, 0) for run in runs]
            mean = sum(values) / len(values)
            x = x0 + a * bar_w
            colour = COLOURS[a % len(COLOURS)]
            parts.append(f'<rect x="{x:.1f}" y="{y(mean):.1f}" width="{bar_w * 0.9:.1f}" height="{plot_top + plot_h - y(mean):.1f}" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>')
            parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{y(mean) - 4:.1f}" text-anchor="middle" font-size="10">{mean:.1f}</text>')
            for i, v in enumerate(values):
                parts.append(f'<circle cx="{x + bar_w * 0.2 + i * bar_w * 0.5 / max(1, len(values) - 1):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
    for a, (label, runs) in enumerate(arms):
        colour = COLOURS[a % len(COLOURS)]
        parts.append(f'<rect x="{left + 10 + a * 170}" y="{height - 24}" width="12" height="12" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>')
        parts.append(f'<text x="{left + 28 + a * 170}" y="{height - 14}">{label} ({len(runs)} runs)</text>')
    parts.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
