// SPDX-License-Identifier: GPL-2.0
/*
 * User symbols (usyms.h): per-process mapping lists, per-object symbol tables read with libelf,
 * and a direct-mapped (object, address) cache in front of the binary search.
 */
#include "usyms.h"
#include "dynlib.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfdl.h"	/* last: libelf's names become calls through its table */

struct usym_map {
	uint64_t start, end, pgoff;
	int dso;                   /* index into u->dsos */
};

struct usym_proc {
	pid_t pid;
	struct usym_map *maps;     /* sorted by start, not overlapping */
	size_t nr, alloc;
	uint64_t gen;              /* usym_maps_gen() */
};

struct usym_sym {
	uint64_t addr, size;
	const char *name;          /* into the dso's strings */
	int bind;                  /* STB_* */
	uint32_t index;            /* in its symbol table: the last tie-breaker, as perf's */
};

struct usym_load {
	uint64_t offset, vaddr, filesz;
};

struct usym_dso {
	char *path;
	bool loaded, hit;
	struct usym_sym *syms;     /* sorted by addr */
	size_t nr_syms;
	char *strings;
	struct usym_load loads[16];
	int nr_loads;
};

#define USYM_CACHE 4096

struct usym_cache {
	int dso;                   /* -1: empty */
	uint64_t addr;
	const char *name;
};

struct usyms {
	char debug_root[256];
	struct usym_proc *procs;
	size_t nr_procs;
	struct usym_dso *dsos;
	size_t nr_dsos;
	size_t last_proc;
	uint64_t gens;             /* the last generation handed out */
	struct usym_cache cache[USYM_CACHE];
};

struct usyms *usym_new(const char *debug_root)
{
	struct usyms *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	snprintf(u->debug_root, sizeof(u->debug_root), "%s", debug_root ? debug_root :
		 "/usr/lib/debug");
	for (size_t i = 0; i < USYM_CACHE; i++)
		u->cache[i].dso = -1;
	usym_available();	/* libelf loaded now (or said missing), not mid-report */
	return u;
}

void usym_free(struct usyms *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nr_procs; i++)
		free(u->procs[i].maps);
	for (size_t i = 0; i < u->nr_dsos; i++) {
		free(u->dsos[i].path);
		free(u->dsos[i].syms);
		free(u->dsos[i].strings);
	}
	free(u->procs);
	free(u->dsos);
	free(u);
}

static struct usym_proc *proc_of(struct usyms *u, pid_t pid, bool create)
{
	struct usym_proc *p;

