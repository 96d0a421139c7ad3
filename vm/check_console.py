#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the kernel-lab guest's console (vm/run_qemu.sh): every step ran and exited 0, and
what tlbstat measured inside the guest agrees with the guest kernel's own counters.

--arch arm64: the arm64 guest, where remote flushes are broadcast TLBIs. Stock kernel: tlbstat
says the tracepoint is missing, transport says broadcast (TLBI), the probe prints its TLBI
table labelled as TCG's. Patched kernel: tracefs sees one or two tlb_invalidation per munmap
tlbbench made, stat counts within 5 % of tracefs, and the report's busiest thread (by its
kernel-lab decisions) is the churning one.

Prints one "ok"/"not ok" line per check and the guest's figures; exits 0 when all pass,
1 otherwise. The markers are written by vm/guest-init.sh."""
import argparse
import json
import re
import sys

# what tlbstat prints on a kernel without tlb:tlb_flush (arm64's stock kernels)
MISSING_RE = re.compile(r"tlb:tlb_flush\b.*\bnot available")
# the arm64 probe's rows (probes/arm64): each TLBI bare and with its barriers
ARM64_PROBE_ROWS = [op + sfx for op in ("vale1is", "vaae1is", "aside1is", "vmalle1is")
                    for sfx in ("", "_sync")]
TCG_LABEL = "TCG timings are emulation, not hardware"


def parse(path):
    """The steps' JSON and exit statuses, and whether the guest reached the end."""
    js, rcs, done = {}, {}, False
    probe, out = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            # a kernel message may land before the marker on the same line
            i = line.find("TLBLAB-PROBE ")
            if i >= 0:
                probe.append(line[i + len("TLBLAB-PROBE "):])
                continue
            i = line.find("TLBLAB-OUT ")
            if i >= 0:
                step, _, text = line[i + len("TLBLAB-OUT "):].partition(" ")
                out.setdefault(step, []).append(text)
                continue
            for tag in ("TLBLAB-JSON ", "TLBLAB-RC ", "TLBLAB-DONE"):
                i = line.find(tag)
                if i < 0:
                    continue
                rest = line[i + len(tag):]
                if tag == "TLBLAB-DONE":
                    done = True
                elif tag == "TLBLAB-RC ":
                    step, _, rc = rest.partition(" ")
                    rcs[step] = int(rc) if rc.strip().lstrip("-").isdigit() else -1
                else:
                    step, _, text = rest.partition(" ")
                    try:
                        js[step] = json.loads(text)
                    except ValueError as e:
                        js[step] = {"_error": "not JSON: %s" % e}
    js["probe"] = probe
    js["out"] = out
    return js, rcs, done


def within(a, b, pct):
    return b > 0 and abs(a - b) <= b * pct / 100.0


class Checks:
    def __init__(self):
        self.failed = 0

    def __call__(self, cond, what):
        print("%s - %s" % ("ok" if cond else "not ok", what))
        self.failed += 0 if cond else 1


def check_stat(ck, st):
    remote = st.get("reasons", {}).get("remote_shootdown", 0)
    irq = st.get("interrupts_tlb", 0)
    print("# guest stat -a: remote_shootdown=%s TLB: interrupts=%s remote_ipi_send=%s transport=%s"
          % (remote, irq, st.get("reasons", {}).get("remote_ipi_send"), st.get("transport")))
    ck(st.get("transport") == "ipi", "the guest delivers remote flushes by IPI (transport %s)"
       % st.get("transport"))
    ck(remote > 0 and within(remote, irq, 5),
       "remote shootdowns (%s) within 5%% of the guest's TLB: interrupts (%s)" % (remote, irq))


def check_report(ck, rep, bench):
    iv = rep.get("initiator_victim") or {}
    threads = iv.get("threads") or []
    if not threads or not bench:
        ck(False, "report names the victim thread (no initiator_victim pairs or no bench JSON)")
        return
    top = threads[0]
    print("# top pair: %s -> %s (%s shootdowns); churn %s, probe %s"
          % (top.get("initiator_tid"), top.get("victim_tid"), top.get("shootdowns"),
             bench.get("churn_tids"), bench.get("probe_tids")))
    ck(top.get("victim_tid") in bench.get("probe_tids", []),
       "report names the victim: the spinning probe thread %s" % bench.get("probe_tids"))
    ck(top.get("initiator_tid") in bench.get("churn_tids", []),
       "report names the initiator: the munmap thread %s" % bench.get("churn_tids"))
    victims = rep.get("victims") or []
    ck(bool(victims) and victims[0].get("pid") == bench.get("pid"),
       "the victims table's first process is the benchmark (pid %s)" % bench.get("pid"))


