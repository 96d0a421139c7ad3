// SPDX-License-Identifier: GPL-2.0
/*
 * Event formats and TRACING_DATA (tracing-data.h): the reader that gives the decoder its tep
 * handle (from tracefs live, from a file's blob), and the blob record writes.
 */
#include "tracing-data.h"
#include "symbols.h"
#include "tracefs.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>

static struct tep_handle *new_tep(void)
{
	struct tep_handle *tep;

	tep_set_loglevel(TEP_LOG_NONE);
	tep = tep_alloc();
	if (!tep)
		return NULL;
	tep_set_flag(tep, TEP_NSEC_OUTPUT);
	tep_set_local_bigendian(tep, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? TEP_BIG_ENDIAN
									   : TEP_LITTLE_ENDIAN);
	return tep;
}

struct tep_handle *tdata_tep_from_tracefs(const char *const *events, int nr)
{
	struct tep_handle *tep = new_tep();
	size_t len;
	char *buf;
	int parsed = 0;

	if (!tep)
		return NULL;
	tep_set_file_bigendian(tep, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? TEP_BIG_ENDIAN
									  : TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, (int)sizeof(long));
	tep_set_page_size(tep, (int)sysconf(_SC_PAGESIZE));

	buf = tfs_read("events/header_page", &len);
	if (buf) {
		if (!tep_parse_header_page(tep, buf, len, (int)sizeof(long)))
			tep_set_long_size(tep, tep_get_header_page_size(tep));
		free(buf);
	}
	for (int i = 0; i < nr; i++) {
		char sys[64], name[64];

		if (!tfs_split_event(events[i], sys, sizeof(sys), name, sizeof(name)))
			continue;
		buf = tfs_event_format(sys, name, &len);
		if (!buf)
			continue;
		if (tep_parse_event(tep, buf, len, sys) == 0 || tep_find_event_by_name(tep, sys, name))
			parsed++;
		free(buf);
	}
	if (!parsed) {
		tep_free(tep);
		return NULL;
	}
	return tep;
}

/* ---------------- reading TRACING_DATA ---------------- */

/*
 * A format text from a file is untrusted: libtraceevent (1.7) dereferences NULL on some corrupt
 * print formats (a print fmt naming a field the format lacks), on non-ASCII field lines and on a
 * field line cut short at the text's end ("field:char oldcomm["). tlbstat reads fields only, never
 * prints through the print fmt, so the print fmt is replaced by an empty one, and a format with
 * bytes a kernel never writes (outside tab, newline, 0x20-0x7e) or without the print fmt line
 * every kernel format ends with (cut short) is refused. Returns false for a refused format.
 */
static bool sanitize_format(char *buf, size_t *len)
{
	static const char empty[] = "print fmt: \"\"\n";
	char *pf;
	size_t keep;

	for (size_t i = 0; i < *len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch != '\t' && ch != '\n' && (ch < 0x20 || ch > 0x7e))
			return false;
	}
	pf = strstr(buf, "\nprint fmt:");
	if (!pf)
		return false;	/* cut short: its last field line may be too */
	/* buf has room: the replacement is shorter than "\nprint fmt:" plus anything */
	keep = (size_t)(pf - buf) + 1;
	if (*len - keep >= sizeof(empty) - 1) {
		memcpy(buf + keep, empty, sizeof(empty));
		*len = keep + sizeof(empty) - 1;
	}
	return true;
}

struct cursor {
	const unsigned char *base;
	size_t len, pos;
	struct tep_handle *tep;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 2, 3))) cfail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return;
	c->failed = true;
	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < c->errlen)
		snprintf(c->err + n, c->errlen - (size_t)n, " at offset %zu of the tracing data",
			 c->pos);
}

static const void *take(struct cursor *c, size_t n, const char *what)
{
	const void *p;

	if (c->failed)
		return NULL;
	if (n > c->len - c->pos) {
		cfail(c, "tracing data truncated: %s needs %zu bytes, %zu left", what, n,
		      c->len - c->pos);
		return NULL;
	}
	p = c->base + c->pos;
	c->pos += n;
	return p;
}

static uint64_t take_num(struct cursor *c, int size, const char *what)
{
	const void *p = take(c, (size_t)size, what);

	return p ? tep_read_number(c->tep, p, size) : 0;
}

