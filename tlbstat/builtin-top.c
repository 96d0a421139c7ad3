// SPDX-License-Identifier: GPL-2.0
/*
 * tlbstat top: a live view of processes ranked by TLB invalidation rate. Samples every
 * tlb:tlb_flush (and csd/ipi requests for the fan-out, exec/rename for names, --events for a
 * generic tracepoint) into per-CPU ring buffers, drains them with the session, aggregates per
 * interval in topview.c and draws an ncurses screen, or plain text snapshots (-b).
 * Documentation/tlbstat-top.txt.
 */
#include "builtin.h"
#include "cause.h"
#include "cgroup.h"
#include "dynlib.h"
#include "event.h"
#include "evlist.h"
#include "interrupts.h"
#include "parse-options.h"
#include "reason.h"
#include "sample.h"
#include "session.h"
#include "strlist.h"
#include "topview.h"
#include "tracefs.h"
#include "transport.h"
#include "util.h"

#include <curses.h>
#include <perf/evsel.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * ncurses is loaded when the screen is to start (lib/dynlib.h), not linked: top -b, and every
 * other command, start without it. The names below are calls (and, for stdscr, COLS and LINES,
 * reads) through this table; curses.h's macros (getch() is wgetch(stdscr)) expand to them too.
 * libtinfo's part (tigetstr, cbreak, keypad, stdscr...) is found through libncursesw.so.6's
 * dependencies (Debian's libncursesw.so.6 needs libtinfo.so.6; where tinfo is built in, it is
 * the library itself).
 */
#define CURSES_SYMS(X) \
	X(newterm) X(set_term) X(delscreen) X(endwin) X(isendwin) X(tigetstr) X(cbreak) \
	X(noecho) X(nodelay) X(keypad) X(curs_set) X(has_colors) X(start_color) \
	X(use_default_colors) X(init_pair) X(waddch) X(waddnstr) X(wattr_on) X(wattr_off) \
	X(wclrtoeol) X(werase) X(wgetch) X(wmove) X(wrefresh) X(stdscr) X(COLS) X(LINES)

static struct curses_tab { CURSES_SYMS(DYNLIB_PTR) } curses_tab;
#define CURSES_SYM(f) DYNLIB_SYM(struct curses_tab, f)
static const struct dynlib_sym curses_syms[] = { CURSES_SYMS(CURSES_SYM) };
static const struct dynlib curses_lib[] = {
	DYNLIB_LIB("libncursesw.so.6", "libncursesw6", curses_tab, curses_syms, false),
};
static struct dynlib_group curses_group = DYNLIB_GROUP("top's screen", curses_lib, false);

#define newterm (*curses_tab.newterm)
#define set_term (*curses_tab.set_term)
#define delscreen (*curses_tab.delscreen)
#define endwin (*curses_tab.endwin)
#define isendwin (*curses_tab.isendwin)
#define tigetstr (*curses_tab.tigetstr)
#define cbreak (*curses_tab.cbreak)
#define noecho (*curses_tab.noecho)
#define nodelay (*curses_tab.nodelay)
#define keypad (*curses_tab.keypad)
#define curs_set (*curses_tab.curs_set)
#define has_colors (*curses_tab.has_colors)
#define start_color (*curses_tab.start_color)
#define use_default_colors (*curses_tab.use_default_colors)
#define init_pair (*curses_tab.init_pair)
#define waddch (*curses_tab.waddch)
#define waddnstr (*curses_tab.waddnstr)
#define wattr_on (*curses_tab.wattr_on)
#define wattr_off (*curses_tab.wattr_off)
#define wclrtoeol (*curses_tab.wclrtoeol)
#define werase (*curses_tab.werase)
#define wgetch (*curses_tab.wgetch)
#define wmove (*curses_tab.wmove)
#define wrefresh (*curses_tab.wrefresh)
#define stdscr (*curses_tab.stdscr)
#define COLS (*curses_tab.COLS)
#define LINES (*curses_tab.LINES)

/* session.c lands separately: link (and fail at run time with a message) without it */
#pragma weak session_open_live
#pragma weak session_run
#pragma weak session_close

static const char *const top_usage[] = {
	"tlbstat top [-d secs] [-p pids] [-C cpus] [-s [cgroup,]rate|remote|bytes|fanout] [-e sys:name] "
	"[-n N] [-b] [<options>]",
	NULL,
};

#define TOP_TICK_NS (100 * 1000 * 1000ULL)    /* keys and refresh checked this often */
#define MAX_GENERIC 8

