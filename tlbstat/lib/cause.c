// SPDX-License-Identifier: GPL-2.0
/*
 * Causes of flushes from kernel call chains (cause.h). The function names are those of Linux
 * 6.1 x86-64 (arch/x86/mm/tlb.c, mm/); a name that moved in another kernel falls to a later rule
 * (a fault, the syscall), never to a wrong one.
 */
#include "cause.h"
#include "symbols.h"

#include <ctype.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Rule 1: what the kernel was doing, whatever entered it; prefix matches, in this order (the
 * more specific why first: compaction and NUMA balancing migrate pages, and are the reason).
 */
static const struct { const char *prefix, *cause; } doing[] = {
	{ "__flush_smp_call_function_queue", "ipi-received" },
	{ "sysvec_call_function", "ipi-received" },
	{ "flush_tlb_func_remote", "ipi-received" },
	{ "switch_mm_irqs_off", "task-switch" },
	{ "compact_zone", "compaction" },
	{ "kcompactd", "compaction" },
	{ "task_numa_work", "numa" },
	{ "change_prot_numa", "numa" },
	{ "do_numa_page", "numa" },
	{ "ksm_", "ksm" },
	{ "migrate_pages", "migration" },
	{ "migrate_misplaced", "migration" },
	{ "do_wp_page", "fault:cow" },
	{ "wp_page_copy", "fault:cow" },
};

/* Syscall entry prefixes, x86-64 and its compat, arm64, and the generic ones. */
static const char *const sys_prefix[] = {
	"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__do_sys_", "__se_sys_",
};

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The syscall of the outermost entry frame, into buf: true when one was found. */
static bool syscall_of(const char *const *names, size_t nr, char *buf, size_t len)
{
	for (size_t i = nr; i-- > 0;) {
		for (size_t p = 0; names[i] && p < sizeof(sys_prefix) / sizeof(sys_prefix[0]); p++) {
			const char *name = names[i] + strlen(sys_prefix[p]);

			if (!starts(names[i], sys_prefix[p]))
				continue;
			if (!strcmp(name, "exit_group"))
				name = "exit";
			else if (!strcmp(name, "execveat"))
				name = "execve";
			snprintf(buf, len, "%.*s", (int)strcspn(name, "."), name);
			return true;
		}
	}
	return false;
}

static bool any_named(const char *const *names, size_t nr, const char *const *set, size_t nset)
{
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; names[i] && j < nset; j++)
			if (!strcmp(names[i], set[j]))
				return true;
	return false;
}

/* "kthread:" and the comm without instance digits or /cpu suffixes (kworker/3:1, kswapd0). */
static void kthread_cause(const char *comm, char *buf, size_t len)
{
	size_t n = comm ? strcspn(comm, "/:") : 0;

	while (n > 1 && isdigit((unsigned char)comm[n - 1]))
		n--;
	snprintf(buf, len, "kthread:%.*s", (int)n, n ? comm : "?");
}

const char *cause_classify(const char *const *names, size_t nr, const char *comm, char *buf,
			   size_t len)
{
	static const char *const exits[] = { "do_exit", "do_group_exit" };
	static const char *const faults[] = { "asm_exc_page_fault", "exc_page_fault",
					      "handle_mm_fault" };
	static const char *const user_entry[] = { "entry_SYSCALL_64_after_hwframe",
						  "entry_SYSCALL_64", "asm_exc_page_fault",
						  "entry_INT80_compat", "do_syscall_64" };
	bool named = false;

	for (size_t i = 0; i < nr; i++)
		named |= names[i] != NULL;
	for (size_t d = 0; d < sizeof(doing) / sizeof(doing[0]); d++)
		for (size_t i = 0; i < nr; i++)
			if (names[i] && starts(names[i], doing[d].prefix)) {
				snprintf(buf, len, "%s", doing[d].cause);
				return buf;
			}
	if (syscall_of(names, nr, buf, len))
		return buf;
	if (any_named(names, nr, exits, 2))
		snprintf(buf, len, "exit");
	else if (any_named(names, nr, faults, 3))
		snprintf(buf, len, "fault");
	else if (named && nr && names[nr - 1] && !strcmp(names[nr - 1], "ret_from_fork") &&
		 !any_named(names, nr, user_entry, 5))
		kthread_cause(comm, buf, len);
	else
		snprintf(buf, len, "%s", named ? "other" : "unknown");
	return buf;
}

const char *cause_of_chain(const struct syms *syms, const uint64_t *chain, uint32_t nr,
			   const char *comm, char *buf, size_t len)
{
	const char *names[128];
	size_t n = 0;
	bool kernel = false;

	for (uint32_t i = 0; i < nr && n < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t off;

		if (chain[i] >= PERF_CONTEXT_MAX) {
			kernel = chain[i] == PERF_CONTEXT_KERNEL;
			continue;
		}
		if (kernel)
			names[n++] = syms ? syms_lookup(syms, chain[i], &off) : NULL;
	}
	return cause_classify(names, n, comm, buf, len);
}

