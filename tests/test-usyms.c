// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of usyms.c: mappings replaced where they overlap and inherited on fork; this test
 * program's own functions named from its mappings (/proc/self/maps) and its ELF symbols.
 */
#include "usyms.h"
#include "tap.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) int usyms_test_marker(int x)
{
	return x * 3 + 1;
}

/* Every executable mapping of this process into u as pid 1. */
static int load_self(struct usyms *u)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e, off;
		char perms[5], path[4000] = "";

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %3999s", &s, &e,
			   perms, &off, path) >= 4 && perms[2] == 'x')
			n += usym_mmap(u, 1, s, e - s, off, path) == 0;
	}
	fclose(f);
	return n;
}

static void self(void)
{
	struct usyms *u = usym_new(NULL);
	const char *dso, *name;
	uint64_t ip = (uint64_t)(uintptr_t)&usyms_test_marker + 2;

	ok(load_self(u) > 0, "this process's executable mappings");
	name = usym_resolve(u, 1, ip, &dso);
	ok(dso && strstr(dso, "test-usyms"), "the object is the test binary (%s)", dso ? dso : "-");
	if (usym_available())
		is_str(name, "usyms_test_marker", "its own function, by its ELF symbols");
	else
		ok(name == NULL, "# built without libelf: no name");
	name = usym_resolve(u, 1, (uint64_t)(uintptr_t)&usyms_test_marker + 2, &dso);
	ok(!usym_available() || (name && !strcmp(name, "usyms_test_marker")), "again, from the cache");
	ok(usym_resolve(u, 2, ip, &dso) == NULL && dso == NULL, "another pid: nothing");
	is_int(usym_fork(u, 1, 2), 0, "fork");
	usym_resolve(u, 2, ip, &dso);
	ok(dso && strstr(dso, "test-usyms"), "the child inherits the mappings");
	usym_free(u);
}

static void overlaps(void)
{
	struct usyms *u = usym_new(NULL);
	const char *dso;

	usym_mmap(u, 5, 0x1000, 0x3000, 0, "/a");
	usym_mmap(u, 5, 0x2000, 0x1000, 0, "/b");	/* into the middle of /a */
	usym_resolve(u, 5, 0x1800, &dso);
	is_str(dso, "/a", "below the hole: /a");
	usym_resolve(u, 5, 0x2800, &dso);
	is_str(dso, "/b", "the hole: /b");
	usym_resolve(u, 5, 0x3800, &dso);
	is_str(dso, "/a", "above the hole: /a again");
	usym_mmap(u, 5, 0x0, 0x5000, 0, "/c");		/* over everything */
	usym_resolve(u, 5, 0x2800, &dso);
	is_str(dso, "/c", "replaced whole: /c");
	usym_resolve(u, 5, 0x9000, &dso);
	ok(dso == NULL, "outside every mapping: nothing");
	usym_free(u);
}

/*
 * C++ names demangled as perf prints them (libstdc++'s demangler, loaded at the first object
 * with C++ names): libstdc++ itself, loaded here, named at std::terminate's address.
 */
static void cplusplus(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	void *f = h ? dlsym(h, "_ZSt9terminatev") : NULL;
	struct usyms *u;
	const char *dso, *name;

	if (!f || !usym_available()) {
		ok(1, "# SKIP no libstdc++.so.6 or no libelf");
		if (h)
			dlclose(h);
		return;
	}
	u = usym_new(NULL);
	load_self(u);
	name = usym_resolve(u, 1, (uint64_t)(uintptr_t)f + 1, &dso);
	ok(dso && strstr(dso, "libstdc++"), "the object is libstdc++ (%s)", dso ? dso : "-");
	is_str(name, "std::terminate", "_ZSt9terminatev demangled, without its parameters");
	usym_free(u);
	dlclose(h);
}

int main(void)
{
	self();
	overlaps();
	cplusplus();
	return done_testing();
}
