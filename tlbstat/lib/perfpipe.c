// SPDX-License-Identifier: GPL-2.0
/*
 * perf.data's pipe form: reader and writer. See perfpipe.h and Documentation/perf-data.md.
 * Layouts from perf 6.1: util/header.c (perf_header__write_pipe, perf_file_header__read_pipe,
 * perf_event__process_feature), util/synthetic-events.c (perf_event__synthesize_for_pipe,
 * _features, _tracing_data), util/session.c (__perf_session__process_pipe_events).
 */
#include "perfpipe.h"
#include "chunks.h"
#include "perfdata.h"
#include "symbols.h"
#include "tracing-data.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PERF_MAGIC2 0x32454c4946524550ULL	/* "PERFILE2" little-endian */
#define PP_IN_CAP (256u << 10)			/* read buffer: more than a record (u16 size) */
#define PP_CHUNK (1u << 20)			/* a chunk of copied records */
#define PP_MAX_ATTRS 4096
#define PP_MAX_BLOB (256u << 20)		/* tracing data and features, each */

struct pp_pipe_header {
	uint64_t magic, size;
};

/* perf.data's file header (perf's struct perf_file_header), for the header image */
struct pp_section {
	uint64_t offset, size;
};

struct pp_file_header {
	uint64_t magic, size, attr_size;
	struct pp_section attrs, data, event_types;
	uint64_t features[HEADER_FEAT_BITS / 64];
};

/* ======================= reader ======================= */

struct pp_attr {
	struct perf_event_attr attr;
	uint64_t *ids;
	uint32_t nr_ids;
};

struct pp_reader {
	int fd;
	char name[256];
	uint8_t *in;			/* read buffer: in[pos, len) not yet consumed */
	size_t in_len, in_pos;
	bool eof, ended_early;
	uint64_t bytes;
	struct chunks ch;		/* the records, copied (lib/chunks.c: the release rule) */
	/* the prologue, until the header image is built */
	struct pp_attr *attrs;
	int nr_attrs;
	void *feat[HEADER_FEAT_BITS];
	size_t feat_len[HEADER_FEAT_BITS];
	const struct perf_event_header *first;	/* the first data record, read with the prologue */
	struct pd_reader *rd;
};

/* in[pos..] holds at least need bytes: 1; the stream ended first: 0; -1 with err. */
static int in_fill(struct pp_reader *r, size_t need, char *err, size_t errlen)
{
	while (r->in_len - r->in_pos < need && !r->eof) {
		ssize_t n;

		if (r->in_pos) {
			memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
			r->in_len -= r->in_pos;
			r->in_pos = 0;
		}
		n = read(r->fd, r->in + r->in_len, PP_IN_CAP - r->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: read error: %s", r->name, strerror(errno));
			return -1;
		}
		if (n == 0)
			r->eof = true;
		r->in_len += (size_t)n;
		r->bytes += (uint64_t)n;
	}
	return r->in_len - r->in_pos >= need;
}

/*
 * The next whole record into *h and *body (pointing into the read buffer, valid until the
 * next read): 1; 0 at the end (ended_early when it stopped inside a record); -1 with err.
 */
static int read_record(struct pp_reader *r, struct perf_event_header *h, const uint8_t **body,
		       char *err, size_t errlen)
{
	int rc = in_fill(r, sizeof(*h), err, errlen);

	if (rc <= 0) {
		r->ended_early |= rc == 0 && r->in_len > r->in_pos;
		return rc;
	}
	memcpy(h, r->in + r->in_pos, sizeof(*h));
	if (h->size < sizeof(*h)) {
		snprintf(err, errlen, "%s: corrupt record at byte %llu (size %u)", r->name,
			 (unsigned long long)(r->bytes - (r->in_len - r->in_pos)), h->size);
		return -1;
	}
	rc = in_fill(r, h->size, err, errlen);
	if (rc <= 0) {
		r->ended_early |= rc == 0;
		return rc;
	}
	*body = r->in + r->in_pos;
	r->in_pos += h->size;
	return 1;
}