struct top_opts {
	const char *sort, *events, *cpus;
	int iterations, rows, mmap_pages, max_procs, age;
	bool batch, cause, no_cause;
};

struct top {
	struct top_opts o;
	double delay_s;
	struct tlb_evlist el;
	struct top_model *m;
	struct session *s;
	struct syms *syms;		/* --cause: kallsyms as a table, for the cause cache */
	struct cause_cache *causes;
	pid_t *pids;
	int nr_pids;
	struct top_render r;
	struct cgtab *cg;               /* -s cgroup: ids -> paths */
	char generic_names[256];
	/* generic tracepoints: their sample ids, sorted, and their sample_type */
	uint64_t *gen_ids;
	int nr_gen_ids;
	uint64_t gen_sample_type;
	/* transport */
	struct transport_info tinfo;
	struct transport_sources tsrc;	/* read once, at the first decision */
	struct intr_row *tlb_start, *tlb_now;
	/* timing */
	uint64_t start_ns, last_close_ns, next_close_ns;
	int done_iterations;
	volatile bool stop;
	/* screen */
	bool curses, paused, threads_view, help;
	pid_t sel_pid, sel_tid;
	uint64_t sel_cgroup;            /* -s cgroup: the selected row's cgroup */
	int sel;
	SCREEN *scr;
};

static struct top *the_top;       /* for the signal handler and atexit */

static void on_signal(int sig)
{
	if (the_top)
		the_top->stop = true;
}

static void restore_terminal(void)
{
	if (the_top && the_top->curses && !isendwin()) {
		endwin();
	}
}

/* ---------------- session callbacks ---------------- */

static int on_event(void *ctx, const struct tlb_event *ev, const struct pd_attr *attr)
{
	return top_model_event(((struct top *)ctx)->m, ev);
}

static int on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, uint64_t time)
{
	top_model_comm(((struct top *)ctx)->m, pid, tid, comm);
	return 0;
}

static int on_cgroup(void *ctx, uint64_t id, const char *path)
{
	struct top *t = ctx;

	cgtab_add(t->cg, id, path);	/* out of memory: that cgroup shows by id */
	return 0;
}

static int on_lost(void *ctx, uint64_t nr)
{
	top_model_lost(((struct top *)ctx)->m, nr);
	return 0;
}