	if (u->last_proc < u->nr_procs && u->procs[u->last_proc].pid == pid)
		return &u->procs[u->last_proc];
	for (size_t i = 0; i < u->nr_procs; i++)
		if (u->procs[i].pid == pid) {
			u->last_proc = i;
			return &u->procs[i];
		}
	if (!create)
		return NULL;
	p = realloc(u->procs, (u->nr_procs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	u->procs = p;
	p = &u->procs[u->nr_procs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	u->last_proc = u->nr_procs++;
	return p;
}

/* The index of path's object, added when new; -1 when out of memory. */
static int dso_of(struct usyms *u, const char *path)
{
	struct usym_dso *d;

	for (size_t i = 0; i < u->nr_dsos; i++)
		if (!strcmp(u->dsos[i].path, path))
			return (int)i;
	d = realloc(u->dsos, (u->nr_dsos + 1) * sizeof(*d));
	if (!d)
		return -1;
	u->dsos = d;
	d = &u->dsos[u->nr_dsos];
	memset(d, 0, sizeof(*d));
	d->path = strdup(path);
	if (!d->path)
		return -1;
	return (int)u->nr_dsos++;
}

/* Remove [start, end) from p's maps (trimming the ones it overlaps). 0, or -1 (memory). */
static int punch(struct usym_proc *p, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < p->nr; i++) {
		struct usym_map *m = &p->maps[i];

		if (m->end <= start || m->start >= end)
			continue;
		if (m->start < start && m->end > end) {	/* split in two */
			struct usym_map tail = *m;

			if (p->nr == p->alloc)
				return -1;	/* the caller made room for one */
			tail.pgoff += end - m->start;
			tail.start = end;
			m->end = start;
			memmove(&p->maps[i + 2], &p->maps[i + 1], (p->nr - i - 1) * sizeof(*m));
			p->maps[i + 1] = tail;
			p->nr++;
			return 0;
		}
		if (m->start < start) {
			m->end = start;
		} else if (m->end > end) {
			m->pgoff += end - m->start;
			m->start = end;
		} else {
			memmove(m, m + 1, (p->nr - i - 1) * sizeof(*m));
			p->nr--;
			i--;
		}
	}
	return 0;
}

static int reserve(struct usym_proc *p, size_t more)
{
	if (p->nr + more > p->alloc) {
		size_t na = (p->nr + more) * 2;
		struct usym_map *m = realloc(p->maps, na * sizeof(*m));

		if (!m)
			return -1;
		p->maps = m;
		p->alloc = na;
	}
	return 0;
}

/* An object on disk (not //anon, [heap], [stack], [vdso]): what unwinding and symbols read. */
static bool is_file(const char *path)
{
	return path[0] == '/' && strncmp(path, "//anon", 6);
}

int usym_mmap(struct usyms *u, pid_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
	      const char *path)
{
	struct usym_proc *p = proc_of(u, pid, true);
	/* anonymous memory (record --call-graph dwarf records data mmaps) only ends what it covers:
	 * kept, never-unmapped (no record says so) anonymous regions would pile up */
	bool anon = !path || !*path || !strncmp(path, "//anon", 6);
	int dso = anon ? -1 : dso_of(u, path);
	bool objects = dso >= 0 && is_file(u->dsos[dso].path);
	size_t i;

	if (!p || (!anon && dso < 0) || reserve(p, 2) < 0)
		return -1;
	/* the generation follows the objects: anonymous mmaps in a loop leave it (and unwind.c's
	 * caches keyed by it) alone */
	for (i = 0; i < p->nr && !objects; i++)
		objects = p->maps[i].start < start + len && p->maps[i].end > start &&
			  p->maps[i].dso >= 0 && is_file(u->dsos[p->maps[i].dso].path);
	if (punch(p, start, start + len) < 0)
		return -1;
	if (anon) {
		if (objects)
			p->gen = ++u->gens;
		return 0;
	}
	for (i = 0; i < p->nr && p->maps[i].start < start; i++)
		;
	memmove(&p->maps[i + 1], &p->maps[i], (p->nr - i) * sizeof(*p->maps));
	p->maps[i] = (struct usym_map){ start, start + len, pgoff, dso };
	p->nr++;
	if (objects || !p->gen)
		p->gen = ++u->gens;
	return 0;
}

int usym_fork(struct usyms *u, pid_t parent, pid_t child)
{
	struct usym_proc *pp = proc_of(u, parent, false), *cp;
	size_t pi;

	if (!pp || parent == child)
		return 0;
	pi = (size_t)(pp - u->procs);
	cp = proc_of(u, child, true);
	if (!cp)
		return -1;
	pp = &u->procs[pi];	/* procs may have moved */
	cp->nr = 0;
	if (reserve(cp, pp->nr) < 0)
		return -1;
	memcpy(cp->maps, pp->maps, pp->nr * sizeof(*cp->maps));
	cp->nr = pp->nr;
	cp->gen = ++u->gens;
	return 0;
}

int usym_maps(struct usyms *u, pid_t pid, int (*cb)(void *ctx, uint64_t start, uint64_t end,
						    uint64_t pgoff, const char *path), void *ctx)
{
	struct usym_proc *p = proc_of(u, pid, false);
	int rc;

	for (size_t i = 0; p && i < p->nr; i++) {
		const struct usym_map *m = &p->maps[i];

		if (m->dso >= 0 && (rc = cb(ctx, m->start, m->end, m->pgoff, u->dsos[m->dso].path)))
			return rc;
	}
	return 0;
}

uint64_t usym_maps_gen(struct usyms *u, pid_t pid)
{
	struct usym_proc *p = proc_of(u, pid, false);

	return p ? p->gen : 0;
}

static const struct usym_map *map_at(const struct usym_proc *p, uint64_t ip)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->maps[mid].end <= ip)
			lo = mid + 1;
		else if (p->maps[mid].start > ip)
			hi = mid;
		else
			return &p->maps[mid];
	}
	return NULL;
}

