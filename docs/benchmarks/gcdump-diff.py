#!/usr/bin/env python3
"""Live heap per connection, by type and by owner, from two `dotnet-gcdump report` outputs.

Usage: gcdump-diff.py REPORT_AT_N1 REPORT_AT_N2 CONNECTIONS_BETWEEN [TOP]
       gcdump-diff.py --arms BEFORE_AT_N1 BEFORE_AT_N2 AFTER_AT_N1 AFTER_AT_N2 CONNECTIONS_BETWEEN
         (what a change moved: per connection, the heap's total and each type's row, after minus before)

Each report is the text `dotnet-gcdump report FILE.gcdump` prints (one line per type and size band: the bytes of one
object, the count, the type). The difference of the two, divided by the connections opened between the dumps, is what
one more idle connection keeps alive (docs/benchmarks/2026-11-30-memory.md).

The first figure printed is the heap's own total (each report's first line, "GC Heap bytes") per connection. The
rows by type multiply a row's size column by its count; where a type's objects differ in size the column is not
their mean, so the rows can move when nothing changed (2026-12-03-memory.md): compare arms by the total, and read
the rows for types of one size (a class, a fixed array).
"""
import re
import sys

OWNERS = [
    ("Whistle (hub session, catch-up bucket, principal)", r"Whistle\.|Claim|CatchUp"),
    ("diagnostics (Activity, tags, log scopes)", r"Diagnostics\.|Scope\b|Logging"),
    ("Kestrel (socket, HTTP/1.1 connection and the upgraded request)", r"Kestrel|Sockets|Http1|HttpRequest|HttpResponse|DefaultHttp|Hosting"),
    ("SignalR + WebSocket", r"SignalR|Http\.Connections|WebSocket|Channels"),
    ("middleware chain held by the open request", r"Middleware|Authentication|Authorization|OpenTelemetry|SecurityHeaders|RateLimit"),
    ("pipes", r"Pipelines|SegmentAsValueType"),
]
OTHER = "other (strings, dictionaries, tasks, cancellation, locks, DI scope)"


def load(path):
    types = {}
    for line in open(path, encoding="utf-8").read().splitlines()[4:]:
        m = re.match(r"\s*([\d,]+)\s+([\d,]+)\s+(.*)$", line)
        if not m:
            continue
        size, count = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
        name = re.sub(r"\s*\(Bytes > \d+K\)", "", m.group(3)).strip()
        total, n = types.get(name, (0, 0))
        types[name] = (total + size * count, n + count)
    return types


def heap_bytes(path):
    first = open(path, encoding="utf-8").readline()
    return int(first.split()[0].replace(",", ""))


def per_connection(first, second, connections):
    a, b = load(first), load(second)
    return {name: ((b.get(name, (0, 0))[0] - a.get(name, (0, 0))[0]) / connections,
                   (b.get(name, (0, 0))[1] - a.get(name, (0, 0))[1]) / connections) for name in set(a) | set(b)}


def arms(before_1, before_2, after_1, after_2, connections):
    heap = [(heap_bytes(second) - heap_bytes(first)) / connections for first, second in ((before_1, before_2), (after_1, after_2))]
    print(f"GC heap per connection (the reports' totals): before {heap[0]:.0f} B, after {heap[1]:.0f} B, change {heap[1] - heap[0]:+.0f} B")
    before, after = per_connection(before_1, before_2, connections), per_connection(after_1, after_2, connections)
    rows = []
    for name in set(before) | set(after):
        (b, bc), (a, ac) = before.get(name, (0, 0)), after.get(name, (0, 0))
        if abs(a - b) >= 16:
            rows.append((a - b, b, bc, a, ac, name))
    print("\nrows that moved by 16 B or more a connection (bytes/count before -> after):")
    for change, b, bc, a, ac, name in sorted(rows):
        print(f"  {change:+6.0f} B  {b:6.0f}/{bc:5.2f} -> {a:6.0f}/{ac:5.2f}  {name}")


def main():
    if sys.argv[1] == "--arms":
        arms(*sys.argv[2:6], float(sys.argv[6]))
        return
    connections = float(sys.argv[3])
    print(f"GC heap per connection (the reports' totals): {(heap_bytes(sys.argv[2]) - heap_bytes(sys.argv[1])) / connections:.0f} B")
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    rows = sorted(((size, count, name) for name, (size, count) in per_connection(sys.argv[1], sys.argv[2], connections).items()), reverse=True)
    print(f"the rows by type, summed: {sum(r[0] for r in rows):.0f} B")
    owners = {}
    for size, _, name in rows:
        owner = next((o for o, rx in OWNERS if re.search(rx, name)), OTHER)
        owners[owner] = owners.get(owner, 0) + size
    print("\nby owner:")
    for owner, size in sorted(owners.items(), key=lambda x: -x[1]):
        print(f"  {size:7.0f} B  {owner}")
    print(f"\ntop {top} types:")
    for size, count, name in rows[:top]:
        print(f"  {size:7.0f} B  {count:6.2f}  {name}")


if __name__ == "__main__":
    main()
