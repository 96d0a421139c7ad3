// SPDX-License-Identifier: GPL-2.0
#include "tracefs.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

/* 1: a readable tracefs; 0: none there; -1: mounted but not readable by this user. */
static int is_tracefs(const char *path)
{
	struct statfs sfs;
	char ev[300];
	snprintf(ev, sizeof(ev), "%s/events", path);
	/* effective ids and capabilities (CAP_DAC_READ_SEARCH), as the reads that follow use */
	if (faccessat(AT_FDCWD, ev, R_OK | X_OK, AT_EACCESS) == 0)
		return 1;
	if (errno == EACCES || errno == EPERM)
		return -1;
	if (statfs(path, &sfs) == 0 && sfs.f_type == TRACEFS_MAGIC)
		return -1;	/* mounted, yet events/ is not there for us */
	return 0;
}

/* snprintf into a buffer the caller may have left out (NULL, 0) */
static void __attribute__((format(printf, 3, 4))) say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Not mounted: mount it ourselves (root only); 0, or -1 with why in err. */
static int mount_tracefs(char *dir, size_t dirlen, char *err, size_t errlen)
{
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    is_tracefs("/sys/kernel/tracing") > 0) {
		say(dir, dirlen, "/sys/kernel/tracing");
		return 0;
	}
	if (errno == EPERM || errno == EACCES)
		say(err, errlen,
		    "tracefs is not mounted and mounting it needs root: "
		    "run as root, or 'mount -t tracefs nodev /sys/kernel/tracing'");
	else if (errno == ENODEV)
		say(err, errlen,
		    "this kernel has no tracefs (CONFIG_TRACING off): tracepoints cannot be read");
	else
		say(err, errlen,
		    "tracefs is not mounted and could not be mounted at /sys/kernel/tracing (%s): "
		    "'mount -t tracefs nodev /sys/kernel/tracing'", strerror(errno));
	return -1;
}

/*
 * Looked up on every call, not cached: a few access() calls, and no process-wide state (the
 * library has none). The first call mounts tracefs when needed; later ones then find it.
 */
int tfs_locate(char *dir, size_t dirlen, char *err, size_t errlen)
{
	static const char *const cands[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *env = getenv("TLBSTAT_TRACEFS");

	if (env && *env) {
		if (access(env, R_OK) == 0) {
			say(dir, dirlen, "%s", env);
			return 0;
		}
		say(err, errlen, "TLBSTAT_TRACEFS=%s is not readable", env);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		int t = is_tracefs(cands[i]);
		if (t > 0) {
			say(dir, dirlen, "%s", cands[i]);
			return 0;
		}
		if (t < 0) {
			say(err, errlen,
			    "tracefs at %s is not readable by this user: run as root (or give "
			    "CAP_PERFMON and make tracefs readable, e.g. mount it with "
			    "'-o mode=755')", cands[i]);
			return -1;
		}
	}
	return mount_tracefs(dir, dirlen, err, errlen);
}

char *tfs_read(const char *relpath, size_t *len)
{
	char d[256], path[512];

	if (tfs_locate(d, sizeof(d), NULL, 0) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", d, relpath);
	return read_file(path, len);
}

char *tfs_event_format(const char *sys, const char *name, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "events/%s/%s/format", sys, name);
	return tfs_read(rel, len);
}

int tfs_event_id(const char *sys, const char *name)
{
	char rel[256];
	char *s, *end;
	long id;
	snprintf(rel, sizeof(rel), "events/%s/%s/id", sys, name);
	s = tfs_read(rel, NULL);
	if (!s) {
		/* Some setups hide id files; the format has the id too. */
		char *fmt = tfs_event_format(sys, name, NULL);
		int fid = fmt ? tfs_format_id(fmt) : -1;
		free(fmt);
		return fid;
	}
	id = strtol(s, &end, 10);
	if (end == s)
		id = -1;
	free(s);
	return (int)id;
}

bool tfs_event_exists(const char *sys, const char *name)
{
	return tfs_event_id(sys, name) >= 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The event names of <tracefs>/events/<sys>, sorted; count, or -1 when out of memory. */
static int event_names(const char *sys, char ***names, size_t *len)
{
	char d[256], path[512];
	DIR *dir;
	struct dirent *de;
	size_t n = 0;

	*names = NULL;
	if (tfs_locate(d, sizeof(d), NULL, 0) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/events/%s", d, sys);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char **grown;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "enable") ||
		    !strcmp(de->d_name, "filter"))
			continue;
		grown = realloc(*names, sizeof(**names) * (n + 1));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			*names = grown ? grown : *names;
			while (n)
				free((*names)[--n]);
			free(*names);
			*names = NULL;
			closedir(dir);
			return -1;
		}
		*names = grown;
		*len += strlen(sys) + strlen(de->d_name) + 2;
		n++;
	}
	closedir(dir);
	qsort(*names, n, sizeof(**names), cmp_str);
	return (int)n;
}

char *tfs_list_events(const char *sys)
{
	char **names, *out;
	size_t len = 1;
	int n = event_names(sys, &names, &len);

	out = n >= 0 ? malloc(len) : NULL;
	if (out)
		out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (out) {
			if (i)
				strcat(out, " ");
			strcat(out, sys);
			strcat(out, ":");
			strcat(out, names[i]);
		}
		free(names[i]);
	}
	free(names);
	return out;
}

int tfs_format_id(const char *text)
{
	const char *p = strstr(text, "\nID:");
	if (!p && !strncmp(text, "ID:", 3))
		p = text - 1;
	if (!p)
		return -1;
	return atoi(p + 4);
}

bool tfs_format_field(const char *text, const char *field, int *offset, int *size,
			  bool *is_signed)
{
	const char *p = text;
	size_t fl = strlen(field);
	while ((p = strstr(p, "field:"))) {
		const char *semi = strchr(p, ';');
		const char *name_end = semi;
		const char *name;
		if (!semi)
			return false;
		/* the field name is the last identifier before ';' (arrays: before '[') */
		for (const char *q = p; q < semi; q++)
			if (*q == '[') {
				name_end = q;
				break;
			}
		name = name_end;
		while (name > p && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
				    (name[-1] >= 'A' && name[-1] <= 'Z') ||
				    (name[-1] >= '0' && name[-1] <= '9')))
			name--;
		if ((size_t)(name_end - name) == fl && !strncmp(name, field, fl)) {
			const char *o = strstr(semi, "offset:");
			const char *s = strstr(semi, "size:");
			const char *sg = strstr(semi, "signed:");
			if (!o || !s || !sg)
				return false;
			if (offset)
				*offset = atoi(o + 7);
			if (size)
				*size = atoi(s + 5);
			if (is_signed)
				*is_signed = atoi(sg + 7) != 0;
			return true;
		}
		p = semi;
	}
	return false;
}

bool tfs_valid_name(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

bool tfs_split_event(const char *spec, char *sys, size_t syslen, char *name, size_t namelen)
{
	const char *c = strchr(spec, ':');
	size_t n;

	if (!c)
		return false;
	n = (size_t)(c - spec);
	/* both halves become path components under events/: "..", "/" or "*" must never get there */
	if (!tfs_valid_name(spec, n) || !tfs_valid_name(c + 1, strlen(c + 1)) || n >= syslen ||
	    strlen(c + 1) >= namelen)
		return false;
	memcpy(sys, spec, n);
	sys[n] = '\0';
	strcpy(name, c + 1);
	return true;
}