/* Skip (or, with out, copy) len bytes that follow a record outside it. 1, 0 (ended), -1. */
static int read_payload(struct pp_reader *r, uint64_t len, uint8_t *out, char *err,
			size_t errlen)
{
	while (len) {
		size_t n;
		int rc = in_fill(r, 1, err, errlen);

		if (rc <= 0) {
			r->ended_early |= rc == 0;
			return rc;
		}
		n = r->in_len - r->in_pos;
		if (n > len)
			n = (size_t)len;
		if (out) {
			memcpy(out, r->in + r->in_pos, n);
			out += n;
		}
		r->in_pos += n;
		len -= n;
	}
	return 1;
}

/* Copy a record into the newest chunk, at an 8-byte boundary. NULL when out of memory. */
static const struct perf_event_header *chunk_put(struct pp_reader *r, const void *rec,
						 size_t len)
{
	size_t room = (len + 7) & ~(size_t)7;
	struct chunk *c = r->ch.tail;
	void *at;

	if (!c || c->len + room > r->ch.cap) {
		c = chunks_take(&r->ch);
		if (!c)
			return NULL;
		chunks_append(&r->ch, c);
	}
	at = c->data + c->len;
	memcpy(at, rec, len);
	c->len += room;
	return at;
}

static void free_prologue(struct pp_reader *r)
{
	for (int i = 0; r->attrs && i < r->nr_attrs; i++)
		free(r->attrs[i].ids);
	free(r->attrs);
	r->attrs = NULL;
	for (int b = 0; b < HEADER_FEAT_BITS; b++) {
		free(r->feat[b]);
		r->feat[b] = NULL;
	}
}

