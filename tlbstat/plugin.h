/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sampler plugin ABI: a shared object in a plugins directory that tlbstat loads with
 * dlopen, so a site can add its own sampler (its server's queue depth, a BMC's power reading)
 * without rebuilding tlbstat. Shaped like perf's perf_dlfilter.h: one versioned struct that
 * carries its own size, found through one exported function.
 *
 *   #include "plugin.h"
 *   static const struct tlb_plugin me = {
 *           .size = sizeof(me), .version = TLB_PLUGIN_VERSION, .name = "mine",
 *           .open = mine_open, .sample = mine_sample, .close = mine_close,
 *   };
 *   const struct tlb_plugin *tlb_plugin_info(void) { return &me; }
 *
 * Build: cc -shared -fPIC -Itlbstat -o mine.so mine.c; run: tlbstat sample --plugin-dir DIR mine.
 * Rules: a plugin never exits and never prints (messages go into msg); it reports no value as
 * NaN, never as 0 or an invented number; everything it keeps lives in the handle open returns.
 * Version changes: any change to this struct or the meaning of a member bumps
 * TLB_PLUGIN_VERSION; tlbstat refuses a plugin of another version, or one whose size is smaller
 * than the struct it was built against.
 */
#ifndef TLBSTAT_PLUGIN_H
#define TLBSTAT_PLUGIN_H
#include <stddef.h>
#include <stdint.h>

#define TLB_PLUGIN_VERSION 1
/* the one symbol tlbstat looks up in a plugin */
#define TLB_PLUGIN_SYMBOL "tlb_plugin_info"

/* A numeric column: "util" with unit "%"; the CSV header shows it as "<plugin>.<name>". */
struct tlb_plugin_col {
	const char *name;	/* [A-Za-z0-9_] */
	const char *unit;	/* "%", "us", "MHz", "KiB/s", "events" (a per-interval delta) */
};

struct tlb_plugin_cols {
	const struct tlb_plugin_col *cols;	/* owned by the handle; valid until close */
	int nr;					/* 0 is allowed: nothing to measure here */
};

struct tlb_plugin {
	uint32_t size;		/* sizeof(struct tlb_plugin) as the plugin was built */
	uint32_t version;	/* TLB_PLUGIN_VERSION as the plugin was built */
	const char *name;	/* equal to the file name without .so */
	const char *description;	/* one line for `tlbstat sample --list` */
	/*
	 * args: what followed "name:" on the command line, or NULL. Reads its baseline (the
	 * first sample's deltas are over the interval since open). Returns the handle and the
	 * columns; a non-empty msg is then a note to show once ("NVML not found: no GPU
	 * columns"). Returns NULL with the error in msg when it cannot run at all.
	 */
	void *(*open)(const char *args, struct tlb_plugin_cols *out, char *msg, size_t msglen);
	/*
	 * One row: row[0..nr) for the interval ending at ts (CLOCK_MONOTONIC ns, the perf clock).
	 * NaN for a value not available this time. 0, or -1 with msg (the caller stops).
	 */
	int (*sample)(void *h, uint64_t ts, double *row, char *msg, size_t msglen);
	void (*close)(void *h);
};

typedef const struct tlb_plugin *(*tlb_plugin_info_fn)(void);
#endif
