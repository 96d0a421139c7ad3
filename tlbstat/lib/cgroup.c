// SPDX-License-Identifier: GPL-2.0
/* Cgroup ids, paths, containers and pods (cgroup.h). */
#include "cgroup.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------- paths -> containers ---------------- */

/* n hex digits at s (lower or upper case) */
static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A container id: 12 to 64 hex digits (Docker, containerd and CRI-O ids are 64). */
static bool container_id(const char *s, size_t n)
{
	return n >= 12 && n <= 64 && all_hex(s, n);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n >= l && !memcmp(s + n - l, suffix, l);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);

	return n >= l && !memcmp(s, prefix, l);
}

static void set(char *dst, size_t room, const char *s, size_t n)
{
	if (n >= room)
		n = room - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* A pod uid: 36 characters of hex and separators ('-', or '_' under systemd, made '-'). */
static bool pod_uid(const char *s, size_t n, char out[37])
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? s[i] != '-' && s[i] != '_' : !isxdigit((unsigned char)s[i]))
			return false;
		out[i] = sep ? '-' : s[i];
	}
	out[36] = 0;
	return true;
}

/* A systemd scope <prefix><id>.scope: the container id into ci. */
static bool scope_of(const char *c, size_t n, const char *prefix, const char *runtime,
		     struct cgroup_info *ci)
{
	size_t p = strlen(prefix);

	if (!starts_with(c, n, prefix) || !ends_with(c, n, ".scope") ||
	    !container_id(c + p, n - p - 6))
		return false;
	set(ci->container, sizeof(ci->container), c + p, n - p - 6);
	set(ci->runtime, sizeof(ci->runtime), runtime, strlen(runtime));
	return true;
}

void cgroup_parse(const char *path, struct cgroup_info *ci)
{
	const char *c = path;
	bool kube = false, docker_dir = false;

	memset(ci, 0, sizeof(*ci));
	while (*c) {
		size_t n;

		while (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (!n)
			break;
		if (starts_with(c, n, "kubepods"))
			kube = true;
		/* systemd driver: kubepods-burstable-pod<uid>.slice, '_' for '-' */
		if (kube && ends_with(c, n, ".slice")) {
			const char *p = NULL;

			for (size_t i = 0; i + 3 < n; i++)
				if (!memcmp(c + i, "-pod", 4))
					p = c + i + 4;
			if (p)
				pod_uid(p, (size_t)(c + n - 6 - p), ci->pod);
		}
		/* cgroupfs driver: /kubepods/<qos>/pod<uid>/<container> */
		if (kube && starts_with(c, n, "pod"))
			pod_uid(c + 3, n - 3, ci->pod);
		if (scope_of(c, n, "docker-", "docker", ci) ||
		    scope_of(c, n, "cri-containerd-", "containerd", ci) ||
		    scope_of(c, n, "crio-", "crio", ci) || scope_of(c, n, "libpod-", "podman", ci)) {
			/* a runtime's scope */
		} else if ((docker_dir || (kube && ci->pod[0])) && container_id(c, n)) {
			/* cgroupfs driver: /docker/<id>, /kubepods/.../pod<uid>/<id> */
			set(ci->container, sizeof(ci->container), c, n);
			set(ci->runtime, sizeof(ci->runtime), docker_dir ? "docker" : "",
			    docker_dir ? 6 : 0);
		}
		docker_dir = n == 6 && !memcmp(c, "docker", 6);
		if (ends_with(c, n, ".service") || ends_with(c, n, ".scope") ||
		    ends_with(c, n, ".socket") || ends_with(c, n, ".mount") ||
		    ends_with(c, n, ".swap"))
			set(ci->unit, sizeof(ci->unit), c, n);
		c += n;
	}
}

const char *cgroup_label(const char *path, char *buf, size_t room)
{
	size_t n = strlen(path);

	if (n < room) {
		memcpy(buf, path, n + 1);
		return buf;
	}
	memcpy(buf, "...", 3);
	memcpy(buf + 3, path + n - (room - 4), room - 4);
	buf[room - 1] = 0;
	return buf;
}

/* ---------------- ids -> paths ---------------- */

struct cgent {
	uint64_t id;
	char *path;
	int next;                /* hash chain */
};

struct cgtab {
	struct cgent *v;         /* [max], filled in order; then the oldest is reused */
	int *buckets;
	unsigned mask;
	int max, n, oldest;
	uint64_t evicted;
};

struct cgtab *cgtab_new(int max)
{
	struct cgtab *t = calloc(1, sizeof(*t));
	unsigned nb = 16;

	if (!t)
		return NULL;
	t->max = max > 0 ? max : 16384;
	while (nb < (unsigned)t->max * 2)
		nb <<= 1;
	t->v = calloc((size_t)t->max, sizeof(*t->v));
	t->buckets = malloc(sizeof(*t->buckets) * nb);
	if (!t->v || !t->buckets) {
		cgtab_free(t);
		return NULL;
	}
	for (unsigned i = 0; i < nb; i++)
		t->buckets[i] = -1;
	t->mask = nb - 1;
	return t;
}

void cgtab_free(struct cgtab *t)
{
	if (!t)
		return;
	for (int i = 0; t->v && i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	free(t->buckets);
	free(t);
}

static unsigned bucket(const struct cgtab *t, uint64_t id)
{
	uint64_t x = id * 0x9E3779B97F4A7C15ULL;

	return (unsigned)(x >> 32 ^ x) & t->mask;
}

static int find(const struct cgtab *t, uint64_t id)
{
	for (int i = t->buckets[bucket(t, id)]; i >= 0; i = t->v[i].next)
		if (t->v[i].id == id)
			return i;
	return -1;
}

static void unlink_entry(struct cgtab *t, int i)
{
	int *pp = &t->buckets[bucket(t, t->v[i].id)];

	while (*pp >= 0 && *pp != i)
		pp = &t->v[*pp].next;
	if (*pp == i)
		*pp = t->v[i].next;
}

int cgtab_add(struct cgtab *t, uint64_t id, const char *path)
{
	char *p = strndup(path, CGROUP_PATH_MAX - 1);
	int i = find(t, id);
	unsigned b;

	if (!p)
		return -1;
	if (i >= 0) {
		free(t->v[i].path);
		t->v[i].path = p;
		return 0;
	}
	if (t->n < t->max) {
		i = t->n++;
	} else {	/* full: the oldest entry goes */
		i = t->oldest;
		t->oldest = (t->oldest + 1) % t->max;
		unlink_entry(t, i);
		free(t->v[i].path);
		t->evicted++;
	}
	b = bucket(t, id);
	t->v[i] = (struct cgent){ id, p, t->buckets[b] };
	t->buckets[b] = i;
	return 0;
}

const char *cgtab_path(const struct cgtab *t, uint64_t id)
{
	int i = t ? find(t, id) : -1;

	return i >= 0 ? t->v[i].path : NULL;
}

int cgtab_count(const struct cgtab *t)
{
	return t->n;
}

uint64_t cgtab_evicted(const struct cgtab *t)
{
	return t->evicted;
}

const char *cgtab_name(const struct cgtab *t, uint64_t id)
{
	const char *p;

	if (!id)
		return "N/A";
	p = cgtab_path(t, id);
	return p ? p : "unknown";
}

/* ---------------- the hierarchy ---------------- */

/* mountinfo's octal escapes (\040 a space) undone in place */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* Is word one of the comma list's items? */
static bool has_opt(const char *list, const char *word)
{
	size_t l = strlen(word);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, word, l) && (p[l] == ',' || p[l] == 0 || p[l] == '\n'))
			return true;
	return false;
}

