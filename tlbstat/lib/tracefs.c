#include "tracefs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

static char tdir[256];
static char terr[512];

/* 1: a readable tracefs; 0: none there; -1: mounted but not readable by this user. */
static int is_tracefs(const char *path)
{
	struct statfs sfs;
	char ev[300];
	snprintf(ev, sizeof(ev), "%s/events", path);
	if (access(ev, R_OK | X_OK) == 0)
		return 1;
	if (errno == EACCES || errno == EPERM)
		return -1;
	if (statfs(path, &sfs) == 0 && sfs.f_type == TRACEFS_MAGIC)
		return -1;	/* mounted, yet events/ is not there for us */
	return 0;
}

const char *tfs_dir(void)
{
	static const char *const cands[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	const char *env = getenv("TLBSTAT_TRACEFS");

	if (tdir[0])
		return tdir;
	if (env && *env) {
		if (access(env, R_OK) == 0) {
			snprintf(tdir, sizeof(tdir), "%s", env);
			return tdir;
		}
		snprintf(terr, sizeof(terr), "TLBSTAT_TRACEFS=%s is not readable", env);
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		int t = is_tracefs(cands[i]);
		if (t > 0) {
			snprintf(tdir, sizeof(tdir), "%s", cands[i]);
			return tdir;
		}
		if (t < 0) {
			snprintf(terr, sizeof(terr),
				 "tracefs at %s is not readable by this user: run as root (or give "
				 "CAP_PERFMON and make tracefs readable, e.g. mount it with "
				 "'-o mode=755')", cands[i]);
			return NULL;
		}
	}
	/* Not mounted: try to mount it ourselves (root only). */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    is_tracefs("/sys/kernel/tracing") > 0) {
		snprintf(tdir, sizeof(tdir), "/sys/kernel/tracing");
		return tdir;
	}
	if (errno == EPERM || errno == EACCES)
		snprintf(terr, sizeof(terr),
			 "tracefs is not mounted and mounting it needs root: "
			 "run as root, or 'mount -t tracefs nodev /sys/kernel/tracing'");
	else if (errno == ENODEV)
		snprintf(terr, sizeof(terr),
			 "this kernel has no tracefs (CONFIG_TRACING off): tracepoints cannot be read");
	else
		snprintf(terr, sizeof(terr),
			 "tracefs is not mounted and could not be mounted at /sys/kernel/tracing (%s): "
			 "'mount -t tracefs nodev /sys/kernel/tracing'", strerror(errno));
	return NULL;
}

const char *tfs_error(void)
{
	return terr[0] ? terr : "tracefs not found";
}

char *tfs_read(const char *relpath, size_t *len)
{
	const char *d = tfs_dir();
	char path[512];
	if (!d)
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

char *tfs_list_events(const char *sys)
{
	const char *d = tfs_dir();
	char path[512];
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, len = 1;
	char *out;

	if (!d)
		return xstrdup("");
	snprintf(path, sizeof(path), "%s/events/%s", d, sys);
	dir = opendir(path);
	if (!dir)
		return xstrdup("");
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "enable") ||
		    !strcmp(de->d_name, "filter"))
			continue;
		names = xrealloc(names, sizeof(*names) * (n + 1));
		names[n++] = xstrdup(de->d_name);
		len += strlen(sys) + strlen(de->d_name) + 2;
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp_str);
	out = xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, sys);
		strcat(out, ":");
		strcat(out, names[i]);
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

bool tfs_split_event(const char *spec, char *sys, size_t syslen, char *name, size_t namelen)
{
	const char *c = strchr(spec, ':');
	if (!c || c == spec || !c[1] || strchr(c + 1, ':') || (size_t)(c - spec) >= syslen ||
	    strlen(c + 1) >= namelen)
		return false;
	memcpy(sys, spec, (size_t)(c - spec));
	sys[c - spec] = '\0';
	strcpy(name, c + 1);
	return true;
}