void pp_close(struct pp_reader *r)
{
	if (!r)
		return;
	chunks_free(&r->ch);
	free_prologue(r);
	pd_close(r->rd);
	free(r->in);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* HEADER_ATTR: the attr (its own size says how long) and the ids after it. */
static int add_attr(struct pp_reader *r, const struct perf_event_header *h, const uint8_t *body,
		    char *err, size_t errlen)
{
	struct perf_event_attr a;
	uint32_t asz, nr;
	struct pp_attr *grown;

	if (h->size < sizeof(*h) + PERF_ATTR_SIZE_VER0)
		goto bad;
	memcpy(&asz, body + sizeof(*h) + offsetof(struct perf_event_attr, size), 4);
	if (asz < PERF_ATTR_SIZE_VER0 || asz > h->size - sizeof(*h) ||
	    (h->size - sizeof(*h) - asz) % 8)
		goto bad;
	nr = (h->size - sizeof(*h) - asz) / 8;
	if (r->nr_attrs >= PP_MAX_ATTRS) {
		snprintf(err, errlen, "%s: more than %d events", r->name, PP_MAX_ATTRS);
		return -1;
	}
	grown = realloc(r->attrs, sizeof(*r->attrs) * (size_t)(r->nr_attrs + 1));
	if (!grown)
		goto oom;
	r->attrs = grown;
	memset(&a, 0, sizeof(a));
	memcpy(&a, body + sizeof(*h), asz < sizeof(a) ? asz : sizeof(a));
	a.size = sizeof(a);
	r->attrs[r->nr_attrs] = (struct pp_attr){ a, malloc(nr ? nr * 8 : 8), nr };
	if (!r->attrs[r->nr_attrs].ids)
		goto oom;
	memcpy(r->attrs[r->nr_attrs++].ids, body + sizeof(*h) + asz, nr * 8);
	return 0;
bad:
	snprintf(err, errlen, "%s: corrupt HEADER_ATTR record (size %u)", r->name, h->size);
	return -1;
oom:
	snprintf(err, errlen, "out of memory reading %s", r->name);
	return -1;
}

static int set_feature(struct pp_reader *r, int feat, void *body, size_t len)
{
	free(r->feat[feat]);
	r->feat[feat] = body;
	r->feat_len[feat] = len;
	return 0;
}

/* HEADER_TRACING_DATA: a u32 size in the record, the blob after it. 1, 0 (ended), -1. */
static int read_tracing(struct pp_reader *r, const struct perf_event_header *h,
			const uint8_t *body, char *err, size_t errlen)
{
	uint32_t size;
	uint8_t *blob;
	int rc;

	if (h->size < sizeof(*h) + 4) {
		snprintf(err, errlen, "%s: corrupt HEADER_TRACING_DATA record", r->name);
		return -1;
	}
	memcpy(&size, body + sizeof(*h), 4);
	if (size > PP_MAX_BLOB) {
		snprintf(err, errlen, "%s: tracing data of %u bytes (more than %u MiB)", r->name,
			 size, PP_MAX_BLOB >> 20);
		return -1;
	}
	blob = malloc(size ? size : 1);
	if (!blob) {
		snprintf(err, errlen, "out of memory reading %s", r->name);
		return -1;
	}
	rc = read_payload(r, size, blob, err, errlen);
	if (rc <= 0) {
		free(blob);
		return rc;
	}
	return set_feature(r, HEADER_TRACING_DATA, blob, size) + 1;
}

/* HEADER_FEATURE: the feature's section bytes after a u64 feature id. */
static int read_feature(struct pp_reader *r, const struct perf_event_header *h,
			const uint8_t *body, char *err, size_t errlen)
{
	uint64_t feat;
	size_t len;
	void *copy;

	if (h->size < sizeof(*h) + 8) {
		snprintf(err, errlen, "%s: corrupt HEADER_FEATURE record", r->name);
		return -1;
	}
	memcpy(&feat, body + sizeof(*h), 8);
	len = h->size - sizeof(*h) - 8;
	/* perf's end marker (HEADER_LAST_FEATURE), empty ones and unknown ids carry nothing */
	if (!len || feat == 0 || feat >= HEADER_FEAT_BITS || feat == HEADER_TRACING_DATA)
		return 0;
	copy = malloc(len);
	if (!copy) {
		snprintf(err, errlen, "out of memory reading %s", r->name);
		return -1;
	}
	memcpy(copy, body + sizeof(*h) + 8, len);
	return set_feature(r, (int)feat, copy, len);
}

/* The first 16 bytes: perf's pipe header, or a clear refusal. 0 or -1. */
static int read_pipe_header(struct pp_reader *r, char *err, size_t errlen)
{
	struct pp_pipe_header ph;
	int rc = in_fill(r, sizeof(ph), err, errlen);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(err, errlen, "not a perf.data stream: %s ended after %zu bytes", r->name,
			 r->in_len);
		return -1;
	}
	memcpy(&ph, r->in, sizeof(ph));
	r->in_pos = sizeof(ph);
	if (ph.magic == __builtin_bswap64(PERF_MAGIC2)) {
		snprintf(err, errlen, "not a perf.data stream: %s is big-endian (not supported)",
			 r->name);
		return -1;
	}
	if (ph.magic != PERF_MAGIC2) {
		snprintf(err, errlen, "not a perf.data stream: %s does not start with PERFILE2",
			 r->name);
		return -1;
	}
	if (ph.size != sizeof(ph)) {
		snprintf(err, errlen, "not a perf.data stream: %s is a perf.data file (header size "
			 "%llu) read through a pipe: give its path to -i", r->name,
			 (unsigned long long)ph.size);
		return -1;
	}
	return 0;
}