static bool is_generic_id(const struct top *t, uint64_t id)
{
	int lo = 0, hi = t->nr_gen_ids - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (t->gen_ids[mid] == id)
			return true;
		if (t->gen_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* Generic tracepoints are not decoded: count their samples per task from the raw record. */
static int on_raw(void *ctx, const struct perf_event_header *hdr, const struct pd_attr *attr)
{
	struct top *t = ctx;
	struct tlb_sample s;
	uint64_t id;

	if (hdr->type != PERF_RECORD_SAMPLE || hdr->size < sizeof(*hdr) + 8)
		return 0;
	memcpy(&id, hdr + 1, 8);     /* PERF_SAMPLE_IDENTIFIER comes first */
	if (!is_generic_id(t, id))
		return 0;
	if (hdr->size == sizeof(*hdr) + 32) {
		/* IDENTIFIER, TID (pid, tid), TIME, CPU (cpu, res): what add_events asked for */
		uint32_t w[8];

		memcpy(w, hdr + 1, sizeof(w));
		return top_model_generic(t->m, (pid_t)w[2], (pid_t)w[3], (int)w[6]);
	}
	if (sample_parse(hdr, t->gen_sample_type, &s) == 0)
		return top_model_generic(t->m, (pid_t)s.pid, (pid_t)s.tid, (int)s.cpu);
	return 0;
}

/* ---------------- screen ---------------- */

enum { PAIR_GREEN = 1, PAIR_YELLOW, PAIR_RED, PAIR_TITLE };

static int health_pair(const char *h)
{
	return !strcmp(h, "green") ? PAIR_GREEN : !strcmp(h, "yellow") ? PAIR_YELLOW : PAIR_RED;
}

static void stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* Print s at (y, 0) cut to the screen width, colouring one word when hoff >= 0. */
static void put_line(int y, const char *s, int hoff, int hlen, int pair, attr_t extra)
{
	int w = COLS;

	if (y >= LINES)
		return;
	move(y, 0);
	clrtoeol();
	attron(extra);
	if (hoff < 0 || hoff >= w || (size_t)hoff >= strlen(s)) {
		mvaddnstr(y, 0, s, w);
	} else {
		mvaddnstr(y, 0, s, hoff);
		attron(COLOR_PAIR(pair) | A_BOLD);
		addnstr(s + hoff, hlen < w - hoff ? hlen : w - hoff);
		attroff(COLOR_PAIR(pair) | A_BOLD);
		if (hoff + hlen < w)
			addnstr(s + hoff + hlen, w - hoff - hlen);
	}
	attroff(extra);
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"tlbstat top keys",
		"",
		"  q          quit",
		"  s          cycle the sort column (rate, remote, bytes, fanout[, events])",
		"  p          pause / resume the display (counting goes on)",
		"  t          threads of the selected process / back to processes",
		"  j k, arrows select a row",
		"  h          this help (any key closes it)",
		"",
		"Columns: INV/s invalidations (tlb:tlb_flush, every reason); REMOTE/s remote flush",
		"sends (reason 4); VICTIM/s remote shootdowns received (reason 1; n/a when the",
		"transport hides them); BYTES/s pages x page size (full flushes in FULL/s);",
		"FANOUT mean target CPUs per observed remote request; ASKED/s bytes callers asked",
		"to flush (tlb:tlb_invalidation, patched kernels only); CAUSE top cause and share",
		"(kernel call chains; --no-cause drops it); TREND last intervals.",
	};
	int h = (int)ARRAY_SIZE(lines) + 2, w = 86;
	int y0 = LINES > h ? (LINES - h) / 2 : 0, x0 = COLS > w ? (COLS - w) / 2 : 0;

	for (int i = 0; i < h && y0 + i < LINES; i++) {
		move(y0 + i, x0);
		for (int x = 0; x < w && x0 + x < COLS; x++)
			addch(' ' | A_REVERSE);
		if (i >= 1 && i - 1 < (int)ARRAY_SIZE(lines)) {
			attron(A_REVERSE);
			mvaddnstr(y0 + i, x0 + 2, lines[i - 1], COLS - x0 - 2 > 0 ? COLS - x0 - 2 : 0);
			attroff(A_REVERSE);
		}
	}
}

#define TOP_NO_SEL INT_MIN	/* sel_pid/sel_tid: nothing selected (no task has this id) */

static void draw(struct top *t)
{
	struct top_node n;
	char lines[8][256], buf[512], st[16];
	struct top_task **v, *groups = NULL;
	int nl, nr, y = 0, room;
	pid_t threads_of = 0;
	struct top_task *sel_proc = NULL;

	t->r.width = COLS;
	top_model_node(t->m, &n);
	stamp(st, sizeof(st));
	erase();
	snprintf(buf, sizeof(buf), "tlbstat top - %s%s  interval %.2f s  %d CPUs  %d processes, "
		 "%d threads  sort: %s   h: help  q: quit", st, t->paused ? " [paused]" : "", n.secs,
		 n.nr_cpus, n.nr_procs, n.nr_threads, top_sort_name(t->r.sort));
	put_line(y++, buf, -1, 0, 0, A_BOLD);
	nl = top_fmt_header(lines, 8, &n, &t->r);
	for (int i = 0; i < nl; i++) {
		const char *hw = i == 0 ? strstr(lines[i], "health ") : NULL;
		int off = hw ? (int)(hw - lines[i]) + 7 : -1;
		int len = hw ? (int)strcspn(hw + 7, " ,|") : 0;
		char word[16] = "";

		if (hw)
			snprintf(word, sizeof(word), "%.*s", len, hw + 7);
		put_line(y++, lines[i], off, len, hw ? health_pair(word) : 0, 0);
	}
	if (t->threads_view) {
		sel_proc = top_model_find_process(t->m, t->sel_pid);
		threads_of = t->sel_pid;
		snprintf(buf, sizeof(buf), "Threads of %d (%s)   t: back to processes", (int)t->sel_pid,
			 sel_proc && sel_proc->comm[0] ? sel_proc->comm : "?");
		put_line(y++, buf, -1, 0, 0, A_BOLD);
	} else {
		y++;
	}
	top_fmt_columns(buf, sizeof(buf), &t->r, t->threads_view);
	put_line(y++, buf, -1, 0, 0, A_REVERSE);
	room = LINES - y;
	if (t->o.rows > 0 && t->o.rows < room)
		room = t->o.rows;
	if (t->r.by_cgroup)
		nr = top_model_cgroup_rows(t->m, t->r.sort, t->pids, t->nr_pids, 0, &groups, &v);
	else
		nr = top_model_rows(t->m, t->r.sort, threads_of, t->pids, t->nr_pids, 0, &v);
	/* keep the selection on the same task across refreshes */
	for (int i = 0; i < nr; i++)
		if (t->r.by_cgroup ? v[i]->cgroup == t->sel_cgroup :
		    t->threads_view ? v[i]->tid == t->sel_tid : v[i]->pid == t->sel_pid) {
			t->sel = i;
			break;
		}
	if (t->sel >= nr)
		t->sel = nr > 0 ? nr - 1 : 0;
	if (t->sel < 0)
		t->sel = 0;
	if (nr > 0) {
		if (t->threads_view)
			t->sel_tid = v[t->sel]->tid;
		else
			t->sel_pid = v[t->sel]->pid;
		t->sel_cgroup = v[t->sel]->cgroup;
	}
	{
		int first = room > 0 && t->sel >= room ? t->sel - room + 1 : 0;

		for (int i = first; i < nr && i - first < room; i++) {
			int hoff, hlen;

			top_fmt_row(buf, sizeof(buf), v[i], &n, &t->r, &hoff, &hlen);
			put_line(y++, buf, hoff, hlen, health_pair(top_task_health(v[i], &n)),
				 i == t->sel ? A_STANDOUT : 0);
		}
	}
	free(v);
	free(groups);
	if (t->help)
		draw_help();
	refresh();
}

static void handle_keys(struct top *t)
{
	int ch;
	bool redraw = false, moved = false;

	while ((ch = getch()) != ERR) {
		if (t->help && ch != KEY_RESIZE) {
			t->help = false;
			redraw = true;
			continue;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			t->stop = true;
			return;
		case 's':
			do
				t->r.sort = (enum top_sort)((t->r.sort + 1) % TOP_NR_SORTS);
			while (t->r.sort == TOP_SORT_EVENTS && !t->r.generic);
			break;
		case 'p':
			t->paused = !t->paused;
			break;
		case 't':
			if (t->r.by_cgroup)
				continue;	/* rows are cgroups: no threads to show */
			t->threads_view = !t->threads_view;
			if (t->threads_view) {     /* start on the busiest thread */
				t->sel = 0;
				t->sel_tid = TOP_NO_SEL;
			}
			break;
		case 27:   /* Esc: back to processes */
			t->threads_view = false;
			break;
		case 'h':
		case '?':
			t->help = true;
			break;
		case 'j':
		case KEY_DOWN:
			t->sel++;
			moved = true;
			break;
		case 'k':
		case KEY_UP:
			if (t->sel > 0)
				t->sel--;
			moved = true;
			break;
		case KEY_RESIZE:
			break;
		default:
			continue;
		}
		redraw = true;
	}
	if (redraw) {
		if (moved) {
			/* moved: the row under the cursor becomes the selection */
			struct top_task **v, *groups = NULL;
			int nr = t->r.by_cgroup ?
				 top_model_cgroup_rows(t->m, t->r.sort, t->pids, t->nr_pids, 0, &groups,
						       &v) :
				 top_model_rows(t->m, t->r.sort, t->threads_view ? t->sel_pid : 0,
						t->pids, t->nr_pids, 0, &v);

			if (t->sel >= nr)
				t->sel = nr > 0 ? nr - 1 : 0;
			if (nr > 0 && t->threads_view)
				t->sel_tid = v[t->sel]->tid;
			else if (nr > 0)
				t->sel_pid = v[t->sel]->pid;
			if (nr > 0)
				t->sel_cgroup = v[t->sel]->cgroup;
			free(v);
			free(groups);
		}
		draw(t);
	}
}

static bool screen_start(struct top *t)
{
	const char *cs;

	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr)
		return false;
	set_term(t->scr);
	/* TERM=dumb and the like start, but cannot address the cursor: a blank screen */
	cs = tigetstr("cup");
	if (!cs || cs == (char *)-1) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		return false;
	}
	t->curses = true;
	atexit(restore_terminal);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_GREEN, COLOR_GREEN, -1);
		init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
		init_pair(PAIR_RED, COLOR_RED, -1);
	}
	cs = nl_langinfo(CODESET);
	t->r.utf8 = cs && !strcmp(cs, "UTF-8");
	return true;
}

