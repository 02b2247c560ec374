#!/usr/bin/env python3
"""What SQLite's write-ahead log holds: frames a whistle, by the b-tree each page belongs to, by kind of commit, and
what merging consecutive commits would save. Reads copies of the log taken while the embedded Api runs.

    python3 docs/benchmarks/wal-frames.py DIR RATE

DIR holds `wal.01`, `wal.02`, ... (copies of the Api's `whistle.db-wal` taken every 0.25 s during one step of the
embedded sweep) and `copy.db` (the database with its `-wal` as `copy.db-wal`, copied last). They were taken during the
first 400/s step of `--only embedded --embedded-rates 200,400,400`, the Api's database found through
`/proc/PID/fd`:

    for i in $(seq -w 1 40); do cp $DB-wal DIR/wal.$i; sleep 0.25; done; cp $DB DIR/copy.db; cp $DB-wal DIR/copy.db-wal

RATE is the step's offered rate (whistles a second). A frame is a 24-byte header (page number, the database's size on
a commit frame, the log's two salts, a checksum) and the page; a frame belongs to the log in use when its salts are the
header's (SQLite restarts the log from its start after a checkpoint, adding one to the first salt). Pages are named by
SQLite's `dbstat` of copy.db. Only the standard library (sqlite3 with dbstat, as Debian builds it).
"""
import collections
import glob
import os
import sqlite3
import struct
import sys


def read_log(path):
    """(salt-1, [commits: [page numbers]], frames in use, mtime) of one copy of the log."""
    data = open(path, "rb").read()
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    commits, current, frames, offset = [], [], 0, 32
    while offset + 24 + page_size <= len(data) and data[offset + 8:offset + 16] == salts:
        page, commit = struct.unpack(">II", data[offset:offset + 8])
        current.append(page)
        frames += 1
        if commit:
            commits.append(current)
            current = []
        offset += 24 + page_size
    return struct.unpack(">I", salts[:4])[0], commits, frames, os.path.getmtime(path)


def main():
    folder, rate = sys.argv[1], float(sys.argv[2])
    copies = [read_log(p) for p in sorted(glob.glob(os.path.join(folder, "wal.*")))]
    database = sqlite3.connect(os.path.join(folder, "copy.db"))
    owner = dict(database.execute("SELECT pageno, name FROM dbstat"))

    # The rate: logs restarted between the first and the last copy, each about as long as the longest copy.
    (salt0, _, frames0, t0), (salt1, _, frames1, t1) = copies[0], copies[-1]
    full = max(c[2] for c in copies)
    per_second = ((salt1 - salt0) * full - frames0 + frames1) / (t1 - t0)
    print(f"{salt1 - salt0} logs in {t1 - t0:.2f} s, ~{full} frames a log: {per_second:.0f} frames/s, "
          f"{per_second / rate:.1f} frames a whistle at {rate:.0f}/s")

    # Each log once, as its longest copy holds it.
    logs = {}
    for salt, commits, _, _ in copies:
        if sum(map(len, commits)) > sum(map(len, logs.get(salt, []))):
            logs[salt] = commits
    commits = [c for log in logs.values() for c in log]
    total = sum(map(len, commits))
    distinct = [len({p for c in log for p in c}) for log in logs.values() if sum(map(len, log)) >= 1000]
    print(f"{len(logs)} logs, {len(commits)} commits, {total} frames ({total / len(commits):.1f} a commit); "
          f"distinct pages in a full log: {sum(distinct) / max(len(distinct), 1):.0f}")

    def name(page):
        return "page 1 (header)" if page == 1 else owner.get(page, "not in copy.db (freed since)")

    by_tree = collections.Counter(name(p) for c in commits for p in c)
    print("\n| b-tree | frames | share | frames a whistle |\n|---|---:|---:|---:|")
    for tree, n in by_tree.most_common():
        print(f"| {tree} | {n} | {100 * n / total:.1f}% | {per_second / rate * n / total:.2f} |")

    def kind(commit):
        trees = {name(p) for p in commit} - {"page 1 (header)", "sqlite_sequence"}
        touches = lambda table: any(t == table or t.startswith(f"ix_{table}") or t == f"sqlite_autoindex_{table}_1" for t in trees)
        if trees <= {"outbox", "ix_outbox_unsent"}:
            return "the outbox alone (relays' claims and sent marks)"
        if touches("assignments") and touches("whistles"):
            return "a dispatch (whistles and assignments)"
        if touches("whistles"):
            return "raises (whistles)"
        if all(t.startswith(("audit_", "ix_audit_", "ux_audit_")) for t in trees):
            return "the audit trail's seal"
        return "other: " + ", ".join(sorted(trees))[:100]

    kinds, kind_frames = collections.Counter(), collections.Counter()
    for c in commits:
        kinds[kind(c)] += 1
        kind_frames[kind(c)] += len(c)
    print("\n| commits that wrote | commits | frames | frames a commit |\n|---|---:|---:|---:|")
    for k, n in kinds.most_common():
        print(f"| {k} | {100 * n / len(commits):.1f}% | {100 * kind_frames[k] / total:.1f}% | {kind_frames[k] / n:.1f} |")

    # A commit that held the writes of k consecutive commits would append each page it changed once.
    print("\n| commits merged | frames | change |\n|---|---:|---:|")
    for k in (2, 3, 4, 8):
        merged = sum(len(set().union(*map(set, log[i:i + k]))) for log in logs.values() for i in range(0, len(log), k))
        print(f"| {k} | {merged} | {100 * (merged - total) / total:+.1f}% |")


if __name__ == "__main__":
    main()
