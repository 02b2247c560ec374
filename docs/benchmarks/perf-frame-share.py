#!/usr/bin/env python3
"""PostgreSQL's share of a system-wide profile, and the share of its samples with a frame anywhere on the stack.

usage: perf-frame-share.py PERF_DATA [FRAME ...]
       perf-frame-share.py PERF_DATA --under FRAME [N]

PERF_DATA is a `perf record -a -g` taken while a bench step ran (see perf-by-process.py for how). The frames default to
the server's index maintenance, executor start-up and update path. With --under, the N (20) frames most often found on
the stacks that hold FRAME instead, each as a share of PostgreSQL's samples. Only the standard library and `perf script`.
"""
import collections
import subprocess
import sys

data = sys.argv[1]
under = sys.argv[3] if sys.argv[2:3] == ["--under"] else None
wanted = [] if under else sys.argv[2:] or ["ExecInsertIndexTuples", "btinsert", "heap_update", "standard_ExecutorStart"]
out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,ip,sym"], capture_output=True, text=True, errors="replace").stdout
total = 0
postgres = 0
frames = collections.Counter()
beneath = collections.Counter()
comm = None
stack = []


def flush():
    global total, postgres
    if comm is None:
        return
    total += 1
    if comm.startswith("postgres"):
        postgres += 1
        for frame in set(stack):
            frames[frame] += 1
        if under in stack:
            beneath.update(set(stack))


for line in out.split("\n"):
    if not line.strip():
        flush()
        comm, stack = None, []
    elif not line.startswith("\t"):
        flush()
        comm, stack = line.strip(), []
    else:
        parts = line.strip().split(None, 1)
        stack.append((parts[1] if len(parts) > 1 else "?").split("+0x")[0])
flush()
print(f"samples {total}, postgres {postgres} ({100 * postgres / max(total, 1):.1f}%)")
for frame in wanted:
    print(f"  {frame}: {100 * frames[frame] / max(postgres, 1):.1f}% of postgres")
if under:
    print(f"frames on the stacks under {under} ({frames[under]} samples, {100 * frames[under] / max(postgres, 1):.1f}% of postgres):")
    shown = [(f, n) for f, n in beneath.most_common() if n < frames[under]]
    for frame, n in shown[: int(sys.argv[4]) if len(sys.argv) > 4 else 20]:
        print(f"  {100 * n / max(postgres, 1):6.2f}% {frame}")
