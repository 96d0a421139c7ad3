// SPDX-License-Identifier: GPL-2.0
/*
 * Output files named by options (-o, --series-csv): tlbstat runs as root, often in directories
 * others can write (/tmp, shared scratch), on machines with fs.protected_symlinks=0. So an
 * output never follows a symlink, a new file is created exclusively, an existing regular file is
 * truncated only after checking what was opened, and an output is never the command's input.
 */
#ifndef TLBSTAT_OUTFILE_H
#define TLBSTAT_OUTFILE_H
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Open path for writing, safely: O_CREAT|O_EXCL|O_NOFOLLOW for a new file (mode, less the
 * umask); an existing one with O_NOFOLLOW, truncated only when fstat says it is a regular file
 * (a device or FIFO, /dev/null or /dev/full, is written as is). A symlink is refused, dangling
 * or not. Returns the fd (O_CLOEXEC), or -1 with "cannot create PATH: why" in err ("cannot
 * write PATH: it is a symbolic link ..." for a link).
 */
int outfile_open(const char *path, mode_t mode, char *err, size_t errlen);
/* outfile_open's fd as a stdio stream ("w"); NULL with the message in err. */
FILE *outfile_fopen(const char *path, char *err, size_t errlen);
/*
 * fclose an output stream and say whether everything reached it: 0, or -1 with "write error
 * on PATH: why" in err (stdout is the dispatcher's to check, not this).
 */
int outfile_close(FILE *f, const char *path, char *err, size_t errlen);
/*
 * Whether out names the same file as in (st_dev and st_ino, after following in's symlinks and
 * out's) and is a regular file: writing it would destroy the input. "-" (a stream), a path
 * that does not exist and a device are never the same.
 */
bool outfile_same(const char *out, const char *in);
#endif
