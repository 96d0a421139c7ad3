/* SPDX-License-Identifier: GPL-2.0 */
/* Parsing PERF_RECORD_SAMPLE bodies (libperf 6.1 has no sample parser). Shared by live and file. */
#ifndef TLBSTAT_SAMPLE_H
#define TLBSTAT_SAMPLE_H
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct tlb_sample {
	uint64_t id;              /* IDENTIFIER or ID; 0 if neither */
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu;
	uint64_t period;
	/* PERF_SAMPLE_CALLCHAIN: the ips inside the record (not copied; context markers included) */
	const uint64_t *callchain;
	uint32_t nr_callchain;
	const void *raw;          /* tracepoint payload (common_type first), NULL if none */
	uint32_t raw_size;
	uint64_t cgroup;          /* PERF_SAMPLE_CGROUP: the task's cgroup id; 0 if none */
	const uint8_t *tail;      /* the first byte after RAW (sample_parse_user starts there) */
};

/*
 * PERF_SAMPLE_REGS_USER and PERF_SAMPLE_STACK_USER (record --call-graph dwarf): the user
 * registers (abi, then one u64 per bit of the attr's sample_regs_user, in bit order) and the
 * copy of the user stack from the sampled sp upwards. Pointers into the record.
 */
struct tlb_user_stack {
	uint64_t abi;             /* PERF_SAMPLE_REGS_ABI_*; NONE (0): no registers (a kernel thread) */
	uint64_t mask;            /* sample_regs_user */
	const uint64_t *regs;     /* popcount(mask) values when abi != NONE, else NULL */
	uint32_t nr_regs;
	const uint8_t *stack;     /* dyn_size bytes valid (size copied, dyn_size actually filled) */
	uint64_t size, dyn_size;
};

/*
 * Parse a PERF_RECORD_SAMPLE record (header included) of the given sample_type.
 * Returns 0, or -1 when the record is shorter than its fields say (never reads past hdr->size).
 */
int sample_parse(const struct perf_event_header *hdr, uint64_t sample_type, struct tlb_sample *s);
/*
 * Where a sample_type puts the fixed-size fields (IDENTIFIER up to PERIOD), worked out once per
 * sample_type: the per-sample path then loads them instead of testing every bit (report's
 * sample parsing was an eighth of its instructions). Offsets are bytes after the header, -1 absent.
 */
struct sample_layout {
	uint64_t st;
	int16_t id, ip, tid, time, cpu, period;
	uint16_t fixed;           /* bytes of the fixed-size fields */
	bool valid;
};
void sample_layout_init(struct sample_layout *l, uint64_t sample_type);
/* sample_parse(hdr, l->st, s), the same result and the same checks, through the layout. */
int sample_parse_layout(const struct perf_event_header *hdr, const struct sample_layout *l,
			struct tlb_sample *s);
/*
 * A sample's time (0 when its type has none or the record is too short for its fixed fields).
 * Inline: the ordered queue asks it of every sample it queues.
 */
static inline uint64_t sample_layout_time(const struct perf_event_header *hdr,
					  const struct sample_layout *l)
{
	uint64_t t;

	if (l->time < 0 || hdr->size < sizeof(*hdr) + l->fixed)
		return 0;
	memcpy(&t, (const uint8_t *)(hdr + 1) + l->time, sizeof(t));
	return t;
}
/*
 * The user registers and stack of a sample sample_parse() accepted (s->tail), for its attr's
 * sample_type and sample_regs_user. Returns 0 (u zeroed for fields the type lacks), or -1 when the
 * record is shorter than they say, dyn_size exceeds size, or a BRANCH_STACK (whose layout needs
 * branch_sample_type) stands before them. Never reads past hdr->size. A CGROUP after them (when
 * no REGS_INTR lies between) goes into s->cgroup, which sample_parse() cannot reach then.
 */
int sample_parse_user(const struct perf_event_header *hdr, uint64_t sample_type, uint64_t regs_mask,
		      struct tlb_sample *s, struct tlb_user_stack *u);
/*
 * The sample id of any record: for samples with IDENTIFIER the first u64; for other records with
 * sample_id_all the trailing id fields. Returns false when it cannot tell.
 */
bool sample_record_id(const struct perf_event_header *hdr, uint64_t sample_type, bool sample_id_all,
		      uint64_t *id);
/* Trailing sample_id fields (pid/tid/time/id/cpu) of a non-sample record; -1 if absent. */
int sample_id_trailer(const struct perf_event_header *hdr, uint64_t sample_type, struct tlb_sample *s);
#endif
