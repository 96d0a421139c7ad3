// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel symbol table (symbols.h). One scan of kallsyms text keeps the few symbols tlbstat
 * asks about (the list below) with their lines as read, so that the subset a recording writes is
 * what the kernel said; SYMS_TABLE also keeps every symbol for address lookups.
 */
#include "symbols.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
	const char *name;         /* in one of texts, to its newline (syms_lookup() ends it) */
};

enum proc_state { PROC_NO, PROC_WANTED, PROC_DONE };

struct syms {
	unsigned flags;
	enum proc_state proc;
	struct kept *kept;
	size_t nr_kept, cap_kept;
	struct table_sym *tab;    /* SYMS_TABLE: sorted by address once loaded */
	size_t nr_tab, cap_tab;
	struct text {             /* SYMS_TABLE: the kallsyms text read, owned (names point in) */
		char *p;
		size_t mapped;    /* its length when a private mapping of a file, else 0 */
	} *texts;
	size_t nr_texts;
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
	for (size_t i = 0; i < s->nr_texts; i++)
		if (s->texts[i].mapped)
			munmap(s->texts[i].p, s->texts[i].mapped);
		else
			free(s->texts[i].p);
	free(s->texts);
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

/* The name stays where it is in the (owned) text, neither copied nor ended here. */
static int add_table(struct syms *s, const struct ksym_line *k)
{
	if (grow((void **)&s->tab, &s->cap_tab, s->nr_tab + 1, sizeof(*s->tab)) < 0)
		return -1;
	s->tab[s->nr_tab].addr = k->addr;
	s->tab[s->nr_tab].name = k->name;
	s->nr_tab++;
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

/*
 * Parse kallsyms text; with SYMS_TABLE the text is the table's (owned by s: see adopt()) and its
 * names stay in it, neither copied nor allocated one by one.
 */
static int load(struct syms *s, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *ln;
	size_t l;
	int n = 0;

	/* about 40 bytes a line: one allocation, not a doubling series of copies */
	if ((s->flags & SYMS_TABLE) &&
	    grow((void **)&s->tab, &s->cap_tab, s->nr_tab + len / 32 + 1, sizeof(*s->tab)) < 0)
		goto oom;
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

/*
 * SYMS_TABLE: load() text that s now owns, freed (or unmapped: mapped is its length) with it:
 * len bytes, then a NUL, or (a mapping) ending in a newline, so that every name ends inside.
 */
static int adopt(struct syms *s, char *text, size_t len, size_t mapped, char *err, size_t errlen)
{
	struct text *t = realloc(s->texts, (s->nr_texts + 1) * sizeof(*t));

	if (!t) {
		if (mapped)
			munmap(text, mapped);
		else
			free(text);
		snprintf(err, errlen, "out of memory reading kallsyms");
		return -1;
	}
	s->texts = t;
	s->texts[s->nr_texts++] = (struct text){ text, mapped };
	return load(s, text, len, err, errlen);
}

/*
 * A regular file of kallsyms text mapped privately (names are ended in place when looked up):
 * page-cache pages come 16 to a fault, where a read copies 5 MB into fresh memory, a fault each
 * 4 KiB. NULL (read it instead) for anything else, or text not ending in a newline.
 */
static char *map_text(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p = MAP_FAILED;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	if (p[*len - 1] != '\n') {
		munmap(p, *len);
		return NULL;
	}
	return p;
}

int syms_load_text(struct syms *s, const char *text, size_t len, char *err, size_t errlen)
{
	char *own;

	if (!(s->flags & SYMS_TABLE))
		return load(s, text, len, err, errlen);
	own = malloc(len + 1);
	if (!own) {
		snprintf(err, errlen, "out of memory reading kallsyms");
		return -1;
	}
	memcpy(own, text, len);
	own[len] = '\0';
	return adopt(s, own, len, 0, err, errlen);
}

int syms_load_file(struct syms *s, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = (s->flags & SYMS_TABLE) ? map_text(path, &len) : NULL;
	int rc;

	if (text)
		return adopt(s, text, len, len, err, errlen) < 0 ? -1 : 0;
	text = read_file(path, &len);
	if (!text) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	if (s->flags & SYMS_TABLE)
		return adopt(s, text, len, 0, err, errlen) < 0 ? -1 : 0;
	rc = load(s, text, len, err, errlen);
	free(text);
	return rc < 0 ? -1 : 0;
}

size_t syms_kernel_build_id(unsigned char *id, size_t room)
{
	size_t len, off = 0, n = 0;
	char *notes = read_file("/sys/kernel/notes", &len);

	while (notes && off + 12 <= len) {
		uint32_t hdr[3];
		size_t name, desc;

		memcpy(hdr, notes + off, sizeof(hdr));
		name = (hdr[0] + 3) & ~3u;
		desc = (hdr[1] + 3) & ~3u;
		if (off + 12 + name + desc > len)
			break;
		if (hdr[2] == 3 /* NT_GNU_BUILD_ID */ && hdr[0] == 4 &&
		    !memcmp(notes + off + 12, "GNU", 4)) {
			n = hdr[1] < room ? hdr[1] : room;
			memcpy(id, notes + off + 12 + name, n);
			break;
		}
		off += 12 + name + desc;
	}
	free(notes);
	return n;
}

/* The address on kallsyms text's "_text" line, looked for in its first MiB; 0 when not there. */
static uint64_t text_of(const char *text, size_t len)
{
	const char *p = text, *end = text + (len < (1 << 20) ? len : (1 << 20)), *ln;
	struct ksym_line k;
	size_t l;

	while (next_line(&p, end, &ln, &l))
		if (parse_line(ln, l, &k) && k.name_len == 5 && !memcmp(k.name, "_text", 5))
			return line_addr(&k);
	return 0;
}

/*
 * The running kernel's _text from the head of /proc/kallsyms, read only until its line (the
 * kernel formats only what is read: a few KiB, where the whole is 5 MB); 0 when not found.
 */
static uint64_t proc_text(void)
{
	int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	size_t have = 0, cap = 64 << 10;
	char *buf = fd >= 0 ? malloc(cap) : NULL;
	uint64_t a = 0;
	ssize_t r;

	while (buf && !a && have < cap && (r = read(fd, buf + have, cap - have)) > 0) {
		const char *nl = memrchr(buf + have, '\n', (size_t)r);

		have += (size_t)r;
		if (nl)
			a = text_of(buf, (size_t)(nl + 1 - buf));
		if (!a && have == cap && cap < (1 << 20)) {
			char *g = realloc(buf, cap * 2);

			if (!g)
				break;
			buf = g;
			cap *= 2;
		}
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return a;
}

int syms_load_cached(struct syms *s, const unsigned char *id, size_t n, uint64_t text,
		     char *err, size_t errlen)
{
	char *path = syms_cache_path(id, n), *copy;
	size_t len;
	uint64_t t;
	int rc;

	copy = path && access(path, R_OK) == 0 ? map_text(path, &len) : NULL;
	t = copy ? text_of(copy, len) : 0;
	free(path);
	if (!t || t != (text ? text : proc_text())) {
		if (copy)
			munmap(copy, len);
		return 0;
	}
	if (s->flags & SYMS_TABLE)
		return adopt(s, copy, len, len, err, errlen) < 0 ? -1 : 1;
	rc = load(s, copy, len, err, errlen);
	munmap(copy, len);
	return rc < 0 ? -1 : 1;
}

int syms_load_proc(struct syms *s, char *err, size_t errlen)
{
	unsigned char id[20];
	size_t n;
	int rc;

	if (s->proc == PROC_DONE)
		return 0;
	s->proc = PROC_DONE;
	/* the running kernel's copy in the build-id cache, when its _text is this boot's */
	n = syms_kernel_build_id(id, sizeof(id));
	rc = n ? syms_load_cached(s, id, n, 0, err, errlen) : 0;
	if (rc)
		return rc < 0 ? -1 : 0;
	return syms_load_file(s, "/proc/kallsyms", err, errlen);
}

char *syms_cache_path(const unsigned char *id, size_t len)
{
	const char *dir = getenv("PERF_BUILDID_DIR"), *home = getenv("HOME");
	char hex[2 * 20 + 1], *path;
	size_t n;

	if (!len || len > 20 || (!(dir && *dir) && !(home && *home)))
		return NULL;
	build_id_hex(id, len, hex, sizeof(hex));
	n = strlen(dir && *dir ? dir : home) + sizeof("/.debug/[kernel.kallsyms]//kallsyms") +
	    sizeof(hex);
	path = malloc(n);
	if (path && dir && *dir)
		snprintf(path, n, "%s/[kernel.kallsyms]/%s/kallsyms", dir, hex);
	else if (path)
		snprintf(path, n, "%s/.debug/[kernel.kallsyms]/%s/kallsyms", home, hex);
	return path;
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

/* mkdir -p of path's directory part. 0, or -1 with errno. */
static int make_dirs(const char *path)
{
	char *d = strdup(path), *p;
	int rc = 0;

	if (!d)
		return -1;
	for (p = strchr(d + 1, '/'); p && !rc; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(d);
	return rc;
}

int syms_cache_save(const unsigned char *id, size_t len)
{
	char *path = syms_cache_path(id, len), *tmp = NULL, *text = NULL;
	size_t n;
	int fd = -1, rc = -1, e;

	if (!path) {
		errno = ENOENT;
		return -1;
	}
	if (access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	n = strlen(path) + 16;
	if (make_dirs(path) < 0 || !(tmp = malloc(n)))
		goto out;
	snprintf(tmp, n, "%s.%d", path, (int)getpid());
	if (!(text = read_file("/proc/kallsyms", &len)))
		goto out;
	/* kallsyms with addresses says where the kernel is: readable by its owner only, as perf */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);
	if (fd < 0 || pwrite_all(fd, text, len, 0) < 0 || close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	rc = rename(tmp, path) < 0 ? -1 : 1;
out:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(text);
	free(tmp);
	free(path);
	errno = e;
	return rc;
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
	char *name;

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
	/* the name runs to its line's newline in a text s owns: ended there once, in place */
	name = (char *)s->tab[lo].name;
	name[strcspn(name, "\n")] = '\0';
	return name;
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
