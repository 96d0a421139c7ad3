/* Forking the command after `--` so that counting starts at its exec, as perf stat does. */
#ifndef TLBSTAT_WORKLOAD_H
#define TLBSTAT_WORKLOAD_H
#include <sys/types.h>

/* Fork argv; the child waits until workload_start(). Returns pid, or -1 with a message. */
pid_t workload_prepare(char **argv);
/* Let the child exec. exec failure is reported by the child (exit 127). */
int workload_start(void);
#endif
