// SPDX-License-Identifier: GPL-2.0
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The existing file at path, not through a symlink; truncated when regular. -1 and errno. */
static int open_existing(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int outfile_open(const char *path, mode_t mode, char *err, size_t errlen)
{
	/* a file removed between the two opens, or created: try again, a few times */
	for (int tries = 0; tries < 8; tries++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
		fd = open_existing(path);
		if (fd >= 0)
			return fd;
		if (errno == ELOOP) {
			snprintf(err, errlen, "cannot write %s: it is a symbolic link (tlbstat does "
				 "not follow one for an output; name its target)", path);
			return -1;
		}
		if (errno != ENOENT)
			break;
	}
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return -1;
}

FILE *outfile_fopen(const char *path, char *err, size_t errlen)
{
	int fd = outfile_open(path, 0666, err, errlen);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int outfile_close(FILE *f, const char *path, char *err, size_t errlen)
{
	bool failed = ferror(f);

	if (fclose(f) || failed) {
		snprintf(err, errlen, "write error on %s%s%s", path, failed ? "" : ": ",
			 failed ? "" : strerror(errno));
		return -1;
	}
	return 0;
}

bool outfile_same(const char *out, const char *in)
{
	struct stat so, si;

	if (!out || !in || !strcmp(out, "-") || !strcmp(in, "-"))
		return false;
	if (stat(out, &so) < 0 || stat(in, &si) < 0)
		return false;
	/* a device (/dev/null both ways) is not destroyed by writing it */
	return so.st_dev == si.st_dev && so.st_ino == si.st_ino && S_ISREG(si.st_mode);
}
