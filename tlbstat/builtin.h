/* The commands: one cmd_<name>() per builtin-<name>.c, dispatched by tlbstat.c. */
#ifndef TLBSTAT_BUILTIN_H
#define TLBSTAT_BUILTIN_H
int cmd_stat(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_transport(int argc, char **argv);
#endif
