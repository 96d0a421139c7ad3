// SPDX-License-Identifier: GPL-2.0
/*
 * Unique call chains (callchain.h): open addressing over the stacks' hashes; each stack keeps its
 * raw chain (to compare) and its named frames. Causes are interned: a few dozen distinct strings.
 */
#include "callchain.h"
#include "cause.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_entry {
	struct cc_stack st;
	uint64_t hash;
	uint32_t nr_ips;
	uint64_t *ips;             /* the raw chain, markers included */
};

struct cc_table {
	struct cc_resolver res;
	struct cc_entry *e;
	size_t nr, alloc;
	uint32_t *slots;           /* index + 1 into e; 0 empty */
	size_t nr_slots;           /* a power of two, at least twice nr */
	char **causes;
	size_t nr_causes;
};

struct cc_table *cc_new(const struct cc_resolver *res)
{
	struct cc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->res = *res;
	t->nr_slots = 1024;
	t->slots = calloc(t->nr_slots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void cc_free(struct cc_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nr; i++) {
		free(t->e[i].ips);
		free(t->e[i].st.frames);
	}
	for (size_t i = 0; i < t->nr_causes; i++)
		free(t->causes[i]);
	free(t->causes);
	free(t->e);
	free(t->slots);
	free(t);
}

size_t cc_nr(const struct cc_table *t)
{
	return t->nr;
}

const struct cc_stack *cc_get(const struct cc_table *t, size_t i)
{
	return i < t->nr ? &t->e[i].st : NULL;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t stack_hash(pid_t pid, const char *comm, const uint64_t *chain, uint32_t nr)
{
	uint64_t h = mix(0, (uint64_t)(uint32_t)pid), w = 0;

	memcpy(&w, comm, strnlen(comm, 8));
	h = mix(h, w);
	for (uint32_t i = 0; i < nr; i++)
		h = mix(h, chain[i]);
	return h;
}

static bool same(const struct cc_entry *e, uint64_t h, pid_t pid, const char *comm,
		 const uint64_t *chain, uint32_t nr)
{
	return e->hash == h && e->st.pid == pid && e->nr_ips == nr &&
	       !strncmp(e->st.comm, comm, sizeof(e->st.comm)) &&
	       !memcmp(e->ips, chain, nr * sizeof(*chain));
}

/* Double the slots and place every entry again: 0, or -1 when out of memory. */
static int grow_slots(struct cc_table *t)
{
	size_t n = t->nr_slots * 2;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < t->nr; i++) {
		size_t k = t->e[i].hash & (n - 1);

		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nr_slots = n;
	return 0;
}

/* The interned copy of a cause; NULL when out of memory. */
static const char *intern_cause(struct cc_table *t, const char *c)
{
	char **n;

	for (size_t i = 0; i < t->nr_causes; i++)
		if (!strcmp(t->causes[i], c))
			return t->causes[i];
	n = realloc(t->causes, (t->nr_causes + 1) * sizeof(*n));
	if (!n)
		return NULL;
	t->causes = n;
	n[t->nr_causes] = strdup(c);
	return n[t->nr_causes] ? n[t->nr_causes++] : NULL;
}

bool cc_frame_is_runtime(const struct cc_frame *f)
{
	static const char *const objs[] = { "libc.so", "libc-", "ld-linux", "libpthread",
					    "libjemalloc", "libtcmalloc", "libmimalloc" };
	static const char *const funcs[] = { "malloc", "free", "calloc", "realloc", "memalign",
		"posix_memalign", "aligned_alloc", "mmap", "munmap", "mprotect", "madvise",
		"mremap", "brk", "sbrk" };
	const char *base = f->dso ? strrchr(f->dso, '/') : NULL;
	const char *sym = f->sym;

	base = base ? base + 1 : f->dso;
	for (size_t i = 0; base && i < sizeof(objs) / sizeof(objs[0]); i++)
		if (!strncmp(base, objs[i], strlen(objs[i])))
			return true;
	if (!sym)
		return false;
	while (*sym == '_')
		sym++;
	if (!strncmp(sym, "libc_", 5))
		sym += 5;
	else if (!strncmp(sym, "je_", 3) || !strncmp(sym, "tc_", 3))
		sym += 3;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (!strcmp(sym, funcs[i]))
			return true;
	return false;
}

/* Room for n more frames in e's frames (*alloc of them): 0, or -1 when out of memory. */
static int frames_room(struct cc_entry *e, uint32_t n, uint32_t *alloc)
{
	struct cc_frame *f;
	uint32_t na;

	if (e->st.nr_frames + n <= *alloc)
		return 0;
	na = (e->st.nr_frames + n) * 2;
	f = realloc(e->st.frames, na * sizeof(*f));
	if (!f)
		return -1;
	e->st.frames = f;
	*alloc = na;
	return 0;
}

/*
 * Name the frames of a new stack (a user address may expand to its inline chain), its cause and
 * call site: 0, or -1 when out of memory.
 */
static int describe(struct cc_table *t, struct cc_entry *e)
{
	const char *knames[128];
	char cause[64];
	bool kernel = false;
	uint32_t nk = 0, alloc = e->nr_ips + 1, users = 0;

	e->st.frames = calloc(alloc, sizeof(*e->st.frames));
	if (!e->st.frames)
		return -1;
	for (uint32_t i = 0; i < e->nr_ips; i++) {
		struct cc_frame *f;
		uint32_t n;

		if (e->ips[i] >= PERF_CONTEXT_MAX) {
			kernel = e->ips[i] == PERF_CONTEXT_KERNEL;
			continue;
		}
		if (frames_room(e, CC_MAX_INLINE, &alloc) < 0)
			return -1;
		f = &e->st.frames[e->st.nr_frames];
		memset(f, 0, CC_MAX_INLINE * sizeof(*f));
		/* user frames past the first are return addresses (the sampled ip is exact) */
		n = t->res.resolve(t->res.ctx, e->st.pid, e->ips[i], kernel, !kernel && users++,
				   f, CC_MAX_INLINE);
		n = n < 1 ? 1 : n > CC_MAX_INLINE ? CC_MAX_INLINE : n;
		for (uint32_t k = 0; k < n; k++) {
			if (kernel && nk < sizeof(knames) / sizeof(knames[0]))
				knames[nk++] = f[k].sym;
			if (!kernel && !e->st.callsite && f[k].sym && !cc_frame_is_runtime(&f[k])) {
				e->st.callsite = f[k].sym;
				e->st.callsite_srcline = f[k].srcline;
			}
		}
		e->st.nr_frames += n;
	}
	e->st.nr_kernel = nk;
	e->st.cause = intern_cause(t, cause_classify(knames, nk, e->st.comm, cause,
						     sizeof(cause)));
	return e->st.cause ? 0 : -1;
}

/* A new entry for this stack: its index, or -1 when out of memory. */
static long insert(struct cc_table *t, uint64_t h, pid_t pid, const char *comm,
		   const uint64_t *chain, uint32_t nr)
{
	struct cc_entry *e;

	if ((t->nr + 1) * 2 > t->nr_slots && grow_slots(t) < 0)
		return -1;
	if (t->nr == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 256;
		struct cc_entry *ne = realloc(t->e, na * sizeof(*ne));

		if (!ne)
			return -1;
		t->e = ne;
		t->alloc = na;
	}
	e = &t->e[t->nr];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->st.pid = pid;
	strncpy(e->st.comm, comm, sizeof(e->st.comm) - 1);
	e->nr_ips = nr;
	e->ips = malloc(nr ? nr * sizeof(*chain) : 1);
	if (!e->ips)
		return -1;
	memcpy(e->ips, chain, nr * sizeof(*chain));
	if (describe(t, e) < 0) {
		free(e->ips);
		free(e->st.frames);
		return -1;
	}
	return (long)t->nr++;
}

int cc_add(struct cc_table *t, pid_t pid, const char *comm, const uint64_t *chain, uint32_t nr,
	   const struct cc_counts *add)
{
	uint64_t h;
	size_t k;
	long i = -1;

	comm = comm ? comm : "";
	h = stack_hash(pid, comm, chain, nr);
	for (k = h & (t->nr_slots - 1); t->slots[k]; k = (k + 1) & (t->nr_slots - 1))
		if (same(&t->e[t->slots[k] - 1], h, pid, comm, chain, nr)) {
			i = (long)t->slots[k] - 1;
			break;
		}
	if (i < 0) {
		i = insert(t, h, pid, comm, chain, nr);
		if (i < 0)
			return -1;
		/* the slots may have grown: find the empty one again */
		for (k = h & (t->nr_slots - 1); t->slots[k]; k = (k + 1) & (t->nr_slots - 1))
			;
		t->slots[k] = (uint32_t)i + 1;
	}
	t->e[i].st.c.events += add->events;
	t->e[i].st.c.remote_sends += add->remote_sends;
	t->e[i].st.c.bytes += add->bytes;
	return 0;
}

/* ---------------- views ---------------- */

struct cc_pair {
	const char *name;
	pid_t pid;
	const struct cc_counts *c;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct cc_pair *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : (x->pid > y->pid) - (x->pid < y->pid);
}

static int group_cmp(const void *a, const void *b)
{
	const struct cc_group *x = a, *y = b;

	if (x->c.events != y->c.events)
		return x->c.events > y->c.events ? -1 : 1;
	return strcmp(x->name, y->name);
}

long cc_group_by(const struct cc_table *t, enum cc_key key, struct cc_group **out)
{
	struct cc_pair *p = malloc((t->nr ? t->nr : 1) * sizeof(*p));
	struct cc_group *g = calloc(t->nr ? t->nr : 1, sizeof(*g));
	long n = 0;

	if (!p || !g) {
		free(p);
		free(g);
		return -1;
	}
	for (size_t i = 0; i < t->nr; i++) {
		const struct cc_stack *s = &t->e[i].st;
		const char *name = key == CC_BY_CAUSE ? s->cause : key == CC_BY_CALLSITE ?
				   s->callsite : s->callsite_srcline;

		p[i] = (struct cc_pair){ name ? name : "[unknown]", s->pid, &s->c };
	}
	qsort(p, t->nr, sizeof(*p), pair_cmp);
	for (size_t i = 0; i < t->nr; i++) {
		bool new_group = !i || strcmp(p[i].name, p[i - 1].name);

		if (new_group)
			g[n++].name = p[i].name;
		g[n - 1].c.events += p[i].c->events;
		g[n - 1].c.remote_sends += p[i].c->remote_sends;
		g[n - 1].c.bytes += p[i].c->bytes;
		g[n - 1].processes += new_group || p[i].pid != p[i - 1].pid;
	}
	free(p);
	qsort(g, (size_t)n, sizeof(*g), group_cmp);
	*out = g;
	return n;
}

/* Frame f as cc_folded() flags write it, at p (NULL: only its length). Its length. */
static size_t frame_text(const struct cc_frame *f, unsigned flags, char *p)
{
	const char *sym = f->sym ? f->sym : "[unknown]";
	bool src = (flags & CC_FOLD_SRCLINE) && f->srcline;
	bool inl = (flags & CC_FOLD_INLINED) && f->inlined;

	if (p)
		sprintf(p, "%s%s%s%s", sym, src ? " " : "", src ? f->srcline : "",
			inl ? " (inlined)" : "");
	return strlen(sym) + (src ? 1 + strlen(f->srcline) : 0) + (inl ? 10 : 0);
}

/* "comm;root;...;leaf" of a stack; NULL when out of memory. */
static char *fold(const struct cc_stack *s, unsigned flags)
{
	size_t len = strlen(s->comm) + 1;
	char *text, *p;

	for (uint32_t i = 0; i < s->nr_frames; i++)
		len += frame_text(&s->frames[i], flags, NULL) + 1;
	text = malloc(len + 16);
	if (!text)
		return NULL;
	p = stpcpy(text, s->comm[0] ? s->comm : "[unknown]");
	for (uint32_t i = s->nr_frames; i-- > 0;) {
		*p++ = ';';
		p += frame_text(&s->frames[i], flags, p);
	}
	return text;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cc_line *)a)->text, ((const struct cc_line *)b)->text);
}

