// SPDX-License-Identifier: GPL-2.0
#include "interrupts.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * /proc/interrupts: a header line of "CPUn" columns, then rows "NAME: c0 c1 ... description".
 * Only the leading numeric columns are counts; the row may have fewer than the header (never more).
 */
bool interrupts_parse_row(const char *text, const char *name, struct intr_row *row)
{
	size_t nl = strlen(name);
	const char *line = text;

	memset(row, 0, sizeof(*row));
	while (line && *line) {
		const char *p = line;
		const char *eol = strchr(line, '\n');
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, nl) && p[nl] == ':') {
			p += nl + 1;
			while (p < (eol ? eol : p + strlen(p))) {
				char *end;
				unsigned long long v;
				while (*p == ' ' || *p == '\t')
					p++;
				if (!isdigit((unsigned char)*p))
					break;
				v = strtoull(p, &end, 10);
				if (end == p || (*end && !isspace((unsigned char)*end)))
					break;
				if (row->ncpus < INTR_MAX_CPUS)
					row->per_cpu[row->ncpus++] = v;
				row->total += v;
				p = end;
			}
			row->present = true;
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

bool interrupts_read_row(const char *path, const char *name, struct intr_row *row)
{
	char *text = read_file(path ? path : "/proc/interrupts", NULL);
	bool ok;
	if (!text) {
		memset(row, 0, sizeof(*row));
		return false;
	}
	ok = interrupts_parse_row(text, name, row);
	free(text);
	return ok;
}
