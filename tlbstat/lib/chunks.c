// SPDX-License-Identifier: GPL-2.0
/*
 * Record chunks (chunks.h): a list in use, a spare list, the release rule.
 */
#include "chunks.h"

#include <string.h>
#include <sys/mman.h>

static size_t map_size(const struct chunks *l)
{
	return (sizeof(struct chunk) + l->cap + 4095) & ~(size_t)4095;
}

void chunks_init(struct chunks *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
}

struct chunk *chunks_take(struct chunks *l)
{
	struct chunk *c = l->spare;

	if (c) {
		l->spare = c->next;
	} else {
		/* its pages mapped in at once (MAP_POPULATE), not faulted in one by one */
		void *p = mmap(NULL, map_size(l), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		c = p;
	}
	c->next = NULL;
	c->off = 0;
	c->len = 0;
	return c;
}

void chunks_append(struct chunks *l, struct chunk *c)
{
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->held += l->cap;
	l->release_due = true;
}

void chunks_give_back(struct chunks *l, struct chunk *c)
{
	c->next = l->spare;
	l->spare = c;
}

static bool holds(const struct chunk *c, const void *p)
{
	return (const uint8_t *)p >= c->data && (const uint8_t *)p < c->data + c->len;
}

void chunks_release_slow(struct chunks *l)
{
	l->release_due = false;	/* what it leaves stays until the pin or the tail moves */
	while (l->head != l->tail && !(l->pinned && holds(l->head, l->pinned))) {
		struct chunk *c = l->head;

		l->head = c->next;
		l->held -= l->cap;
		chunks_give_back(l, c);
	}
}

static void unmap_all(struct chunk *c, size_t size)
{
	while (c) {
		struct chunk *next = c->next;

		munmap(c, size);
		c = next;
	}
}

void chunks_free(struct chunks *l)
{
	unmap_all(l->head, map_size(l));
	unmap_all(l->spare, map_size(l));
	chunks_init(l, l->cap);
}
