// SPDX-License-Identifier: GPL-2.0
/*
 * tlbprobe (arm64): LAB-ONLY. Do not load on a machine you care about.
 *
 * Measures what arm64's broadcast TLB invalidation instructions cost, on this module's own
 * vmalloc pages (last-level entries): TLBI VALE1IS (one VA, one ASID, last level), VAAE1IS (one
 * VA, all ASIDs), ASIDE1IS (one ASID) and VMALLE1IS (the whole EL1 TLB of this VMID), each in
 * the inner-shareable domain, i.e. broadcast to every CPU with no IPI. Each is timed two ways:
 *
 *   bare   the TLBI alone: what issuing it costs (its completion is awaited after the clock
 *          stops, outside the sample)
 *   sync   the kernel's sequence "dsb ishst; tlbi ...; dsb ish; isb": the invalidation done
 *          on every CPU of the domain before the next instruction
 *
 * plus two reference rows: "baseline" (the two counter reads alone) and "barriers" (the sync
 * sequence without the TLBI). A sample is the counter-timer difference (cntvct_el0, each read
 * after an isb) around `batch` operations, interrupts off; many samples give the median, the
 * 99th percentile and the minimum, in ticks of the counter (its frequency, cntfrq_el0, and the
 * median in nanoseconds per operation are printed beside them). Results go to
 * /sys/kernel/debug/tlbprobe/results and the kernel log.
 *
 * Under QEMU's TCG these are timings of the emulator (which implements a broadcast TLBI by
 * stopping every vCPU), not of hardware: compare runs on one host, not machines.
 *
 * /sys/kernel/debug/tlbprobe/notify (kernels with CONFIG_MMU_NOTIFIER): write a pid to register
 * an empty mmu notifier on that process's mm (one at a time, until unload), as the x86 module
 * does: nothing in a BusyBox guest registers one, and mmu_notifier:mmu_notifier_invalidation
 * (patches/0002) only fires for mms that have one.
 */
#include <linux/debugfs.h>
#include <linux/irqflags.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/mmu.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>

#include "tlbprobe-common.h"

static unsigned int iterations = 10000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "timed samples per measurement (default 10000)");

static unsigned int batch = 1;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch, "operations per timed sample (default 1; raise it where the counter is coarse)");

#define PROBE_PAGES 16

enum probe_op {
	OP_BASELINE, OP_BARRIERS,
	OP_VALE1IS, OP_VALE1IS_SYNC,
	OP_VAAE1IS, OP_VAAE1IS_SYNC,
	OP_ASIDE1IS, OP_ASIDE1IS_SYNC,
	OP_VMALLE1IS, OP_VMALLE1IS_SYNC,
	OP_MAX
};

static const char *const op_names[OP_MAX] = {
	[OP_BASELINE] = "baseline",
	[OP_BARRIERS] = "barriers",
	[OP_VALE1IS] = "vale1is",
	[OP_VALE1IS_SYNC] = "vale1is_sync",
	[OP_VAAE1IS] = "vaae1is",
	[OP_VAAE1IS_SYNC] = "vaae1is_sync",
	[OP_ASIDE1IS] = "aside1is",
	[OP_ASIDE1IS_SYNC] = "aside1is_sync",
	[OP_VMALLE1IS] = "vmalle1is",
	[OP_VMALLE1IS_SYNC] = "vmalle1is_sync",
};

struct probe_result {
	bool done;
	u64 median, p99, min;
	u64 median_ps;		/* median per operation, picoseconds */
	unsigned int n;
};

/* one instance, owned by the module's load */
struct tlbprobe {
	char *pages;		/* PROBE_PAGES vmalloc pages: last-level entries of our own */
	u64 *samples;
	u64 freq;		/* cntfrq_el0, Hz */
	unsigned long asid;
	struct probe_result res[OP_MAX];
	struct dentry *dir;
	struct probe_notify notify;	/* the notify file (../tlbprobe-common.h) */
};

static struct tlbprobe *probe;

/* the counter, read after an isb so that it is not taken before the instructions above it */
static __always_inline u64 ticks(void)
{
	u64 t;

	asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r" (t) : : "memory");
	return t;
}