void cc_lines_free(struct cc_line *lines, long nr)
{
	for (long i = 0; lines && i < nr; i++)
		free(lines[i].text);
	free(lines);
}

long cc_folded(const struct cc_table *t, unsigned flags, struct cc_line **out)
{
	struct cc_line *l = calloc(t->nr ? t->nr : 1, sizeof(*l));
	long n = 0;

	if (!l)
		return -1;
	for (size_t i = 0; i < t->nr; i++) {
		l[i].text = fold(&t->e[i].st, flags);
		l[i].events = t->e[i].st.c.events;
		if (!l[i].text) {
			cc_lines_free(l, (long)t->nr);
			return -1;
		}
	}
	qsort(l, t->nr, sizeof(*l), line_cmp);
	/* the same folded text from other pids (or chains that differ only in offsets): one line */
	for (size_t i = 0; i < t->nr; i++) {
		if (n && !strcmp(l[n - 1].text, l[i].text)) {
			l[n - 1].events += l[i].events;
			free(l[i].text);
			continue;
		}
		l[n++] = l[i];
	}
	*out = l;
	return n;
}

/* ---------------- call graph ---------------- */

void cc_tree_free(struct cc_node *n)
{
	while (n) {
		struct cc_node *next = n->next;

		cc_tree_free(n->child);
		free(n->name);
		free(n);
		n = next;
	}
}

