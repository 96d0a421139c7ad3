/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroups for attribution (record --all-cgroups, report --sort cgroup, top -s cgroup, exporter
 * --by cgroup): the cgroup id a sample carries (PERF_SAMPLE_CGROUP: the id of the task's cgroup
 * in the hierarchy the perf_event controller is on, cgroup v2 unless a v1 perf_event hierarchy
 * is mounted) resolved to its path, and the path to the container or pod it belongs to.
 *
 *  - ids -> paths: a bounded table (cgtab) filled from PERF_RECORD_CGROUP records, the kernel's
 *    for cgroups made while recording (attr.cgroup) and the ones synthesised at the start by
 *    walking the hierarchy (cgroup_walk: each directory's id from name_to_handle_at, which on
 *    cgroupfs is the kernfs id the kernel puts in samples: what perf's synthetic cgroup events do).
 *  - paths -> containers (cgroup_parse): the runtimes' conventions, Docker (cgroupfs driver
 *    /docker/<64hex>, systemd driver docker-<64hex>.scope), containerd (cri-containerd-<id>.scope,
 *    /kubepods/.../<64hex>), CRI-O (crio-<id>.scope, crio-conmon-<id>.scope), Podman
 *    (libpod-<id>.scope); Kubernetes pods (kubepods[-qos]-pod<uid>.slice with '_' for '-' under
 *    the systemd driver, /kubepods[/qos]/pod<uid>/ under cgroupfs); systemd units
 *    (system.slice/foo.service, user.slice/.../session-3.scope).
 *
 * The library part only: no printing, no exits; errors come back in the caller's buffer.
 */
#ifndef TLBSTAT_CGROUP_H
#define TLBSTAT_CGROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP_PATH_MAX 4096

/* ---------------- paths -> containers ---------------- */

struct cgroup_info {
	char runtime[16];          /* "docker", "containerd", "crio", "podman", "" */
	char container[65];        /* the container id (hex), "" when the path names none */
	char pod[37];              /* the Kubernetes pod uid (with '-'), "" when none */
	char unit[128];            /* the innermost systemd unit (foo.service, x.scope), "" none */
};

/* What path (a cgroup path, "/" the root) says of its container, pod and unit. */
void cgroup_parse(const char *path, struct cgroup_info *ci);

/*
 * A label for a path that fits in room (room >= 16): the path itself, or "..." and its last
 * room - 4 bytes (the end names the container). Returns buf.
 */
const char *cgroup_label(const char *path, char *buf, size_t room);

/* ---------------- ids -> paths ---------------- */

struct cgtab;

/* At most max entries (0: 16384); the oldest entry goes when full. NULL: out of memory. */
struct cgtab *cgtab_new(int max);
void cgtab_free(struct cgtab *t);
/* id -> path (a known id takes the new path). 0, or -1 out of memory (the table is unchanged). */
int cgtab_add(struct cgtab *t, uint64_t id, const char *path);
/* The path of id, NULL when unknown. Valid until the next cgtab_add. */
const char *cgtab_path(const struct cgtab *t, uint64_t id);
int cgtab_count(const struct cgtab *t);
/* Entries dropped because the table was full. */
uint64_t cgtab_evicted(const struct cgtab *t);

/*
 * perf's name for an id, as perf report --sort cgroup prints it: "N/A" for 0 (the sample carried
 * none), the path when known, "unknown" otherwise.
 */
const char *cgtab_name(const struct cgtab *t, uint64_t id);

/* ---------------- the hierarchy ---------------- */

/*
 * The mount point of the hierarchy that PERF_SAMPLE_CGROUP ids come from, as perf finds it: a
 * cgroup v1 mount with the perf_event controller, else the cgroup2 mount, from mountinfo
 * (NULL: /proc/self/mountinfo). 0, or -1 with err (none mounted).
 */
int cgroup_mount(const char *mountinfo, char *buf, size_t len, char *err, size_t errlen);

/* The cgroupfs id of a directory (name_to_handle_at). 0, or -1 with errno. */
int cgroup_id_of(const char *dir, uint64_t *id);

/*
 * Every cgroup under mount (the root "/" first, then depth first), each as cb(ctx, id, path)
 * with path relative to mount ("/a/b"). A directory that goes away meanwhile is skipped; at
 * most 64 levels deep. Returns 0, cb's non-zero value, or -1 with err (the mount is
 * not a cgroupfs: no handle).
 */
int cgroup_walk(const char *mount, int (*cb)(void *ctx, uint64_t id, const char *path),
		void *ctx, char *err, size_t errlen);
#endif
