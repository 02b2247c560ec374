#!/usr/bin/env python3
"""Live heap per connection, by type and by owner, from two `dotnet-gcdump report` outputs.

Usage: gcdump-diff.py REPORT_AT_N1 REPORT_AT_N2 CONNECTIONS_BETWEEN [TOP]

Each report is the text `dotnet-gcdump report FILE.gcdump` prints (one line per type and size band: the bytes of one
object, the count, the type). The difference of the two, divided by the connections opened between the dumps, is what
one more idle connection keeps alive (docs/benchmarks/2026-11-30-memory.md).
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


def main():
    before, after, connections = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    rows = []
    for name in set(before) | set(after):
        (b0, c0), (b1, c1) = before.get(name, (0, 0)), after.get(name, (0, 0))
        rows.append(((b1 - b0) / connections, (c1 - c0) / connections, name))
    rows.sort(reverse=True)
    print(f"live heap per connection: {sum(r[0] for r in rows):.0f} B")
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
