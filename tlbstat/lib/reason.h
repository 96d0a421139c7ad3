/* SPDX-License-Identifier: GPL-2.0 */
/* tlb:tlb_flush reasons and the health score: the vocabulary shared by every command. */
#ifndef TLBSTAT_REASON_H
#define TLBSTAT_REASON_H

/* enum tlb_flush_reason in the kernel (include/linux/mm_types.h), as printed by the tracepoint. */
enum tlb_reason {
	TLB_REASON_TASK_SWITCH = 0,
	TLB_REASON_REMOTE_SHOOTDOWN = 1,
	TLB_REASON_LOCAL_SHOOTDOWN = 2,
	TLB_REASON_LOCAL_MM_SHOOTDOWN = 3,
	TLB_REASON_REMOTE_SEND_IPI = 4,
	TLB_REASON_REMOTE_WRONG_CPU = 5,
	TLB_NR_REASONS = 6,
};

/* JSON key ("task_switch"), human label ("task switch"); "unknown" outside the range. */
const char *tlb_reason_key(int reason);
const char *tlb_reason_label(int reason);
/* Parse a key or a number; -1 if unknown. */
int tlb_reason_parse(const char *s);

/* HEALTH_INSUFFICIENT: too little evidence for a verdict (count_health_of, count.h) */
enum tlb_health { HEALTH_GREEN, HEALTH_YELLOW, HEALTH_RED, HEALTH_INSUFFICIENT };
/*
 * Address-space flushes (count_health_events(), count.h) per second per CPU. A request costs its
 * initiator up to about 5 us when it needs IPIs (a local-only flush far less): yellow where that
 * reaches 0.1 % of a CPU, red at 1 %. An idle machine does a few per second, a process start
 * about 200 once, tlbbench's mmap churn some 25,000 per second per CPU.
 */
#define HEALTH_YELLOW_AT 200.0
#define HEALTH_RED_AT    2000.0

/* The thresholds alone; callers go through count_health_of() (count.h), which computes the
 * per-core rate they apply to and says when there is too little evidence. */
enum tlb_health tlb_health_of(double per_core_rate);
const char *tlb_health_name(enum tlb_health h);   /* "green", "yellow", "red", "insufficient data" */
#endif
