#include "workload.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int go_fd = -1;

pid_t workload_prepare(char **argv)
{
	int go[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0) {
		tlb_err("cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		tlb_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char c;
		close(go[1]);
		/* default signal dispositions in the workload, like a shell would give it */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(go[0], &c, 1) != 1)
			_exit(127);   /* the parent gave up before starting us */
		execvp(argv[0], argv);
		fprintf(stderr, "tlbstat: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	go_fd = go[1];
	return pid;
}

int workload_start(void)
{
	int r = -1;
	if (go_fd >= 0) {
		r = write(go_fd, "g", 1) == 1 ? 0 : -1;
		close(go_fd);
		go_fd = -1;
	}
	return r;
}

int workload_exit_code(int status, bool interrupted)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? EXIT_FAIL : WEXITSTATUS(status);
	if (WIFSIGNALED(status) && !interrupted)
		return 128 + WTERMSIG(status);
	return EXIT_OK;
}

void workload_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}