def check_probe(ck, lines, rc):
    """The LAB-ONLY probe module loaded and printed its cycle table, labelled as TCG's."""
    for l in lines:
        print("# probe: %s" % l)
    ck(rc == 0, "the probe module loaded in the guest (insmod exit %s)" % rc)
    rows = {l.split()[0]: l.split()[1:] for l in lines if l and not l.startswith("#")}
    ok = all(k in rows and rows[k][0].isdigit() for k in ("invlpg", "cr3_reload",
                                                           "remote_flush_ipi"))
    ck(ok and any("emulation cycles" in l for l in lines),
       "the probe's table: invlpg, cr3_reload and remote_flush_ipi medians, labelled as TCG's")


def check_patched(ck, info, rep, ops):
    """The patched kernel's events exist, and the report decoded tlb_invalidation's fan-out."""
    ck(info.get("tlb_invalidation") is True, "the patched kernel has tlb:tlb_invalidation")
    ck(info.get("mmu_notifier_invalidation") is True,
       "the patched kernel has mmu_notifier:mmu_notifier_invalidation")
    inv = rep.get("events", {}).get("tlb_invalidation", 0)
    ck(inv >= 0.95 * ops, "report: tlb_invalidation events (%s) for %s munmaps" % (inv, ops))
    procs = [p for p in rep.get("processes", []) if p.get("comm") == "tlbbench"]
    fan = [(p.get("ipi_requests"), p.get("max_fanout")) for p in procs]
    print("# tlbbench's requests and max fan-out from target_cpus: %s" % fan)
    want = (info.get("cpus") or 2) - 1
    ck(any(r and r >= 0.9 * ops and f == want for r, f in fan),
       "report: the churn's remote requests come from target_cpus, fan-out %d" % want)
    lab = [p.get("kernel_lab") or {} for p in procs]
    print("# tlbbench's kernel_lab: %s" % lab)
    ck(any(l.get("decisions", 0) >= 0.95 * ops and l.get("asked_bytes", 0) > 0 and
           l.get("max_target_cpus") == want + 1 for l in lab),
       "report: kernel_lab shows tlbbench's decisions (>= 95 %% of %d), bytes asked and %d "
       "target CPUs" % (ops, want + 1))


def check_arm64_probe(ck, lines, rc):
    """The LAB-ONLY arm64 probe loaded and printed its TLBI table, labelled as TCG's."""
    for l in lines:
        print("# probe: %s" % l)
    ck(rc == 0, "the probe module loaded in the guest (insmod exit %s)" % rc)
    rows = {l.split()[0]: l.split()[1:] for l in lines if l.strip() and not l.startswith("#")}
    bad = []
    for k in ARM64_PROBE_ROWS:
        v = rows.get(k, [])
        if len(v) < 4 or not all(x.isdigit() for x in v[:4]):
            bad.append(k)
            continue
        med, p99, mn, n = (int(x) for x in v[:4])
        if not (mn <= med <= p99) or n <= 0:
            bad.append(k)
    ck(not bad, "the probe's table: median, p99, min and n of %s%s"
       % (", ".join(ARM64_PROBE_ROWS), " (missing or malformed: %s)" % ", ".join(bad)
          if bad else ""))
    ck(any(TCG_LABEL in l for l in lines), "the probe's table is labelled '%s'" % TCG_LABEL)


def check_arm64_probe_log(ck, lines):
    """The probe wrote each row to the kernel log too."""
    logged = {m.group(1) for m in (re.search(r"tlbprobe: (\S+) +median \d+ ticks", l)
                                   for l in lines) if m}
    missing = [k for k in ARM64_PROBE_ROWS if k not in logged]
    ck(not missing, "the kernel log has the probe's rows%s"
       % (" (missing: %s)" % ", ".join(missing) if missing else ""))


