/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared libraries loaded at their first use (dlopen), not linked: the rule for every library
 * that only some commands need (libelf, libdw, zlib and libdeflate for user frames; ncurses for
 * top's screen; libmicrohttpd and libcrypt for the exporter). Linked, each is mapped, relocated
 * and initialised at every start, report's and stat's too: about 2 ms of the 4 ms tlbstat
 * --version took with them all (Documentation/design.md, "Libraries loaded at first use").
 *
 * A user keeps one X-macro list per library naming its functions (and data symbols), and from
 * it a table of pointers, the name table dlsym fills it from, and, after the library's own
 * headers, one #define per name that calls through the table, so that call sites read as plain
 * calls:
 *
 *	#define ZLIB_SYMS(X) X(crc32_z) X(uncompress)
 *	static struct zlib_tab { ZLIB_SYMS(DYNLIB_PTR) } zlib_tab;
 *	#define ZLIB_SYM(f) DYNLIB_SYM(struct zlib_tab, f)
 *	static const struct dynlib_sym zlib_syms[] = { ZLIB_SYMS(ZLIB_SYM) };
 *	#define crc32_z (*zlib_tab.crc32_z)
 *
 * A data symbol works the same way: "#define stdscr (*curses_tab.stdscr)" makes curses.h's
 * macros (getch() is wgetch(stdscr)) read it through the table. A name the list has and the
 * #defines lack is a link error of the tlbstat binary, which links none of these libraries.
 */
#ifndef TLBSTAT_DYNLIB_H
#define TLBSTAT_DYNLIB_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* An X-macro list's member of the table, and its entry in the name table. */
#define DYNLIB_PTR(f) __typeof__(f) *f;
#define DYNLIB_SYM(tab_type, f) { #f, offsetof(tab_type, f) },

struct dynlib_sym {
	const char *name;
	size_t off;                   /* where its address goes in the table */
};

/* One shared object and the symbols taken from it. */
struct dynlib {
	const char *soname;           /* "libdw.so.1": the ABI the headers were compiled against */
	const char *package;          /* its Debian package, for the message: "libdw1" */
	void *tab;                    /* the table: every pointer set, or all NULL */
	size_t tab_size;
	const struct dynlib_sym *syms;
	size_t nr_syms;
	bool optional;                /* the group loads without it (its table stays NULL) */
};

/*
 * Libraries loaded together, once per process, the first time something needs them (any
 * thread). A failure is final: the caller carries on without the feature.
 */
struct dynlib_group {
	const char *what;             /* what needs them, for the message: "user symbols" */
	const struct dynlib *libs;
	size_t nr_libs;
	bool warn;                    /* say a failure once (tlb_warn); else only dynlib_error() */
	pthread_mutex_t lock;
	atomic_int state;             /* 0 not tried, 1 loaded, -1 failed */
	char err[512];
};

#define DYNLIB_LIB(so, pkg, table, names, opt) \
	{ .soname = (so), .package = (pkg), .tab = &(table), .tab_size = sizeof(table), \
	  .syms = (names), .nr_syms = sizeof(names) / sizeof((names)[0]), .optional = (opt) }
#define DYNLIB_GROUP(desc, list, say) \
	{ .what = (desc), .libs = (list), .nr_libs = sizeof(list) / sizeof((list)[0]), \
	  .warn = (say), .lock = PTHREAD_MUTEX_INITIALIZER }

/*
 * Load g's libraries (the first call; later ones answer what it did). true when every library
 * that is not optional is loaded with all its symbols; false leaves their tables all NULL and
 * the reason in dynlib_error(): the soname, its Debian package, what needs it and dlerror().
 */
bool dynlib_load(struct dynlib_group *g);
/* NULL when g is loaded (it is loaded first), else why not. */
const char *dynlib_error(struct dynlib_group *g);
/* Whether lib's table is filled (an optional library may be missing from a loaded group). */
static inline bool dynlib_loaded(const struct dynlib *lib)
{
	return lib->nr_syms && *(void *const *)((const char *)lib->tab + lib->syms[0].off);
}
#endif
