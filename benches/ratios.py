#!/usr/bin/env python3
"""Print the benchmark ratios of BENCHMARKS.md from criterion's last run.

Run `cargo bench --bench evaluate` first; this reads target/criterion/**/new/*.json.
"""
import glob
import json
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
times = {}  # (group, function) -> nanoseconds per element
for path in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
    with open(path) as f:
        bench = json.load(f)
    with open(os.path.join(os.path.dirname(path), "estimates.json")) as f:
        mean = json.load(f)["mean"]["point_estimate"]
    elements = (bench.get("throughput") or {}).get("Elements") or 1
    times[(bench["group_id"], bench["function_id"])] = mean / elements

if not times:
    sys.exit("no results: run `cargo bench --bench evaluate` first")


def show(group, name, base):
    t, b = times.get((group, name)), times.get((group, base))
    if t is None or b is None:
        return
    print(f"| {group} | {name} | {t:,.0f} ns | {base} {b:,.0f} ns | {t / b:.2f}x |")


print("| group | measured | per item | baseline | ratio |")
print("|---|---|---|---|---|")
for policy in ["after_sales", "dongguan"]:
    for name in ["triage/no_trace", "triage/rules_fired"]:
        show(f"prepared/{policy}", name, "handwritten")
    show(f"end_to_end/{policy}", "triage", "handwritten")
one, two = times.get(("jobs", "1")), times.get(("jobs", "2"))
if one and two:
    print(f"| jobs | 2 threads | {two:,.0f} ns | 1 thread {one:,.0f} ns | {one / two:.2f}x the throughput |")
small = times.get(("load", "100_rules"))
for n in ["1000", "10000"]:
    t = times.get(("load", f"{n}_rules"))
    if t and small:
        print(f"| load | {n} rules | {t / 1000:,.1f} µs per rule | 100 rules {small / 1000:,.1f} µs per rule | {t / small:.2f}x |")
for name in ["working_1h", "working_100h", "working_2000h", "working_days_1", "working_days_240"]:
    show("deadline", name, "clock_1h")