def check_arm64_transport(ck, tr, lines, rc):
    """transport says broadcast (TLBI): victims are not observable by any tracepoint."""
    for l in lines:
        print("# transport: %s" % l)
    ck(rc == 0, "guest step transport exited 0 (got %s)" % rc)
    ck(tr.get("transport") == "broadcast" and tr.get("victims_observable") is False,
       "transport --json: broadcast, victims not observable (got %s, %s)"
       % (tr.get("transport"), tr.get("victims_observable")))
    ck(any("TLBI" in l for l in lines), "transport's output names the TLBI broadcast")


def check_arm64_stock(ck, js, rcs):
    info = js.get("info", {})
    ck(info.get("tlb_invalidation") is False,
       "the stock arm64 kernel has no tlb:tlb_invalidation (got %s)" % info.get("tlb_invalidation"))
    # tlb:tlb_flush is created on every architecture (mm/rmap.c) but fired only by x86
    if info.get("tlb_flush"):
        fired = js.get("silent", {}).get("tlb_flush_events")
        munmaps = js.get("silentbench", {}).get("munmaps", 0)
        print("# tlb:tlb_flush exists; it fired %s times during %s munmaps" % (fired, munmaps))
        ck(rcs.get("silent") == 0 and munmaps > 0 and fired == 0,
           "tlb:tlb_flush exists but stays silent on arm64: %s events for %s munmaps"
           % (fired, munmaps))
    lines = js["out"].get("stat", [])
    for l in lines:
        print("# stat: %s" % l)
    ck("stat-missing" in rcs, "guest step stat (without the event) ran (exit %s)"
       % rcs.get("stat-missing"))
    ck(any(MISSING_RE.search(l) for l in lines),
       "tlbstat stat says the tracepoint is missing (/%s/)" % MISSING_RE.pattern)


def check_arm64_patched(ck, js, rcs, ops):
    info, st = js.get("info", {}), js.get("stat", {})
    sb, rep, bench = js.get("statbench", {}), js.get("report", {}), js.get("bench", {})
    ck(info.get("tlb_invalidation") is True, "the patched arm64 kernel has tlb:tlb_invalidation")
    for step in ("stat", "record", "report"):
        ck(rcs.get(step) == 0, "guest step %s exited 0 (got %s)" % (step, rcs.get(step)))
    for step in ("stat", "statbench", "report", "bench"):
        ck(step in js and "_error" not in js[step],
           "guest step %s printed its JSON%s" % (step, ": " + js[step]["_error"]
                                                  if "_error" in js.get(step, {}) else ""))
    total, munmaps = st.get("total", 0), sb.get("munmaps", 0)
    ft = js.get("ftrace", {})
    fe = ft.get("tlbbench_events", 0)
    print("# guest stat: %s invalidations for tlbbench's %s munmaps; tracefs counted %s of "
          "tlbbench's (%s overruns)" % (total, munmaps, fe, ft.get("overruns")))
    # an arm64 munmap flushes once, or twice when it also frees a page table (guest-init.sh)
    ck(munmaps > 0 and 0.95 * munmaps <= fe <= 2.05 * munmaps + 50,
       "tracefs: tlbbench's tlb_invalidation events (%s) one or two per munmap (%s)"
       % (fe, munmaps))
    ck(fe > 0 and ft.get("overruns") == 0 and within(total, fe, 5),
       "stat counts tlb_invalidation (%s) within 5%% of the same events in tracefs (%s)"
       % (total, fe))
    inv = rep.get("events", {}).get("tlb_invalidation", 0)
    ck(inv >= 0.95 * ops, "report: tlb_invalidation events (%s) for %s munmaps" % (inv, ops))
    threads = rep.get("threads") or []
    # arm64 fires no tlb_flush: the threads' invalidations are 0 and their flushes are the
    # kernel lab's decisions (kernel_lab.decisions, report's "Kernel lab events")
    busy = lambda t: (t.get("invalidations") or 0, (t.get("kernel_lab") or {}).get("decisions", 0))
    top = max(threads, key=busy) if threads else {}
    print("# report's busiest thread: %s (%s, %s invalidations, %s decisions); churn %s"
          % (top.get("tid"), top.get("comm"), top.get("invalidations"),
             (top.get("kernel_lab") or {}).get("decisions"), bench.get("churn_tids")))
    ck(bool(top) and top.get("tid") in bench.get("churn_tids", []),
       "report names the churning thread %s first" % bench.get("churn_tids"))
    kl = top.get("kernel_lab") or {}
    print("# the churn's decisions by what arm64 flushed: %s page, %s range flushed whole (ASID), "
          "%s whole space asked, of %s" % (kl.get("page_decisions"), kl.get("range_flushed_whole"),
                                           kl.get("asked_full"), kl.get("decisions")))
    ck(kl.get("page_decisions", 0) >= 0.9 * ops and kl.get("page_decisions", 0) +
       kl.get("range_flushed_whole", 0) + kl.get("asked_full", 0) <= kl.get("decisions", 0),
       "report: the churn's one-page munmaps counted as page decisions (%s of %s)"
       % (kl.get("page_decisions"), ops))
    if info.get("mmu_notifier_invalidation"):
        mn = js.get("notifier", {}).get("events", {}).get("mmu_notifier_invalidation", 0)
        ck(rcs.get("notifier") == 0, "guest step notifier exited 0 (got %s)" % rcs.get("notifier"))
        ck(mn >= 2 * 0.9 * ops, "report: mmu_notifier_invalidation events (%s), a start and an "
           "end for each of %s munmaps under the probe's notifier" % (mn, ops))


