"""Peak heap of a massif profile, by phase and by nearest platc frame (BENCHMARKS.md, "Memory").

    valgrind --tool=massif --massif-out-file=massif.out \
        target/release/platc render -c platform.toml -o /dev/shm/out
    python3 crates/platc-bench/profile/massif_peak.py massif.out [phase substrings...]
"""
import re, sys, collections
lines = open(sys.argv[1]).read().split('\n')
phases = sys.argv[2:] or ['platc_write::', 'platc_check::check', 'platc_ir::resolve', 'platc_kustomize::', 'platc_helm::', 'platc_terraform::', 'platc_core::', 'platc_delivery::', 'FileTree>::merge', 'platc::read', 'std::fs::read']
# find peak snapshot
i = next(k for k, l in enumerate(lines) if l.startswith('heap_tree=peak'))
total = None
for l in lines[:i][::-1]:
    m = re.match(r'mem_heap_B=(\d+)', l)
    if m: total = int(m.group(1)); break
# parse tree
stack = []  # (indent, func)
leaves = []
for l in lines[i+1:]:
    if l.startswith('snapshot=') or l.startswith('#'): break
    m = re.match(r'^(\s*)n(\d+): (\d+) (.*)$', l)
    if not m: continue
    ind, nkids, b, rest = len(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    func = re.sub(r'^0x[0-9A-F]+: ', '', rest)
    while stack and stack[-1][0] >= ind: stack.pop()
    stack.append((ind, func))
    if nkids == 0:
        leaves.append((b, [f for _, f in stack]))
print(f'peak heap {total/1e6:.1f} MB')
by_phase = collections.Counter(); by_site = collections.Counter()
for b, chain in leaves:
    ph = next((p for f in chain for p in phases if p in f), 'other')
    by_phase[ph] += b
    site = next((re.sub(r' \(.*', '', f) for f in chain if 'platc' in f and 'main' not in f.split('(')[0]), chain[-1] if chain else '?')
    by_site[site[:110]] += b
for k, v in by_phase.most_common(): print(f'{v/1e6:8.1f} MB {100*v/total:5.1f}%  {k}')
print('-- by nearest platc frame')
for k, v in by_site.most_common(15): print(f'{v/1e6:8.1f} MB {100*v/total:5.1f}%  {k}')
