// SPDX-License-Identifier: GPL-2.0
/* Shared libraries loaded at first use (dynlib.h). */
#include "dynlib.h"
#include "util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* One library into its table: 0, or -1 with why in err (the table left zeroed). */
static int load_one(const struct dynlib *lib, const char *what, char *err, size_t errlen)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, errlen, "cannot load %s (Debian package %s), needed for %s: %s",
			 lib->soname, lib->package, what, dlerror());
		return -1;
	}
	for (size_t i = 0; i < lib->nr_syms; i++) {
		void *p = dlsym(h, lib->syms[i].name);

		if (!p) {
			snprintf(err, errlen, "%s has no %s (too old? Debian package %s), needed "
				 "for %s", lib->soname, lib->syms[i].name, lib->package, what);
			memset(lib->tab, 0, lib->tab_size);
			/* not dlclose()d: a library may not expect to be unloaded */
			return -1;
		}
		memcpy((char *)lib->tab + lib->syms[i].off, &p, sizeof(p));
	}
	return 0;
}

static bool load_group(struct dynlib_group *g)
{
	char err[sizeof(g->err)];

	for (size_t i = 0; i < g->nr_libs; i++) {
		if (!load_one(&g->libs[i], g->what, err, sizeof(err)))
			continue;
		if (g->libs[i].optional)
			continue;
		memcpy(g->err, err, sizeof(err));
		for (size_t j = 0; j < g->nr_libs; j++)
			memset(g->libs[j].tab, 0, g->libs[j].tab_size);
		return false;
	}
	return true;
}

bool dynlib_load(struct dynlib_group *g)
{
	int s = atomic_load_explicit(&g->state, memory_order_acquire);

	if (s)
		return s > 0;
	pthread_mutex_lock(&g->lock);
	s = atomic_load_explicit(&g->state, memory_order_relaxed);
	if (!s) {
		s = load_group(g) ? 1 : -1;
		if (s < 0 && g->warn)
			tlb_warn("%s", g->err);
		atomic_store_explicit(&g->state, s, memory_order_release);
	}
	pthread_mutex_unlock(&g->lock);
	return s > 0;
}

const char *dynlib_error(struct dynlib_group *g)
{
	return dynlib_load(g) ? NULL : g->err;
}
