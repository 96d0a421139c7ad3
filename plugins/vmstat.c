// SPDX-License-Identifier: GPL-2.0
/*
 * vmstat: memory-management activity that causes or confounds TLB invalidations, as deltas
 * per interval from /proc/vmstat: THP (thp_*), compaction (compact_*), migration
 * (pgmigrate_*), NUMA balancing and hinting (numa_*), the kernel's own nr_tlb_* counters
 * (CONFIG_DEBUG_TLBFLUSH), and the page cache's size change (nr_file_pages). Only the counters
 * this kernel has become columns, in /proc/vmstat's order.
 */
#include "plugin-util.h"

#include <stdbool.h>

#define VMSTAT_BUF (64 * 1024)

static const char *const prefixes[] = {
	"thp_", "compact_", "pgmigrate_", "numa_", "nr_tlb_", "nr_file_pages",
	"nr_anon_transparent_hugepages",
};

struct vmstat {
	struct pcols cols;
	unsigned long long *prev;
	char buf[VMSTAT_BUF];
};

static bool wanted(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (len >= pl && !strncmp(name, prefixes[i], pl) &&
		    (prefixes[i][pl - 1] == '_' || len == pl))
			return true;
	}
	return false;
}

/* Walk /proc/vmstat; for each wanted counter call fn(h, index, name, value). Count or -1. */
static int walk(struct vmstat *h, int (*fn)(struct vmstat *, int, const char *,
					    unsigned long long))
{
	int n = 0;

	if (proc_read("/proc/vmstat", h->buf, sizeof(h->buf)) <= 0)
		return -1;
	for (char *l = h->buf, *nl; *l; l = nl + 1) {
		char *sp = strchr(l, ' ');

		nl = strchr(l, '\n');
		if (!nl)
			nl = l + strlen(l) - 1;
		if (!sp || sp > nl || !wanted(l, sp - l))
			continue;
		*sp = 0;
		if (fn(h, n++, l, strtoull(sp + 1, NULL, 10)))
			return -1;
	}
	return n;
}

static int add_col(struct vmstat *h, int i, const char *name, unsigned long long v)
{
	void *p = realloc(h->prev, (i + 1) * sizeof(*h->prev));

	if (!p)
		return -1;
	h->prev = p;
	h->prev[i] = v;
	return pcols_add(&h->cols, name, strncmp(name, "nr_", 3) || !strncmp(name, "nr_tlb_", 7)
			 ? "events" : "pages");
}

static void vmstat_close(void *hv)
{
	struct vmstat *h = hv;

	pcols_free(&h->cols);
	free(h->prev);
	free(h);
}

static void *vmstat_open(const char *args, struct tlb_plugin_cols *out, char *msg, size_t msglen)
{
	struct vmstat *h = calloc(1, sizeof(*h));
	int n;

	if (!h || args) {
		snprintf(msg, msglen, h ? "takes no arguments" : "out of memory");
		free(h);
		return NULL;
	}
	n = walk(h, add_col);
	if (n < 0) {
		snprintf(msg, msglen, "cannot read /proc/vmstat");
		vmstat_close(h);
		return NULL;
	}
	pcols_fix(&h->cols, out);
	if (!n)
		snprintf(msg, msglen, "/proc/vmstat has none of the THP, compaction, migration or "
			 "NUMA counters: no columns");
	return h;
}


static int vmstat_sample(void *hv, uint64_t ts, double *row, char *msg, size_t msglen)
{
	struct vmstat *h = hv;

	(void)ts;
	for (int i = 0; i < h->cols.nr; i++)
		row[i] = NAN;
	if (proc_read("/proc/vmstat", h->buf, sizeof(h->buf)) <= 0) {
		snprintf(msg, msglen, "cannot read /proc/vmstat");
		return -1;
	}
	for (char *l = h->buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *sp = strchr(l, ' ');
		size_t len;

		if (!sp)
			break;
		len = sp - l;
		for (int i = 0; i < h->cols.nr; i++) {
			unsigned long long v;

			if (strlen(h->cols.names[i]) != len || strncmp(h->cols.names[i], l, len))
				continue;
			v = strtoull(sp + 1, NULL, 10);
			/* a gauge (nr_file_pages) may shrink: its change is signed */
			row[i] = strcmp(h->cols.v[i].unit, "pages") ? delta(v, h->prev[i]) :
				 (double)v - (double)h->prev[i];
			h->prev[i] = v;
			break;
		}
	}
	return 0;
}

static const struct tlb_plugin vmstat_plugin = {
	.size = sizeof(struct tlb_plugin),
	.version = TLB_PLUGIN_VERSION,
	.name = "vmstat",
	.description = "THP, compaction, migration, NUMA hinting, nr_tlb_* and page-cache deltas",
	.open = vmstat_open,
	.sample = vmstat_sample,
	.close = vmstat_close,
};

PLUGIN_EXPORT const struct tlb_plugin *tlb_plugin_info(void)
{
	return &vmstat_plugin;
}
