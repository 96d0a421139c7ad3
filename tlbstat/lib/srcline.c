// SPDX-License-Identifier: GPL-2.0
/*
 * Source lines and inline frames (srcline.h): one Dwarf per object (lib/debugfile.c: the file
 * holding it, compressed sections inflated), dwarf_getscopes() at the address for the inline
 * chain, the line table for the innermost line, and an open-addressing table of answers keyed by
 * (object, address).
 */
#include "srcline.h"
#include "debugfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LIBDW
#include <dwarf.h>

#include "elfdl.h"	/* last: libdw's names become calls through its table */
#endif

#define SRCL_MAX_FRAMES 32	/* inline depth kept per address (deeper ones are cut) */

struct srcl_obj {
	char *path;
	struct debugfile *df;     /* NULL: no DWARF */
};

struct srcl_entry {
	int obj;                  /* -1: empty slot */
	uint32_t nr;
	uint64_t addr;
	struct srcl_frame *frames; /* and their strings, one allocation */
};

struct srcline {
	char *debug_root;         /* where .build-id/ lives */
	struct srcl_obj *objs;
	size_t nr_objs, last_obj;
	struct srcl_entry *slots;
	size_t nr_slots, used;    /* nr_slots a power of two, at least twice used */
	struct srcl_stats st;
};

struct srcline *srcl_new(const char *debug_root)
{
	struct srcline *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->debug_root = strdup(debug_root ? debug_root : "/usr/lib/debug");
	s->nr_slots = 1024;
	s->slots = malloc(s->nr_slots * sizeof(*s->slots));
	if (!s->debug_root || !s->slots) {
		srcl_free(s);
		return NULL;
	}
	for (size_t i = 0; i < s->nr_slots; i++)
		s->slots[i].obj = -1;
	srcl_available();	/* libdw loaded now (or said missing), not mid-report */
	return s;
}

void srcl_free(struct srcline *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->slots && i < s->nr_slots; i++)
		if (s->slots[i].obj >= 0)
			free(s->slots[i].frames);
	for (size_t i = 0; i < s->nr_objs; i++) {
		debugfile_close(s->objs[i].df);
		free(s->objs[i].path);
	}
	free(s->objs);
	free(s->slots);
	free(s->debug_root);
	free(s);
}

void srcl_get_stats(const struct srcline *s, struct srcl_stats *st)
{
	*st = s->st;
}

static uint64_t slot_hash(int obj, uint64_t addr)
{
	return (addr ^ ((uint64_t)(unsigned)obj * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
}

/* Double the table: 0, or -1 when out of memory. */
static int grow(struct srcline *s)
{
	size_t n = s->nr_slots * 2;
	struct srcl_entry *e = malloc(n * sizeof(*e));

	if (!e)
		return -1;
	for (size_t i = 0; i < n; i++)
		e[i].obj = -1;
	for (size_t i = 0; i < s->nr_slots; i++) {
		size_t k;

		if (s->slots[i].obj < 0)
			continue;
		k = slot_hash(s->slots[i].obj, s->slots[i].addr) >> 20 & (n - 1);
		while (e[k].obj >= 0)
			k = (k + 1) & (n - 1);
		e[k] = s->slots[i];
	}
	free(s->slots);
	s->slots = e;
	s->nr_slots = n;
	return 0;
}

#ifdef HAVE_LIBDW
bool srcl_available(void)
{
	return elfdl_dw();
}

/* The object's DWARF (lib/debugfile.c: its own, or its debug file's), opened on first use. */
static void obj_open(struct srcline *s, struct srcl_obj *o)
{
	s->st.objects++;
	o->df = debugfile_open(o->path, s->debug_root);
	if (o->df)
		s->st.with_dwarf++;	/* else every lookup in it answers 0 */
}
#else
bool srcl_available(void)
{
	return false;
}

static void obj_open(struct srcline *s, struct srcl_obj *o)
{
	s->st.objects++;	/* no libdw: no DWARF is read */
}
#endif

/* The index of path's object (opened when new), or -1 when out of memory. */
static int obj_of(struct srcline *s, const char *path)
{
	struct srcl_obj *o;

	if (s->last_obj < s->nr_objs && !strcmp(s->objs[s->last_obj].path, path))
		return (int)s->last_obj;
	for (size_t i = 0; i < s->nr_objs; i++)
		if (!strcmp(s->objs[i].path, path))
			return (int)(s->last_obj = i);
	o = realloc(s->objs, (s->nr_objs + 1) * sizeof(*o));
	if (!o)
		return -1;
	s->objs = o;
	o = &s->objs[s->nr_objs];
	memset(o, 0, sizeof(*o));
	if (!(o->path = strdup(path)))
		return -1;
	obj_open(s, o);
	s->last_obj = s->nr_objs;
	return (int)s->nr_objs++;
}

struct srcl_raw {
	const char *func, *file;
	int line;
	bool inlined;
};

#ifdef HAVE_LIBDW
/* A DIE's name, through DW_AT_abstract_origin and DW_AT_specification; NULL when none. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* An inlined call's site (DW_AT_call_file, DW_AT_call_line) into *file, *line. */
static void call_site(Dwarf_Die *die, Dwarf_Die *cu, const char **file, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word w;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &w) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && w < nfiles)
		*file = dwarf_filesrc(files, w, NULL, NULL);
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &w) == 0)
		*line = (int)w;
}