/* One prologue record: 1 more to come, 0 the prologue ended (r->first set, or the end), -1. */
static int prologue_record(struct pp_reader *r, char *err, size_t errlen)
{
	struct perf_event_header h;
	const uint8_t *body;
	int rc = read_record(r, &h, &body, err, errlen);

	if (rc <= 0)
		return rc;
	switch (h.type) {
	case PERF_RECORD_HEADER_ATTR:
		return add_attr(r, &h, body, err, errlen) < 0 ? -1 : 1;
	case PERF_RECORD_HEADER_TRACING_DATA:
		return read_tracing(r, &h, body, err, errlen);
	case PERF_RECORD_HEADER_FEATURE:
		return read_feature(r, &h, body, err, errlen) < 0 ? -1 : 1;
	case PERF_RECORD_FINISHED_INIT:
		return 0;
	case PERF_RECORD_COMPRESSED:
		snprintf(err, errlen, "%s: compressed records (perf record -z) are not supported",
			 r->name);
		return -1;
	case PERF_RECORD_AUXTRACE: {
		uint64_t len;
		if (h.size < sizeof(h) + 8)
			return 1;
		memcpy(&len, body + sizeof(h), 8);
		return read_payload(r, len, NULL, err, errlen);
	}
	default:
		if (h.type >= PERF_RECORD_USER_TYPE_START && h.type != PERF_RECORD_FINISHED_ROUND)
			return 1;	/* EVENT_TYPE, BUILD_ID, ID_INDEX, ...: nothing tlbstat uses */
		/* the first data record: the prologue is over */
		if (h.size % 8) {
			snprintf(err, errlen, "%s: corrupt record (type %u, size %u)", r->name, h.type,
				 h.size);
			return -1;
		}
		r->first = chunk_put(r, body, h.size);
		if (!r->first) {
			snprintf(err, errlen, "out of memory reading %s", r->name);
			return -1;
		}
		return 0;
	}
}

