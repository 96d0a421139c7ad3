/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Source lines and inline frames of user addresses, from DWARF (libdw): for an address of an
 * object (its own link-time address, as usym_object_addr() gives it), the functions inlined there,
 * innermost first, then the function holding them, each with its file:line (the innermost: the
 * line table at the address; each caller: the call site of the frame inside it, DW_AT_call_file
 * and DW_AT_call_line), as perf shows them with inline on. Debug info is read from the object, or
 * from its debug file found by build-id (or .gnu_debuglink) under the debug root.
 *
 * Answers are cached by (object, address) and never evicted (callers keep the strings): memory
 * grows with the unique code addresses asked about, never with samples. Each object's DWARF is
 * opened once, when first asked. Built without libdw, every lookup answers 0 (no debug info).
 * No process-wide state: all in the object.
 */
#ifndef TLBSTAT_SRCLINE_H
#define TLBSTAT_SRCLINE_H
#include <stdbool.h>
#include <stdint.h>

struct srcl_frame {
	const char *func;         /* DWARF name (DW_AT_name, through abstract origins), or NULL */
	const char *srcline;      /* "file.c:LINE" (the file's basename, as perf), or NULL */
	bool inlined;             /* inlined into the next frame */
};

struct srcl_stats {
	uint64_t lookups;         /* srcl_lookup() calls */
	uint64_t misses;          /* answered from DWARF, not the cache */
	uint64_t objects;         /* objects whose DWARF was looked for */
	uint64_t with_dwarf;      /* ... and found */
};

struct srcline;

/* debug_root: where .build-id/ lives (NULL: /usr/lib/debug). NULL when out of memory. */
struct srcline *srcl_new(const char *debug_root);
void srcl_free(struct srcline *s);
/*
 * The frames at vaddr of the object at path, innermost first: every frame but the last is inlined
 * into the next; the last is the function holding vaddr (its func NULL when DWARF has line
 * information there but no function, as assembly files do). *out points into s and lives as long
 * as s. Returns the number of frames, 0 when the object has no DWARF for vaddr (or out of memory).
 */
uint32_t srcl_lookup(struct srcline *s, const char *path, uint64_t vaddr,
		     const struct srcl_frame **out);
void srcl_get_stats(const struct srcline *s, struct srcl_stats *st);
/* Whether this build reads DWARF (built with libdw). */
bool srcl_available(void);
#endif
