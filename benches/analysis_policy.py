"""A generated policy for timing `triage check`'s analysis: N rules over 30 fields (10 flags,
8 enums, 6 whole numbers, 5 optional flags besides id and received_at), each a conjunction of
2 or 3 conditions, one in 7 setting a grade and one in 3 a deadline, so that many pairs of
rules conflict. Write it beside rules/ so its import resolves:

    python3 benches/analysis_policy.py 1000 > rules/generated.triage   # then delete it
"""
import sys, random
n = int(sys.argv[1]); random.seed(7)
out = ["policy generated", "  zone Asia/Shanghai", "  default calendar office",
       'import "calendars/cn-mainland.triage"',
       "calendar office extends cn_mainland", "  hours mon-fri 09:00-18:00", "ticket", "  id text", "  received_at time"]
bools = [f"b{i}" for i in range(10)]; enums = [f"e{i}" for i in range(8)]; ints = [f"n{i}" for i in range(6)]; opts = [f"o{i}" for i in range(5)]
for b in bools: out.append(f"  {b} bool")
for e in enums: out.append(f"  {e} (v0, v1, v2, v3, v4)")
for i in ints: out.append(f"  {i} int >= 0")
for o in opts: out.append(f"  {o} optional bool")
out.append("grades I > II > III, default III")
out.append("roles " + ", ".join(f"role_{i}" for i in range(20)))
def atom():
    k = random.randrange(4)
    if k == 0: return random.choice(bools)
    if k == 1: return f"{random.choice(enums)} = v{random.randrange(5)}"
    if k == 2: return f"{random.choice(ints)} >= {random.randrange(10)}"
    return random.choice(opts)
for r in range(n):
    cond = " and ".join(atom() for _ in range(random.randrange(2, 4)))
    out.append(f"rule r_{r}\n  when {cond}\n  route role_{r % 20}")
    if r % 7 == 0: out.append(f"  grade {random.choice(['I','II'])}")
    if r % 3 == 0: out.append(f"  deadline d_{r % 10} = received_at + {1 + r % 4} working days")
print("\n".join(out))
