// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF unwinding of sampled user stacks with libdw (unwind.h): a Dwfl per (pid, mapping
 * generation) with custom thread callbacks over the current sample, and a cache of whole unwinds
 * keyed by (pid, generation, rip, rsp, rbp) and checked against the stack words they read.
 */
#include "unwind.h"

#include <stdlib.h>
#include <string.h>

/* perf's enum perf_event_x86_regs -> DWARF number, -1 for those with none */
static const int8_t perf_to_dwarf[24] = {
	[0] = UNW_DW_RAX, [1] = UNW_DW_RBX, [2] = UNW_DW_RCX, [3] = UNW_DW_RDX,
	[4] = UNW_DW_RSI, [5] = UNW_DW_RDI, [6] = UNW_DW_RBP, [7] = UNW_DW_RSP,
	[8] = UNW_DW_RIP, [9] = -1, [10] = -1, [11] = -1, [12] = -1, [13] = -1, [14] = -1,
	[15] = -1, [16] = 8, [17] = 9, [18] = 10, [19] = 11, [20] = 12, [21] = 13, [22] = 14,
	[23] = 15,
};

int unw_regs_to_dwarf(uint64_t mask, const uint64_t *regs, uint32_t nr, uint64_t dw[UNW_DW_NR],
		      uint32_t *have)
{
	uint32_t k = 0;
	int n = 0;

	*have = 0;
	memset(dw, 0, sizeof(uint64_t) * UNW_DW_NR);
	for (int bit = 0; bit < 64 && k < nr; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		if (bit < 24 && perf_to_dwarf[bit] >= 0) {
			dw[perf_to_dwarf[bit]] = regs[k];
			*have |= 1u << perf_to_dwarf[bit];
			n++;
		}
		k++;
	}
	return n;
}

uint32_t unw_stack_size(uint64_t size)
{
	if (!size || size > UNW_STACK_MAX)
		return 0;
	return (uint32_t)((size + 7) & ~7ULL);
}

#ifdef HAVE_LIBDW
#include "elfdl.h"	/* last: libdw's and libelf's names become calls through their tables */

/* a stack word libdw read: its address, and its value when it lay in the copied window */
struct unw_read {
	uint64_t addr, val;
	bool in_window;
};

struct unw_entry {
	pid_t pid;
	uint64_t gen, ip, sp, bp, hash;
	uint32_t nr_reads, nr_ips;
	struct unw_read *reads;
	uint64_t *ips;
	int64_t next;              /* in the same slot chain, -1 the end */
};

/* what the callbacks see: the sample being unwound and what its unwind read */
struct unw_cur {
	pid_t pid;
	uint64_t ip, sp, bp;
	const struct tlb_user_stack *us;
	struct unw_read *reads;
	uint32_t nr_reads, alloc_reads;
	bool oom;
	uint64_t ips[UNW_MAX_FRAMES];
	uint32_t nr_ips;
};

#define UNW_DWFLS 16
/* unwinds kept (about 1-2 KB each): past it new ones are still done, not kept */
#define UNW_CACHE_MAX 65536

struct unw_dwfl {
	Dwfl *dwfl;                /* NULL: empty slot */
	pid_t pid;
	uint64_t gen;
	bool attached;             /* some module reported: the thread state is attached */
	uint64_t used;             /* for eviction: the least recently used goes */
};

struct unwinder {
	struct usyms *u;
	struct unw_dwfl dwfls[UNW_DWFLS];
	uint64_t tick;
	struct unw_cur cur;
	struct unw_entry *e;
	size_t nr, alloc;
	int64_t *slots;            /* head of each chain, -1 empty */
	size_t nr_slots;           /* a power of two */
	struct unw_stats st;
	bool dw;                   /* libdw loaded: else every unwind is the sampled ip alone */
};

bool unw_available(void)
{
	return elfdl_dw();
}

struct unwinder *unw_new(struct usyms *u)
{
	struct unwinder *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->u = u;
	w->dw = elfdl_dw();
	w->nr_slots = 1024;
	w->slots = malloc(w->nr_slots * sizeof(*w->slots));
	if (!w->slots) {
		free(w);
		return NULL;
	}
	memset(w->slots, 0xff, w->nr_slots * sizeof(*w->slots));
	return w;
}

