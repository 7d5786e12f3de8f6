"""Summary of one profiled platc run, as in BENCHMARKS.md ("Where the time goes").

    perf record -e cpu-clock -F 4000 --call-graph dwarf,16384 -o perf.data \
        target/release/platc render -c platform.toml -o /dev/shm/out
    perf script -i perf.data > perf.txt
    python3 crates/platc-bench/profile/perf_summary.py perf.txt

Each sample counts for the first phase (in the order of `groups`) found anywhere in its stack.
"""
import re, sys, collections
def load(fn):
    samples=[];cur=None
    for line in open(fn):
        line=line.rstrip('\n')
        if not line.strip():
            if cur is not None: samples.append(cur)
            cur=None; continue
        if not line.startswith((' ','\t')): cur=[]; continue
        m=re.match(r'\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)$',line)
        if m and cur is not None: cur.append(re.sub(r'\+0x[0-9a-f]+$','',m.group(1)))
    if cur: samples.append(cur)
    return samples
S=load(sys.argv[1]); tot=len(S)
def pct(n): return f'{100*n/tot:5.1f}%'
groups=[
 ('check: parse (toml)', 'platc_model::parse_tree'),
 ('check: decode', 'platc_model::decode'),
 ('check: JSON Schema (to_json + jsonschema)', 'platc_check::schema::validate'),
 ('check: rules', 'platc_check::rules'),
 ('resolve', 'platc_ir::resolve'),
 ('kustomize: NetworkPolicy derive (policies_for)', 'platc_netpol::derive::policies_for'),
 ('kustomize: NetworkPolicy -> Yaml (to_yaml)', 'NetworkPolicy::to_yaml'),
 ('kustomize: other', 'platc_kustomize::'),
 ('helm', 'platc_helm::'),
 ('terraform', 'platc_terraform::'),
 ('core', 'platc_core::'),
 ('delivery', 'platc_delivery::'),
 ('FileTree merge/insert', 'platc_tree::'),
 ('write: compare/read old files', 'platc_write::drift::'),
 ('write: platc_write (scan, plan, staging, swap, cleanup)', 'platc_write::'),
 ('main thread: run (hand-over of chunks, drop at exit)', 'platc::run'),
]
# Assign each sample to the first group (in list order) whose pattern appears in its stack,
# checking the innermost frames first for the specific patterns.
cnt=collections.Counter()
for s in S:
    g=next((name for name,pat in groups if any(pat in f for f in s)), 'other (runtime, kernel, unattributed)')
    cnt[g]+=1
print(f'{tot} samples')
for name,_ in groups+[('other (runtime, kernel, unattributed)',None)]:
    if cnt[name]: print(f'{pct(cnt[name])}  {name}')
# YAML serialisation and allocator, across phases
def share(pred): return sum(1 for s in S if pred(s))
print('-- across phases')
print(f'{pct(share(lambda s: any("platc_yaml::" in f for f in s)))}  platc_yaml (Mapping building + to_documents)')
print(f'{pct(share(lambda s: s and re.search(r"malloc|free|realloc|tcache|consolidate|unlink_chunk", s[0])))}  allocator (malloc/free) self time')
print(f'{pct(share(lambda s: any("drop_in_place" in f for f in s)))}  drop_in_place (freeing trees)')
print(f'{pct(share(lambda s: any(re.match(r"(__x64_sys|do_sys)", f) for f in s)))}  system calls')
for k in ['do_sys_openat2','__x64_sys_write','__x64_sys_fchmod','__x64_sys_fsync','__x64_sys_read','__x64_sys_statx','__x64_sys_newfstatat','__x64_sys_getdents64','__x64_sys_unlinkat','__x64_sys_renameat2','__x64_sys_linkat','__x64_sys_mkdirat','__x64_sys_close']:
    n=share(lambda s: any(k == f for f in s))
    if n: print(f'   {pct(n)}  {k}')
print('-- top self time (leaf <- nearest platc frame)')
c=collections.Counter()
for s in S:
    if not s: continue
    owner=next((f for f in s[1:] if 'platc' in f and 'closure' not in f), '')
    c[(s[0][:60], owner[:70])]+=1
for (leaf,owner),n in c.most_common(14): print(f'{pct(n)}  {leaf}  <-  {owner}')
