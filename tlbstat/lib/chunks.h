/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record chunks of the readers that hand records out in place (perfdata.c: the file's bytes
 * read into them; perfpipe.c: a stream's records copied into them), with the one rule of what
 * they may give back: a chunk before the newest is free again once neither the pinned record (the
 * ordered queue's oldest, pd_pin/pp_pin) nor any later one lies in it. Freed chunks wait on a
 * spare list, so resident memory follows the records held, not the input. The chunks' bytes are
 * carved from huge-page regions (util.h huge_map: on this project's PVM guest three 256 KiB
 * chunks cost 1.1 ms in 4 KiB pages, populated, and 0.2 ms as one 2 MiB huge page).
 */
#ifndef TLBSTAT_CHUNKS_H
#define TLBSTAT_CHUNKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chunk {
	struct chunk *next;
	uint64_t off;                     /* the owner's: perfdata, the file offset of data[0] */
	size_t len;                       /* bytes of data in use */
	uint8_t *data;                    /* cap bytes (page-aligned) in one of the regions */
};

struct chunk_region;

struct chunks {
	struct chunk *head, *tail;        /* in use, oldest first; tail the newest */
	struct chunk *spare;              /* free */
	struct chunk_region *regions;     /* the chunks' memory, newest first */
	const void *pinned;               /* its chunk and every later one stay (NULL: none) */
	size_t cap;                       /* data bytes of each chunk */
	size_t held;                      /* data bytes of the chunks in use */
	bool release_due;                 /* the pin or the tail moved since chunks_release() */
};

/* An empty list of chunks of cap data bytes each. */
void chunks_init(struct chunks *l, size_t cap);
/* A free chunk (len 0), not yet in the list: a spare, or a new one; NULL when out of memory. */
struct chunk *chunks_take(struct chunks *l);
/* c (from chunks_take) as the newest chunk in use. */
void chunks_append(struct chunks *l, struct chunk *c);
/* c (from chunks_take, never appended) back to the spares. */
void chunks_give_back(struct chunks *l, struct chunk *c);
static inline void chunks_pin(struct chunks *l, const void *rec)
{
	if (rec != l->pinned)
		l->release_due = true;
	l->pinned = rec;
}
/* The chunks before the pinned record's (before the newest when none is pinned) to the spares:
 * the caller is done with every record it did not pin. Only when due, and cheap to ask. */
void chunks_release_slow(struct chunks *l);
static inline void chunks_release(struct chunks *l)
{
	if (l->release_due && l->head != l->tail)
		chunks_release_slow(l);
}
void chunks_free(struct chunks *l);
#endif