#ifdef HAVE_LIBELF
bool usym_available(void)
{
	return elfdl_elf();
}

/* The PT_LOAD segments (file offset -> address). */
static void read_loads(Elf *e, struct usym_dso *d)
{
	size_t n;

	if (elf_getphdrnum(e, &n) < 0)
		return;
	for (size_t i = 0; i < n && d->nr_loads < 16; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			d->loads[d->nr_loads++] = (struct usym_load){ ph.p_offset, ph.p_vaddr,
								      ph.p_filesz };
	}
}

/* The section of this type, or NULL. */
static Elf_Scn *section_of(Elf *e, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *s = NULL;

	while ((s = elf_nextscn(e, s)))
		if (gelf_getshdr(s, sh) && sh->sh_type == type)
			return s;
	return NULL;
}

/* The raw build-id into id (at most 20 bytes used by perf; up to 64 kept): its length, 0 if none. */
static size_t build_id_raw(Elf *e, unsigned char *id, size_t room)
{
	GElf_Shdr sh;
	Elf_Scn *s = NULL;

	while ((s = elf_nextscn(e, s))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE || !(data = elf_getdata(s, NULL)))
			continue;
		while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			size_t n = nh.n_descsz < room ? nh.n_descsz : room;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + noff, "GNU", 4))
				continue;
			memcpy(id, (char *)data->d_buf + doff, n);
			return n;
		}
	}
	return 0;
}

/* The build-id as hex into buf ("" when there is none). */
static void build_id_of(Elf *e, char *buf, size_t len)
{
	unsigned char id[64];
	size_t n = build_id_raw(e, id, sizeof(id));

	build_id_hex(id, n, buf, len);
}

static size_t underscores(const char *s)
{
	return strspn(s, "_");
}

/*
 * Of aliases at one address, which name a frame gets (perf's choose_best_symbol()): a sized one,
 * a non-weak one, a global one, the one with fewer leading underscores, the longer name, the
 * first in the table (clock_nanosleep@GLIBC_2.2.5 before clock_nanosleep@@GLIBC_2.17, as perf
 * keeps the first inserted of equals). < 0 when x is better.
 */
static int alias_cmp(const struct usym_sym *x, const struct usym_sym *y)
{
	size_t ux, uy, lx, ly;

	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	if ((x->bind == STB_WEAK) != (y->bind == STB_WEAK))
		return x->bind == STB_WEAK ? 1 : -1;
	if ((x->bind == STB_GLOBAL) != (y->bind == STB_GLOBAL))
		return x->bind == STB_GLOBAL ? -1 : 1;
	ux = underscores(x->name);
	uy = underscores(y->name);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* By address, the best alias first (dso_lookup takes the first of equal addresses). */
static int sym_cmp(const void *a, const void *b)
{
	const struct usym_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return alias_cmp(x, y);
}

/*
 * A symbol a frame can be named by, as perf takes them: functions (FUNC, IFUNC) and code labels
 * (NOTYPE, like ld.so's _dl_start_user) of an executable section. Its name, or NULL.
 */
static const char *code_sym(Elf *e, Elf_Data *data, const GElf_Shdr *sh, size_t i, GElf_Sym *s)
{
	int type;
	GElf_Shdr sec;
	Elf_Scn *scn;

	if (!gelf_getsym(data, (int)i, s) || !s->st_value || !s->st_name)
		return NULL;
	type = GELF_ST_TYPE(s->st_info);
	if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
		return NULL;
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE)
		return NULL;
	scn = elf_getscn(e, s->st_shndx);
	if (!scn || !gelf_getshdr(scn, &sec) || !(sec.sh_flags & SHF_EXECINSTR))
		return NULL;
	return elf_strptr(e, sh->sh_link, s->st_name);
}