/* The node named name[0..len) in the list *head, added when missing; NULL when out of memory. */
static struct cc_node *tree_child(struct cc_node **head, const char *name, size_t len)
{
	struct cc_node *n;

	for (n = *head; n; n = n->next)
		if (!strncmp(n->name, name, len) && !n->name[len])
			return n;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strndup(name, len))) {
		free(n);
		return NULL;
	}
	n->next = *head;
	*head = n;
	return n;
}

/* The frames of a folded line (after its comm), in the order asked, into the tree under root. */
static int tree_add(struct cc_node *root, const char *frames, bool caller, uint64_t events)
{
	const char *end = frames + strlen(frames);
	struct cc_node *n = root;

	while (caller ? frames < end : end > frames) {
		const char *name;
		size_t len;

		if (caller) {
			len = strcspn(frames, ";");
			name = frames;
			frames += len + (frames[len] == ';');
		} else {
			const char *p = end;

			while (p > frames && p[-1] != ';')
				p--;
			name = p;
			len = (size_t)(end - p);
			end = p > frames ? p - 1 : frames;
		}
		n = tree_child(&n->child, name, len);
		if (!n)
			return -1;
		n->events += events;
	}
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	const struct cc_node *x = *(struct cc_node *const *)a, *y = *(struct cc_node *const *)b;

	if (x->events != y->events)
		return x->events > y->events ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sort every level by events: 0, or -1 when out of memory. */
static int tree_sort(struct cc_node **head)
{
	struct cc_node **v, *n;
	size_t nr = 0, i = 0;

	for (n = *head; n; n = n->next)
		nr++;
	if (nr < 1)
		return 0;
	v = malloc(nr * sizeof(*v));
	if (!v)
		return -1;
	for (n = *head; n; n = n->next)
		v[i++] = n;
	qsort(v, nr, sizeof(*v), node_cmp);
	for (i = 0; i < nr; i++)
		v[i]->next = i + 1 < nr ? v[i + 1] : NULL;
	*head = v[0];
	free(v);
	for (n = *head; n; n = n->next)
		if (tree_sort(&n->child) < 0)
			return -1;
	return 0;
}

int cc_tree(const struct cc_line *lines, long nr, bool caller, struct cc_node **roots)
{
	struct cc_node top = { 0 };

	*roots = NULL;
	for (long i = 0; i < nr; i++) {
		size_t len = strcspn(lines[i].text, ";");
		struct cc_node *c = tree_child(&top.child, lines[i].text, len);

		if (!c || (c->events += lines[i].events,
			   tree_add(c, lines[i].text + len + (lines[i].text[len] == ';'), caller,
				    lines[i].events) < 0)) {
			cc_tree_free(top.child);
			return -1;
		}
	}
	if (tree_sort(&top.child) < 0) {
		cc_tree_free(top.child);
		return -1;
	}
	*roots = top.child;
	return 0;
}
