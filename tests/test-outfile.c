// SPDX-License-Identifier: GPL-2.0
/* outfile: outputs never follow a symlink, truncate only regular files, never name the input. */
#include "outfile.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *at(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long)st.st_size;
}

static void test_open(void)
{
	char err[512];
	struct stat st;
	int fd;

	fd = outfile_open(at("new"), 0600, err, sizeof(err));
	ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077),
	   "a new file is created, with the caller's mode (0600)");
	ok((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "close-on-exec");
	close(fd);
	put(at("old"), "recorded data");
	fd = outfile_open(at("old"), 0600, err, sizeof(err));
	ok(fd >= 0 && size_of(at("old")) == 0, "an existing regular file is truncated");
	close(fd);

	/* the attack: a dangling link in a shared directory, to a file root would create */
	ok(symlink(at("victim"), at("dangling")) == 0, "set-up: dangling symlink");
	fd = outfile_open(at("dangling"), 0600, err, sizeof(err));
	ok(fd < 0 && access(at("victim"), F_OK) < 0, "a dangling symlink is not followed");
	ok(strstr(err, "symbolic link") != NULL, "the error says why: %s", err);
	put(at("target"), "precious");
	ok(symlink(at("target"), at("link")) == 0, "set-up: symlink to a file");
	fd = outfile_open(at("link"), 0600, err, sizeof(err));
	ok(fd < 0 && size_of(at("target")) == 8, "a symlink to a file is not followed nor truncated");
	fd = outfile_open("/dev/null", 0600, err, sizeof(err));
	ok(fd >= 0, "a device is written as is");
	close(fd);
	fd = outfile_open(at("nodir/x"), 0600, err, sizeof(err));
	ok(fd < 0 && strstr(err, "No such file") != NULL, "a missing directory: %s", err);
}

static void test_fopen(void)
{
	char err[512];
	FILE *f = outfile_fopen(at("stream"), err, sizeof(err));

	ok(f && fputs("x\n", f) >= 0 && fclose(f) == 0 && size_of(at("stream")) == 2,
	   "outfile_fopen writes a stream");
	ok(outfile_fopen(at("link"), err, sizeof(err)) == NULL, "outfile_fopen refuses a symlink");
}

static void test_same(void)
{
	put(at("in"), "data");
	ok(link(at("in"), at("hard")) == 0, "set-up: hard link");
	ok(symlink(at("in"), at("soft")) == 0, "set-up: symlink to the input");
	ok(outfile_same(at("in"), at("in")), "the same path");
	ok(outfile_same(at("hard"), at("in")), "a hard link to the input");
	ok(outfile_same(at("soft"), at("in")), "a symlink to the input");
	ok(!outfile_same(at("other"), at("in")), "a file that does not exist");
	ok(!outfile_same(at("new"), at("in")), "another file");
	ok(!outfile_same("-", at("in")) && !outfile_same(at("in"), "-"), "'-' is a stream");
	ok(!outfile_same("/dev/null", "/dev/null"), "a device is not destroyed by writing");
	ok(!outfile_same(NULL, at("in")), "no output");
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test-outfile.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_open();
	test_fopen();
	test_same();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