def main_arm64(a, js, rcs, done):
    ck = Checks()
    info = js.get("info", {})
    print("# guest kernel %s (%s), %s CPUs; /init at %s s, steps done at %s"
          % (info.get("kernel"), info.get("arch"), info.get("cpus"), info.get("uptime_s"),
             " ".join(js["out"].get("end", [])) or "-"))
    ck(done, "the guest ran every step and reached the end (TLBLAB-DONE)")
    ck(rcs.get("info") == 0 and info.get("arch") == "aarch64",
       "guest step info exited 0 on an aarch64 kernel (arch %s)" % info.get("arch"))
    check_arm64_transport(ck, js.get("transport", {}), js["out"].get("transport", []),
                          rcs.get("transport"))
    if a.kernel == "patched":
        check_arm64_patched(ck, js, rcs, a.ops)
    else:
        check_arm64_stock(ck, js, rcs)
    check_arm64_probe(ck, js["probe"], rcs.get("probe"))
    check_arm64_probe_log(ck, js["out"].get("probe-log", []))
    return ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=("x86", "arm64"), default="x86")
    ap.add_argument("--kernel", choices=("stock", "patched"), default="stock")
    ap.add_argument("--ops", type=int, default=5000)
    ap.add_argument("console")
    a = ap.parse_args()
    js, rcs, done = parse(a.console)
    if a.arch == "arm64":
        return finish(main_arm64(a, js, rcs, done), a.console)
    ck = Checks()
    info = js.get("info", {})
    print("# guest kernel %s, %s CPUs" % (info.get("kernel"), info.get("cpus")))
    ck(done, "the guest ran every step and reached the end (TLBLAB-DONE)")
    for step in ("info", "stat", "record", "report"):
        ck(rcs.get(step) == 0, "guest step %s exited 0 (got %s)" % (step, rcs.get(step)))
    for step in ("stat", "report", "bench"):
        ck(step in js and "_error" not in js[step],
           "guest step %s printed its JSON%s" % (step, ": " + js[step]["_error"]
                                                  if "_error" in js.get(step, {}) else ""))
    check_stat(ck, js.get("stat", {}))
    check_report(ck, js.get("report", {}), js.get("bench", {}))
    check_probe(ck, js["probe"], rcs.get("probe"))
    if a.kernel == "patched":
        check_patched(ck, info, js.get("report", {}), a.ops)
        mn = js.get("notifier", {}).get("events", {}).get("mmu_notifier_invalidation", 0)
        ck(rcs.get("notifier") == 0, "guest step notifier exited 0 (got %s)" % rcs.get("notifier"))
        ck(mn >= 2 * 0.9 * a.ops, "report: mmu_notifier_invalidation events (%s), a start and an "
           "end for each of %s munmaps once the probe's notifier is on the churn's mm" % (mn, a.ops))
        nl = js.get("notifier", {}).get("kernel_lab") or {}
        ck(nl.get("notifier_invalidations", 0) >= 0.9 * a.ops and nl.get("notifier_bytes", 0) > 0,
           "report: kernel_lab counts the notifier invalidations once each (%s) with their "
           "bytes" % nl.get("notifier_invalidations"))
    return finish(ck, a.console)


def finish(ck, console):
    print("%d checks failed" % ck.failed if ck.failed else "all checks passed")
    if ck.failed:
        print("(console: %s)" % console)
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
