/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command after `--`: forked early, held until workload_start() so that counting starts at
 * its exec (perf's evlist__prepare_workload/start_workload), then polled and reaped by whoever
 * runs the loop (the session, or stat). One object per workload: no process-wide state.
 */
#ifndef TLBSTAT_WORKLOAD_H
#define TLBSTAT_WORKLOAD_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct workload {
	pid_t pid;		/* -1: none */
	int go_fd;		/* write end of the go pipe, until workload_start */
	int pidfd;		/* readable once it exited; -1 where pidfd_open is missing */
	int status;		/* wait status once reaped */
	bool exited;		/* reaped */
	int err_fd;		/* read end: the child's errno if its exec failed (CLOEXEC) */
	int exec_errno;		/* once reaped: why the exec failed, 0 if it did not */
};

/* No workload yet (pid -1): every other call is then a no-op. */
void workload_init(struct workload *w);
/* Fork argv; the child waits until workload_start(). 0, or -1 with err. */
int workload_prepare(struct workload *w, char **argv, char *err, size_t errlen);
/* Let the child exec. exec failure is reported by the child (exit 127). 0, or -1. */
int workload_start(struct workload *w);
/* Reap it if it exited, without waiting: true once it has (then workload_status is valid). */
bool workload_poll(struct workload *w);
/* Wait for its exit and reap it. */
void workload_wait(struct workload *w);
/* A descriptor that becomes readable at its exit (for a poll loop), or -1. */
int workload_fd(const struct workload *w);
/*
 * Once reaped: did the command fail to start (exec failed: a missing program, no permission)?
 * Then the child printed why, and there is nothing to report about a run (perf stat's habit).
 * A command that ran and exited 127 itself is not an exec failure.
 */
bool workload_exec_failed(const struct workload *w);
/* Its wait status once reaped, else -1. */
int workload_status(const struct workload *w);
/*
 * tlbstat's exit code for a workload that ended with wait status `status`: its own exit code,
 * EXIT_FAIL when it could not be run (127), 128+signal when killed (unless interrupted, where
 * tlbstat itself stopped it: 0).
 */
int workload_exit_code(int status, bool interrupted);
/* Kill and reap it unless it was reaped already; then workload_close. */
void workload_kill(struct workload *w, int sig);
/* Close its descriptors (a child still waiting for workload_start exits 127); no kill. */
void workload_close(struct workload *w);
#endif
