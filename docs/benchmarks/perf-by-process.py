#!/usr/bin/env python3
"""Where two cores' CPU went during a bench step, by process and by frame, from a system-wide `perf record`.

usage: perf-by-process.py PERF_DATA [PID ...]

Take the profile while a step runs, the measured processes writing their JIT maps (the bench passes
WHISTLE_BENCH_CHILD_X=v to the Api and Dispatcher only):
  WHISTLE_BENCH_CHILD_DOTNET_PerfMapEnabled=1 WHISTLE_BENCH_CHILD_DOTNET_EnableWriteXorExecute=0 \
    dotnet run --project Whistle.Bench -c Release -- --database postgresql --only distributed --rates 150,150,150 …
  perf record -a -F 499 -g -o FILE -- sleep 10      (during the second step)
Prints the share of samples per process; for each PID given, the top leaf frames and the top frames on the stack.
"""
import subprocess, sys, collections, re
data = sys.argv[1]; pids = set(sys.argv[2:])
out = subprocess.run(['perf','script','-i',data,'-F','pid,comm,ip,sym,dso'], capture_output=True, text=True, errors='replace').stdout
samples = []; cur = None
for line in out.split('\n'):
    if not line.strip():
        if cur: samples.append(cur); cur = None
        continue
    if not line.startswith((' ', '\t')):
        if cur: samples.append(cur)
        m = re.match(r'\s*(\S.*?)\s+(\d+)\s*$', line)
        cur = {'pid': m.group(2) if m else '?', 'comm': m.group(1) if m else line, 'stack': []}
    else:
        parts = line.strip().split(' ', 1)
        sym = parts[1] if len(parts) > 1 else '?'
        sym = re.sub(r'\+0x[0-9a-f]+', '', sym)
        cur['stack'].append(sym)
if cur: samples.append(cur)
n = len(samples)
bypid = collections.Counter(s['pid'] for s in samples)
print('samples', n)
for p, c in bypid.most_common(12):
    comm = next(s['comm'] for s in samples if s['pid'] == p)
    print(f'{100*c/n:5.1f}% {p} {comm}')
for p in pids:
    ss = [s for s in samples if s['pid'] == p]
    print(f'\n== pid {p}: {len(ss)} samples ({100*len(ss)/n:.1f}%)')
    leaf = collections.Counter(s['stack'][0] if s['stack'] else '?' for s in ss)
    print('-- leaf')
    for k, c in leaf.most_common(25):
        print(f'{100*c/len(ss):5.1f}% {k[:150]}')
    inc = collections.Counter()
    for s in ss:
        for k in set(s['stack']): inc[k] += 1
    print('-- inclusive')
    for k, c in inc.most_common(80):
        print(f'{100*c/len(ss):5.1f}% {k[:150]}')