/* A NUL-terminated string; NULL on failure. Points into the blob. */
static const char *take_string(struct cursor *c, const char *what)
{
	const char *s, *nul;

	if (c->failed)
		return NULL;
	s = (const char *)c->base + c->pos;
	nul = memchr(s, 0, c->len - c->pos);
	if (!nul) {
		cfail(c, "tracing data truncated: unterminated %s", what);
		return NULL;
	}
	c->pos += (size_t)(nul - s) + 1;
	return s;
}

/* A sized block: size (4 or 8 bytes), then the bytes; copied NUL-terminated (tep wants char*). */
static char *take_block(struct cursor *c, int size_bytes, const char *what, size_t *len)
{
	uint64_t n = take_num(c, size_bytes, what);
	const void *p;
	char *buf;

	if (c->failed)
		return NULL;
	if (n > c->len - c->pos) {
		cfail(c, "tracing data truncated or corrupt: %s of %llu bytes, %zu left", what,
		      (unsigned long long)n, c->len - c->pos);
		return NULL;
	}
	p = take(c, (size_t)n, what);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		cfail(c, "out of memory for %s of %llu bytes", what, (unsigned long long)n);
		return NULL;
	}
	memcpy(buf, p, (size_t)n);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}


static const unsigned char td_magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };

