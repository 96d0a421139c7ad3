/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/interrupts rows (TLB:, CAL:): the kernel's own count of TLB shootdown interrupts. */
#ifndef TLBSTAT_INTERRUPTS_H
#define TLBSTAT_INTERRUPTS_H
#include <stdbool.h>
#include <stdint.h>

#define INTR_MAX_CPUS 4096

struct intr_row {
	bool present;
	int ncpus;                  /* columns found */
	uint64_t total;
	uint64_t per_cpu[INTR_MAX_CPUS];
};

/* Parse the row named `name` ("TLB", "CAL") out of /proc/interrupts text. */
bool interrupts_parse_row(const char *text, const char *name, struct intr_row *row);
/* Read /proc/interrupts (or path, for tests) and parse a row. */
bool interrupts_read_row(const char *path, const char *name, struct intr_row *row);
#endif