void unw_free(struct unwinder *w)
{
	if (!w)
		return;
	for (int i = 0; i < UNW_DWFLS; i++)
		if (w->dwfls[i].dwfl)
			dwfl_end(w->dwfls[i].dwfl);
	for (size_t i = 0; i < w->nr; i++) {
		free(w->e[i].reads);
		free(w->e[i].ips);
	}
	free(w->e);
	free(w->slots);
	free(w->cur.reads);
	free(w);
}

void unw_get_stats(const struct unwinder *w, struct unw_stats *st)
{
	*st = w->st;
	st->cached = w->nr;
}

/* ---------------- the thread callbacks ---------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *w = arg;

	if (*thread_argp)
		return 0;
	*thread_argp = w;
	return w->cur.pid;
}

static bool note_read(struct unw_cur *c, uint64_t addr, uint64_t val, bool in_window)
{
	if (c->nr_reads == c->alloc_reads) {
		uint32_t na = c->alloc_reads ? c->alloc_reads * 2 : 64;
		struct unw_read *r = realloc(c->reads, na * sizeof(*r));

		if (!r) {
			c->oom = true;
			return false;
		}
		c->reads = r;
		c->alloc_reads = na;
	}
	c->reads[c->nr_reads++] = (struct unw_read){ addr, in_window ? val : 0, in_window };
	return true;
}

/* Is [addr, addr + 8) inside the sample's copied stack? */
static bool in_window(const struct tlb_user_stack *us, uint64_t sp, uint64_t addr)
{
	return addr >= sp && us->dyn_size >= 8 && addr - sp <= us->dyn_size - 8;
}

/* A word of the object mapped at addr, through its program headers (file-backed bytes only). */
static bool read_elf(Dwfl *dwfl, uint64_t addr, uint64_t *val)
{
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	Dwarf_Addr bias;
	Elf *e;
	size_t nph, size;
	const char *raw;

	if (!mod || !(e = dwfl_module_getelf(mod, &bias)) || elf_getphdrnum(e, &nph) < 0 ||
	    !(raw = elf_rawfile(e, &size)))
		return false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		uint64_t va = addr - bias;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || va < ph.p_vaddr ||
		    ph.p_filesz < 8 || va - ph.p_vaddr > ph.p_filesz - 8)
			continue;
		if (ph.p_offset > size || va - ph.p_vaddr + ph.p_offset > size - 8)
			return false;
		memcpy(val, raw + ph.p_offset + (va - ph.p_vaddr), 8);
		return true;
	}
	return false;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *w = arg;
	struct unw_cur *c = &w->cur;
	uint64_t v;

	if (in_window(c->us, c->sp, addr)) {
		memcpy(&v, c->us->stack + (addr - c->sp), 8);
		*result = v;
		return note_read(c, addr, v, true);
	}
	/* outside the window: the same for every sample of this Dwfl, noted only as outside */
	if (!note_read(c, addr, 0, false))
		return false;
	if (!read_elf(dwfl, addr, &v))
		return false;
	*result = v;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *w = arg;
	Dwarf_Word bp_sp[2] = { w->cur.bp, w->cur.sp };

	dwfl_thread_state_register_pc(thread, w->cur.ip);
	return dwfl_thread_state_registers(thread, UNW_DW_RBP, 2, bp_sp);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/*
 * Unwinding needs CFI only: .eh_frame, in every x86-64 and arm64 object, and .debug_frame where
 * the object itself has one. Not looking for separate debug files keeps libdw from opening them
 * when .eh_frame ends a chain (it then asks dwfl_module_dwarf_cfi, which loads the object's whole
 * DWARF: libc6-dbg's compressed debug file was a third of a --call-graph dwarf report's time,
 * and distributions' debug files carry no .debug_frame anyway). lib/srcline.c reads the debug
 * files for inline frames and lines.
 */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	return -1;
}

/* libdw's own, called through its table (the table's pointer is no constant initialiser) */
static int section_address(Dwfl_Module *mod, void **userdata, const char *modname,
			   Dwarf_Addr base, const char *secname, GElf_Word shndx,
			   const GElf_Shdr *shdr, Dwarf_Addr *addr)
{
	return dwfl_offline_section_address(mod, userdata, modname, base, secname, shndx, shdr,
					    addr);
}

static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = no_debuginfo,
	.debuginfo_path = &debuginfo_path,
	.section_address = section_address,
};

/* ---------------- one Dwfl per (pid, mappings) ---------------- */

struct report_ctx {
	Dwfl *dwfl;
	int reported;
	const char *last;
};

