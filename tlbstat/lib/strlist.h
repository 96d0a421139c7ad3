/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Comma-separated option values ("tlb,ipi,csd", "pid,comm", "12,34"): one splitter for every
 * command, so that empty items and empty lists are refused the same way everywhere.
 */
#ifndef TLBSTAT_STRLIST_H
#define TLBSTAT_STRLIST_H
#include <stddef.h>

struct strlist {
	int nr;
	char **items;	/* nr NUL-terminated items, in order; point into buf */
	char *buf;
};

/*
 * Split s at commas into l. Returns the number of items (>= 1), or -1 with a message in err:
 * an empty list, an empty item ("a,,b", "a,", ",a") or out of memory. l is empty on failure.
 */
int strlist_split(struct strlist *l, const char *s, char *err, size_t errlen);
void strlist_free(struct strlist *l);

#define strlist_for_each(l, i, item) \
	for ((i) = 0; (i) < (l)->nr && (((item) = (l)->items[(i)]), 1); (i)++)
#endif
