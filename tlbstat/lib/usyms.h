/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space symbols: each process's executable mappings (from MMAP/MMAP2 records, inherited on
 * fork) and the ELF symbol tables of the mapped objects (.symtab, else .dynsym; a debug file
 * found by build-id under /usr/lib/debug/.build-id when the object is stripped), read with
 * libelf when first needed. Lookups are cached by (object, address). Built without libelf, every
 * lookup answers NULL (user frames stay unnamed). No process-wide state: all in the object.
 */
#ifndef TLBSTAT_USYMS_H
#define TLBSTAT_USYMS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct usyms;

/* NULL when out of memory. debug_root: where .build-id/ lives (NULL: /usr/lib/debug). */
struct usyms *usym_new(const char *debug_root);
void usym_free(struct usyms *u);
/* A mapping of pid (it replaces what it overlaps). 0, or -1 when out of memory. */
int usym_mmap(struct usyms *u, pid_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
	      const char *path);
/* A new process (child != parent) starts with its parent's mappings. 0, or -1 (memory). */
int usym_fork(struct usyms *u, pid_t parent, pid_t child);
/*
 * The function at ip in pid, or NULL; *dso gets the object's path when ip is in a known mapping
 * (NULL otherwise). The strings live as long as u.
 */
const char *usym_resolve(struct usyms *u, pid_t pid, uint64_t ip, const char **dso);
/*
 * The object mapped at ip in pid (*path) and ip's address in it (*vaddr: the object's own
 * link-time address, through its PT_LOAD segments, what DWARF and symbol tables use). false when ip
 * is in no mapped object (or built without libelf).
 */
bool usym_object_addr(struct usyms *u, pid_t pid, uint64_t ip, const char **path, uint64_t *vaddr);
/* Mark the object mapped at ip in pid as sampled (for its build-id); no symbols are read. */
void usym_mark(struct usyms *u, pid_t pid, uint64_t ip);
/*
 * cb for each marked object that has a build-id (raw bytes, read with libelf), in order of first
 * mapping. Returns 0, or cb's first non-zero return.
 */
int usym_hit_build_ids(struct usyms *u, int (*cb)(void *ctx, const char *path,
						  const unsigned char *id, size_t len),
		       void *ctx);
/*
 * cb for each mapping of pid that has an object path, in address order: [start, end) mapped from
 * the path at pgoff. Returns 0, or cb's first non-zero return.
 */
int usym_maps(struct usyms *u, pid_t pid, int (*cb)(void *ctx, uint64_t start, uint64_t end,
						    uint64_t pgoff, const char *path), void *ctx);
/* A number that changes whenever pid's mappings change (never reused in u); 0: pid unknown. */
uint64_t usym_maps_gen(struct usyms *u, pid_t pid);
/* Whether user symbols can be read at all (built with libelf). */
bool usym_available(void);
#endif
