#!/usr/bin/env python3
"""stallwatch.py OUTDIR -- CMD...: runs CMD; every 0.1 s writes per-group CPU (ms in the interval) and thread counts to
OUTDIR/cpu.csv; once the bench's PostgreSQL is up, samples pg_stat_activity every 0.2 s (psql \\watch) into
OUTDIR/pg.txt; once Api/Dispatcher are up, dotnet-counters System.Runtime every 1 s into OUTDIR/<name>-counters.csv.

Needs psql and dotnet-counters (`dotnet tool install -g dotnet-counters`, looked for in ~/.dotnet/tools). With the bench:
WHISTLE_BENCH_SERIES=OUTDIR stallwatch.py OUTDIR -- dotnet run --project Whistle.Bench -c Release -- --database postgresql
--only distributed --rates 150,150,150 (docs/benchmarks/2026-12-02-stalls.md)."""
import os, sys, time, subprocess
out = sys.argv[1]; cmd = sys.argv[3:]
os.makedirs(out, exist_ok=True)
tick = os.sysconf('SC_CLK_TCK')
groups = {}
def group(pid):
    try:
        cl = open(f'/proc/{pid}/cmdline','rb').read().replace(b'\0',b' ').decode(errors='replace')
    except Exception: return None, ''
    if cl.startswith('postgres') or '/postgres ' in cl.split(' -')[0]+' ': return 'postgres', cl
    if 'beam.smp' in cl: return 'rabbitmq', cl
    for n in ('Whistle.Api','Whistle.Dispatcher','Whistle.Bench'):
        if n in cl: return n, cl
    return None, cl
last = {}
names = ['postgres','rabbitmq','Whistle.Api','Whistle.Dispatcher','Whistle.Bench']
f = open(os.path.join(out,'cpu.csv'),'w')
f.write('unix_ms,' + ','.join(names) + ',api_threads,disp_threads\n')
proc = subprocess.Popen(cmd)
watchers = []; pg_started = False; counters = {}
while proc.poll() is None:
    now = time.time()
    cur = {}; threads = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            st = open(f'/proc/{p}/stat').read()
            fs = st[st.rindex(')')+2:].split()
            cpu = (int(fs[11]) + int(fs[12])) / tick
            key = (p, fs[19])
        except Exception: continue
        if key not in groups: groups[key] = group(p)
        g, cl = groups[key]
        if g is None: continue
        cur[key] = (g, cpu)
        if g in ('Whistle.Api','Whistle.Dispatcher'):
            threads[g] = int(fs[17])
            if g not in counters and not cl.startswith('dotnet-counters') and ('.dll' in cl or cl.split(' ')[0].endswith(g)) and 'Whistle.Bench' not in cl:
                c = subprocess.Popen([os.path.expanduser('~/.dotnet/tools/dotnet-counters'),'collect','-p',p,'--refresh-interval','1','--format','csv','-o',os.path.join(out,f'{g}-counters.csv'),'--counters','System.Runtime'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                counters[g] = c; watchers.append(c)
        if g == 'postgres' and not pg_started and ' -D ' in cl and '/tmp' in cl:
            data = cl.split(' -D ')[1].split(' ')[0]
            try:
                lines = open(os.path.join(data,'postmaster.pid')).read().split('\n')
                port = lines[3]
            except Exception: continue
            sql = "SELECT to_char(clock_timestamp(),'HH24:MI:SS.MS') t, pid, state, wait_event_type, wait_event, round(extract(epoch from clock_timestamp()-query_start)*1000) ms, round(extract(epoch from clock_timestamp()-xact_start)*1000) xms, left(regexp_replace(query,'\\s+',' ','g'),90) q FROM pg_stat_activity WHERE backend_type='client backend' AND pid<>pg_backend_pid() AND state<>'idle' \\watch 0.2\n"
            w = subprocess.Popen(['psql','-h','127.0.0.1','-p',port,'-U','whistle','-d','postgres','-At','-F','|'], stdin=subprocess.PIPE, stdout=open(os.path.join(out,'pg.txt'),'w'), stderr=subprocess.DEVNULL, text=True)
            w.stdin.write(sql); w.stdin.flush()
            watchers.append(w); pg_started = True
    row = []
    for n in names:
        d = 0.0
        for k,(g,c) in cur.items():
            if g == n: d += c - last.get(k, c)
        row.append(f'{d*1000:.0f}')
    last = {k: c for k,(g,c) in cur.items()}
    f.write(f'{now*1000:.0f},' + ','.join(row) + f",{threads.get('Whistle.Api',0)},{threads.get('Whistle.Dispatcher',0)}\n"); f.flush()
    time.sleep(max(0, 0.1 - (time.time()-now)))
for w in watchers:
    try: w.terminate()
    except Exception: pass
sys.exit(proc.returncode)
