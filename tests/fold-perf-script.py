#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fold `perf script` output (samples of EVENT with call chains) into the stackcollapse form:
'comm;root;...;leaf count', frames by function name ([unknown] when perf has none), sorted.
Used by tests/callchain.sh to compare tlbstat report --folded with perf's own reading."""
import re
import sys
from collections import Counter

event = sys.argv[1] if len(sys.argv) > 1 else "tlb:tlb_flush"
stacks = Counter()
comm, frames, take = None, [], False
head = re.compile(r"^(\S.*?)\s+-?\d+(?:/\d+)?\s+\[\d+\]\s+[\d.]+:\s+(\S+):")
frame = re.compile(r"^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)$")


def flush():
    if take and comm is not None:
        stacks[";".join([comm] + frames[::-1])] += 1


for line in sys.stdin:
    line = line.rstrip("\n")
    m = head.match(line)
    if m:
        flush()
        comm, frames, take = m.group(1).strip(), [], m.group(2) == event
        continue
    f = frame.match(line)
    if f and take:
        frames.append(f.group(1) if f.group(1) else "[unknown]")
        continue
    if not line.strip():
        flush()
        comm, frames, take = None, [], False
flush()
for k in sorted(stacks):
    print(f"{k} {stacks[k]}")
