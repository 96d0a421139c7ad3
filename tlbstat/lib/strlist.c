// SPDX-License-Identifier: GPL-2.0
#include "strlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strlist_split(struct strlist *l, const char *s, char *err, size_t errlen)
{
	size_t n = 1;
	char *p;

	memset(l, 0, sizeof(*l));
	if (!s || !*s) {
		snprintf(err, errlen, "empty list");
		return -1;
	}
	for (const char *c = s; *c; c++)
		n += *c == ',';
	l->buf = strdup(s);
	l->items = calloc(n, sizeof(*l->items));
	if (!l->buf || !l->items) {
		strlist_free(l);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* strsep, not strtok: strtok skips empty items, and "a,,b" is a typo worth reporting */
	for (p = l->buf; p; ) {
		char *item = strsep(&p, ",");
		if (!*item) {
			strlist_free(l);
			snprintf(err, errlen, "empty item in list '%s'", s);
			return -1;
		}
		l->items[l->nr++] = item;
	}
	return l->nr;
}

void strlist_free(struct strlist *l)
{
	free(l->items);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}