/*
 * The raw frames at vaddr of o, innermost first (see srcl_lookup): their number. dwarf_getscopes()
 * continues past an inlined instance into its abstract definition; the concrete chain (who it
 * was inlined into) comes from dwarf_getscopes_die() on the innermost scope, as eu-addr2line -i.
 */
static uint32_t walk(const struct srcl_obj *o, uint64_t vaddr, struct srcl_raw *raw)
{
	Dwarf_Die cu_mem, *cu = o->df ? dwarf_addrdie(debugfile_dwarf(o->df), vaddr, &cu_mem) : NULL;
	Dwarf_Line *ln;
	Dwarf_Die *scopes = NULL, inner;
	const char *file = NULL;
	int line = 0, ns;
	uint32_t n = 0;

	/* no CU holds it (crt1's _start; an arange may answer the CU below the address): no line
	 * either, as perf's ??:0 */
	if (!cu || dwarf_haspc(cu, vaddr) <= 0)
		return 0;
	ln = dwarf_getsrc_die(cu, vaddr);
	if (ln && (file = dwarf_linesrc(ln, NULL, NULL)))
		dwarf_lineno(ln, &line);
	ns = dwarf_getscopes(cu, vaddr, &scopes);
	if (ns > 0) {
		inner = scopes[0];
		free(scopes);
		scopes = NULL;
		ns = dwarf_getscopes_die(&inner, &scopes);
	}
	for (int i = 0; i < ns && n < SRCL_MAX_FRAMES - 1; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		raw[n++] = (struct srcl_raw){ die_name(&scopes[i]), file, line,
					      tag == DW_TAG_inlined_subroutine };
		if (tag == DW_TAG_subprogram)
			break;
		call_site(&scopes[i], cu, &file, &line);	/* the next frame's line */
	}
	free(scopes);
	if (n && raw[n - 1].inlined)	/* cut short (or no subprogram): the holder unnamed */
		raw[n++] = (struct srcl_raw){ NULL, file, line, false };
	if (!n && file)		/* line information without a function (assembly) */
		raw[n++] = (struct srcl_raw){ NULL, file, line, false };
	return n;
}
#else
static uint32_t walk(const struct srcl_obj *o, uint64_t vaddr, struct srcl_raw *raw)
{
	return 0;
}
#endif

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* The raw frames copied into one allocation: frames, then their strings. NULL: out of memory. */
static struct srcl_frame *pack(const struct srcl_raw *raw, uint32_t n)
{
	size_t bytes = n * sizeof(struct srcl_frame);
	struct srcl_frame *f;
	char *p;

	for (uint32_t i = 0; i < n; i++)
		bytes += (raw[i].func ? strlen(raw[i].func) + 1 : 0) +
			 (raw[i].file ? strlen(base_name(raw[i].file)) + 16 : 0);
	f = malloc(bytes ? bytes : 1);
	if (!f)
		return NULL;
	p = (char *)(f + n);
	for (uint32_t i = 0; i < n; i++) {
		f[i].inlined = raw[i].inlined;
		f[i].func = raw[i].func ? p : NULL;
		if (raw[i].func)
			p = stpcpy(p, raw[i].func) + 1;
		f[i].srcline = raw[i].file ? p : NULL;
		if (raw[i].file)
			p += sprintf(p, "%s:%d", base_name(raw[i].file), raw[i].line) + 1;
	}
	return f;
}

uint32_t srcl_lookup(struct srcline *s, const char *path, uint64_t vaddr,
		     const struct srcl_frame **out)
{
	struct srcl_raw raw[SRCL_MAX_FRAMES];
	int obj = obj_of(s, path);
	struct srcl_entry *e;
	size_t k;
	uint32_t n;

	s->st.lookups++;
	*out = NULL;
	if (obj < 0)
		return 0;
	for (k = slot_hash(obj, vaddr) >> 20 & (s->nr_slots - 1); s->slots[k].obj >= 0;
	     k = (k + 1) & (s->nr_slots - 1))
		if (s->slots[k].obj == obj && s->slots[k].addr == vaddr) {
			*out = s->slots[k].frames;
			return s->slots[k].nr;
		}
	s->st.misses++;
	n = walk(&s->objs[obj], vaddr, raw);
	if ((s->used + 1) * 2 > s->nr_slots) {
		if (grow(s) < 0)
			return 0;
		for (k = slot_hash(obj, vaddr) >> 20 & (s->nr_slots - 1); s->slots[k].obj >= 0;
		     k = (k + 1) & (s->nr_slots - 1))
			;
	}
	e = &s->slots[k];
	if (!(e->frames = pack(raw, n)))
		return 0;
	e->obj = obj;
	e->addr = vaddr;
	e->nr = n;
	s->used++;
	*out = e->frames;
	return n;
}
