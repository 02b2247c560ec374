#!/usr/bin/env python3
"""The CPU every process of a bench run used, PostgreSQL's backends and the broker included (the bench's own table has
the Api's and the Dispatcher's per step only).

usage: cpu-by-process.py OUT.json -- COMMAND...

Runs COMMAND (a Whistle.Bench run), reads /proc every 0.25 s and writes the CPU-seconds (user + system) each group of
processes used while it ran: postgres (every backend, the bench's throwaway cluster), rabbitmq (beam.smp; a broker
already running counts from the start of the run), Whistle.Api, Whistle.Dispatcher, Whistle.Bench. A process that
exits between two reads loses its last quarter of a second.
"""
import os, sys, time, subprocess, json
out = sys.argv[1]; cmd = sys.argv[3:]
tick = os.sysconf('SC_CLK_TCK')
seen = {}
def group(pid):
    try:
        cl = open(f'/proc/{pid}/cmdline','rb').read().replace(b'\0',b' ').decode(errors='replace')
    except Exception: return None
    if 'postgres' in cl.split(' ')[0] or cl.startswith('postgres'): return 'postgres'
    if 'beam.smp' in cl: return 'rabbitmq'
    for n in ('Whistle.Api','Whistle.Dispatcher','Whistle.Bench'):
        if n in cl: return n
    return None
def poll():
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            st = open(f'/proc/{p}/stat').read()
            f = st[st.rindex(')')+2:].split()
            cpu = (int(f[11]) + int(f[12])) / tick
            start = f[19]
        except Exception: continue
        key = (p, start)
        if key not in seen:
            seen[key] = [group(p), cpu]  # group, CPU-seconds when last read
        else:
            seen[key][1] = cpu
proc = subprocess.Popen(cmd)
poll()
base = {k: v[1] for k, v in seen.items()}
while proc.poll() is None:
    poll(); time.sleep(0.25)
poll()
tot = {}
for k, (g, last) in seen.items():
    if g is None: continue
    b = base.get(k, 0.0)
    tot[g] = round(tot.get(g, 0) + last - b, 2)
json.dump(tot, open(out, 'w')); print('cpu-by-process', tot)
sys.exit(proc.returncode)
