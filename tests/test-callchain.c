// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of callchain.c: unique stacks (the same chain counted once, other pids and comms
 * apart), frames named once per stack through the resolver, causes, call sites past libc and
 * allocators, grouping with distinct processes, folded lines root first with pids merged; a user
 * address expanded to its inline chain (frames, call site and its source line, folded forms,
 * --sort srcline's grouping), return addresses told apart from the sampled ip.
 */
#include "callchain.h"
#include "tap.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

struct fake {
	int calls;
	int rets;                 /* user frames resolved as return addresses */
};

/* kernel: 0xffff...1 flush_tlb_func, 2 do_madvise, 3 __x64_sys_madvise; user: 0x10 __madvise
 * (libc), 0x20 trim (app), 0x30 main (app); anything else unknown */
static struct cc_frame resolve1(struct fake *f, uint64_t ip, bool kernel)
{
	f->calls++;
	if (kernel) {
		static const char *const k[] = { NULL, "flush_tlb_func", "do_madvise",
						 "__x64_sys_madvise" };
		uint64_t i = ip & 0xf;

		return (struct cc_frame){ i < 4 ? k[i] : NULL, "[kernel.kallsyms]" };
	}
	switch (ip) {
	case 0x10: return (struct cc_frame){ "__madvise", "/usr/lib/x86_64-linux-gnu/libc.so.6" };
	case 0x20: return (struct cc_frame){ "trim", "/srv/app" };
	case 0x30: return (struct cc_frame){ "main", "/srv/app" };
	default: return (struct cc_frame){ NULL, NULL };
	}
}

/* user 0x40: drop_pages inlined into trim_cache inlined into serve (app.c lines 9, 17, 23) */
static uint32_t resolve(void *ctx, pid_t pid, uint64_t ip, bool kernel, bool ret,
			struct cc_frame *out, uint32_t room)
{
	struct fake *f = ctx;

	f->rets += ret;
	if (ip == 0x40 && room >= 3) {
		f->calls++;
		out[0] = (struct cc_frame){ "drop_pages", "/srv/app", "app.c:9", true };
		out[1] = (struct cc_frame){ "trim_cache", "/srv/app", "app.c:17", true };
		out[2] = (struct cc_frame){ "serve", "/srv/app", "app.c:23", false };
		return 3;
	}
	out[0] = resolve1(f, ip, kernel);
	return 1;
}

static const uint64_t chain[] = { PERF_CONTEXT_KERNEL, 0xffffffff00000001, 0xffffffff00000002,
				  0xffffffff00000003, PERF_CONTEXT_USER, 0x10, 0x20, 0x30 };

static void stacks(void)
{
	struct fake f = { 0 };
	struct cc_resolver res = { resolve, &f };
	struct cc_table *t = cc_new(&res);
	struct cc_counts one = { 1, 0, 4096 }, send = { 1, 1, 0 };
	const struct cc_stack *s;
	int rc = 0;

	for (int i = 0; i < 1000; i++)
		rc |= cc_add(t, 10, "srv", chain, 8, i % 2 ? &one : &send);
	is_int(rc, 0, "1000 samples added");
	is_int(cc_nr(t), 1, "one unique stack");
	is_int(f.calls, 6, "its 6 frames named once, not per sample");
	is_int(f.rets, 2, "the user frames after the sampled ip resolved as return addresses");
	s = cc_get(t, 0);
	is_int(s->c.events, 1000, "1000 events");
	is_int(s->c.remote_sends, 500, "500 remote sends");
	is_int(s->c.bytes, 500 * 4096, "bytes summed");
	is_int(s->nr_frames, 6, "markers left out");
	is_int(s->nr_kernel, 3, "3 kernel frames");
	is_str(s->cause, "madvise", "cause madvise");
	is_str(s->callsite, "trim", "call site: past libc's __madvise, trim");
	cc_add(t, 11, "srv", chain, 8, &one);
	cc_add(t, 10, "other", chain, 8, &one);
	cc_add(t, 10, "srv", chain, 5, &one);
	is_int(cc_nr(t), 4, "another pid, comm or chain: a stack of its own");
	ok(cc_get(t, 3)->callsite == NULL, "a kernel-only chain has no call site");
	cc_free(t);
}

static void views(void)
{
	struct fake f = { 0 };
	struct cc_resolver res = { resolve, &f };
	struct cc_table *t = cc_new(&res);
	struct cc_counts one = { 1, 0, 0 };
	uint64_t odd[] = { PERF_CONTEXT_KERNEL, 0xffffffff00000001, PERF_CONTEXT_USER, 0x99 };
	struct cc_group *g;
	struct cc_line *l;
	long n;

	for (int i = 0; i < 3; i++)
		cc_add(t, 10 + i, "srv", chain, 8, &one);
	cc_add(t, 10, "srv", odd, 4, &one);
	n = cc_group_by(t, CC_BY_CAUSE, &g);
	is_int(n, 2, "two causes");
	is_str(g[0].name, "madvise", "madvise first (3 events)");
	is_int(g[0].processes, 3, "in 3 processes");
	is_str(g[1].name, "other", "a named frame and no rule: other");
	free(g);
	n = cc_group_by(t, CC_BY_CALLSITE, &g);
	is_str(g[1].name, "[unknown]", "no user frame named: [unknown]");
	free(g);
	n = cc_folded(t, 0, &l);
	is_int(n, 2, "two folded lines (pids merged)");
	is_str(l[0].text, "srv;[unknown];flush_tlb_func", "root first, [unknown] for no name");
	is_str(l[1].text, "srv;main;trim;__madvise;__x64_sys_madvise;do_madvise;flush_tlb_func",
	       "the stackcollapse form");
	is_int(l[1].events, 3, "merged count");
	cc_lines_free(l, n);
	cc_free(t);
}

static void runtime(void)
{
	struct cc_frame libc = { "anything", "/lib/x86_64-linux-gnu/libc.so.6" };
	struct cc_frame je = { "je_malloc", "/srv/app" };
	struct cc_frame gl = { "__libc_free", "/srv/app" };
	struct cc_frame app = { "serve", "/srv/app" };
	struct cc_frame none = { NULL, NULL };

	ok(cc_frame_is_runtime(&libc), "libc's frames are runtime");
	ok(cc_frame_is_runtime(&je), "je_malloc is an allocator");
	ok(cc_frame_is_runtime(&gl), "__libc_free is an allocator");
	ok(!cc_frame_is_runtime(&app), "the program's own frame is not");
	ok(!cc_frame_is_runtime(&none), "an unknown frame is not");
}

static void tree(void)
{
	struct cc_line l[] = {
		{ "a;main;f;flush", 3 }, { "a;main;g;flush", 1 }, { "b;x", 2 },
	};
	struct cc_node *r;

	is_int(cc_tree(l, 3, true, &r), 0, "caller tree built");
	is_str(r->name, "a", "comm a first (4 events)");
	is_int(r->events, 4, "a: 4");
	is_str(r->child->name, "main", "caller order: main under a");
	is_str(r->child->child->name, "f", "f (3) before g (1)");
	is_str(r->child->child->next->name, "g", "then g");
	is_str(r->next->name, "b", "comm b second");
	cc_tree_free(r);
	is_int(cc_tree(l, 3, false, &r), 0, "callee tree built");
	is_str(r->child->name, "flush", "callee order: the flush first");
	is_int(r->child->events, 4, "flush: 4");
	is_str(r->child->child->name, "f", "its callers: f");
	is_str(r->child->child->child->name, "main", "then main");
	is_str(r->next->child->name, "x", "a one-frame chain");
	cc_tree_free(r);
}

static void inlines(void)
{
	static const uint64_t c[] = { PERF_CONTEXT_KERNEL, 0xffffffff00000001, 0xffffffff00000003,
				      PERF_CONTEXT_USER, 0x10, 0x40, 0x30 };
	struct fake f = { 0 };
	struct cc_resolver res = { resolve, &f };
	struct cc_table *t = cc_new(&res);
	struct cc_counts one = { 1, 0, 0 };
	const struct cc_stack *s;
	struct cc_group *g;
	struct cc_line *l;
	long n;

	for (int i = 0; i < 5; i++)
		cc_add(t, 10, "srv", c, 7, &one);
	cc_add(t, 10, "srv", chain, 8, &one);
	s = cc_get(t, 0);
	is_int(s->nr_frames, 7, "2 kernel frames, __madvise, 3 frames at 0x40, main");
	is_str(s->callsite, "drop_pages", "call site: the inlined function that calls");
	is_str(s->callsite_srcline, "app.c:9", "... and its line");
	n = cc_folded(t, 0, &l);
	is_str(l[0].text, "srv;main;serve;trim_cache;drop_pages;__madvise;__x64_sys_madvise;"
	       "flush_tlb_func", "folded: inline frames by plain name, innermost nearest the leaf");
	cc_lines_free(l, n);
	n = cc_folded(t, CC_FOLD_SRCLINE | CC_FOLD_INLINED, &l);
	is_str(l[0].text, "srv;main;serve app.c:23;trim_cache app.c:17 (inlined);drop_pages app.c:9 "
	       "(inlined);__madvise;__x64_sys_madvise;flush_tlb_func",
	       "with lines and inline marks (perf report -g folded,address)");
	cc_lines_free(l, n);
	n = cc_group_by(t, CC_BY_SRCLINE, &g);
	is_int(n, 2, "two call-site lines");
	is_str(g[0].name, "app.c:9", "app.c:9 first (5 events)");
	is_int(g[0].c.events, 5, "5 events");
	is_str(g[1].name, "[unknown]", "trim's stack: no line");
	free(g);
	cc_free(t);
}

int main(void)
{
	inlines();
	tree();
	stacks();
	views();
	runtime();
	return done_testing();
}
