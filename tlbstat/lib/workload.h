/* Forking the command after `--` so that counting starts at its exec, as perf stat does. */
#ifndef TLBSTAT_WORKLOAD_H
#define TLBSTAT_WORKLOAD_H
#include <stdbool.h>
#include <sys/types.h>

/* Fork argv; the child waits until workload_start(). Returns pid, or -1 with a message. */
pid_t workload_prepare(char **argv);
/* Let the child exec. exec failure is reported by the child (exit 127). */
int workload_start(void);
/*
 * tlbstat's exit code for a workload that ended with wait status `status`: its own exit code,
 * EXIT_FAIL when it could not be run (127), 128+signal when killed (unless interrupted, where
 * tlbstat itself stopped it: 0).
 */
int workload_exit_code(int status, bool interrupted);
/* Kill and reap a workload that will not be waited for otherwise. */
void workload_kill(pid_t pid, int sig);
#endif
