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

/* A frame's name, object and source line, all owned by the resolver (they outlive the stacks). */
struct cc_frame {
	const char *sym;          /* function, or NULL when unknown */
	const char *dso;          /* object path ("[kernel.kallsyms]"), or NULL */
	const char *srcline;      /* "file.c:LINE" where debug info says (and was asked), or NULL */
	bool inlined;             /* a function inlined into the next frame (same address) */
};

/* most frames one address may expand to (its inline chain and the function holding it) */
#define CC_MAX_INLINE 16

struct cc_resolver {
	/*
	 * Name ip of pid into out[0..room) (room <= CC_MAX_INLINE), innermost first: the functions
	 * inlined at ip, then the one holding them (one frame where there is no inline chain).
	 * kernel: a kernel address; ret: a caller's return address (its call is the byte before:
	 * what source lines and inline chains are looked up by). Returns the number of frames, at
	 * least 1: it must not fail, unknown is one {NULL}.
	 */
	uint32_t (*resolve)(void *ctx, pid_t pid, uint64_t ip, bool kernel, bool ret,
			    struct cc_frame *out, uint32_t room);
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
	uint32_t nr_frames;       /* context markers left out, inline frames in */
	uint32_t nr_kernel;       /* frames[0 .. nr_kernel-1] are kernel frames */
	struct cc_frame *frames;  /* leaf first */
	const char *cause;        /* cause_classify()'s answer (interned in the table) */
	const char *callsite;     /* the first user frame outside libc and allocators, or NULL */
	const char *callsite_srcline; /* its source line, or NULL */
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

enum cc_key { CC_BY_CAUSE, CC_BY_CALLSITE, CC_BY_SRCLINE };

struct cc_group {
	const char *name;         /* the cause, the call site or its source line ("[unknown]": none) */
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

/* How cc_folded() writes a frame: its function's name ("[unknown]" when it has none), then */
enum {
	CC_FOLD_SRCLINE = 1,      /* " file.c:LINE" where known (perf report -g folded,address) */
	CC_FOLD_INLINED = 2,      /* " (inlined)" on inline frames (perf report -g) */
};

/*
 * One line per unique folded stack (pids merged), sorted by text: frames root first, each
 * written as flags (CC_FOLD_*) say. cc_lines_free() frees. The number of lines, or -1 when out
 * of memory.
 */
long cc_folded(const struct cc_table *t, unsigned flags, struct cc_line **out);
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