static void screen_end(struct top *t)
{
	if (!t->curses)
		return;
	endwin();
	delscreen(t->scr);
	t->scr = NULL;
	t->curses = false;
}

/* ---------------- intervals ---------------- */

static void update_transport(struct top *t)
{
	struct transport_observation obs = { 0 };
	struct top_node n;

	top_model_node(t->m, &n);
	obs.valid = true;
	obs.remote_sends = n.remote_total;
	obs.remote_shootdowns = n.victim_total;
	if (t->tlb_start->present && interrupts_read_row(NULL, "TLB", t->tlb_now) &&
	    t->tlb_now->present) {
		obs.tlb_interrupts = t->tlb_now->total - t->tlb_start->total;
		obs.tlb_interrupts_valid = true;
	}
	transport_detect_with(&t->tsrc, &obs, &t->tinfo);
	t->r.transport = transport_name(t->tinfo.transport);
	t->r.victims_observable = transport_victims_observable(t->tinfo.transport);
	t->r.victims_note = transport_info_victims_note(&t->tinfo);
}

/* Stopping (q, -n) goes through t->stop like a signal: the buffers are drained first. */
static int on_tick(void *ctx, uint64_t sample_now)
{
	struct top *t = ctx;
	uint64_t now;

	if (t->curses)
		handle_keys(t);
	if (t->stop)
		return 0;
	now = now_ns();
	if (now < t->next_close_ns)
		return 0;
	top_model_close(t->m, (double)(now - t->last_close_ns) / 1e9);
	t->last_close_ns = now;
	t->next_close_ns += (uint64_t)(t->delay_s * 1e9);
	if (t->next_close_ns <= now)
		t->next_close_ns = now + (uint64_t)(t->delay_s * 1e9);
	update_transport(t);
	for (int i = 0; i < t->nr_pids; i++)
		if (pid_exists(t->pids[i]))
			top_model_track(t->m, t->pids[i]);
	if (t->curses) {
		if (!t->paused)
			draw(t);
	} else {
		char st[16];

		stamp(st, sizeof(st));
		top_print_batch(stdout, st, t->m, &t->r, t->pids, t->nr_pids, t->o.rows);
	}
	t->done_iterations++;
	if (t->o.iterations > 0 && t->done_iterations >= t->o.iterations)
		t->stop = true;
	return 0;
}