int cgroup_mount(const char *mountinfo, char *buf, size_t len, char *err, size_t errlen)
{
	char *text = read_file(mountinfo ? mountinfo : "/proc/self/mountinfo", NULL);
	char *line, *save = NULL, v2[4096] = "", v1[4096] = "";

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", mountinfo ? mountinfo :
			 "/proc/self/mountinfo", strerror(errno));
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
		char *sep = strstr(line, " - "), mnt[4096], fstype[64], super[1024] = "";

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, super) < 1)
			continue;
		unescape(mnt);
		if (!strcmp(fstype, "cgroup2") && !v2[0])
			snprintf(v2, sizeof(v2), "%s", mnt);
		else if (!strcmp(fstype, "cgroup") && has_opt(super, "perf_event") && !v1[0])
			snprintf(v1, sizeof(v1), "%s", mnt);
	}
	free(text);
	if (!v1[0] && !v2[0]) {
		snprintf(err, errlen, "no cgroup2 (or cgroup v1 perf_event) hierarchy is mounted");
		return -1;
	}
	snprintf(buf, len, "%s", v1[0] ? v1 : v2);
	return 0;
}

int cgroup_id_of(const char *dir, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t room[2];	/* cgroupfs: one u64 (the kernfs id) */
	} h;
	int mount_id;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = sizeof(h.room);
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0) < 0)
		return -1;
	if (h.fh.handle_bytes < sizeof(uint64_t)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

struct walk {
	int (*cb)(void *ctx, uint64_t id, const char *path);
	void *ctx;
	char path[CGROUP_PATH_MAX];	/* mount + relative path */
	size_t mount_len;
};

static int walk_dir(struct walk *w, size_t len, int depth)
{
	DIR *d;
	struct dirent *e;
	uint64_t id;
	int rc;

	if (cgroup_id_of(w->path, &id) < 0)
		return 0;	/* gone meanwhile */
	rc = w->cb(w->ctx, id, len > w->mount_len ? w->path + w->mount_len : "/");
	if (rc || depth >= 64)
		return rc;
	d = opendir(w->path);
	if (!d)
		return 0;
	while (!rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' || len + 1 + n >= sizeof(w->path))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, e->d_name, n + 1);
		if (e->d_type == DT_UNKNOWN && (lstat(w->path, &st) < 0 || !S_ISDIR(st.st_mode))) {
			w->path[len] = 0;
			continue;
		}
		rc = walk_dir(w, len + 1 + n, depth + 1);
		w->path[len] = 0;
	}
	closedir(d);
	return rc;
}

int cgroup_walk(const char *mount, int (*cb)(void *ctx, uint64_t id, const char *path),
		void *ctx, char *err, size_t errlen)
{
	struct walk *w = calloc(1, sizeof(*w));
	uint64_t id;
	size_t n = strlen(mount);
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (n > 1 && mount[n - 1] == '/')
		n--;
	if (n >= sizeof(w->path) / 2) {
		snprintf(err, errlen, "%s: path too long", mount);
		free(w);
		return -1;
	}
	memcpy(w->path, mount, n);
	w->path[n] = 0;
	if (cgroup_id_of(w->path, &id) < 0) {
		snprintf(err, errlen, "%s: no cgroup id (name_to_handle_at: %s)", w->path,
			 strerror(errno));
		free(w);
		return -1;
	}
	w->cb = cb;
	w->ctx = ctx;
	w->mount_len = n;
	rc = walk_dir(w, n, 0);
	free(w);
	return rc;
}
