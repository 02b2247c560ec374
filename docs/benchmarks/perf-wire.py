#!/usr/bin/env python3
"""The bus's serialization in one process's share of a system-wide profile (2026-12-03-wire.md).

usage: perf-wire.py PERF_DATA [PID]

PERF_DATA is a `perf record -a -g` taken while a bench step ran, the process writing its JIT map (see
perf-by-process.py for how); PID defaults to the process with the most samples (the Api on the embedded way). Prints,
as a share of that process's samples, those with each frame anywhere on the stack: the outbox relay, its read of a row,
the message body it sends, MassTransit's receive side (the envelope's parse or the raw body's, and the message read
from it), and all of System.Text.Json and MassTransit. Only the standard library and `perf script`.
"""
import collections
import re
import subprocess
import sys

FRAMES = [
    ("writer's turn (WriteInBatchAsync)", r"WriteInBatchAsync"),
    ("relay (OutboxRelay)", r"OutboxRelay"),
    ("relay: reading the row (OutboxRelay.TryRead)", r"OutboxRelay::TryRead"),
    ("send: the message body (envelope serialized, or stored body encoded)", r"MessageBody(`1)?(\[.*\])?::GetBytes"),
    ("send: raw headers (SetRawMessageHeaders)", r"SetRawMessageHeaders"),
    ("receive: MassTransit's DeserializeFilter, inclusive", r"DeserializeFilter\+<Send>"),
    ("receive: the envelope's parse (SystemTextJsonMessageSerializer.Deserialize)", r"SystemTextJsonMessageSerializer::Deserialize"),
    ("receive: the raw body's parse (SystemTextJsonRawMessageSerializer.Deserialize)", r"SystemTextJsonRawMessageSerializer::Deserialize"),
    ("receive: the message read from its element (TryGetMessage)", r"SerializerContext::TryGetMessage"),
    ("System.Text.Json, any frame", r"\[System\.Text\.Json\]"),
    ("MassTransit, any frame", r"\[MassTransit"),
]

data = sys.argv[1]
out = subprocess.run(["perf", "script", "-i", data, "-F", "pid,ip,sym"], capture_output=True, text=True, errors="replace").stdout
samples = []
current = None
for line in out.split("\n"):
    if not line.strip():
        if current is not None:
            samples.append(current)
            current = None
        continue
    if not line.startswith("\t"):
        if current is not None:
            samples.append(current)
        current = (line.split()[0], [])
    elif current is not None:
        current[1].append(re.sub(r"^\S+\s+", "", line.strip()))
if current is not None:
    samples.append(current)

by_pid = collections.Counter(pid for pid, _ in samples)
pid = sys.argv[2] if len(sys.argv) > 2 else by_pid.most_common(1)[0][0]
mine = [stack for p, stack in samples if p == pid]
print(f"samples {len(samples)}; pid {pid} {len(mine)} ({100 * len(mine) / len(samples):.1f}%); idle {100 * by_pid['0'] / len(samples):.1f}%")
for name, pattern in FRAMES:
    regex = re.compile(pattern)
    count = sum(1 for stack in mine if any(regex.search(frame) for frame in stack))
    print(f"| {name} | {100 * count / len(mine):.1f}% |")