/* ---------------- the per-stack cache of the live consumers ---------------- */

#define CAUSE_NAME_LEN 32

struct cause_slot {
	uint64_t key;                        /* 0: empty */
	int id;
};

struct cause_cache {
	const struct syms *syms;
	struct cause_slot *slots;
	unsigned nr_slots;                   /* a power of two */
	char names[CAUSE_MAX_NAMES][CAUSE_NAME_LEN];
	int nr_names;
	uint64_t hits, misses;
};

struct cause_cache *cause_cache_new(const struct syms *syms, unsigned slots)
{
	struct cause_cache *c = calloc(1, sizeof(*c));
	unsigned n = 64;

	if (!c)
		return NULL;
	while (n < slots && n < (1u << 20))
		n <<= 1;
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->nr_slots = n;
	c->syms = syms;
	/* id 0 is always "unknown" (no kernel frames), the last one "other" when names run out */
	snprintf(c->names[0], CAUSE_NAME_LEN, "unknown");
	c->nr_names = 1;
	return c;
}

void cause_cache_free(struct cause_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

static int intern(struct cause_cache *c, const char *name)
{
	for (int i = 0; i < c->nr_names; i++)
		if (!strcmp(c->names[i], name))
			return i;
	if (c->nr_names == CAUSE_MAX_NAMES - 1) {
		/* the last id is "other", for every name past the bound */
		snprintf(c->names[CAUSE_MAX_NAMES - 1], CAUSE_NAME_LEN, "other");
		return CAUSE_MAX_NAMES - 1;
	}
	if (c->nr_names == CAUSE_MAX_NAMES)
		return CAUSE_MAX_NAMES - 1;
	snprintf(c->names[c->nr_names], CAUSE_NAME_LEN, "%s", name);
	return c->nr_names++;
}

/* FNV-1a over the kernel part of the chain and the comm (a kernel thread's cause is its name) */
static uint64_t chain_key(const uint64_t *chain, uint32_t nr, const char *comm)
{
	uint64_t h = 1469598103934665603ULL;
	bool kernel = false;

	for (uint32_t i = 0; i < nr; i++) {
		if (chain[i] >= PERF_CONTEXT_MAX) {
			kernel = chain[i] == PERF_CONTEXT_KERNEL;
			/* a user part tells a syscall from a kernel thread: the marker enters the key */
			h = (h ^ chain[i]) * 1099511628211ULL;
			continue;
		}
		if (kernel)
			h = (h ^ chain[i]) * 1099511628211ULL;
	}
	for (const char *p = comm; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

int cause_cache_of(struct cause_cache *c, const uint64_t *chain, uint32_t nr, const char *comm)
{
	char buf[CAUSE_NAME_LEN];
	uint64_t key;
	struct cause_slot *s;

	if (!chain || !nr)
		return 0;
	key = chain_key(chain, nr, comm);
	s = &c->slots[key & (c->nr_slots - 1)];
	if (s->key == key) {
		c->hits++;
		return s->id;
	}
	c->misses++;
	s->key = key;             /* direct-mapped: a colliding stack replaces the slot's */
	s->id = intern(c, cause_of_chain(c->syms, chain, nr, comm, buf, sizeof(buf)));
	return s->id;
}

const char *cause_cache_name(const struct cause_cache *c, int id)
{
	if (id < 0 || id >= CAUSE_MAX_NAMES || (id >= c->nr_names && id != CAUSE_MAX_NAMES - 1))
		return "unknown";
	return c->names[id];
}

void cause_cache_stats(const struct cause_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

struct cause_cache *cause_cache_open_live(struct syms **syms, unsigned slots, char *err,
					  size_t errlen)
{
	struct cause_cache *c;

	*syms = syms_new(SYMS_TABLE);
	if (!*syms) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (syms_load_proc(*syms, err, errlen) < 0 || !syms_addr(*syms, "_text")) {
		snprintf(err, errlen, "kernel symbols unreadable (/proc/kallsyms, kernel.kptr_restrict)");
		goto fail;
	}
	c = cause_cache_new(*syms, slots);
	if (c)
		return c;
	snprintf(err, errlen, "out of memory");
fail:
	syms_free(*syms);
	*syms = NULL;
	return NULL;
}

void cause_live_setup(struct perf_event_attr *attr)
{
	attr->sample_type |= PERF_SAMPLE_CALLCHAIN;
	attr->exclude_callchain_user = 1;
	attr->sample_max_stack = CAUSE_MAX_STACK;
}