/* The prologue as a perf.data header image: header, attrs, ids, 8 bytes of data, features. */
static int image_write(struct pp_reader *r, int fd)
{
	struct pp_file_header fh = { .magic = PERF_MAGIC2, .size = sizeof(fh) };
	uint64_t off, nfeat = 0, zero = 0;
	FILE *f = fdopen(dup(fd), "w");
	bool ok;

	if (!f)
		return -1;
	fh.attr_size = sizeof(struct perf_event_attr) + sizeof(struct pp_section);
	fh.attrs = (struct pp_section){ sizeof(fh), fh.attr_size * (uint64_t)r->nr_attrs };
	off = fh.attrs.offset + fh.attrs.size;
	for (int i = 0; i < r->nr_attrs; i++)
		off += 8 * (uint64_t)r->attrs[i].nr_ids;
	/* data: one zero word, never read (the records come from the stream) */
	fh.data = (struct pp_section){ off, 8 };
	off += 8;
	for (int b = 0; b < HEADER_FEAT_BITS; b++)
		if (r->feat[b]) {
			fh.features[b / 64] |= 1ULL << (b % 64);
			nfeat++;
		}
	ok = fwrite(&fh, sizeof(fh), 1, f) == 1;
	for (uint64_t i = 0, ids = fh.attrs.offset + fh.attrs.size; i < (uint64_t)r->nr_attrs; i++) {
		struct pp_section s = { ids, 8 * (uint64_t)r->attrs[i].nr_ids };
		ok &= fwrite(&r->attrs[i].attr, sizeof(r->attrs[i].attr), 1, f) == 1;
		ok &= fwrite(&s, sizeof(s), 1, f) == 1;
		ids += s.size;
	}
	for (int i = 0; i < r->nr_attrs; i++)
		ok &= fwrite(r->attrs[i].ids, 8, r->attrs[i].nr_ids, f) == r->attrs[i].nr_ids;
	ok &= fwrite(&zero, 8, 1, f) == 1;
	off += nfeat * sizeof(struct pp_section);
	for (int b = 0; b < HEADER_FEAT_BITS; b++)
		if (r->feat[b]) {
			struct pp_section s = { off, r->feat_len[b] };
			ok &= fwrite(&s, sizeof(s), 1, f) == 1;
			off += s.size;
		}
	for (int b = 0; b < HEADER_FEAT_BITS; b++)
		if (r->feat[b])
			ok &= fwrite(r->feat[b], 1, r->feat_len[b], f) == r->feat_len[b];
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The header image through pd_open; its messages name the stream, not the memfd. */
static int image_open(struct pp_reader *r, char *err, size_t errlen)
{
	int fd = memfd_create("tlbstat-pipe-header", MFD_CLOEXEC);
	char path[64], perr[512];

	if (fd < 0 || image_write(r, fd) < 0) {
		snprintf(err, errlen, "%s: cannot keep the stream's header: %s", r->name,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r->rd = pd_open(path, perr, sizeof(perr));
	close(fd);
	if (!r->rd) {
		const char *at = strstr(perr, path);
		if (at)
			snprintf(err, errlen, "%s: %.*s%s%s", r->name, (int)(at - perr), perr, "header",
				 at + strlen(path));
		else
			snprintf(err, errlen, "%s: %s", r->name, perr);
		return -1;
	}
	return 0;
}

struct pp_reader *pp_open(int fd, const char *name, char *err, size_t errlen)
{
	struct pp_reader *r = calloc(1, sizeof(*r));
	int rc;

	if (r)
		chunks_init(&r->ch, PP_CHUNK);
	if (!r || !(r->in = malloc(PP_IN_CAP))) {
		snprintf(err, errlen, "out of memory");
		if (r)
			r->fd = fd;
		pp_close(r);
		return NULL;
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (read_pipe_header(r, err, errlen) < 0)
		goto fail;
	while ((rc = prologue_record(r, err, errlen)) > 0)
		;
	if (rc < 0)
		goto fail;
	if (r->ended_early) {
		snprintf(err, errlen, "%s: the stream ended early, after %llu bytes, inside its "
			 "header records (the writer died?)", r->name, (unsigned long long)r->bytes);
		goto fail;
	}
	if (!r->nr_attrs) {
		snprintf(err, errlen, "not a perf.data stream: %s has no event (HEADER_ATTR) before "
			 "its %s", r->name, r->first ? "data" : "end");
		goto fail;
	}
	if (image_open(r, err, errlen) < 0)
		goto fail;
	free_prologue(r);
	return r;
fail:
	pp_close(r);
	return NULL;
}

struct pd_reader *pp_header(struct pp_reader *r) { return r->rd; }
bool pp_ended_early(const struct pp_reader *r) { return r->ended_early; }
uint64_t pp_bytes_read(const struct pp_reader *r) { return r->bytes; }
size_t pp_held(const struct pp_reader *r) { return r->ch.held; }
void pp_pin(struct pp_reader *r, const void *rec) { chunks_pin(&r->ch, rec); }

int pp_next(struct pp_reader *r, const struct perf_event_header **hdr, char *err, size_t errlen)
{
	struct perf_event_header h;
	const uint8_t *body;
	int rc;

	chunks_release(&r->ch);
	if (r->first) {
		*hdr = r->first;
		r->first = NULL;
		return 1;
	}
	for (;;) {
		rc = read_record(r, &h, &body, err, errlen);
		if (rc <= 0)
			return rc;
		if (h.type == PERF_RECORD_HEADER_TRACING_DATA && h.size >= sizeof(h) + 4) {
			uint32_t size;
			memcpy(&size, body + sizeof(h), 4);
			if ((rc = read_payload(r, size, NULL, err, errlen)) <= 0)
				return rc;
			continue;
		}
		if (h.type == PERF_RECORD_AUXTRACE && h.size >= sizeof(h) + 8) {
			uint64_t len;
			memcpy(&len, body + sizeof(h), 8);
			if ((rc = read_payload(r, len, NULL, err, errlen)) <= 0)
				return rc;
			continue;
		}
		if (h.type == PERF_RECORD_COMPRESSED) {
			snprintf(err, errlen, "%s: compressed records (perf record -z) are not "
				 "supported", r->name);
			return -1;
		}
		if (h.type >= PERF_RECORD_USER_TYPE_START && h.type != PERF_RECORD_FINISHED_ROUND &&
		    h.type != PERF_RECORD_LOST_SAMPLES)
			continue;	/* header records met late: the prologue is already read */
		break;
	}
	if (h.size % 8) {
		snprintf(err, errlen, "%s: corrupt record at byte %llu (type %u, size %u)", r->name,
			 (unsigned long long)(r->bytes - (r->in_len - r->in_pos) - h.size), h.type,
			 h.size);
		return -1;
	}
	*hdr = chunk_put(r, body, h.size);
	if (!*hdr) {
		snprintf(err, errlen, "out of memory reading %s", r->name);
		return -1;
	}
	return 1;
}

/* ======================= writer ======================= */

struct pp_writer {
	int fd;
	char *buf;
	size_t buf_len;
	uint64_t written, last_flush_ns;
};

#define PP_WBUF (1u << 20)
#define PP_FLUSH_NS 100000000ULL

/* All of buf to a pipe (short writes and EINTR): 0, or -1 with errno (EPIPE: the reader left). */
static int write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static int pp_flush(struct pp_writer *w)
{
	if (w->buf_len && write_all(w->fd, w->buf, w->buf_len) < 0)
		return -1;
	w->buf_len = 0;
	return 0;
}

int pp_write(struct pp_writer *w, const void *rec, size_t len)
{
	if (w->buf_len + len > PP_WBUF && pp_flush(w) < 0)
		return -1;
	w->written += len;
	if (len > PP_WBUF)
		return write_all(w->fd, rec, len);
	memcpy(w->buf + w->buf_len, rec, len);
	w->buf_len += len;
	return 0;
}

int pp_tick(struct pp_writer *w)
{
	uint64_t now = now_ns();

	if (now - w->last_flush_ns <= PP_FLUSH_NS)
		return 0;
	w->last_flush_ns = now;
	return pp_flush(w);
}

int pp_finish_round(struct pp_writer *w)
{
	struct perf_event_header h = { PERF_RECORD_FINISHED_ROUND, 0, sizeof(h) };

	if (pp_write(w, &h, sizeof(h)) < 0)
		return -1;
	return pp_tick(w);
}

int pp_finish(struct pp_writer *w)
{
	int rc = pp_flush(w);

	free(w->buf);
	free(w);
	return rc;
}

uint64_t pp_bytes_written(const struct pp_writer *w) { return w->written; }

/* HEADER_ATTR per event: the attr (its size field set) and its ids. */
static int write_attrs(struct pp_writer *w, const struct pd_writer_attr *attrs, int nr_attrs)
{
	for (int i = 0; i < nr_attrs; i++) {
		struct perf_event_header h = { PERF_RECORD_HEADER_ATTR, 0, 0 };
		struct perf_event_attr a = *attrs[i].attr;
		size_t len = sizeof(h) + sizeof(a) + 8 * (size_t)attrs[i].nr_ids;

		if (len > UINT16_MAX) {
			errno = E2BIG;
			return -1;
		}
		a.size = sizeof(a);
		h.size = (uint16_t)len;
		if (pp_write(w, &h, sizeof(h)) < 0 || pp_write(w, &a, sizeof(a)) < 0 ||
		    pp_write(w, attrs[i].ids, 8 * (size_t)attrs[i].nr_ids) < 0)
			return -1;
	}
	return 0;
}

/* HEADER_FEATURE per feature perf 6.1 synthesises for a pipe, as the file has them. */
static int write_features(struct pp_writer *w, const struct pd_feature_src *src)
{
	static const int feats[] = {
		HEADER_HOSTNAME, HEADER_OSRELEASE, HEADER_VERSION, HEADER_ARCH, HEADER_NRCPUS,
		HEADER_TOTAL_MEM, HEADER_CMDLINE, HEADER_EVENT_DESC, HEADER_CLOCKID,
	};
	static const char zeros[8];

	for (size_t i = 0; i < ARRAY_SIZE(feats); i++) {
		struct { struct perf_event_header h; uint64_t feat; } fe = {
			{ PERF_RECORD_HEADER_FEATURE, 0, 0 }, (uint64_t)feats[i] };
		void *body;
		size_t len, pad;
		int rc;

		if (feats[i] == HEADER_CLOCKID && !src->attrs[0].attr->use_clockid)
			continue;
		if (pd_feature_body(src, feats[i], &body, &len) < 0)
			return -1;
		pad = (8 - len % 8) % 8;	/* perf does not pad; aligned records are simpler */
		if (sizeof(fe) + len + pad > UINT16_MAX) {
			free(body);
			errno = E2BIG;
			return -1;
		}
		fe.h.size = (uint16_t)(sizeof(fe) + len + pad);
		rc = pp_write(w, &fe, sizeof(fe)) < 0 || pp_write(w, body, len) < 0 ||
		     pp_write(w, zeros, pad) < 0;
		free(body);
		if (rc)
			return -1;
	}
	return 0;
}

/* HEADER_TRACING_DATA: the size (padded to 8) in the record, then the blob and its padding. */
static int write_tracing(struct pp_writer *w, const char *blob, size_t len)
{
	struct perf_record_header_tracing_data td = { { PERF_RECORD_HEADER_TRACING_DATA, 0,
							sizeof(td) }, 0, 0 };
	static const char zeros[8];
	size_t pad = (8 - len % 8) % 8;

	if (len + pad > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	td.size = (uint32_t)(len + pad);
	if (pp_write(w, &td, sizeof(td)) < 0 || pp_write(w, blob, len) < 0 ||
	    pp_write(w, zeros, pad) < 0)
		return -1;
	return 0;
}

/*
 * The tracing data of the tracepoint attrs, as pd_create builds it but with an empty kallsyms
 * part: perf 6.1 skips that part with lseek(), which a pipe refuses ("tracing data size
 * mismatch"); perf itself writes it empty.
 */
static int build_tracing(const struct pd_writer_attr *attrs, int nr_attrs, char **out,
			 size_t *len, char *err, size_t errlen)
{
	const char **events = calloc((size_t)nr_attrs + 1, sizeof(*events));
	struct syms *none = syms_new(0);
	int n = 0, rc;

	if (!events || !none) {
		free(events);
		syms_free(none);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < nr_attrs; i++)
		if (attrs[i].attr->type == PERF_TYPE_TRACEPOINT && attrs[i].name)
			events[n++] = attrs[i].name;
	rc = tdata_build(events, n, none, out, len, err, errlen);
	free(events);
	syms_free(none);
	return rc;
}

struct pp_writer *pp_create(int fd, const struct pd_writer_attr *attrs, int nr_attrs, int argc,
			    char **argv, char *err, size_t errlen)
{
	struct pp_pipe_header ph = { PERF_MAGIC2, sizeof(ph) };
	struct perf_event_header fin = { PERF_RECORD_FINISHED_INIT, 0, sizeof(fin) };
	struct pp_writer *w = calloc(1, sizeof(*w));
	struct pd_feature_src src = { attrs, nr_attrs, argc, argv, NULL, 0, NULL, NULL, 0 };
	char *tracing = NULL;
	size_t tracing_len = 0;

	if (!w || !(w->buf = malloc(PP_WBUF))) {
		snprintf(err, errlen, "out of memory");
		free(w);
		return NULL;
	}
	w->fd = fd;
	if (build_tracing(attrs, nr_attrs, &tracing, &tracing_len, err, errlen) < 0)
		goto fail_said;
	/* perf's order (perf_event__synthesize_for_pipe): attrs, features, tracing data */
	if (pp_write(w, &ph, sizeof(ph)) < 0 || write_attrs(w, attrs, nr_attrs) < 0 ||
	    write_features(w, &src) < 0 || write_tracing(w, tracing, tracing_len) < 0 ||
	    pp_write(w, &fin, sizeof(fin)) < 0 || pp_flush(w) < 0) {
		snprintf(err, errlen, "cannot write the stream's header: %s", strerror(errno));
		goto fail_said;
	}
	free(tracing);
	w->last_flush_ns = now_ns();
	return w;
fail_said:
	free(tracing);
	free(w->buf);
	free(w);
	return NULL;
}