static int report_map(void *ctx, uint64_t start, uint64_t end, uint64_t pgoff, const char *path)
{
	struct report_ctx *r = ctx;

	/* [vdso], [vsyscall], anonymous memory: nothing on disk to read CFI from */
	if (path[0] != '/' || !strncmp(path, "//anon", 6) || (r->last && !strcmp(r->last, path)) || pgoff > start)
		return 0;
	r->last = path;
	/* the first mapping of each object places it (perf: map start - pgoff) */
	if (dwfl_report_elf(r->dwfl, path, path, -1, start - pgoff, false))
		r->reported++;
	return 0;
}

static struct unw_dwfl *dwfl_for(struct unwinder *w, pid_t pid)
{
	uint64_t gen = usym_maps_gen(w->u, pid);
	struct unw_dwfl *d = NULL;
	struct report_ctx r = { 0 };

	for (int i = 0; i < UNW_DWFLS; i++) {
		struct unw_dwfl *x = &w->dwfls[i];

		if (x->dwfl && x->pid == pid && x->gen == gen) {
			x->used = ++w->tick;
			return x;
		}
		if (!d || !x->dwfl || (d->dwfl && x->used < d->used))
			d = x;
	}
	if (d->dwfl)
		dwfl_end(d->dwfl);
	memset(d, 0, sizeof(*d));
	d->dwfl = dwfl_begin(&offline_callbacks);
	if (!d->dwfl)
		return NULL;
	d->pid = pid;
	d->gen = gen;
	d->used = ++w->tick;
	w->st.dwfls++;
	r.dwfl = d->dwfl;
	dwfl_report_begin(d->dwfl);
	usym_maps(w->u, pid, report_map, &r);
	dwfl_report_end(d->dwfl, NULL, NULL);
	d->attached = r.reported && dwfl_attach_state(d->dwfl, NULL, pid, &thread_callbacks, w);
	return d;
}

/* ---------------- the unwind cache ---------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static bool reads_match(const struct unw_entry *e, const struct tlb_user_stack *us)
{
	for (uint32_t i = 0; i < e->nr_reads; i++) {
		const struct unw_read *r = &e->reads[i];
		bool in = in_window(us, e->sp, r->addr);
		uint64_t v;

		if (in != r->in_window)
			return false;
		if (in) {
			memcpy(&v, us->stack + (r->addr - e->sp), 8);
			if (v != r->val)
				return false;
		}
	}
	return true;
}

static int grow_slots(struct unwinder *w)
{
	size_t ns = w->nr_slots * 2;
	int64_t *s = malloc(ns * sizeof(*s));

	if (!s)
		return -1;
	memset(s, 0xff, ns * sizeof(*s));
	for (size_t i = 0; i < w->nr; i++) {
		size_t k = w->e[i].hash & (ns - 1);

		w->e[i].next = s[k];
		s[k] = (int64_t)i;
	}
	free(w->slots);
	w->slots = s;
	w->nr_slots = ns;
	return 0;
}

static int store(struct unwinder *w, uint64_t hash, uint64_t gen)
{
	struct unw_cur *c = &w->cur;
	struct unw_entry *e;
	size_t k;

	if (w->nr * 2 >= w->nr_slots && grow_slots(w) < 0)
		return -1;
	if (w->nr == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 256;

		e = realloc(w->e, na * sizeof(*e));
		if (!e)
			return -1;
		w->e = e;
		w->alloc = na;
	}
	e = &w->e[w->nr];
	memset(e, 0, sizeof(*e));
	e->reads = malloc((c->nr_reads ? c->nr_reads : 1) * sizeof(*e->reads));
	e->ips = malloc((c->nr_ips ? c->nr_ips : 1) * sizeof(*e->ips));
	if (!e->reads || !e->ips) {
		free(e->reads);
		free(e->ips);
		return -1;
	}
	memcpy(e->reads, c->reads, c->nr_reads * sizeof(*e->reads));
	memcpy(e->ips, c->ips, c->nr_ips * sizeof(*e->ips));
	e->nr_reads = c->nr_reads;
	e->nr_ips = c->nr_ips;
	e->pid = c->pid;
	e->gen = gen;
	e->ip = c->ip;
	e->sp = c->sp;
	e->bp = c->bp;
	e->hash = hash;
	k = hash & (w->nr_slots - 1);
	e->next = w->slots[k];
	w->slots[k] = (int64_t)w->nr++;
	return 0;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwinder *w = arg;
	struct unw_cur *c = &w->cur;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (!activation)
		pc--;	/* a return address: the call is the byte before it */
	c->ips[c->nr_ips++] = pc;
	return c->nr_ips == UNW_MAX_FRAMES ? DWARF_CB_ABORT : DWARF_CB_OK;
}

