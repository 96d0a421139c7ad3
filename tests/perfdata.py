# SPDX-License-Identifier: GPL-2.0
"""
Crafted perf.data files for the reader tests, the mutation script and the benchmarks, cut from
a file tlbstat recorded (tests/data/tlbstat-ipi.data by default). Layout: Documentation/
perf-data.md. Little-endian PERFILE2 only.

  python3 tests/perfdata.py order SRC OUT N sorted|reversed [STEP_NS [pids]]   N copies of
      SRC's first tlb_flush sample, one per round, STEP_NS apart (default 1 s: one report
      interval each), increasing or decreasing from round to round (pids: each sample from a
      process of its own)
  python3 tests/perfdata.py cut SRC OUT K [killed]   SRC with the first K samples, the first K
      other records and the rounds among them, features kept (killed: data size 0 and no
      feature bits, as a killed tlbstat record leaves it: its early features only)
  python3 tests/perfdata.py shared-ids SRC OUT NR_ATTRS NR_IDS  NR_ATTRS attrs that all point
      at one block of NR_IDS ids (the pd_open OOM case of issue 14)
  python3 tests/perfdata.py repeat SRC OUT K   SRC's data section K times, each copy's times
      moved past the previous copy's (its span + 1 s): a large file of SRC's shape, the same
      processes, for the report benchmarks (perf's synthesized records, types >= 64, once)
"""
import struct
import sys

HDR = struct.Struct('<QQQ6Q4Q')   # magic, size, attr_size, attrs, data, event_types, features
FINISHED_ROUND = 68
SAMPLE = 9