/* ---------------- set-up ---------------- */

/* -p's callback: opt->value is the struct top; pids accumulate over repeated -p. */
static int parse_pids(const struct option_def *opt, const char *s, char *err, size_t errlen)
{
	struct top *t = opt->value;
	struct strlist l;
	const char *tok;
	int i, rc = 0;

	if (strlist_split(&l, s, err, errlen) < 0) {
		snprintf(err, errlen, "top: -p needs a comma-separated list of pids (got '%s')", s);
		return -1;
	}
	strlist_for_each(&l, i, tok) {
		pid_t p, *grown;

		if (!parse_pid(tok, &p)) {
			snprintf(err, errlen, "top: bad pid '%s' in -p (a comma-separated list of "
				 "pids)", tok);
			rc = -1;
			break;
		}
		grown = realloc(t->pids, sizeof(*t->pids) * (size_t)(t->nr_pids + 1));
		if (!grown) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		t->pids = grown;
		t->pids[t->nr_pids++] = p;
	}
	strlist_free(&l);
	return rc;
}

static void sampling_attr(struct perf_event_attr *attr, int pages, bool chains)
{
	tlb_attr_sampling(attr, 0);
	if (chains)	/* kernel chains only, for the CAUSE column */
		cause_live_setup(attr);
	/*
	 * Wake the reader when a quarter of the ring is full, not at every sample: the session's
	 * tick drains the rest every TOP_TICK_NS anyway. At high rates this is most of the saving.
	 */
	attr->wakeup_events = 0;
	attr->watermark = 1;
	attr->wakeup_watermark = (uint32_t)((size_t)pages * (size_t)getpagesize() / 4);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether item i of l equals an earlier one. */
static bool listed_before(const struct strlist *l, int i)
{
	for (int j = 0; j < i; j++)
		if (!strcmp(l->items[j], l->items[i]))
			return true;
	return false;
}

static int add_events(struct top *t, int pages)
{
	struct perf_event_attr attr;
	int nr_gen = 0;

	sampling_attr(&attr, pages, t->causes != NULL);
	if (t->r.by_cgroup)
		attr.sample_type |= PERF_SAMPLE_CGROUP;
	if (tlb_events_add_live_set(&t->el, &attr) < 0)
		return EXIT_ENV;
	if (t->r.by_cgroup) {	/* the kernel's PERF_RECORD_CGROUP for cgroups made from now on */
		struct perf_event_attr *a0 = perf_evsel__attr(t->el.evsels[0].evsel);

		a0->cgroup = 1;
		t->el.evsels[0].attr = *a0;
	}
	/* a patched kernel's tlb_invalidation (patches/, in the live set where it exists) */
	t->r.lab = tfs_event_exists("tlb", "tlb_invalidation");

	if (t->o.events) {
		struct strlist l;
		struct perf_event_attr gattr;
		const char *tok;
		char err[256];
		int i;

		if (strlist_split(&l, t->o.events, err, sizeof(err)) < 0) {
			tlb_err("top: --events: %s", err);
			return EXIT_USAGE;
		}

		/* only who and where: no payload to copy or decode */
		sampling_attr(&gattr, pages, false);
		gattr.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
				    PERF_SAMPLE_CPU;
		t->gen_sample_type = gattr.sample_type;
		strlist_for_each(&l, i, tok) {
			char sys[64], name[64];

			if (nr_gen == MAX_GENERIC || !tfs_split_event(tok, sys, sizeof(sys), name,
									 sizeof(name))) {
				tlb_err("top: bad --events entry '%s' (sys:name of letters, digits and "
					"'_', at most %d)", tok, MAX_GENERIC);
				strlist_free(&l);
				return EXIT_USAGE;
			}
			if (listed_before(&l, i)) {
				/* two evsels of one event would count each sample twice */
				tlb_warn("top: --events lists %s twice; counting it once", tok);
				continue;
			}
			if (tlb_evlist_add(&t->el, tok, NULL, &gattr) < 0) {
				strlist_free(&l);
				return EXIT_ENV;
			}
			nr_gen++;
		}
		strlist_free(&l);
		t->r.generic = nr_gen > 0;
		snprintf(t->generic_names, sizeof(t->generic_names), "%s", t->o.events);
		t->r.generic_name = t->generic_names;
	}
	return EXIT_OK;
}

static void collect_generic_ids(struct top *t)
{
	for (int i = 0; i < t->el.nr_evsels; i++) {
		uint64_t *ids;
		int n;

		if (t->el.evsels[i].attr.sample_type != t->gen_sample_type || !t->r.generic)
			continue;
		n = tlb_evlist_ids(&t->el, i, &ids);
		if (n <= 0)
			continue;
		t->gen_ids = xrealloc(t->gen_ids, sizeof(*t->gen_ids) * (size_t)(t->nr_gen_ids + n));
		memcpy(t->gen_ids + t->nr_gen_ids, ids, sizeof(*ids) * (size_t)n);
		t->nr_gen_ids += n;
		free(ids);
	}
	if (t->nr_gen_ids)	/* qsort's base may not be NULL, even for 0 items (UBSan) */
		qsort(t->gen_ids, (size_t)t->nr_gen_ids, sizeof(*t->gen_ids), cmp_u64);
}

/* The options into t, checked: 0, or a parse_options() code (help or usage error, printed). */
static int top_options(int argc, char **argv, struct top *t)
{
	uint64_t delay_ns = DUR_S;
	const struct option_def opts[] = {
		OPT_SECTION(" Display"),
		OPT_DURATION('d', "delay", &delay_ns, DUR_S, 100 * DUR_MS, DUR_H,
			     "refresh every <secs> seconds (default 1; 500ms, 2s; 100ms to 1h)"),
		OPT_CALLBACK('p', "pid", t, "pids", "show only these processes (comma-separated)",
			     parse_pids),
		OPT_STR('C', "cpu", &t->o.cpus, "cpus", "watch only these CPUs (e.g. 0-3,6): the others "
			"are not opened"),
		OPT_STR('s', "sort", &t->o.sort, "keys", "rank by rate (default), remote, bytes, fanout, "
			"events; cgroup (alone or before a key): one row per cgroup"),
		OPT_INTEGER(0, "rows", &t->o.rows, "N", "show at most N processes (batch default 20; 0 = all)"),
		OPT_SECTION(" Batch mode"),
		OPT_BOOLEAN('b', "batch", &t->o.batch, "plain text snapshots on stdout (also when stdout "
			    "is not a terminal)"),
		OPT_INTEGER('n', "iterations", &t->o.iterations, "N", "stop after N refreshes (0 = run until q or ^C)"),
		OPT_SECTION(" Events and limits"),
		OPT_STR('e', "events", &t->o.events, "sys:name", "also count these tracepoints per process "
			"(comma-separated; EVENTS/s column)"),
		OPT_POW2('m', "mmap-pages", &t->o.mmap_pages, "pages", "ring buffer pages per CPU (power "
			    "of two; default 128, 512 with --events)"),
		OPT_INTEGER(0, "max-procs", &t->o.max_procs, "N", "processes tracked at most (default 4096; "
			    "threads 4x; least recently active dropped first)"),
		OPT_INTEGER(0, "age", &t->o.age, "N", "drop tasks without events for N refreshes (default 10)"),
		OPT_BOOLEAN(0, "cause", &t->o.cause, "CAUSE column: each process's top cause and its "
			    "share, from kernel call chains (the default; a warning when kernel "
			    "symbols are unreadable)"),
		OPT_BOOLEAN(0, "no-cause", &t->o.no_cause, "no CAUSE column and no call chains"),
		OPT_FINISH(),
	};
	int sort, argi = parse_options(argc, argv, opts, top_usage, false);

	if (argi < 0)
		return argi;
	t->delay_s = (double)delay_ns / 1e9;
	if (t->o.iterations < 0)
		tlb_die(EXIT_USAGE, "top: -n must not be negative");
	if (t->o.max_procs < 0 || t->o.age < 0)
		tlb_die(EXIT_USAGE, "top: --max-procs and --age must not be negative");
	if (t->o.cause && t->o.no_cause)
		tlb_die(EXIT_USAGE, "top: --cause and --no-cause together");
	t->r.sort = TOP_SORT_RATE;
	if (t->o.sort) {
		/* perf top --sort's grouping key: "cgroup" or "cgroup,KEY" */
		const char *key = t->o.sort;

		if (!strncmp(key, "cgroup", 6) && (key[6] == 0 || key[6] == ',')) {
			t->r.by_cgroup = true;
			key = key[6] ? key + 7 : "rate";
		}
		sort = top_sort_parse(key);
		if (sort < 0 || (sort == TOP_SORT_EVENTS && !t->o.events))
			tlb_die(EXIT_USAGE, "top: unknown sort key '%s' (rate, remote, bytes, fanout%s; "
				"cgroup or cgroup,KEY for one row per cgroup)", t->o.sort,
				t->o.events ? ", events" : "");
		t->r.sort = (enum top_sort)sort;
	}
	if (!t->o.batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		t->o.batch = true;
	/* the screen's library (dlopen), before any event is opened; -b needs none */
	if (!t->o.batch && dynlib_error(&curses_group))
		tlb_die(EXIT_ENV, "top: %s; -b prints plain text snapshots without it",
			dynlib_error(&curses_group));
	if (t->o.rows < 0)
		t->o.rows = t->o.batch ? 20 : 0;
	return 0;
}

/*
 * The CAUSE column: kallsyms as a table (read once: the session's decoder uses the same) and a
 * bounded cache of causes by kernel stack. Without readable kernel addresses every cause would
 * be "unknown": no column then, and one line saying why.
 */
static void cause_setup(struct top *t)
{
	char err[256];

	t->causes = cause_cache_open_live(&t->syms, 4096, err, sizeof(err));
	if (!t->causes && t->o.cause)
		tlb_warn("top: --cause: %s: no CAUSE column", err);
}

static int add_cgroup(void *ctx, uint64_t id, const char *path)
{
	cgtab_add(ctx, id, path);	/* out of memory: that cgroup shows by id */
	return 0;
}

/*
 * -s cgroup: the paths of the cgroups there are now (a walk of the hierarchy that perf_event is
 * on); later ones come in the kernel's records. EXIT_OK, or EXIT_ENV when none is mounted.
 */
static int top_cgroups(struct top *t)
{
	char mnt[4096], err[512];

	t->cg = cgtab_new(0);
	if (!t->cg) {
		tlb_err("top: out of memory");
		return EXIT_FAIL;
	}
	t->r.cg = t->cg;
	if (cgroup_mount(NULL, mnt, sizeof(mnt), err, sizeof(err)) < 0 ||
	    cgroup_walk(mnt, add_cgroup, t->cg, err, sizeof(err)) < 0) {
		tlb_err("top: -s cgroup: %s", err);
		cgtab_free(t->cg);
		return EXIT_ENV;
	}
	return EXIT_OK;
}

/* The per-interval model over the opened events (-C: the strip shows the watched CPUs only). */
static int top_model_setup(struct top *t)
{
	struct top_config cfg = { 0 };

	cfg.page_size = getpagesize();
	cfg.nr_cpus = t->el.nr_cpus;
	if (t->o.cpus) {
		t->r.cpus = t->el.cpus;
		t->r.nr_cpus = t->el.nr_cpus;
	}
	cfg.max_procs = t->o.max_procs;
	cfg.max_threads = t->o.max_procs ? 4 * t->o.max_procs : 0;
	cfg.age_intervals = t->o.age;
	cfg.read_proc_comm = true;
	cfg.causes = t->causes;
	t->r.causes = t->causes;
	t->m = top_model_new(&cfg);
	return t->m ? 0 : -1;
}

int cmd_top(int argc, char **argv)
{
	static struct top t;
	struct tlb_target target = { .system_wide = true };	/* -C: cpu_list below */
	struct session_ops ops = { 0 };
	char err[512];
	int rc, pages, argi;

	memset(&t, 0, sizeof(t));
	t.o.rows = -1;
	/*
	 * No selection yet: the first row. Not -1: exiting tasks are sampled as pid -1, and a
	 * selection of -1 stuck to that row (then 't' showed "Threads of -1").
	 */
	t.sel_pid = t.sel_tid = TOP_NO_SEL;
	argi = top_options(argc, argv, &t);
	if (argi < 0)
		return parse_options_exit(argi);
	pages = t.o.mmap_pages ? t.o.mmap_pages : t.o.events ? 512 : 128;
	if (!session_open_live || !session_run) {
		tlb_err("top: this build has no live session (tlbstat/lib/session.c)");
		return EXIT_FAIL;
	}

	if (!t.o.no_cause)
		cause_setup(&t);
	if (t.r.by_cgroup && (rc = top_cgroups(&t)) != EXIT_OK)
		return rc;
	tlb_evlist_init(&t.el);	/* also initialises libperf (page size, quiet messages) */
	rc = add_events(&t, pages);
	if (rc != EXIT_OK) {
		cgtab_free(t.cg);
		return rc;
	}
	target.cpu_list = t.o.cpus;
	if (tlb_evlist_set_target(&t.el, &target) < 0) {
		cgtab_free(t.cg);
		return EXIT_USAGE;
	}
	if (tlb_evlist_open(&t.el) < 0 || tlb_evlist_mmap(&t.el, pages) < 0) {
		tlb_evlist_close(&t.el);
		cgtab_free(t.cg);
		return EXIT_ENV;
	}
	collect_generic_ids(&t);

	if (top_model_setup(&t) < 0) {
		tlb_err("top: out of memory");
		tlb_evlist_close(&t.el);
		cgtab_free(t.cg);
		return EXIT_FAIL;
	}

	t.tlb_start = xcalloc(1, sizeof(*t.tlb_start));
	t.tlb_now = xcalloc(1, sizeof(*t.tlb_now));
	interrupts_read_row(NULL, "TLB", t.tlb_start);
	transport_detect_with(&t.tsrc, NULL, &t.tinfo);
	t.r.transport = transport_name(t.tinfo.transport);
	t.r.victims_observable = transport_victims_observable(t.tinfo.transport);
	t.r.victims_note = transport_info_victims_note(&t.tinfo);

	t.s = session_open_live(&t.el, t.syms, err, sizeof(err));
	if (!t.s) {
		tlb_err("top: %s", err);
		tlb_evlist_close(&t.el);
		return EXIT_FAIL;
	}
	the_top = &t;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	setlocale(LC_ALL, "");
	if (!t.o.batch && !screen_start(&t)) {
		tlb_warn("top: cannot start the screen (TERM=%s: no terminfo entry, or no cursor "
			 "addressing); batch mode",
			 getenv("TERM") ? getenv("TERM") : "");
		t.o.batch = true;
		if (t.o.rows == 0)
			t.o.rows = 20;
	}
	if (t.curses)
		draw(&t);

	ops.event = on_event;
	ops.comm = on_comm;
	ops.lost = on_lost;
	if (t.cg)
		ops.cgroup = on_cgroup;
	if (t.nr_gen_ids)
		ops.raw = on_raw;
	ops.tick = on_tick;
	ops.tick_ns = TOP_TICK_NS;
	t.start_ns = t.last_close_ns = now_ns();
	t.next_close_ns = t.start_ns + (uint64_t)(t.delay_s * 1e9);
	tlb_evlist_enable(&t.el);
	err[0] = 0;
	rc = session_run(t.s, &ops, &t, &t.stop, NULL, err, sizeof(err));
	tlb_evlist_disable(&t.el);
	screen_end(&t);
	if (rc)   /* a source error, or a callback's: the model ran out of memory */
		tlb_err("top: %s", err[0] ? err : "out of memory");
	if (session_errors_message(t.s, err, sizeof(err)))
		tlb_warn("top: %s", err);

	session_close(t.s);
	tlb_evlist_close(&t.el);
	top_model_free(t.m);
	cause_cache_free(t.causes);
	syms_free(t.syms);
	cgtab_free(t.cg);
	free(t.tlb_start);
	free(t.tlb_now);
	free(t.gen_ids);
	free(t.pids);
	the_top = NULL;
	return rc ? EXIT_FAIL : EXIT_OK;
}