/*
 * libstdc++'s demangler (the Itanium C++ ABI's), loaded at the first object with C++ names
 * (lib/dynlib.h: loading it costs about 1 ms, so once per process) and quietly: without it the
 * names stay mangled.
 */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);
#define CXX_SYMS(X) X(__cxa_demangle)
static struct cxx_tab { CXX_SYMS(DYNLIB_PTR) } cxx_tab;
#define CXX_SYM(f) DYNLIB_SYM(struct cxx_tab, f)
static const struct dynlib_sym cxx_syms[] = { CXX_SYMS(CXX_SYM) };
static const struct dynlib cxx_lib[] = {
	DYNLIB_LIB("libstdc++.so.6", "libstdc++6", cxx_tab, cxx_syms, false),
};
static struct dynlib_group cxx_group =
	DYNLIB_GROUP("C++ names demangled (they stay mangled)", cxx_lib, false);
#define __cxa_demangle (*cxx_tab.__cxa_demangle)

/*
 * What perf prints by default (libiberty without DMGL_PARAMS): the demangled name without its
 * parameter list and, for a template function, without its return type.
 */
static void strip_params(char *s)
{
	char *end = strrchr(s, ')'), *sp = NULL;
	int depth = 0;

	for (char *p = end; p && p >= s; p--) {
		if (*p == ')')
			depth++;
		else if (*p == '(' && --depth == 0) {
			*p = '\0';
			break;
		}
	}
	depth = 0;
	for (char *p = s; *p; p++) {
		if (*p == '<' || *p == '(')
			depth++;
		else if (*p == '>' || *p == ')')
			depth--;
		else if (*p == ' ' && depth == 0)
			sp = p;
	}
	if (sp)
		memmove(s, sp + 1, strlen(sp + 1) + 1);
}

/*
 * C++ names (_Z...) demangled as perf shows them; the strings are packed again. Without
 * libstdc++ (or out of memory) they stay mangled.
 */
static void demangle_syms(struct usym_dso *d)
{
	char **names = NULL, *strings = NULL, *p;
	size_t bytes = 0, i;

	/* libstdc++ is loaded only for an object with C++ names */
	for (i = 0; i < d->nr_syms && strncmp(d->syms[i].name, "_Z", 2); i++)
		;
	if (i == d->nr_syms)
		return;
	if (!dynlib_load(&cxx_group) || !(names = calloc(d->nr_syms, sizeof(*names))))
		goto out;
	for (i = 0; i < d->nr_syms; i++) {
		int st = -1;

		if (!strncmp(d->syms[i].name, "_Z", 2) &&
		    (names[i] = __cxa_demangle(d->syms[i].name, NULL, NULL, &st)) && st == 0)
			strip_params(names[i]);
		bytes += strlen(names[i] && st == 0 ? names[i] : d->syms[i].name) + 1;
		if (st != 0) {
			free(names[i]);
			names[i] = NULL;
		}
	}
	if (!(strings = malloc(bytes)))
		goto out;
	for (i = 0, p = strings; i < d->nr_syms; i++) {
		const char *n = names[i] ? names[i] : d->syms[i].name;
		char *q = p;

		p = stpcpy(p, n) + 1;
		d->syms[i].name = q;
	}
	free(d->strings);
	d->strings = strings;
out:
	for (i = 0; names && i < d->nr_syms; i++)
		free(names[i]);
	free(names);
}