/* Magic, version, endianness, long and page size: c->tep, set up for them. */
static bool read_preamble(struct cursor *c, const char **version)
{
	const unsigned char *p = take(c, sizeof(td_magic), "magic");
	unsigned file_be, long_size;
	uint64_t page_size;

	if (!p)
		return false;
	if (memcmp(p, td_magic, sizeof(td_magic))) {
		c->pos = 0;
		cfail(c, "not perf tracing data (bad magic)");
		return false;
	}
	*version = take_string(c, "version string");
	p = take(c, 2, "endianness and long size");
	if (!p)
		return false;
	file_be = p[0];
	long_size = p[1];
	if (file_be > 1 || (long_size != 4 && long_size != 8)) {
		c->pos -= 2;
		cfail(c, "corrupt tracing data: endianness %u, long size %u", file_be, long_size);
		return false;
	}
	c->tep = new_tep();
	if (!c->tep) {
		cfail(c, "out of memory");
		return false;
	}
	tep_set_file_bigendian(c->tep, file_be ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(c->tep, (int)long_size);
	page_size = take_num(c, 4, "page size");
	if (c->failed)
		return false;
	if (!page_size || page_size > (1u << 24)) {
		c->pos -= 4;
		cfail(c, "corrupt tracing data: page size %llu", (unsigned long long)page_size);
		return false;
	}
	tep_set_page_size(c->tep, (int)page_size);
	return true;
}

/* A tag ("header_page" with its NUL) where one must be. */
static bool take_tag(struct cursor *c, const char *tag)
{
	size_t n = strlen(tag) + 1;
	char what[32];
	const void *p;

	snprintf(what, sizeof(what), "%s tag", tag);
	p = take(c, n, what);

	if (p && memcmp(p, tag, n)) {
		c->pos -= n;
		cfail(c, "corrupt tracing data: no %s", tag);
	}
	return !c->failed;
}

/* header_page (its long size wins) and header_event (read past). */
static bool read_headers(struct cursor *c)
{
	int long_size = tep_get_long_size(c->tep);
	size_t blen;
	char *buf;

	if (!take_tag(c, "header_page"))
		return false;
	buf = take_block(c, 8, "header_page", &blen);
	if (!buf)
		return false;
	if (!tep_parse_header_page(c->tep, buf, blen, long_size))
		tep_set_long_size(c->tep, tep_get_header_page_size(c->tep));
	free(buf);
	if (!take_tag(c, "header_event"))
		return false;
	free(take_block(c, 8, "header_event", &blen));
	return !c->failed;
}

/* The ftrace formats, then the event formats by system. */
static bool read_formats(struct cursor *c)
{
	uint64_t count = take_num(c, 4, "ftrace format count"), systems;
	size_t blen;
	char *buf;

	for (uint64_t i = 0; i < count && !c->failed; i++) {
		buf = take_block(c, 8, "ftrace format", &blen);
		if (buf && sanitize_format(buf, &blen))
			tep_parse_event(c->tep, buf, blen, "ftrace");
		free(buf);
	}
	systems = take_num(c, 4, "system count");
	for (uint64_t i = 0; i < systems && !c->failed; i++) {
		size_t sys_at = c->pos;
		const char *s = take_string(c, "system name");

		if (s && !*s) {
			c->pos = sys_at;
			cfail(c, "corrupt tracing data: empty system name");
		}
		count = take_num(c, 4, "event format count");
		for (uint64_t j = 0; j < count && !c->failed; j++) {
			size_t at = c->pos;

			buf = take_block(c, 8, "event format", &blen);
			if (buf && !sanitize_format(buf, &blen)) {
				c->pos = at;
				cfail(c, "corrupt tracing data: format %llu of system '%.32s' has bytes "
				      "no kernel writes or is cut short", (unsigned long long)j + 1, s);
			} else if (buf) {
				/* one libtraceevent cannot parse is left out, like perf does */
				tep_parse_event(c->tep, buf, blen, s);
			}
			free(buf);
		}
	}
	return !c->failed;
}

/* kallsyms (into syms), printk formats, saved cmdlines (>= 0.6). */
static bool read_tail(struct cursor *c, const char *version, struct syms *syms)
{
	size_t blen;
	char *buf = take_block(c, 4, "kallsyms", &blen);
	int funcs = 0;

	if (!buf)
		return false;
	/* perf >= 5.x writes size 0 */
	if (blen && syms) {
		char serr[128];

		funcs = syms_load_text(syms, buf, blen, serr, sizeof(serr));
		if (funcs < 0)
			cfail(c, "%s", serr);
	}
	free(buf);
	/*
	 * printk formats; saved cmdlines (>= 0.6). Checked for framing but not handed to
	 * libtraceevent: tlbstat prints no %s-of-pointer fields and names tasks from COMM records,
	 * and tep_parse_printk_formats() reads past the end of some corrupt texts.
	 */
	free(take_block(c, 4, "printk formats", &blen));
	if (!c->failed && version && atof(version) >= 0.6)
		free(take_block(c, 8, "saved cmdlines", &blen));
	if (c->failed)
		return false;
	if (funcs == 0)
		syms_want_proc(syms);
	return true;
}

struct tep_handle *tdata_read(const void *data, size_t len, struct syms *syms, char *err,
			      size_t errlen)
{
	struct cursor c = { .base = data, .len = len, .err = err, .errlen = errlen };
	const char *version = NULL;

	if (err && errlen)
		err[0] = 0;
	if (!data) {
		cfail(&c, "no tracing data");
		return NULL;
	}
	if (read_preamble(&c, &version) && read_headers(&c) && read_formats(&c) &&
	    read_tail(&c, version, syms))
		return c.tep;
	if (c.tep)
		tep_free(c.tep);
	return NULL;
}

/* ---------------- writing TRACING_DATA ---------------- */


/*
 * The one change made to a format copied from tracefs: in its print fmt, `__get_cpumask(x)`
 * (Linux >= 6.0; ipi:ipi_send_cpumask) becomes `__get_bitmask(x)`, same length, in place.
 * perf 6.1's libtraceevent does not know __get_cpumask and prints "function __get_cpumask not
 * defined" on stderr for every perf script/report run; __get_bitmask reads the same
 * __data_loc bitmap and prints it as a hex mask. Field definitions are untouched, so decoding
 * (tlbstat's and perf's) is unchanged; only perf's text rendering of the mask differs.
 */
static void compat_print_fmt(char *s, size_t len)
{
	static const char from[] = "__get_cpumask(", to[] = "__get_bitmask(";
	char *p = memmem(s, len, "\nprint fmt:", 11);

	while (p && (p = memmem(p, len - (size_t)(p - s), from, sizeof(from) - 1))) {
		memcpy(p, to, sizeof(to) - 1);
		p += sizeof(to) - 1;
	}
}

/* The preamble and tracefs's header_page and header_event. */
static int put_headers(struct membuf *b, char *err, size_t errlen)
{
	uint8_t byte;

	membuf_put(b, td_magic, sizeof(td_magic));
	membuf_put(b, "0.6", 4);
	byte = 0;                 /* little endian */
	membuf_put(b, &byte, 1);
	byte = sizeof(long);
	membuf_put(b, &byte, 1);
	membuf_u32(b, (uint32_t)sysconf(_SC_PAGESIZE));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "header_event" : "header_page";
		char rel[64];
		size_t len;
		char *s;

		snprintf(rel, sizeof(rel), "events/%s", name);
		s = tfs_read(rel, &len);
		if (!s) {
			char why[256] = "tracefs not found";

			tfs_locate(NULL, 0, why, sizeof(why));
			snprintf(err, errlen, "cannot read %s from tracefs: %s", rel, why);
			return -1;
		}
		membuf_put(b, name, strlen(name) + 1);
		membuf_u64(b, len);
		membuf_put(b, s, len);
		free(s);
	}
	return 0;
}

