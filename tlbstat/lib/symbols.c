// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel symbol table (symbols.h). One scan of kallsyms text keeps the few symbols tlbstat
 * asks about (the list below) with their lines as read, so that the subset a recording writes is
 * what the kernel said; SYMS_TABLE also keeps every symbol for address lookups.
 */
#include "symbols.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The symbols kept: TLB flush functions (with their class), the other functions whose lines a
 * recording carries (a reader of the file may want to name them), and the kernel text bounds.
 */
#define W(n) .name = n, .len = sizeof(n) - 1
static const struct wanted {
	const char *name;
	size_t len;
	enum tlb_func_class cls;
	bool subset;              /* written into a recording's kallsyms part */
} wanted[] = {
	{ W("flush_tlb_func"), TLB_FUNC_FLUSH, true },
	{ W("flush_tlb_func_remote"), TLB_FUNC_FLUSH, true },        /* kernels < 5.13 */
	{ W("do_kernel_range_flush"), TLB_FUNC_KERNEL_RANGE, true },
	{ W("do_flush_tlb_all"), TLB_FUNC_KERNEL_RANGE, true },
	{ W("generic_smp_call_function_single_interrupt"), TLB_FUNC_NONE, true },
	{ W("__flush_tlb_all"), TLB_FUNC_NONE, true },
	{ W("tlb_remove_table_smp_sync"), TLB_FUNC_NONE, true },
	{ W("_text"), TLB_FUNC_NONE, false },
	{ W("_etext"), TLB_FUNC_NONE, false },
};
#undef W

struct kept {
	uint64_t addr;
	const struct wanted *w;
	char *line;               /* as read, without its newline */
};

struct table_sym {
	uint64_t addr;
	size_t name;              /* offset into names */
};

enum proc_state { PROC_NO, PROC_WANTED, PROC_DONE };

struct syms {
	unsigned flags;
	enum proc_state proc;
	struct kept *kept;
	size_t nr_kept, cap_kept;
	struct table_sym *tab;    /* SYMS_TABLE: sorted by address once loaded */
	size_t nr_tab, cap_tab;
	char *names;
	size_t names_len, names_cap;
};

struct syms *syms_new(unsigned flags)
{
	struct syms *s = calloc(1, sizeof(*s));

	if (s)
		s->flags = flags;
	return s;
}

void syms_free(struct syms *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_kept; i++)
		free(s->kept[i].line);
	free(s->kept);
	free(s->tab);
	free(s->names);
	free(s);
}

/* One parsed kallsyms line: address (line_addr()), and the name (not NUL-terminated). */
struct ksym_line {
	uint64_t addr;
	const char *name, *hex;
	size_t name_len, hex_len;
};

/*
 * "addr type name" (module lines have "\t[mod]" after the name). False for other lines; the
 * address is left to line_addr(), the module to the caller: a wanted name never has a tab, so
 * only SYMS_TABLE looks for one (a memchr over 200k names otherwise).
 */
static bool parse_line(const char *ln, size_t l, struct ksym_line *k)
{
	const char *end = ln + l, *sp = memchr(ln, ' ', l), *name;

	/* " t " */
	if (!sp || end - sp < 4 || sp[2] != ' ')
		return false;
	name = sp + 3;
	k->name = name;
	k->name_len = (size_t)(end - name);
	k->addr = 0;
	k->hex = ln;
	k->hex_len = (size_t)(sp - ln);
	return k->name_len > 0;
}