/* The function symbols of a symbol table section into d. 0, or -1 (none or memory). */
static int read_syms(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct usym_dso *d)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0, bytes = 0, k = 0;
	char *p;

	if (!data || !n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;

		if ((name = code_sym(e, data, sh, i, &s)))
			bytes += strlen(name) + 1, k++;
	}
	d->syms = calloc(k ? k : 1, sizeof(*d->syms));
	d->strings = malloc(bytes ? bytes : 1);
	if (!d->syms || !d->strings)
		return -1;
	p = d->strings;
	for (size_t i = 0; i < n && d->nr_syms < k; i++) {
		GElf_Sym s;
		const char *name;

		if (!(name = code_sym(e, data, sh, i, &s)))
			continue;
		d->syms[d->nr_syms++] = (struct usym_sym){ s.st_value, s.st_size, p,
							    GELF_ST_BIND(s.st_info), (uint32_t)i };
		p = stpcpy(p, name) + 1;
	}
	qsort(d->syms, d->nr_syms, sizeof(*d->syms), sym_cmp);
	/* one symbol per address: the best alias */
	k = 0;
	for (size_t i = 0; i < d->nr_syms; i++)
		if (!k || d->syms[i].addr != d->syms[k - 1].addr)
			d->syms[k++] = d->syms[i];
	d->nr_syms = k;
	demangle_syms(d);
	return 0;
}

/* The .symtab of the debug file of build-id id (as perf looks first): 0, or -1 (none). */
static int load_debug_file(struct usyms *u, const char *id, struct usym_dso *d)
{
	char path[512];
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf *de;
	int fd, rc = -1;

	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", u->debug_root, id, id + 2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	de = elf_begin(fd, ELF_C_READ, NULL);
	scn = de ? section_of(de, SHT_SYMTAB, &sh) : NULL;
	if (scn)
		rc = read_syms(de, scn, &sh, d);
	if (de)
		elf_end(de);
	close(fd);
	return rc;
}

static void drop_syms(struct usym_dso *d)
{
	free(d->syms);
	free(d->strings);
	d->syms = NULL;
	d->strings = NULL;
	d->nr_syms = 0;
}

/* The debug file's .symtab (by build-id), else the object's .symtab, else its .dynsym. */
static void load_syms(struct usyms *u, Elf *e, struct usym_dso *d)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	char id[128];

	build_id_of(e, id, sizeof(id));
	if (strlen(id) > 2 && load_debug_file(u, id, d) == 0 && d->nr_syms)
		return;
	drop_syms(d);
	scn = section_of(e, SHT_SYMTAB, &sh);
	if (scn && read_syms(e, scn, &sh, d) == 0 && d->nr_syms)
		return;
	drop_syms(d);
	scn = section_of(e, SHT_DYNSYM, &sh);
	if (scn)
		read_syms(e, scn, &sh, d);
}

static void load_dso(struct usyms *u, struct usym_dso *d)
{
	int fd;
	Elf *e;

	d->loaded = true;
	if (!elfdl_elf() || elf_version(EV_CURRENT) == EV_NONE || d->path[0] == '[')
		return;
	fd = open(d->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF) {
		read_loads(e, d);
		load_syms(u, e, d);
	}
	if (e)
		elf_end(e);
	close(fd);
}

