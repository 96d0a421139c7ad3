/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel symbol table: built once from kallsyms text (/proc/kallsyms when live, a perf.data
 * file's kallsyms part when reading) and passed by pointer to whoever needs it: the decoder
 * (class of a callback address), record (the kernel map's _text/_etext, the kallsyms lines it
 * writes into its file). kallsyms is ~10 MB and 200k lines: only the symbols tlbstat asks about
 * are kept, unless SYMS_TABLE asks for every symbol (address -> symbol, for call chains).
 */
#ifndef TLBSTAT_SYMBOLS_H
#define TLBSTAT_SYMBOLS_H
#include <stddef.h>
#include <stdint.h>

/* What a callback / csd function address is (needs kernel symbols; NONE when unknown). */
enum tlb_func_class {
	TLB_FUNC_NONE = 0,        /* not a TLB flush function, or no symbols to tell */
	TLB_FUNC_FLUSH,           /* flush_tlb_func (flush_tlb_func_remote): a user mm flush */
	TLB_FUNC_KERNEL_RANGE,    /* do_kernel_range_flush, do_flush_tlb_all: kernel-range flush */
};

enum {
	SYMS_TABLE = 1 << 0,      /* also keep every symbol, sorted, for syms_lookup() */
};

struct syms;

/* An empty table; NULL when out of memory. */
struct syms *syms_new(unsigned flags);
void syms_free(struct syms *s);
/*
 * Add the symbols of kallsyms text ("addr type name[\t[module]]" lines). Module symbols and
 * zero addresses (kptr_restrict) are left out. Returns how many TLB flush functions it found,
 * or -1 with err ("out of memory").
 */
int syms_load_text(struct syms *s, const char *text, size_t len, char *err, size_t errlen);
/*
 * Add this boot's kernel symbols, once per table: perf's build-id cache copy of the running
 * kernel's kallsyms when there is one whose _text is this boot's (a plain file), else
 * /proc/kallsyms (~0.04 s of the kernel formatting 5 MB of text). 0, or -1 with err (unreadable).
 */
int syms_load_proc(struct syms *s, char *err, size_t errlen);
/* Read a file of kallsyms text and add it. 0, or -1 with err (unreadable, out of memory). */
int syms_load_file(struct syms *s, const char *path, char *err, size_t errlen);
/*
 * Where perf's build-id cache keeps a kernel's kallsyms, by build-id:
 * $PERF_BUILDID_DIR/[kernel.kallsyms]/HEX/kallsyms, or $HOME/.debug/... when it is unset (the
 * caller frees; NULL when neither is set, len is 0 or over 20, or out of memory). Reading that
 * plain file costs a copy; /proc/kallsyms is text the kernel formats line by line.
 */
char *syms_cache_path(const unsigned char *id, size_t len);
/* The running kernel's build-id (/sys/kernel/notes) into id: its length, 0 when unreadable. */
size_t syms_kernel_build_id(unsigned char *id, size_t room);
/*
 * Add perf's build-id cache copy of kernel id's kallsyms (syms_cache_path()) when there is one
 * and its _text is text (0: this boot's, from the head of /proc/kallsyms): a plain file mapped,
 * names left in it. 1 added, 0 not (no copy, or another boot's), -1 with err (out of memory).
 */
int syms_load_cached(struct syms *s, const unsigned char *id, size_t n, uint64_t text,
		     char *err, size_t errlen);
/*
 * Put this boot's /proc/kallsyms at syms_cache_path(id) when nothing is there yet, as perf
 * record does for the kernel it recorded (the caller gives this kernel's build-id): 1 written,
 * 0 already there, -1 with errno.
 */
int syms_cache_save(const unsigned char *id, size_t len);
/*
 * /proc/kallsyms is to stand in, but only when a function address must first be classified
 * (a file without its own kallsyms part): syms_func_class() or syms_settle() reads it then.
 */
void syms_want_proc(struct syms *s);
/* Do a wanted /proc/kallsyms read now (a live session, before its events are enabled). */
void syms_settle(struct syms *s);
/* The class of a function's start address (an address inside one is NONE); name gets the
 * function's name for a TLB function (NULL otherwise) when not NULL. NULL s: NONE. */
enum tlb_func_class syms_func_class(struct syms *s, uint64_t addr, const char **name);
/* The address of a kept symbol by name (_text, _etext, the TLB functions); 0 if unknown. */
uint64_t syms_addr(const struct syms *s, const char *name);
/* SYMS_TABLE only: the symbol at or below addr, *off the distance; NULL if none. */
const char *syms_lookup(const struct syms *s, uint64_t addr, uint64_t *off);
/*
 * The kallsyms lines record writes into its file (the functions tlbstat resolves), as read,
 * newline terminated, into *out, NUL-terminated too (the caller frees; NULL and *len 0 when
 * there are none).
 * 0, or -1 when out of memory.
 */
int syms_kallsyms_subset(const struct syms *s, char **out, size_t *len);
#endif