class PerfData:
    def __init__(self, blob):
        self.b = bytearray(blob)
        f = HDR.unpack_from(self.b, 0)
        self.attr_size = f[2]
        self.attrs_off, self.attrs_size = f[3], f[4]
        self.data_off, self.data_size = f[5], f[6]
        self.features = f[9:13]

    def attr(self, i):
        """(sample_type, ids offset, ids size) of attr i."""
        e = self.attrs_off + i * self.attr_size
        stype = struct.unpack_from('<Q', self.b, e + 24)[0]
        ioff, isz = struct.unpack_from('<QQ', self.b, e + self.attr_size - 16)
        return stype, ioff, isz

    def ids(self, i):
        _, ioff, isz = self.attr(i)
        return struct.unpack_from('<%dQ' % (isz // 8), self.b, ioff)

    def records(self):
        pos, end = self.data_off, self.data_off + self.data_size
        while pos + 8 <= end:
            typ, _, size = struct.unpack_from('<IHH', self.b, pos)
            if size < 8:
                return
            yield pos, typ, bytes(self.b[pos:pos + size])
            pos += size

    def feature_table(self):
        """The feature table's bytes and the bodies after it, as (table offset, sections)."""
        n = sum(bin(w).count('1') for w in self.features)
        off = self.data_off + self.data_size
        return off, [struct.unpack_from('<QQ', self.b, off + 16 * k) for k in range(n)]

    def with_data(self, data):
        """A copy with a new data section; the feature sections follow it, moved along."""
        toff, secs = self.feature_table()
        delta = len(data) - self.data_size
        out = bytearray(self.b[:self.data_off]) + data
        out += b''.join(struct.pack('<QQ', o + delta, s) for o, s in secs)
        out += self.b[toff + 16 * len(secs):]
        struct.pack_into('<Q', out, 48, len(data))
        return bytes(out)


def order(src, n, reverse, step=1000000000, pids=False):
    """n copies of the first tlb_flush sample (attr 0), one round each, step ns apart (pids:
    each from its own process, 1000 + k)."""
    pd = PerfData(open(src, 'rb').read())
    stype = pd.attr(0)[0]
    # IDENTIFIER | TID | TIME first: the time lies at byte 24 of the record
    assert stype & 0x10006 == 0x10006 and not stype & 1, hex(stype)
    ids = set(pd.ids(0))
    data = bytearray()
    tmpl = None
    for _, typ, rec in pd.records():
        if typ == SAMPLE:
            if tmpl is None and struct.unpack_from('<Q', rec, 8)[0] in ids:
                tmpl = bytearray(rec)
        elif typ != FINISHED_ROUND:
            data += rec         # comms, mmaps: the names
    rnd = struct.pack('<IHH', FINISHED_ROUND, 0, 8)
    t0 = struct.unpack_from('<Q', tmpl, 24)[0]
    for i in range(n):
        k = n - 1 - i if reverse else i
        struct.pack_into('<Q', tmpl, 24, t0 + k * step)
        if pids:
            struct.pack_into('<II', tmpl, 16, 1000 + k, 1000 + k)
        data += tmpl + rnd
    return pd.with_data(bytes(data))


def cut(src, k, killed=False):
    """The first k samples and k other records (rounds kept), for small seeds."""
    pd = PerfData(open(src, 'rb').read())
    data, ns, no = bytearray(), 0, 0
    for _, typ, rec in pd.records():
        if typ == SAMPLE and ns < k:
            ns += 1
            data += rec
        elif typ == FINISHED_ROUND or (typ != SAMPLE and no < k):
            no += typ != FINISHED_ROUND
            data += rec
    if not killed:
        return pd.with_data(bytes(data))
    out = bytearray(pd.b[:pd.data_off]) + data
    struct.pack_into('<Q', out, 48, 0)
    struct.pack_into('<4Q', out, 72, 0, 0, 0, 0)
    return bytes(out)


def shared_ids(src, nr_attrs, nr_ids):
    """nr_attrs copies of attr 0, all pointing at one block of nr_ids ids (after the attrs)."""
    pd = PerfData(open(src, 'rb').read())
    a0 = pd.b[pd.attrs_off:pd.attrs_off + pd.attr_size]
    ids_off = pd.attrs_off + nr_attrs * pd.attr_size
    ent = bytearray(a0)
    struct.pack_into('<QQ', ent, pd.attr_size - 16, ids_off, 8 * nr_ids)
    out = bytearray(pd.b[:pd.attrs_off]) + bytes(ent) * nr_attrs
    out += struct.pack('<%dQ' % nr_ids, *range(1, nr_ids + 1))
    struct.pack_into('<QQ', out, 24, pd.attrs_off, nr_attrs * pd.attr_size)
    struct.pack_into('<QQ', out, 40, len(out), 0)          # empty data section
    struct.pack_into('<4Q', out, 72, 0, 0, 0, 0)           # no features
    return bytes(out)


TRAILER_AFTER_TIME = (1 << 6) | (1 << 9) | (1 << 7) | (1 << 16)   # ID, STREAM_ID, CPU, IDENTIFIER


def time_offsets(pd, rec, typ, by_id):
    """Byte offsets of the times a kernel record carries (sample, trailer, fork/exit body)."""
    first = struct.unpack_from('<Q', rec, 8)[0] if len(rec) >= 16 else None
    st, sid_all = by_id.get(first, by_id[None]) if typ == SAMPLE else by_id[None]
    if typ == SAMPLE:
        if not st & 4:
            return []
        return [8 + 8 * bin(st & 0x10003).count('1')]     # IDENTIFIER, IP, TID before TIME
    if typ >= 64:
        return []                                        # perf's own records: no trailer
    offs = [24] if typ in (4, 7) else []                 # EXIT, FORK: pid, ppid, tid, ptid, time
    if sid_all and st & 4:
        offs.append(len(rec) - 8 * (1 + bin(st & TRAILER_AFTER_TIME).count('1')))
    return offs


def repeat(src, k):
    pd = PerfData(open(src, 'rb').read())
    nattr = pd.attrs_size // pd.attr_size
    by_id = {}
    for i in range(nattr):
        st = pd.attr(i)[0]
        flags = struct.unpack_from('<Q', pd.b, pd.attrs_off + i * pd.attr_size + 40)[0]
        by_id[None] = by_id.get(None, (st, (flags >> 18) & 1))
        for x in pd.ids(i):
            by_id[x] = (st, (flags >> 18) & 1)
    assert len({v for kk, v in by_id.items() if kk is not None} | {by_id[None]}) == 1 or \
        all(v[0] & 0x10000 for v in by_id.values()), 'mixed layouts without IDENTIFIER'
    recs = [(typ, rec, time_offsets(pd, rec, typ, by_id)) for _, typ, rec in pd.records()]
    times = [struct.unpack_from('<Q', rec, o)[0] for _, rec, offs in recs for o in offs]
    times = [t for t in times if t]
    span = max(times) - min(times) + 1000000000
    data = bytearray()
    for c in range(k):
        for typ, rec, offs in recs:
            if typ >= 64 and typ != FINISHED_ROUND and c:
                continue
            r = bytearray(rec)
            for o in offs:
                t = struct.unpack_from('<Q', r, o)[0]
                if t:
                    struct.pack_into('<Q', r, o, t + c * span)
            data += r
    return pd.with_data(bytes(data))


def main(argv):
    if len(argv) in (6, 7, 8) and argv[1] == 'order':
        blob = order(argv[2], int(argv[4]), argv[5] == 'reversed',
                     int(argv[6]) if len(argv) >= 7 else 1000000000,
                     len(argv) == 8 and argv[7] == 'pids')
    elif len(argv) in (5, 6) and argv[1] == 'cut':
        blob = cut(argv[2], int(argv[4]), len(argv) == 6 and argv[5] == 'killed')
    elif len(argv) == 5 and argv[1] == 'repeat':
        blob = repeat(argv[2], int(argv[4]))
    elif len(argv) == 6 and argv[1] == 'shared-ids':
        blob = shared_ids(argv[2], int(argv[4]), int(argv[5]))
    else:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[3], 'wb') as f:
        f.write(blob)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
