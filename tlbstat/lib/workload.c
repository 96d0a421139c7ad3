// SPDX-License-Identifier: GPL-2.0
#include "workload.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void workload_init(struct workload *w)
{
	*w = (struct workload){ .pid = -1, .go_fd = -1, .pidfd = -1, .status = -1, .err_fd = -1 };
}

/* The child: default signals, wait for the go byte, exec. Never returns. */
static void child_run(int go_fd, int err_fd, char **argv)
{
	char c;
	int e;

	/* default signal dispositions in the workload, like a shell would give it */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (read(go_fd, &c, 1) != 1)
		_exit(127);   /* the parent gave up before starting us */
	execvp(argv[0], argv);
	e = errno;
	/* err_fd closes on a successful exec: the parent reads EOF then, our errno otherwise */
	if (write(err_fd, &e, sizeof(e)) != sizeof(e))
		e = errno;
	errno = e;
	fprintf(stderr, "tlbstat: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

int workload_prepare(struct workload *w, char **argv, char *err, size_t errlen)
{
	int go[2], ef[2];

	workload_init(w);
	if (pipe2(go, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ef, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		close_pair(go);
		return -1;
	}
	w->pid = fork();
	if (w->pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		close_pair(go);
		close_pair(ef);
		return -1;
	}
	if (w->pid == 0) {
		close(go[1]);
		close(ef[0]);
		child_run(go[0], ef[1], argv);
	}
	close(go[0]);
	close(ef[1]);
	w->go_fd = go[1];
	w->err_fd = ef[0];
#ifdef SYS_pidfd_open
	/* Linux 5.3+; without it the loop notices the exit at its next timeout */
	w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	if (w->pidfd >= 0)
		fcntl(w->pidfd, F_SETFD, FD_CLOEXEC);
	else
		w->pidfd = -1;
#endif
	return 0;
}

int workload_start(struct workload *w)
{
	int r = -1;

	if (w->go_fd >= 0) {
		r = write(w->go_fd, "g", 1) == 1 ? 0 : -1;
		close(w->go_fd);
		w->go_fd = -1;
	}
	return r;
}

/* Reaped: the child's errno if its exec failed (its write end is closed by now either way). */
static void reaped(struct workload *w, int status)
{
	int e;

	w->exited = true;
	w->status = status;
	if (w->err_fd >= 0 && read(w->err_fd, &e, sizeof(e)) == sizeof(e))
		w->exec_errno = e ? e : ENOEXEC;
}

bool workload_poll(struct workload *w)
{
	int status;

	if (w->pid <= 0 || w->exited)
		return w->exited;
	if (waitpid(w->pid, &status, WNOHANG) == w->pid)
		reaped(w, status);
	return w->exited;
}

void workload_wait(struct workload *w)
{
	int status;

	if (w->pid <= 0 || w->exited)
		return;
	while (waitpid(w->pid, &status, 0) < 0)
		if (errno != EINTR)
			return;
	reaped(w, status);
}

int workload_fd(const struct workload *w) { return w->exited ? -1 : w->pidfd; }
int workload_status(const struct workload *w) { return w->exited ? w->status : -1; }
bool workload_exec_failed(const struct workload *w) { return w->exited && w->exec_errno; }

int workload_exit_code(int status, bool interrupted)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? EXIT_FAIL : WEXITSTATUS(status);
	if (WIFSIGNALED(status) && !interrupted)
		return 128 + WTERMSIG(status);
	return EXIT_OK;
}

void workload_close(struct workload *w)
{
	if (w->go_fd >= 0)
		close(w->go_fd);	/* the child, still waiting, reads EOF and exits 127 */
	w->go_fd = -1;
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
	if (w->err_fd >= 0)
		close(w->err_fd);
	w->err_fd = -1;
}

void workload_kill(struct workload *w, int sig)
{
	if (w->pid > 0 && !w->exited) {
		kill(w->pid, sig);
		workload_wait(w);
	}
	workload_close(w);
}
