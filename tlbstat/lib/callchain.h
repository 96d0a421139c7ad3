/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unique call chains and what they cost: a hash of (pid, comm, chain) so that memory grows with
 * the unique stacks, not with the samples. A stack's frames are named and its cause (cause.h)
 * and call site found once, when it is first seen (the mappings of that moment name its user
 * frames), through the caller's resolver.
 */
#ifndef TLBSTAT_CALLCHAIN_H
#define TLBSTAT_CALLCHAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A frame's name and object, both owned by the resolver (they outlive the stacks). */
struct cc_frame {
	const char *sym;          /* function, or NULL when unknown */
	const char *dso;          /* object path ("[kernel.kallsyms]"), or NULL */
};

struct cc_resolver {
	/* Name ip of pid (kernel: a kernel address). Must not fail: unknown is {NULL, NULL}. */
	struct cc_frame (*resolve)(void *ctx, pid_t pid, uint64_t ip, bool kernel);
	void *ctx;
};

struct cc_counts {
	uint64_t events;          /* tlb_flush samples */
	uint64_t remote_sends;    /* reason 4 */
	uint64_t bytes;           /* count_flush_bytes() */
};

struct cc_stack {
	pid_t pid;
	char comm[16];
	uint32_t nr_frames;       /* context markers left out */
	uint32_t nr_kernel;       /* frames[0 .. nr_kernel-1] are kernel frames */
	struct cc_frame *frames;  /* leaf first */
	const char *cause;        /* cause_classify()'s answer (interned in the table) */
	const char *callsite;     /* the first user frame outside libc and allocators, or NULL */
	struct cc_counts c;
};

struct cc_table;

/* An empty table naming frames through res (copied). NULL when out of memory. */
struct cc_table *cc_new(const struct cc_resolver *res);
void cc_free(struct cc_table *t);
/*
 * Count one sample of pid/comm with this raw PERF_SAMPLE_CALLCHAIN (markers included; nr 0: no
 * chain, a stack of no frames). 0, or -1 when out of memory (the sample is not counted).
 */
int cc_add(struct cc_table *t, pid_t pid, const char *comm, const uint64_t *chain, uint32_t nr,
	   const struct cc_counts *add);
size_t cc_nr(const struct cc_table *t);
/* The i-th unique stack, in order of first appearance. */
const struct cc_stack *cc_get(const struct cc_table *t, size_t i);
/*
 * Is this user frame part of libc or an allocator (skipped when looking for the call site)?
 * By object basename (libc.so*, ld-linux*, libpthread*, libjemalloc*, libtcmalloc*, libmimalloc*)
 * or function name (malloc, free, ... and their __libc_/je_/tc_ forms).
 */
bool cc_frame_is_runtime(const struct cc_frame *f);

/* ---------------- views ---------------- */

enum cc_key { CC_BY_CAUSE, CC_BY_CALLSITE };

struct cc_group {
	const char *name;         /* the cause, or the call site ("[unknown]" when none) */
	struct cc_counts c;
	uint64_t processes;       /* distinct pids */
};

/*
 * The stacks folded by cause or call site, most events first (ties by name). *out is the
 * caller's to free. The number of groups, or -1 when out of memory.
 */
long cc_group_by(const struct cc_table *t, enum cc_key key, struct cc_group **out);

struct cc_line {
	char *text;               /* "comm;root;...;leaf": the stackcollapse form */
	uint64_t events;
};

/*
 * One line per unique folded stack (pids merged), sorted by text: frames root first, each the
 * function's name, "[unknown]" when it has none. cc_lines_free() frees. The number of lines, or
 * -1 when out of memory.
 */
long cc_folded(const struct cc_table *t, struct cc_line **out);
void cc_lines_free(struct cc_line *lines, long nr);

/*
 * The call graph of report -g: per comm, a tree of frames in caller order (the outermost caller
 * first, the flush last) or callee order (the flush first, then who called it), children most
 * events first. Built from cc_folded()'s lines.
 */
struct cc_node {
	char *name;
	uint64_t events;
	struct cc_node *child, *next;
};

/* The roots (one per comm, most events first); NULL with nr 0 when empty or out of memory (-1). */
int cc_tree(const struct cc_line *lines, long nr, bool caller, struct cc_node **roots);
void cc_tree_free(struct cc_node *n);
#endif
