// SPDX-License-Identifier: GPL-2.0
/*
 * Record chunks (chunks.h): a list in use, a spare list, the release rule.
 */
#include "chunks.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A huge-page region the chunks' bytes are carved from, cap after cap. */
struct chunk_region {
	struct chunk_region *next;
	uint8_t *map;
	size_t len, used;
};

void chunks_init(struct chunks *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = (cap + 4095) & ~(size_t)4095;
}

/* cap bytes from the newest region, or from a new one; NULL when out of memory */
static uint8_t *carve(struct chunks *l)
{
	struct chunk_region *g = l->regions;

	if (!g || g->len - g->used < l->cap) {
		if (!(g = calloc(1, sizeof(*g))))
			return NULL;
		if (!(g->map = huge_map(l->cap, true, &g->len))) {
			free(g);
			return NULL;
		}
		g->next = l->regions;
		l->regions = g;
	}
	g->used += l->cap;
	return g->map + g->used - l->cap;
}

struct chunk *chunks_take(struct chunks *l)
{
	struct chunk *c = l->spare;

	if (c) {
		l->spare = c->next;
	} else {
		if (!(c = malloc(sizeof(*c))))
			return NULL;
		if (!(c->data = carve(l))) {
			free(c);
			return NULL;
		}
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

static void free_all(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
}

void chunks_free(struct chunks *l)
{
	size_t cap = l->cap;

	free_all(l->head);
	free_all(l->spare);
	while (l->regions) {
		struct chunk_region *g = l->regions;

		l->regions = g->next;
		huge_unmap(g->map, g->len);
		free(g);
	}
	chunks_init(l, cap);
}
