#!/usr/bin/env python3
"""PostgreSQL's share of a system-wide profile, and the share of its samples with a frame anywhere on the stack.

usage: perf-frame-share.py PERF_DATA [FRAME ...]

PERF_DATA is a `perf record -a -g` taken while a bench step ran (see perf-by-process.py for how). The frames default to
the server's index maintenance, executor start-up and update path. Only the standard library and `perf script`.
"""
import collections
import subprocess
import sys

data = sys.argv[1]
wanted = sys.argv[2:] or ["ExecInsertIndexTuples", "btinsert", "heap_update", "standard_ExecutorStart"]
out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,ip,sym"], capture_output=True, text=True, errors="replace").stdout
total = 0
postgres = 0
frames = collections.Counter()
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
