# SPDX-License-Identifier: GPL-2.0
"""
Mutation run over recorded files: each case is a copy of one of tests/data/*.data (or the
files given) cut at a random offset, with random bytes flipped, or with a crafted header
field (huge sizes, counts, offsets), read by `tlbstat report --json` under a time and an
address-space limit. A case passes when report exits 0 (a partial report) or 1 with one line on
stderr; it is a crash when killed by a signal or exiting otherwise, a hang when it outlives the
time limit. Prints every bad case, then the counts, the worst time and the peak RSS.

  python3 tests/mutate.py [--cases 100] [--seed 1] [--timeout 10] [--mem-mb 1024 (0: none)]
                          [--keep DIR] [--tlbstat build/tlbstat] [FILE.data ...]
Exit 0 when no case crashed or hung, 1 otherwise.
"""
import argparse
import glob
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import perfdata  # noqa: E402

HUGE = [0xffffffffffffffff, 1 << 63, 1 << 40, 1 << 32, 0xffffffff, 0x7fffffff, 0]


def header_fields(pd):
    """(name, offset of the u64) of every size, count and offset the reader trusts."""
    fields = [('attr_size', 16), ('attrs.offset', 24), ('attrs.size', 32), ('data.offset', 40),
              ('data.size', 48)]
    for i in range(pd.attrs_size // pd.attr_size):
        e = pd.attrs_off + (i + 1) * pd.attr_size
        fields += [('attr%d.ids.offset' % i, e - 16), ('attr%d.ids.size' % i, e - 8)]
    toff, secs = pd.feature_table()
    for k in range(len(secs)):
        fields += [('feature%d.offset' % k, toff + 16 * k), ('feature%d.size' % k, toff + 16 * k + 8)]
    return fields


def mutate(blob, rng):
    """One mutated copy of blob and what was done."""
    pd = perfdata.PerfData(blob)
    b = bytearray(blob)
    kind = rng.choice(['truncate', 'flip', 'header', 'header', 'record'])
    if kind == 'truncate':
        n = rng.randrange(0, len(b))
        return bytes(b[:n]), 'truncated at %d of %d' % (n, len(b))
    if kind == 'flip':
        offs = [rng.randrange(0, len(b)) for _ in range(rng.randint(1, 16))]
        for o in offs:
            b[o] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
        return bytes(b), 'flipped bytes at %s' % ','.join(map(str, sorted(offs)))
    if kind == 'header':
        name, off = rng.choice(header_fields(pd))
        v = rng.choice(HUGE + [len(b), len(b) - 8, rng.randrange(0, len(b))])
        if off + 8 <= len(b):
            struct.pack_into('<Q', b, off, v)
        return bytes(b), '%s (at %d) = %#x' % (name, off, v)
    # a record's size field: 0, 8, odd, past the end
    recs = list(pd.records())
    pos, _, _ = rng.choice(recs)
    v = rng.choice([0, 8, 9, 0xfff8, 0xffff, 16])
    struct.pack_into('<H', b, pos + 6, v)
    return bytes(b), 'record at %d: size %#x' % (pos, v)


def run_case(tlbstat, path, timeout, mem_mb):
    """(status, seconds, peak RSS KiB, stderr lines)."""
    def limits():
        if mem_mb > 0:      # 0: none (a sanitizer build maps terabytes of shadow)
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    err = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen([tlbstat, 'report', '--json', '-i', path], stdout=subprocess.DEVNULL,
                         stderr=err, preexec_fn=limits)
    hung = False
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            hung = True
            os.kill(p.pid, signal.SIGKILL)
            pid, st, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.005)
    secs = time.monotonic() - t0
    p.returncode = 0     # reaped here, not by Popen
    err.seek(0)
    lines = err.read().decode(errors='replace').splitlines()
    if hung:
        return 'hang', secs, ru.ru_maxrss, lines
    if os.WIFSIGNALED(st):
        return 'crash (signal %d)' % os.WTERMSIG(st), secs, ru.ru_maxrss, lines
    rc = os.WEXITSTATUS(st)
    errors = [ln for ln in lines if 'warning' not in ln]
    if rc == 0 or (rc == 1 and len(errors) == 1):
        return 'ok %d' % rc, secs, ru.ru_maxrss, lines
    return 'crash (exit %d, %d error lines)' % (rc, len(errors)), secs, ru.ru_maxrss, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cases', type=int, default=100)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=10)
    ap.add_argument('--mem-mb', type=int, default=1024)
    ap.add_argument('--keep', help='copy crashing and hanging cases here')
    ap.add_argument('--tlbstat', default=os.environ.get('TLBSTAT', 'build/tlbstat'))
    ap.add_argument('files', nargs='*')
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, 'data', '*.data')))
    blobs = [(f, open(f, 'rb').read()) for f in files]
    rng = random.Random(a.seed)
    counts, worst, peak, bad = {}, (0, ''), (0, ''), 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.cases):
            src, blob = blobs[i % len(blobs)]
            data, what = mutate(blob, rng)
            path = os.path.join(tmp, 'case.data')
            with open(path, 'wb') as f:
                f.write(data)
            status, secs, rss, lines = run_case(a.tlbstat, path, a.timeout, a.mem_mb)
            desc = '%s: %s' % (os.path.basename(src), what)
            key = status.split(' (')[0] if status.startswith('crash') else status
            counts[key] = counts.get(key, 0) + 1
            if secs > worst[0]:
                worst = (secs, desc)
            if rss > peak[0]:
                peak = (rss, desc)
            if status.startswith(('crash', 'hang')):
                bad += 1
                print('case %d: %s: %s (%.2f s): %s' % (i, status, desc, secs,
                                                        ' | '.join(lines[-2:])))
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    with open(os.path.join(a.keep, 'case-%d.data' % i), 'wb') as f:
                        f.write(data)
    print('%d cases (seed %d): %d crashes, %d hangs; exits: %s' % (
        a.cases, a.seed, counts.get('crash', 0), counts.get('hang', 0),
        ', '.join('%s x%d' % kv for kv in sorted(counts.items()))))
    print('worst time %.3f s (%s)' % worst)
    print('peak RSS %.1f MiB (%s)' % (peak[0] / 1024, peak[1]))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
