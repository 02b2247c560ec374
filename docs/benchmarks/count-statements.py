#!/usr/bin/env python3
"""Statements per whistle from a PostgreSQL statement log (Whistle.Bench --statement-log FILE).

usage: count-statements.py FILE [SECONDS]

Counts the statements the server ran in the last SECONDS (default 6) before the last whistle was raised -- the top
step of the rate sweep -- and divides by the whistles raised in that window (the bench's raises, the inserts into
whistles with a position). BEGIN and COMMIT count as statements too; a batch sent in the simple protocol (Npgsql's
connection reset: seven statements) counts once. Statements are grouped by their first 120 characters.
"""
import re,collections,sys
lines=open(sys.argv[1],errors='replace').read().split('\n')
ents=[];cur=None
for l in lines:
    m=re.match(r'^(\S+ \S+) \S+ \[(\d+)\] (LOG|DETAIL|ERROR|STATEMENT):  (.*)$',l)
    if m: cur=[m.group(1),m.group(2),m.group(3),m.group(4)]; ents.append(cur)
    elif cur: cur[3]+=' '+l.strip()
st=[e for e in ents if e[2]=='LOG' and (e[3].startswith('statement:') or e[3].startswith('execute'))]
ts=[e[0] for e in st if 'INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, latitude' in e[3]]
import datetime
def t(s): return datetime.datetime.strptime(s,'%Y-%m-%d %H:%M:%S.%f')
end=t(ts[-1]); start=end-datetime.timedelta(seconds=float(sys.argv[2]) if len(sys.argv)>2 else 6)
win=[e for e in st if start<=t(e[0])<=end]
c=collections.Counter()
for e in win:
    s=re.sub(r'^(statement|execute [^:]*): ','',e[3]); s=re.sub(r'\s+',' ',s)
    s=re.sub(r'\(\$\d+, \$\d+\)(, \(\$\d+, \$\d+\))+','(..multi..)',s)
    c[s[:120]]+=1
w=sum(v for k,v in c.items() if k.startswith('INSERT INTO whistles (id, township_id, matter_code, urgency, title, description, address, latitude'))
print('window whistles',w,'statements',len(win),'per whistle',round(len(win)/w,1))
for k,v in c.most_common(45): print(f'{v:7d} {v/w:6.2f} {k}')