int unw_unwind(struct unwinder *w, pid_t pid, const struct tlb_user_stack *us, const uint64_t **ips)
{
	uint64_t dw[UNW_DW_NR], hash;
	uint32_t have;
	struct unw_cur *c = &w->cur;
	struct unw_dwfl *d;

	if (!us || !us->abi || !us->regs)
		return 0;
	unw_regs_to_dwarf(us->mask, us->regs, us->nr_regs, dw, &have);
	if (!(have & (1u << UNW_DW_RIP)))
		return 0;
	w->st.calls++;
	if (!w->dw) {		/* libdw could not be loaded: as a build without it */
		w->st.no_module++;
		c->ips[0] = dw[UNW_DW_RIP];
		*ips = c->ips;
		return 1;
	}
	if (!(have & (1u << UNW_DW_RSP)) || !us->stack || !us->dyn_size) {
		/* the kernel could not copy the stack (dyn_size 0): no user part, as perf shows */
		w->st.no_stack++;
		return 0;
	}
	d = dwfl_for(w, pid);
	if (!d)
		return -1;
	if (!d->attached || !dwfl_addrmodule(d->dwfl, dw[UNW_DW_RIP])) {
		/* an ip in no known object (exec's first samples, JIT code): no user part, as perf */
		w->st.no_module++;
		return 0;
	}
	hash = mix(mix(mix(mix(mix(0, (uint64_t)(uint32_t)pid), d->gen), dw[UNW_DW_RIP]),
		       dw[UNW_DW_RSP]), dw[UNW_DW_RBP]);
	for (int64_t i = w->slots[hash & (w->nr_slots - 1)]; i >= 0; i = w->e[i].next) {
		struct unw_entry *e = &w->e[i];

		if (e->hash == hash && e->pid == pid && e->gen == d->gen &&
		    e->ip == dw[UNW_DW_RIP] && e->sp == dw[UNW_DW_RSP] && e->bp == dw[UNW_DW_RBP] &&
		    reads_match(e, us)) {
			w->st.hits++;
			*ips = e->ips;
			return (int)e->nr_ips;
		}
	}
	c->pid = pid;
	c->ip = dw[UNW_DW_RIP];
	c->sp = dw[UNW_DW_RSP];
	c->bp = have & (1u << UNW_DW_RBP) ? dw[UNW_DW_RBP] : 0;
	c->us = us;
	c->nr_reads = 0;
	c->nr_ips = 0;
	c->oom = false;
	w->st.unwinds++;
	/* an error ends the stack where it happened (often: the window's end); what came stays */
	dwfl_getthread_frames(d->dwfl, pid, frame_cb, w);
	c->us = NULL;
	if (!c->nr_ips)
		c->ips[c->nr_ips++] = c->ip;
	if (c->oom)
		return -1;
	if (w->nr >= UNW_CACHE_MAX) {
		w->st.uncached++;
		*ips = c->ips;
		return (int)c->nr_ips;
	}
	if (store(w, hash, d->gen) < 0)
		return -1;
	*ips = w->e[w->nr - 1].ips;
	return (int)w->e[w->nr - 1].nr_ips;
}

#else /* !HAVE_LIBDW */

struct unwinder {
	struct unw_stats st;
	uint64_t one;
};

bool unw_available(void)
{
	return false;
}

struct unwinder *unw_new(struct usyms *u)
{
	return calloc(1, sizeof(struct unwinder));
}

void unw_free(struct unwinder *w)
{
	free(w);
}

void unw_get_stats(const struct unwinder *w, struct unw_stats *st)
{
	*st = w->st;
}

int unw_unwind(struct unwinder *w, pid_t pid, const struct tlb_user_stack *us, const uint64_t **ips)
{
	uint64_t dw[UNW_DW_NR];
	uint32_t have;

	if (!us || !us->abi || !us->regs)
		return 0;
	unw_regs_to_dwarf(us->mask, us->regs, us->nr_regs, dw, &have);
	if (!(have & (1u << UNW_DW_RIP)))
		return 0;
	w->st.calls++;
	w->st.no_module++;
	w->one = dw[UNW_DW_RIP];
	*ips = &w->one;
	return 1;
}
#endif
