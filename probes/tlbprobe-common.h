/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the probe modules share (probes/x86 and probes/arm64 include it; LAB-ONLY like them): the
 * order statistics of a measurement's samples, and the notify file.
 *
 * /sys/kernel/debug/tlbprobe/notify: write a pid to register an empty mmu notifier on that
 * process's mm (one at a time, until unload). Nothing in a BusyBox guest registers one, and
 * mmu_notifier:mmu_notifier_invalidation (patches/0002) only fires for mms that have one. A kernel
 * without CONFIG_MMU_NOTIFIER (the patched tinyconfig guest) gets no notify file.
 */
#ifndef TLBPROBE_COMMON_H
#define TLBPROBE_COMMON_H
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sort.h>
#include <linux/types.h>

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sort n samples (n > 0) for their minimum, median and 99th percentile. */
static void order_stats(u64 *samples, unsigned int n, u64 *min, u64 *median, u64 *p99)
{
	sort(samples, n, sizeof(u64), cmp_u64, NULL);
	*min = samples[0];
	*median = samples[n / 2];
	*p99 = samples[(u64)n * 99 / 100];
}

struct probe_notify {
	struct mutex lock;	/* guards mm */
	struct mmu_notifier mn;
	struct mm_struct *mm;	/* the mm the notifier is on (mmgrab'bed); NULL: none */
};

#ifdef CONFIG_MMU_NOTIFIER
/* the notifier only has to exist: its presence makes the kernel call the invalidate hooks */
static const struct mmu_notifier_ops probe_mn_ops = { };

static ssize_t notify_write(struct file *f, const char __user *buf, size_t len, loff_t *off)
{
	struct probe_notify *n = file_inode(f)->i_private;
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *spid;
	int pid, rc;

	rc = kstrtoint_from_user(buf, len, 10, &pid);
	if (rc)
		return rc;
	spid = find_get_pid(pid);
	task = get_pid_task(spid, PIDTYPE_PID);
	put_pid(spid);
	if (!task)
		return -ESRCH;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -EINVAL;
	mutex_lock(&n->lock);
	rc = -EBUSY;
	if (!n->mm) {
		n->mn.ops = &probe_mn_ops;
		rc = mmu_notifier_register(&n->mn, mm);
		if (!rc) {
			mmgrab(mm);
			n->mm = mm;
			pr_info("tlbprobe: mmu notifier registered on pid %d's mm\n", pid);
		}
	}
	mutex_unlock(&n->lock);
	mmput(mm);
	return rc ? rc : len;
}

static const struct file_operations notify_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = notify_write,
};

static void notify_create(struct probe_notify *n, struct dentry *dir)
{
	mutex_init(&n->lock);
	debugfs_create_file("notify", 0200, dir, n, &notify_fops);
}

static void notify_remove(struct probe_notify *n)
{
	if (n->mm) {
		mmu_notifier_unregister(&n->mn, n->mm);
		mmdrop(n->mm);
	}
}
#else
static void notify_create(struct probe_notify *n, struct dentry *dir) { }
static void notify_remove(struct probe_notify *n) { }
#endif
#endif