/* the TLBI instructions, written out (not the kernel's __tlbi(), which may add erratum repeats) */
#define DEFINE_TLBI(op)							\
static __always_inline void tlbi_##op(unsigned long arg)		\
{									\
	asm volatile("tlbi " #op ", %0" : : "r" (arg) : "memory");	\
}
DEFINE_TLBI(vale1is)
DEFINE_TLBI(vaae1is)
DEFINE_TLBI(aside1is)

static __always_inline void tlbi_vmalle1is(void)
{
	asm volatile("tlbi vmalle1is" : : : "memory");
}

static __always_inline void dsb_ishst(void)
{
	asm volatile("dsb ishst" : : : "memory");
}

static __always_inline void dsb_ish_isb(void)
{
	asm volatile("dsb ish\n\tisb" : : : "memory");
}

static __always_inline void do_op(enum probe_op op, unsigned long va, unsigned long asid)
{
	unsigned long vaddr = __TLBI_VADDR(va, asid);
	unsigned long aaddr = __TLBI_VADDR(va, 0);
	unsigned long asid_arg = __TLBI_VADDR(0, asid);

	switch (op) {
	case OP_BASELINE:
		break;
	case OP_BARRIERS:
		dsb_ishst();
		dsb_ish_isb();
		break;
	case OP_VALE1IS:
		tlbi_vale1is(vaddr);
		break;
	case OP_VALE1IS_SYNC:
		dsb_ishst();
		tlbi_vale1is(vaddr);
		dsb_ish_isb();
		break;
	case OP_VAAE1IS:
		tlbi_vaae1is(aaddr);
		break;
	case OP_VAAE1IS_SYNC:
		dsb_ishst();
		tlbi_vaae1is(aaddr);
		dsb_ish_isb();
		break;
	case OP_ASIDE1IS:
		tlbi_aside1is(asid_arg);
		break;
	case OP_ASIDE1IS_SYNC:
		dsb_ishst();
		tlbi_aside1is(asid_arg);
		dsb_ish_isb();
		break;
	case OP_VMALLE1IS:
		tlbi_vmalle1is();
		break;
	case OP_VMALLE1IS_SYNC:
		dsb_ishst();
		tlbi_vmalle1is();
		dsb_ish_isb();
		break;
	default:
		break;
	}
}

/* time one operation kind: `iterations` samples of `batch` operations each */
static void measure(struct tlbprobe *p, enum probe_op op)
{
	struct probe_result *r = &p->res[op];
	unsigned long flags;
	unsigned int i, j;

	for (i = 0; i < iterations; i++) {
		unsigned long va = (unsigned long)p->pages + (i % PROBE_PAGES) * PAGE_SIZE;
		u64 t0, t1;

		/* stay on one CPU for a chunk; let others run between chunks */
		if (!(i & 255)) {
			if (i)
				preempt_enable();
			cond_resched();
			preempt_disable();
		}
		local_irq_save(flags);
		READ_ONCE(*(char *)va);		/* the translation is in the TLB again */
		t0 = ticks();
		for (j = 0; j < batch; j++)
			do_op(op, va, p->asid);
		t1 = ticks();
		/* a bare TLBI completes here, outside the sample */
		dsb_ish_isb();
		local_irq_restore(flags);
		p->samples[i] = t1 - t0;
	}
	preempt_enable();
	order_stats(p->samples, iterations, &r->min, &r->median, &r->p99);
	r->n = iterations;
	r->median_ps = mul_u64_u64_div_u64(r->median, 1000000000000ULL, p->freq * batch);
	r->done = true;
	pr_info("tlbprobe: %-16s median %llu ticks, p99 %llu, min %llu (n=%u, batch %u; median %llu.%03llu ns/op)\n",
		op_names[op], r->median, r->p99, r->min, r->n, batch,
		r->median_ps / 1000, r->median_ps % 1000);
}

static int results_show(struct seq_file *m, void *v)
{
	struct tlbprobe *p = m->private;
	enum probe_op op;

	seq_puts(m, "# tlbprobe (LAB-ONLY, arm64): counter-timer ticks (cntvct_el0 after isb) per sample; under TCG these timings are emulation, not hardware\n");
	seq_printf(m, "# counter %llu Hz, %u operation(s) per sample; bare: the TLBI alone; _sync: dsb ishst; tlbi; dsb ish; isb\n",
		   p->freq, batch);
	seq_printf(m, "%-16s %10s %10s %10s %8s %12s\n", "operation", "median", "p99", "min", "n",
		   "median_ns");
	for (op = 0; op < OP_MAX; op++) {
		struct probe_result *r = &p->res[op];

		if (r->done)
			seq_printf(m, "%-16s %10llu %10llu %10llu %8u %8llu.%03llu\n", op_names[op],
				   r->median, r->p99, r->min, r->n, r->median_ps / 1000,
				   r->median_ps % 1000);
		else
			seq_printf(m, "%-16s %10s %10s %10s %8s %12s  # not run\n", op_names[op],
				   "-", "-", "-", "-", "-");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static int __init tlbprobe_init(void)
{
	struct tlbprobe *p;
	enum probe_op op;
	unsigned int i;

	pr_warn("tlbprobe: LAB-ONLY module: broadcasts TLB invalidations in tight loops; never load it in production\n");
	if (!iterations || iterations > 1000000 || !batch || batch > 1000)
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->pages = vzalloc(PROBE_PAGES * PAGE_SIZE);
	p->samples = kvmalloc_array(iterations, sizeof(u64), GFP_KERNEL);
	if (!p->pages || !p->samples) {
		vfree(p->pages);
		kvfree(p->samples);
		kfree(p);
		return -ENOMEM;
	}
	for (i = 0; i < PROBE_PAGES; i++)
		p->pages[i * PAGE_SIZE] = 1;
	p->freq = read_sysreg(cntfrq_el0);
	if (!p->freq)
		p->freq = 1;	/* firmware left it unset: ns columns meaningless, ticks still right */
	/* the ASID the TLBIs name: the loading task's, whose mm is live on this CPU */
	p->asid = ASID(current->active_mm);
	pr_info("tlbprobe: counter %llu Hz, ASID %lu, %u samples of %u operation(s), %d pages\n",
		p->freq, p->asid, iterations, batch, PROBE_PAGES);
	for (op = 0; op < OP_MAX; op++)
		measure(p, op);
	p->dir = debugfs_create_dir("tlbprobe", NULL);
	debugfs_create_file("results", 0444, p->dir, p, &results_fops);
	notify_create(&p->notify, p->dir);
	probe = p;
	return 0;
}

static void __exit tlbprobe_exit(void)
{
	debugfs_remove_recursive(probe->dir);
	notify_remove(&probe->notify);
	vfree(probe->pages);
	kvfree(probe->samples);
	kfree(probe);
}

module_init(tlbprobe_init);
module_exit(tlbprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LAB-ONLY: cost of arm64 broadcast TLBI instructions (tlbstat kernel lab)");