/* The line's address (parsed only for the symbols kept: ~200k lines, a few wanted); 0 if bad. */
static uint64_t line_addr(const struct ksym_line *k)
{
	uint64_t a = 0;

	for (size_t i = 0; i < k->hex_len; i++) {
		int c = k->hex[i], v = c >= '0' && c <= '9' ? c - '0' :
			(c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;

		if (v < 0)
			return 0;
		a = a << 4 | (uint64_t)v;
	}
	return a;
}

static const struct wanted *find_wanted(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
		if (wanted[i].len == len && !memcmp(wanted[i].name, name, len))
			return &wanted[i];
	return NULL;
}

static int keep(struct syms *s, const struct ksym_line *k, const struct wanted *w,
		const char *ln, size_t l)
{
	struct kept *nk;

	if (s->nr_kept == s->cap_kept) {
		size_t cap = s->cap_kept ? s->cap_kept * 2 : 16;

		nk = realloc(s->kept, cap * sizeof(*nk));
		if (!nk)
			return -1;
		s->kept = nk;
		s->cap_kept = cap;
	}
	nk = &s->kept[s->nr_kept];
	nk->line = strndup(ln, l);
	if (!nk->line)
		return -1;
	nk->addr = k->addr;
	nk->w = w;
	s->nr_kept++;
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 1024;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	np = realloc(*p, c * size);
	if (!np)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

static int add_table(struct syms *s, const struct ksym_line *k)
{
	if (grow((void **)&s->tab, &s->cap_tab, s->nr_tab + 1, sizeof(*s->tab)) < 0 ||
	    grow((void **)&s->names, &s->names_cap, s->names_len + k->name_len + 1, 1) < 0)
		return -1;
	s->tab[s->nr_tab].addr = k->addr;
	s->tab[s->nr_tab].name = s->names_len;
	s->nr_tab++;
	memcpy(s->names + s->names_len, k->name, k->name_len);
	s->names_len += k->name_len;
	s->names[s->names_len++] = 0;
	return 0;
}

static int cmp_tab(const void *a, const void *b)
{
	uint64_t x = ((const struct table_sym *)a)->addr, y = ((const struct table_sym *)b)->addr;

	return (x > y) - (x < y);
}

static bool tab_sorted(const struct syms *s)
{
	for (size_t i = 1; i < s->nr_tab; i++)
		if (s->tab[i].addr < s->tab[i - 1].addr)
			return false;
	return true;
}

int syms_load_text(struct syms *s, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *ln;
	size_t l;
	int n = 0;

	while (next_line(&p, end, &ln, &l)) {
		struct ksym_line k;
		const struct wanted *w;

		if (!parse_line(ln, l, &k))
			continue;
		w = find_wanted(k.name, k.name_len);
		if (!w && !(s->flags & SYMS_TABLE))
			continue;
		if (!w && memchr(k.name, '\t', k.name_len))
			continue;	/* a module's symbol */
		if (!(k.addr = line_addr(&k)))
			continue;	/* junk, or kptr_restrict's zeros */
		if ((s->flags & SYMS_TABLE) && add_table(s, &k) < 0)
			goto oom;
		if (!w)
			continue;
		if (keep(s, &k, w, ln, l) < 0)
			goto oom;
		n += w->cls != TLB_FUNC_NONE;
	}
	/* none (kptr_restrict's zeros): no array; /proc/kallsyms lists the kernel's own symbols in
	 * address order already (the sort was 40 % of reading it), so sort only when it is not */
	if ((s->flags & SYMS_TABLE) && s->nr_tab && !tab_sorted(s))
		qsort(s->tab, s->nr_tab, sizeof(*s->tab), cmp_tab);
	return n;
oom:
	snprintf(err, errlen, "out of memory reading kallsyms");
	return -1;
}

int syms_load_proc(struct syms *s, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int rc;

	if (s->proc == PROC_DONE)
		return 0;
	s->proc = PROC_DONE;
	text = read_file("/proc/kallsyms", &len);
	if (!text) {
		snprintf(err, errlen, "cannot read /proc/kallsyms");
		return -1;
	}
	rc = syms_load_text(s, text, len, err, errlen);
	free(text);
	return rc < 0 ? -1 : 0;
}

void syms_want_proc(struct syms *s)
{
	if (s && s->proc == PROC_NO)
		s->proc = PROC_WANTED;
}

void syms_settle(struct syms *s)
{
	char err[128];

	/* unreadable (not root, kptr_restrict): classes stay NONE, as documented */
	if (s && s->proc == PROC_WANTED)
		syms_load_proc(s, err, sizeof(err));
}

enum tlb_func_class syms_func_class(struct syms *s, uint64_t addr, const char **name)
{
	if (name)
		*name = NULL;
	if (!s || !addr)
		return TLB_FUNC_NONE;
	syms_settle(s);
	for (size_t i = 0; i < s->nr_kept; i++)
		if (s->kept[i].addr == addr && s->kept[i].w->cls != TLB_FUNC_NONE) {
			if (name)
				*name = s->kept[i].w->name;
			return s->kept[i].w->cls;
		}
	return TLB_FUNC_NONE;
}

uint64_t syms_addr(const struct syms *s, const char *name)
{
	for (size_t i = 0; s && i < s->nr_kept; i++)
		if (!strcmp(s->kept[i].w->name, name))
			return s->kept[i].addr;
	return 0;
}

const char *syms_lookup(const struct syms *s, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi;

	if (!s || !s->nr_tab || addr < s->tab[0].addr)
		return NULL;
	hi = s->nr_tab;
	/* the last symbol at or below addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->tab[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (off)
		*off = addr - s->tab[lo].addr;
	return s->names + s->tab[lo].name;
}

int syms_kallsyms_subset(const struct syms *s, char **out, size_t *len)
{
	size_t n = 0;
	char *buf;

	*out = NULL;
	*len = 0;
	for (size_t i = 0; s && i < s->nr_kept; i++)
		if (s->kept[i].w->subset)
			n += strlen(s->kept[i].line) + 1;
	if (!n)
		return 0;
	buf = malloc(n + 1);	/* NUL-terminated too: callers print it as a string */
	if (!buf)
		return -1;
	for (size_t i = 0; i < s->nr_kept; i++)
		if (s->kept[i].w->subset) {
			size_t l = strlen(s->kept[i].line);

			memcpy(buf + *len, s->kept[i].line, l);
			buf[*len + l] = '\n';
			*len += l + 1;
		}
	buf[*len] = '\0';
	*out = buf;
	return 0;
}
