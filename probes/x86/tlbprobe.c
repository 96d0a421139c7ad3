// SPDX-License-Identifier: GPL-2.0
/*
 * tlbprobe: LAB-ONLY. Do not load on a machine you care about.
 *
 * Measures the cycle cost of x86 TLB invalidation instructions on this module's own page:
 * invlpg, invpcid (single address and single context, where the CPU has it), a CR3 reload
 * (a full flush of the current PCID's non-global entries) and a remote flush through
 * smp_call_function_single() to another online CPU. Each is timed with rdtsc_ordered()
 * (fenced rdtsc) around one operation, many times; the median and the 99th percentile go to
 * /sys/kernel/debug/tlbprobe/results and the kernel log.
 *
 * Under QEMU's TCG the cycles are the emulator's, not a CPU's: compare runs, not machines.
 * It flushes translations of its own page only (and the whole non-global TLB for the CR3 case),
 * from a kernel thread context with interrupts off around each local operation.
 *
 * /sys/kernel/debug/tlbprobe/notify: write a pid to register an empty mmu notifier on that
 * process's mm (one at a time, until unload). Nothing in a BusyBox guest registers one, and
 * mmu_notifier:mmu_notifier_invalidation (patches/0002) only fires for mms that have one.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/invpcid.h>
#include <asm/msr.h>
#include <asm/special_insns.h>

#include "tlbprobe-common.h"

static unsigned int iterations = 10000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "timed operations per measurement (default 10000)");

enum probe_op { OP_INVLPG, OP_INVPCID_ADDR, OP_INVPCID_CTX, OP_CR3, OP_REMOTE, OP_MAX };

static const char *const op_names[OP_MAX] = {
	[OP_INVLPG] = "invlpg",
	[OP_INVPCID_ADDR] = "invpcid_single_address",
	[OP_INVPCID_CTX] = "invpcid_single_context",
	[OP_CR3] = "cr3_reload",
	[OP_REMOTE] = "remote_flush_ipi",
};

struct probe_result {
	bool done;
	const char *why;	/* not measured: why */
	u64 median, p99, min;
	unsigned int n;
};

/* one instance, owned by the module's load */
struct tlbprobe {
	void *page;
	u64 *samples;
	struct probe_result res[OP_MAX];
	struct dentry *dir;
	struct probe_notify notify;	/* the notify file (../tlbprobe-common.h) */
};

static struct tlbprobe *probe;

static void do_invlpg(void *addr)
{
	asm volatile("invlpg (%0)" : : "r" (addr) : "memory");
}

static void remote_invlpg(void *addr)
{
	do_invlpg(addr);
}

static void do_op(enum probe_op op, void *addr, int other)
{
	switch (op) {
	case OP_INVLPG:
		do_invlpg(addr);
		break;
	case OP_INVPCID_ADDR:
		invpcid_flush_one(0, (unsigned long)addr);
		break;
	case OP_INVPCID_CTX:
		invpcid_flush_single_context(0);
		break;
	case OP_CR3:
		native_write_cr3(__native_read_cr3());
		break;
	case OP_REMOTE:
		smp_call_function_single(other, remote_invlpg, addr, 1);
		break;
	default:
		break;
	}
}

/* time one operation kind; the remote one runs with interrupts on (it waits for the IPI) */
static void measure(struct tlbprobe *p, enum probe_op op, int other)
{
	struct probe_result *r = &p->res[op];
	unsigned long flags = 0;
	unsigned int i;

	for (i = 0; i < iterations; i++) {
		u64 t0, t1;

		if (op != OP_REMOTE)
			local_irq_save(flags);
		*(volatile char *)p->page;	/* the translation is in the TLB again */
		t0 = rdtsc_ordered();
		do_op(op, p->page, other);
		t1 = rdtsc_ordered();
		if (op != OP_REMOTE)
			local_irq_restore(flags);
		p->samples[i] = t1 - t0;
		if (!(i & 1023))
			cond_resched();
	}
	order_stats(p->samples, iterations, &r->min, &r->median, &r->p99);
	r->n = iterations;
	r->done = true;
	pr_info("tlbprobe: %-24s median %llu cycles, p99 %llu, min %llu (n=%u)\n",
		op_names[op], r->median, r->p99, r->min, r->n);
}

static void run_all(struct tlbprobe *p)
{
	bool pcid = boot_cpu_has(X86_FEATURE_INVPCID);
	int cpu, other;
	enum probe_op op;

	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	for (op = 0; op < OP_MAX; op++) {
		if ((op == OP_INVPCID_ADDR || op == OP_INVPCID_CTX) && !pcid) {
			p->res[op].why = "the CPU has no INVPCID";
			continue;
		}
		if (op == OP_REMOTE && other >= nr_cpu_ids) {
			p->res[op].why = "only one CPU online";
			continue;
		}
		/* stay on one CPU for the whole measurement: the remote CPU stays the other one */
		preempt_disable();
		measure(p, op, other);
		preempt_enable();
	}
}

static int results_show(struct seq_file *m, void *v)
{
	struct tlbprobe *p = m->private;
	enum probe_op op;

	seq_puts(m, "# tlbprobe (LAB-ONLY): cycles per operation, rdtsc_ordered; under TCG these are emulation cycles, not hardware\n");
	seq_printf(m, "%-24s %10s %10s %10s %8s\n", "operation", "median", "p99", "min", "n");
	for (op = 0; op < OP_MAX; op++) {
		struct probe_result *r = &p->res[op];

		if (r->done)
			seq_printf(m, "%-24s %10llu %10llu %10llu %8u\n", op_names[op],
				   r->median, r->p99, r->min, r->n);
		else
			seq_printf(m, "%-24s %10s %10s %10s %8s  # %s\n", op_names[op], "-", "-",
				   "-", "-", r->why ? r->why : "not run");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static int __init tlbprobe_init(void)
{
	struct tlbprobe *p;

	pr_warn("tlbprobe: LAB-ONLY module: flushes TLBs in tight loops; never load it in production\n");
	if (!iterations || iterations > 1000000)
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->page = (void *)get_zeroed_page(GFP_KERNEL);
	p->samples = kvmalloc_array(iterations, sizeof(u64), GFP_KERNEL);
	if (!p->page || !p->samples) {
		free_page((unsigned long)p->page);
		kvfree(p->samples);
		kfree(p);
		return -ENOMEM;
	}
	run_all(p);
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
	free_page((unsigned long)probe->page);
	kvfree(probe->samples);
	kfree(probe);
}

module_init(tlbprobe_init);
module_exit(tlbprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LAB-ONLY: cycle cost of x86 TLB invalidations (tlbstat kernel lab)");