/* Whether events[i] is of system sys (name gets its event name). */
static bool of_system(const char *event, const char *sys, char *name, size_t namelen)
{
	char s2[64];

	return tfs_split_event(event, s2, sizeof(s2), name, namelen) && !strcmp(s2, sys);
}

/* One system's formats, of the events that are its own. */
static int put_system(struct membuf *b, const char *sys, const char *const *events, int nr,
		      char *err, size_t errlen)
{
	uint32_t count = 0;
	char name[64];

	membuf_put(b, sys, strlen(sys) + 1);
	for (int i = 0; i < nr; i++)
		count += of_system(events[i], sys, name, sizeof(name));
	membuf_u32(b, count);
	for (int i = 0; i < nr; i++) {
		size_t len;
		char *s;

		if (!of_system(events[i], sys, name, sizeof(name)))
			continue;
		s = tfs_event_format(sys, name, &len);
		if (!s) {
			snprintf(err, errlen, "cannot read the format of %s", events[i]);
			return -1;
		}
		compat_print_fmt(s, len);
		membuf_u64(b, len);
		membuf_put(b, s, len);
		free(s);
	}
	return 0;
}

/* The event formats, grouped by system in first-seen order. */
static int put_formats(struct membuf *b, const char *const *events, int nr, char *err,
		       size_t errlen)
{
	const char *sys_of[64];
	int nsys = 0;

	for (int i = 0; i < nr; i++) {
		char sys[64], name[64], s2[64], n2[64];
		bool seen = false;

		if (!tfs_split_event(events[i], sys, sizeof(sys), name, sizeof(name)))
			continue;
		for (int k = 0; k < nsys; k++) {
			tfs_split_event(sys_of[k], s2, sizeof(s2), n2, sizeof(n2));
			seen |= !strcmp(s2, sys);
		}
		if (!seen && nsys < 64)
			sys_of[nsys++] = events[i];
	}
	membuf_u32(b, (uint32_t)nsys);
	for (int k = 0; k < nsys; k++) {
		char sys[64], name[64];

		tfs_split_event(sys_of[k], sys, sizeof(sys), name, sizeof(name));
		if (put_system(b, sys, events, nr, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* kallsyms (the subset syms keeps), printk formats, saved cmdlines (none). */
static int put_tail(struct membuf *b, const struct syms *syms, char *err, size_t errlen)
{
	struct syms *own = NULL;
	char *s;
	size_t len;
	int rc;

	if (!syms) {
		own = syms_new(0);
		if (!own)
			goto oom;
		syms_load_proc(own, err, errlen);   /* unreadable: an empty part, as perf writes */
		syms = own;
	}
	rc = syms_kallsyms_subset(syms, &s, &len);
	syms_free(own);
	if (rc < 0)
		goto oom;
	membuf_u32(b, (uint32_t)len);
	if (len)
		membuf_put(b, s, len);
	free(s);
	s = tfs_read("printk_formats", &len);
	membuf_u32(b, s ? (uint32_t)len : 0);
	if (s && len)
		membuf_put(b, s, len);
	free(s);
	membuf_u64(b, 0);         /* saved cmdlines: names come from COMM records */
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int tdata_build(const char *const *events, int nr, const struct syms *syms, char **out,
		size_t *len, char *err, size_t errlen)
{
	struct membuf b = { 0 };

	*out = NULL;
	*len = 0;
	if (put_headers(&b, err, errlen) < 0)
		goto fail;
	membuf_u32(&b, 0);         /* ftrace formats: none */
	if (put_formats(&b, events, nr, err, errlen) < 0 || put_tail(&b, syms, err, errlen) < 0)
		goto fail;
	if (b.oom) {
		snprintf(err, errlen, "out of memory building the tracing data");
		goto fail;
	}
	*out = b.p;
	*len = b.len;
	return 0;
fail:
	free(b.p);
	return -1;
}