/* The symbol at address addr of d, or NULL. */
static const char *dso_lookup(const struct usym_dso *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nr_syms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (d->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	if (d->syms[lo].size && addr >= d->syms[lo].addr + d->syms[lo].size)
		return NULL;
	return d->syms[lo].name;
}

/* The object's address of a mapped ip: through the PT_LOAD that holds its file offset. */
static bool to_vaddr(const struct usym_dso *d, const struct usym_map *m, uint64_t ip,
		     uint64_t *vaddr)
{
	uint64_t off = ip - m->start + m->pgoff;

	for (int i = 0; i < d->nr_loads; i++)
		if (off >= d->loads[i].offset && off < d->loads[i].offset + d->loads[i].filesz) {
			*vaddr = off - d->loads[i].offset + d->loads[i].vaddr;
			return true;
		}
	return false;
}

const char *usym_resolve(struct usyms *u, pid_t pid, uint64_t ip, const char **dso)
{
	struct usym_proc *p = proc_of(u, pid, false);
	const struct usym_map *m = p ? map_at(p, ip) : NULL;
	struct usym_dso *d;
	struct usym_cache *c;
	uint64_t vaddr;

	*dso = NULL;
	if (!m || m->dso < 0)
		return NULL;
	d = &u->dsos[m->dso];
	*dso = d->path;
	if (!d->loaded)
		load_dso(u, d);
	if (!to_vaddr(d, m, ip, &vaddr))
		return NULL;
	c = &u->cache[(vaddr ^ ((uint64_t)m->dso * 0x9e3779b97f4a7c15ULL)) % USYM_CACHE];
	if (c->dso != m->dso || c->addr != vaddr)
		*c = (struct usym_cache){ m->dso, vaddr, dso_lookup(d, vaddr) };
	return c->name;
}

bool usym_object_addr(struct usyms *u, pid_t pid, uint64_t ip, const char **path, uint64_t *vaddr)
{
	struct usym_proc *p = proc_of(u, pid, false);
	const struct usym_map *m = p ? map_at(p, ip) : NULL;
	struct usym_dso *d;

	if (!m || m->dso < 0 || !is_file(u->dsos[m->dso].path))
		return false;
	d = &u->dsos[m->dso];
	if (!d->loaded)
		load_dso(u, d);
	*path = d->path;
	return to_vaddr(d, m, ip, vaddr);
}

static size_t file_build_id(const char *path, unsigned char *id, size_t room)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	Elf *e;

	if (fd < 0 || !elfdl_elf() || elf_version(EV_CURRENT) == EV_NONE) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF)
		n = build_id_raw(e, id, room);
	if (e)
		elf_end(e);
	close(fd);
	return n;
}
#else
bool usym_available(void)
{
	return false;
}

static size_t file_build_id(const char *path, unsigned char *id, size_t room)
{
	return 0;	/* no libelf: no build-ids */
}

const char *usym_resolve(struct usyms *u, pid_t pid, uint64_t ip, const char **dso)
{
	struct usym_proc *p = proc_of(u, pid, false);
	const struct usym_map *m = p ? map_at(p, ip) : NULL;

	*dso = m && m->dso >= 0 ? u->dsos[m->dso].path : NULL;
	return NULL;	/* no libelf: the object is known, the function is not */
}

bool usym_object_addr(struct usyms *u, pid_t pid, uint64_t ip, const char **path, uint64_t *vaddr)
{
	return false;	/* no libelf: no segments to place ip in its object */
}
#endif

void usym_mark(struct usyms *u, pid_t pid, uint64_t ip)
{
	struct usym_proc *p = proc_of(u, pid, false);
	const struct usym_map *m = p ? map_at(p, ip) : NULL;

	if (m && m->dso >= 0)
		u->dsos[m->dso].hit = true;
}

int usym_hit_build_ids(struct usyms *u, int (*cb)(void *ctx, const char *path,
						  const unsigned char *id, size_t len),
		       void *ctx)
{
	for (size_t i = 0; i < u->nr_dsos; i++) {
		unsigned char id[64];
		size_t n;
		int rc;

		if (!u->dsos[i].hit || u->dsos[i].path[0] == '[')
			continue;
		n = file_build_id(u->dsos[i].path, id, sizeof(id));
		if (n && (rc = cb(ctx, u->dsos[i].path, id, n)))
			return rc;
	}
	return 0;
}
