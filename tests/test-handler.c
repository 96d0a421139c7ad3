/*
 * Unit tests of the flush-handler timer (lib/handler.c) on a labelled synthetic sequence of
 * csd_function_entry/exit events: local vs victim, per-task attribution, unpaired and stale
 * entries, histogram buckets and quantiles.
 */
#include "event.h"
#include "handler.h"
#include "tap.h"

static struct tlb_event ev(enum tlb_event_kind k, int cpu, pid_t pid, pid_t tid, uint64_t t,
			   uint64_t func, uint64_t csd)
{
	struct tlb_event e = { 0 };
	e.kind = k;
	e.cpu = cpu;
	e.pid = pid;
	e.tid = tid;
	e.time = t;
	e.func = func;
	e.csd = csd;
	e.func_class = TLB_FUNC_FLUSH;
	return e;
}

int main(void)
{
	struct handler_stats h;
	struct tlb_event e;
	const uint64_t F = 0xffffffff81080000ull, G = 0xffffffff81090000ull;
	int i;

	handler_init(&h);
	/* cpu 0: the initiator's own flush, 5 us, in task 100/101 */
	e = ev(EV_CSD_FUNC_ENTRY, 0, 100, 101, 1000, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 0, 100, 101, 6000, F, 0); handler_event(&h, &e);
	/* cpu 1: a victim flush from the queue, 2 us, in task 200/200 */
	e = ev(EV_CSD_FUNC_ENTRY, 1, 200, 200, 2000, F, 0xffff888000001000ull); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 1, 200, 200, 4000, F, 0xffff888000001000ull); handler_event(&h, &e);
	/* cpu 1 again, same victim, 3 us */
	e = ev(EV_CSD_FUNC_ENTRY, 1, 200, 200, 10000, F, 0x1); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 1, 200, 200, 13000, F, 0x1); handler_event(&h, &e);
	/* unpaired: exit without entry (cpu 2), exit of another function (cpu 0) */
	e = ev(EV_CSD_FUNC_EXIT, 2, 300, 300, 5000, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_ENTRY, 0, 100, 101, 20000, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 0, 100, 101, 21000, G, 0); handler_event(&h, &e);
	/* stale: exit more than HANDLER_MAX_NS after its entry */
	e = ev(EV_CSD_FUNC_ENTRY, 3, 400, 400, 100, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 3, 400, 400, 100 + HANDLER_MAX_NS + 1, F, 0); handler_event(&h, &e);
	/* an entry overwritten by another entry before its exit */
	e = ev(EV_CSD_FUNC_ENTRY, 4, 500, 500, 100, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_ENTRY, 4, 500, 500, 200, F, 0); handler_event(&h, &e);
	e = ev(EV_CSD_FUNC_EXIT, 4, 500, 500, 1224, F, 0); handler_event(&h, &e);

	is_int(h.kind[HANDLER_LOCAL].calls, 2, "local calls: cpu 0 and cpu 4");
	is_int(h.kind[HANDLER_LOCAL].ns, 5000 + 1024, "local ns: 5000 + 1024");
	is_int(h.kind[HANDLER_VICTIM].calls, 2, "victim calls");
	is_int(h.kind[HANDLER_VICTIM].ns, 5000, "victim ns: 2000 + 3000");
	is_int(h.kind[HANDLER_VICTIM].max_ns, 3000, "victim max");
	is_int(h.unpaired, 4, "unpaired: exit without entry, other function, stale, overwritten");
	is_int(h.entries, 7, "entries seen");
	is_int(h.exits, 7, "exits seen");
	i = handler_find(&h, 200, 200);
	ok(i >= 0 && h.tasks[i].calls[HANDLER_VICTIM] == 2 && h.tasks[i].ns[HANDLER_VICTIM] == 5000,
	   "victim time attributed to the interrupted task 200");
	i = handler_find(&h, 100, 101);
	ok(i >= 0 && h.tasks[i].calls[HANDLER_LOCAL] == 1 && h.tasks[i].calls[HANDLER_VICTIM] == 0,
	   "local time attributed to the initiator thread 100/101");
	is_int(handler_find(&h, 300, 300), -1, "no task for an unpaired exit");
	/* histogram: 5000 ns -> bucket 12 [4096, 8192); 1024 -> bucket 10 */
	is_int(h.kind[HANDLER_LOCAL].hist[12], 1, "5000 ns in [4096, 8192)");
	is_int(h.kind[HANDLER_LOCAL].hist[10], 1, "1024 ns in [1024, 2048)");
	is_int(h.kind[HANDLER_VICTIM].hist[10] + h.kind[HANDLER_VICTIM].hist[11], 2,
	       "2000 and 3000 ns in [1024, 4096)");
	ok(handler_quantile(&h.kind[HANDLER_LOCAL], 0.99) >= 4096 &&
	   handler_quantile(&h.kind[HANDLER_LOCAL], 0.99) < 8192, "p99 of local in the top bucket");
	ok(handler_quantile(&h.kind[HANDLER_LOCAL], 0.0) < 2048, "p0 of local in the low bucket");
	{
		struct handler_totals empty = { 0 };
		ok(handler_quantile(&empty, 0.5) == 0, "quantile of nothing is 0");
	}
	handler_free(&h);
	return done_testing();
}
