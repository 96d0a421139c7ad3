// SPDX-License-Identifier: GPL-2.0
/*
 * perf.data (PERFILE2): reader and writer. Layout notes: Documentation/perf-data.md.
 *
 * Writer: header, attrs, ids and an early copy of the features (between the ids and the data,
 * where perf does not look) at once; records appended; every 100 ms the buffer is written, once
 * a second the header's data size rewritten (feature bitmap still empty), so a killed recording is
 * readable by tlbstat up to its last complete record, with its own tracepoint formats. At
 * pd_finish() the feature sections follow the data, as perf wants, and the header is rewritten
 * with them.
 *
 * Reader: maps the file for its header, attrs and features; the data section is read with
 * pread() into 256 KiB chunks (a record cut by a chunk's end is copied to the next one's start) and
 * records are handed out in file order with bounds checks. Chunks behind the cursor are free
 * again unless they hold the pinned record (pd_pin) or a later one (lib/chunks.c, the rule the
 * stream reader shares): resident memory is a few chunks, not the file, and no page of the data
 * is mapped, faulted in or dropped (on a paravirtualised guest each of those was a trip through
 * the hypervisor).
 */
#include "perfdata.h"
#include "chunks.h"
#include "outfile.h"
#include "tracing-data.h"
#include "sample.h"
#include "tracefs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PERF_MAGIC2 0x32454c4946524550ULL   /* "PERFILE2" little-endian */
#define NAME_ALIGN 64
/* marks tlbstat's early copy of the features, between the ids and the data */
static const char early_magic[8] = { 'T', 'L', 'B', 'E', 'A', 'R', 'L', 'Y' };
#ifndef TLBSTAT_VERSION
#define TLBSTAT_VERSION "unknown"
#endif

struct file_section {
	uint64_t offset, size;
};

struct file_header {
	uint64_t magic;
	uint64_t size;
	uint64_t attr_size;
	struct file_section attrs, data, event_types;
	uint64_t features[HEADER_FEAT_BITS / 64];
};

static bool test_bit(const uint64_t *bits, int b)
{
	return (bits[b / 64] >> (b % 64)) & 1;
}

static void set_bit(uint64_t *bits, int b)
{
	bits[b / 64] |= 1ULL << (b % 64);
}

/* ======================= reader ======================= */

/* A piece of the data section read into memory: data[0] is the file's byte off. */
#define PD_CHUNK (1u << 18)	/* >= the largest record (a u16 size); the copy stays in L2 */

struct pd_reader {
	int fd;
	const uint8_t *map;
	size_t map_size;
	struct file_header h;
	struct pd_attr *attrs;
	int nr_attrs;
	uint64_t data_start, data_end, pos;
	uint64_t nr_records;	/* whole records pd_next gave */
	struct chunks ch;	/* the data read (off: each chunk's file offset), lib/chunks.c */
	/* pos's byte in the tail chunk and the chunk's end (both NULL before the first record):
	 * pd_next's common case, a whole record between them */
	const uint8_t *cur, *cur_end;
	bool truncated;
	bool features_present;
	struct file_section feat[HEADER_FEAT_BITS];
	char *strings[HEADER_FEAT_BITS];
	char *cmdline;
	uint32_t nrcpus_online, nrcpus_avail;
	bool have_nrcpus;
	bool oom;			/* an allocation failed while parsing features */
	/* id -> attr index, open addressing */
	uint64_t *id_keys;
	int *id_vals;
	size_t id_cap;
};

static void id_insert(struct pd_reader *r, uint64_t id, int idx)
{
	size_t m = r->id_cap - 1, i = (size_t)(id * 0x9e3779b97f4a7c15ULL) & m;
	while (r->id_vals[i] >= 0 && r->id_keys[i] != id)
		i = (i + 1) & m;
	r->id_keys[i] = id;
	r->id_vals[i] = idx;
}

static int id_lookup(const struct pd_reader *r, uint64_t id)
{
	size_t m = r->id_cap - 1, i = (size_t)(id * 0x9e3779b97f4a7c15ULL) & m;
	while (r->id_vals[i] >= 0) {
		if (r->id_keys[i] == id)
			return r->id_vals[i];
		i = (i + 1) & m;
	}
	return -1;
}

/* A perf string inside a feature: u32 len, then len bytes (NUL-padded). */
static const char *read_string(const uint8_t **p, const uint8_t *end, char *buf, size_t buflen)
{
	uint32_t len;
	if (end - *p < 4)
		return NULL;
	memcpy(&len, *p, 4);
	*p += 4;
	if (len > (uint64_t)(end - *p))
		return NULL;
	snprintf(buf, buflen, "%.*s", (int)strnlen((const char *)*p, len), (const char *)*p);
	*p += len;
	return buf;
}

static bool section_ok(const struct pd_reader *r, const struct file_section *s)
{
	return s->offset <= r->map_size && s->size <= r->map_size - s->offset;
}

/* strdup that remembers a failure in r->oom (checked once, by pd_open) */
static char *r_strdup(struct pd_reader *r, const char *str)
{
	char *p = strdup(str);

	r->oom |= !p;
	return p;
}

/* CMDLINE's strings joined by spaces into r->cmdline. */
static void parse_cmdline(struct pd_reader *r, const uint8_t *p, const uint8_t *end)
{
	uint32_t nr;
	size_t len = 0;

	memcpy(&nr, p, 4);
	p += 4;
	r->cmdline = calloc(1, 1);
	for (uint32_t i = 0; r->cmdline && i < nr && i < 4096; i++) {
		char buf[4096], *c;

		if (!read_string(&p, end, buf, sizeof(buf)))
			break;
		c = realloc(r->cmdline, len + strlen(buf) + 2);
		if (!c) {
			free(r->cmdline);
			r->cmdline = NULL;
			break;
		}
		r->cmdline = c;
		len += (size_t)sprintf(r->cmdline + len, "%s%s", i ? " " : "", buf);
	}
	r->oom |= !r->cmdline;
}

/*
 * Feature sections: a table of {offset, size}, one per set bit of feats, at table_off; every
 * section must lie inside [lo, hi). -1 when they do not (a truncated or corrupt copy).
 */
static int parse_features(struct pd_reader *r, const uint64_t *feats, uint64_t table_off,
			  uint64_t lo, uint64_t hi)
{
	const uint8_t *tab = r->map + table_off;
	int n = 0;

	for (int b = 0; b < HEADER_FEAT_BITS; b++)
		if (test_bit(feats, b)) {
			struct file_section s;
			if (table_off + (uint64_t)(n + 1) * sizeof(s) > hi)
				return -1;
			memcpy(&s, tab + n * sizeof(s), sizeof(s));
			n++;
			if (!section_ok(r, &s) || s.offset < lo || s.offset + s.size > hi)
				return -1;
			r->feat[b] = s;
		}
	r->features_present = n > 0;

	for (int b = HEADER_HOSTNAME; b <= HEADER_CPUID; b++) {
		const uint8_t *p = r->map + r->feat[b].offset, *end = p + r->feat[b].size;
		char buf[1024];
		if (b == HEADER_NRCPUS || b == HEADER_TOTAL_MEM || !r->feat[b].size)
			continue;
		if (read_string(&p, end, buf, sizeof(buf)))
			r->strings[b] = r_strdup(r, buf);
	}
	if (r->feat[HEADER_NRCPUS].size >= 8) {
		memcpy(&r->nrcpus_avail, r->map + r->feat[HEADER_NRCPUS].offset, 4);
		memcpy(&r->nrcpus_online, r->map + r->feat[HEADER_NRCPUS].offset + 4, 4);
		r->have_nrcpus = true;
	}
	if (r->feat[HEADER_CMDLINE].size >= 4)
		parse_cmdline(r, r->map + r->feat[HEADER_CMDLINE].offset,
			      r->map + r->feat[HEADER_CMDLINE].offset + r->feat[HEADER_CMDLINE].size);
	if (r->feat[HEADER_EVENT_DESC].size >= 8) {
		const uint8_t *p = r->map + r->feat[HEADER_EVENT_DESC].offset;
		const uint8_t *end = p + r->feat[HEADER_EVENT_DESC].size;
		uint32_t nre, sz;
		memcpy(&nre, p, 4);
		memcpy(&sz, p + 4, 4);
		p += 8;
		for (uint32_t i = 0; i < nre; i++) {
			uint32_t nr_ids;
			char name[256];
			if (sz > (uint64_t)(end - p))
				break;
			p += sz;
			if (end - p < 4)
				break;
			memcpy(&nr_ids, p, 4);
			p += 4;
			if (!read_string(&p, end, name, sizeof(name)))
				break;
			if (nr_ids > (uint64_t)(end - p) / 8)
				break;
			/* match by the first id (attrs and descs are in the same order in perf files) */
			if (nr_ids) {
				uint64_t id;
				int a;
				memcpy(&id, p, 8);
				a = id_lookup(r, id);
				if (a >= 0 && !r->attrs[a].name)
					r->attrs[a].name = r_strdup(r, name);
			} else if (i < (uint32_t)r->nr_attrs && !r->attrs[i].name) {
				r->attrs[i].name = r_strdup(r, name);
			}
			p += nr_ids * 8;
		}
	}
	return 0;
}

/*
 * tlbstat's early copy of the features (see pd_create), read only when the file has no final
 * features (a killed recording): right after the attrs' ids, 8-byte aligned, before the data.
 * A file without it (perf's, or damaged) just has no features.
 */
static void early_features(struct pd_reader *r)
{
	uint64_t end = r->h.attrs.offset + r->h.attrs.size, feats[HEADER_FEAT_BITS / 64];
	uint64_t table;

	for (int i = 0; i < r->nr_attrs; i++) {
		const uint8_t *e = r->map + r->h.attrs.offset + (uint64_t)(i + 1) * r->h.attr_size;
		struct file_section ids;
		memcpy(&ids, e - sizeof(ids), sizeof(ids));
		if (ids.size && ids.offset + ids.size > end)
			end = ids.offset + ids.size;
	}
	end = (end + 7) & ~7ULL;
	table = end + sizeof(early_magic) + sizeof(feats);
	if (table > r->h.data.offset || memcmp(r->map + end, early_magic, sizeof(early_magic)))
		return;
	memcpy(feats, r->map + end + sizeof(early_magic), sizeof(feats));
	if (parse_features(r, feats, table, table, r->h.data.offset) < 0) {
		memset(r->feat, 0, sizeof(r->feat));
		for (int b = 0; b < HEADER_FEAT_BITS; b++) {
			free(r->strings[b]);
			r->strings[b] = NULL;
		}
		free(r->cmdline);
		r->cmdline = NULL;
		r->have_nrcpus = false;
		r->features_present = false;
	}
}

/* At most this many sample ids in all: 4096 events on 256 CPUs. */
#define PD_MAX_IDS (1u << 20)

/*
 * Check every attr's ids section before anything is allocated: inside the file, whole ids, and
 * not more ids in all than the file has bytes for (a real file gives every attr its own block;
 * a crafted one pointing every attr at one big block would make us copy it once per attr).
 */
static int check_attr_ids(struct pd_reader *r, const char *path, size_t *nids, char *err,
			  size_t errlen)
{
	uint64_t total = 0;

	for (int i = 0; i < r->nr_attrs; i++) {
		uint64_t off = r->h.attrs.offset + (uint64_t)(i + 1) * r->h.attr_size - 16;
		struct file_section ids;

		memcpy(&ids, r->map + off, sizeof(ids));
		if (!section_ok(r, &ids) || ids.size % 8) {
			snprintf(err, errlen, "%s: corrupt attr %d at offset %llu: its ids (%llu bytes at "
				 "offset %llu) are not inside the file", path, i,
				 (unsigned long long)off, (unsigned long long)ids.size,
				 (unsigned long long)ids.offset);
			return -1;
		}
		total += ids.size;
		if (total > r->map_size || total / 8 > PD_MAX_IDS) {
			snprintf(err, errlen, "%s: corrupt attr %d at offset %llu: %llu sample ids in all "
				 "is more than the file holds (%zu bytes, at most %u ids)", path, i,
				 (unsigned long long)off, (unsigned long long)(total / 8), r->map_size,
				 PD_MAX_IDS);
			return -1;
		}
	}
	*nids = (size_t)(total / 8);
	return 0;
}

/* The header's attr size, attrs section and data offset against the file; -1 with err. */
static int check_header(const struct pd_reader *r, const char *path, char *err, size_t errlen)
{
	const struct file_header *h = &r->h;

	if (h->attr_size < 16 + PERF_ATTR_SIZE_VER0 || h->attr_size > 4096)
		snprintf(err, errlen, "%s: corrupt header at offset 16: attr size %llu (%u to 4096)",
			 path, (unsigned long long)h->attr_size, 16 + PERF_ATTR_SIZE_VER0);
	else if (!section_ok(r, &h->attrs) || h->attrs.size % h->attr_size)
		snprintf(err, errlen, "%s: corrupt header at offset 24: attrs section of %llu bytes at "
			 "offset %llu (a multiple of %llu inside the file's %zu bytes)", path,
			 (unsigned long long)h->attrs.size, (unsigned long long)h->attrs.offset,
			 (unsigned long long)h->attr_size, r->map_size);
	else if (h->data.offset > r->map_size)
		snprintf(err, errlen, "%s: corrupt header at offset 40: data offset %llu past the end "
			 "of the file (%zu bytes)", path, (unsigned long long)h->data.offset,
			 r->map_size);
	else
		return 0;
	return -1;
}

/* The attrs, their ids and the id -> attr table. -1 with err (corrupt, out of memory). */
static int read_attrs(struct pd_reader *r, const char *path, char *err, size_t errlen)
{
	size_t nids;

	if (check_attr_ids(r, path, &nids, err, errlen) < 0)
		return -1;
	r->attrs = calloc((size_t)r->nr_attrs, sizeof(*r->attrs));
	if (!r->attrs)
		goto oom;
	for (int i = 0; i < r->nr_attrs; i++) {
		const uint8_t *e = r->map + r->h.attrs.offset + (uint64_t)i * r->h.attr_size;
		size_t asz = (size_t)r->h.attr_size - 16;
		struct file_section ids;
		memcpy(&r->attrs[i].attr, e, asz < sizeof(struct perf_event_attr) ? asz :
		       sizeof(struct perf_event_attr));
		memcpy(&ids, e + asz, sizeof(ids));
		r->attrs[i].nr_ids = (int)(ids.size / 8);	/* <= PD_MAX_IDS: checked */
		r->attrs[i].ids = malloc(ids.size ? ids.size : 8);
		if (!r->attrs[i].ids)
			goto oom;
		memcpy(r->attrs[i].ids, r->map + ids.offset, ids.size);
	}
	for (r->id_cap = 16; r->id_cap < nids * 2; r->id_cap *= 2)
		;
	r->id_keys = calloc(r->id_cap, sizeof(uint64_t));
	r->id_vals = malloc(r->id_cap * sizeof(int));
	if (!r->id_keys || !r->id_vals)
		goto oom;
	memset(r->id_vals, 0xff, r->id_cap * sizeof(int));
	for (int i = 0; i < r->nr_attrs; i++)
		for (int k = 0; k < r->attrs[i].nr_ids; k++)
			id_insert(r, r->attrs[i].ids[k], i);
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading %s", path);
	return -1;
}

struct pd_reader *pd_open(const char *path, char *err, size_t errlen)
{
	struct pd_reader *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	chunks_init(&r->ch, PD_CHUNK);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto fail;
	}
	r->map_size = (size_t)st.st_size;
	if (r->map_size < sizeof(r->h)) {
		snprintf(err, errlen, "%s is not a perf.data file (%zu bytes, shorter than a header)",
			 path, r->map_size);
		goto fail;
	}
	r->map = mmap(NULL, r->map_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	memcpy(&r->h, r->map, sizeof(r->h));
	if (r->h.magic != PERF_MAGIC2) {
		if (!memcmp(r->map, "PERFILE2", 8) || r->h.magic == __builtin_bswap64(PERF_MAGIC2))
			snprintf(err, errlen, "%s: big-endian perf.data files are not supported", path);
		else if (!memcmp(r->map, "PERFFILE", 8))
			snprintf(err, errlen, "%s: perf.data version 1 files are not supported", path);
		else
			snprintf(err, errlen, "%s is not a perf.data file (bad magic)", path);
		goto fail;
	}
	if (r->h.size != sizeof(r->h)) {
		snprintf(err, errlen, "%s: unexpected header size %llu (pipe-mode files are not supported)",
			 path, (unsigned long long)r->h.size);
		goto fail;
	}
	if (check_header(r, path, err, errlen) < 0)
		goto fail;
	r->nr_attrs = (int)(r->h.attrs.size / r->h.attr_size);
	if (r->nr_attrs == 0 || r->nr_attrs > 4096) {
		snprintf(err, errlen, "%s: corrupt header (%d events)", path, r->nr_attrs);
		goto fail;
	}
	if (read_attrs(r, path, err, errlen) < 0)
		goto fail;

	r->data_start = r->h.data.offset;
	if (!section_ok(r, &r->h.data)) {
		snprintf(err, errlen, "%s is truncated: its data section ends at byte %llu, the file "
			 "has %zu", path, (unsigned long long)(r->h.data.offset + r->h.data.size),
			 r->map_size);
		goto fail;
	}
	r->data_end = r->h.data.offset + r->h.data.size;
	/* perf killed before its final header: data size 0, feature bits set, no sections */
	if (r->h.data.size && parse_features(r, r->h.features, r->data_end, r->data_end,
					     r->map_size) < 0) {
		snprintf(err, errlen, "%s is truncated: its feature sections (after byte %llu) are cut "
			 "off or point outside the file", path, (unsigned long long)r->data_end);
		goto fail;
	}
	if (!r->features_present) {
		/*
		 * A recording cut short before its final header (perf: data size 0; tlbstat: the data
		 * size of its last once-a-second update) and no features: read up to the last
		 * complete record.
		 */
		r->data_end = r->map_size;
		r->truncated = true;
		early_features(r);
	}
	if (r->oom)
		goto oom;
	r->pos = r->data_start;
	return r;
oom:
	snprintf(err, errlen, "out of memory reading %s", path);
fail:
	pd_close(r);
	return NULL;
}

void pd_close(struct pd_reader *r)
{
	if (!r)
		return;
	chunks_free(&r->ch);
	if (r->map)
		munmap((void *)r->map, r->map_size);
	if (r->fd >= 0)
		close(r->fd);
	for (int i = 0; r->attrs && i < r->nr_attrs; i++) {
		free(r->attrs[i].ids);
		free(r->attrs[i].name);
	}
	for (int b = 0; b < HEADER_FEAT_BITS; b++)
		free(r->strings[b]);
	free(r->attrs);
	free(r->cmdline);
	free(r->id_keys);
	free(r->id_vals);
	free(r);
}

int pd_nr_attrs(const struct pd_reader *r) { return r->nr_attrs; }
const struct pd_attr *pd_attr(const struct pd_reader *r, int i) { return &r->attrs[i]; }
bool pd_truncated(const struct pd_reader *r) { return r->truncated; }

void pd_pin(struct pd_reader *r, const void *rec)
{
	chunks_pin(&r->ch, rec);
}
uint64_t pd_data_size(const struct pd_reader *r) { return r->data_end - r->data_start; }

void pd_extent(const struct pd_reader *r, uint64_t *records, uint64_t *offset, uint64_t *file_size)
{
	*records = r->nr_records;
	*offset = r->pos;
	*file_size = r->map_size;
}

const struct pd_attr *pd_attr_of(const struct pd_reader *r, const struct perf_event_header *hdr)
{
	const struct perf_event_attr *a0 = &r->attrs[0].attr;
	uint64_t id;
	int i;
	if (r->nr_attrs == 1)
		return &r->attrs[0];
	/* perf requires the id fields to sit at the same place in every attr of a file; a sample
	 * with IDENTIFIER (most records of a file) has it first */
	if (hdr->type == PERF_RECORD_SAMPLE && (a0->sample_type & PERF_SAMPLE_IDENTIFIER) &&
	    hdr->size >= sizeof(*hdr) + 8)
		memcpy(&id, hdr + 1, 8);
	else if (!sample_record_id(hdr, a0->sample_type, a0->sample_id_all, &id))
		return NULL;
	i = id_lookup(r, id);
	return i >= 0 ? &r->attrs[i] : NULL;
}

bool pd_has_feature(const struct pd_reader *r, int feat)
{
	return feat >= 0 && feat < HEADER_FEAT_BITS && r->feat[feat].size > 0;
}

size_t pd_build_id(const struct pd_reader *r, const char *name, unsigned char *id, size_t room)
{
	const uint8_t *p = r->map + r->feat[HEADER_BUILD_ID].offset;
	const uint8_t *end = p + r->feat[HEADER_BUILD_ID].size;
	size_t want = strlen(name);

	/* perf's build_id_event: header, pid, 24 bytes of id (its length in byte 20 when misc has
	 * bit 15, else 20), then the NUL-padded path to the record's end */
	while (end - p >= 8 + 4 + 24) {
		struct perf_event_header h;
		const char *path = (const char *)p + 8 + 4 + 24;
		size_t n;

		memcpy(&h, p, sizeof(h));
		if (h.size < 8 + 4 + 24 || h.size > end - p)
			break;
		if (strnlen(path, h.size - 36) == want && !memcmp(path, name, want)) {
			n = (h.misc & (1 << 15)) ? p[8 + 4 + 20] : 20;
			n = n > 20 ? 20 : n;
			n = n > room ? room : n;
			memcpy(id, p + 8 + 4, n);
			return n;
		}
		p += h.size;
	}
	return 0;
}

const char *pd_feature_string(const struct pd_reader *r, int feat)
{
	return feat >= 0 && feat < HEADER_FEAT_BITS ? r->strings[feat] : NULL;
}

bool pd_nr_cpus(const struct pd_reader *r, uint32_t *online, uint32_t *avail)
{
	if (!r->have_nrcpus)
		return false;
	*online = r->nrcpus_online;
	*avail = r->nrcpus_avail;
	return true;
}

const char *pd_cmdline(const struct pd_reader *r) { return r->cmdline; }

const void *pd_tracing_data(const struct pd_reader *r, size_t *len)
{
	return pd_feature_blob(r, HEADER_TRACING_DATA, len);
}

const void *pd_feature_blob(const struct pd_reader *r, int feat, size_t *len)
{
	if (!pd_has_feature(r, feat))
		return NULL;
	*len = (size_t)r->feat[feat].size;
	return r->map + r->feat[feat].offset;
}

/*
 * Make the file's bytes [pos, pos + n) (n <= PD_CHUNK, inside the data section) readable in the
 * tail chunk: a new chunk starts at pos with what the tail already had of them, the rest read
 * from the file. Returns 0, or -1 (err set) when out of memory or the file cannot be read.
 */
static int pd_fill(struct pd_reader *r, uint64_t pos, size_t n, char *err, size_t errlen)
{
	struct chunk *t = r->ch.tail, *c;
	size_t have = 0, want;

	if (t && pos >= t->off && pos + n <= t->off + t->len)
		return 0;
	if (!(c = chunks_take(&r->ch))) {
		snprintf(err, errlen, "out of memory reading records");
		return -1;
	}
	c->off = pos;
	if (t && pos >= t->off && pos < t->off + t->len) {
		have = (size_t)(t->off + t->len - pos);
		memcpy(c->data, t->data + (pos - t->off), have);
	}
	want = r->data_end - pos < PD_CHUNK ? (size_t)(r->data_end - pos) : PD_CHUNK;
	while (have < want) {
		ssize_t got = pread(r->fd, c->data + have, want - have, (off_t)(pos + have));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(err, errlen, "cannot read records at offset %llu: %s",
				 (unsigned long long)(pos + have),
				 got < 0 ? strerror(errno) : "the file got shorter");
			chunks_give_back(&r->ch, c);
			return -1;
		}
		have += (size_t)got;
	}
	c->len = have;
	chunks_append(&r->ch, c);
	if (have < n) {
		snprintf(err, errlen, "truncated record at offset %llu", (unsigned long long)pos);
		return -1;
	}
	return 0;
}

static int pd_next_slow(struct pd_reader *r, const struct perf_event_header **hdr, char *err,
			size_t errlen);

/*
 * The common case inline: the whole record (its header said a sane size) is in the tail chunk.
 * Anything else (a record across the chunk's end, the file's end, a bad size) goes the slow way,
 * which checks and says what is wrong.
 */
int pd_next(struct pd_reader *r, const struct perf_event_header **hdr, char *err, size_t errlen)
{
	const uint8_t *p = r->cur;

	chunks_release(&r->ch);
	/* a chunk ends at or before the data section's end (pd_fill): inside it is inside that */
	if (r->cur_end - p >= (ptrdiff_t)sizeof(**hdr)) {
		const struct perf_event_header *h = (const void *)p;
		uint16_t size = h->size;

		if (size >= sizeof(*h) && !(size % 8) && size <= r->cur_end - p) {
			*hdr = h;
			r->cur = p + size;
			r->pos += size;
			r->nr_records++;
			return 1;
		}
	}
	return pd_next_slow(r, hdr, err, errlen);
}

static __attribute__((noinline)) int pd_next_slow(struct pd_reader *r,
						  const struct perf_event_header **hdr,
						  char *err, size_t errlen)
{
	struct perf_event_header h;
	const struct chunk *t;

	if (r->pos >= r->data_end)
		return 0;
	if (r->data_end - r->pos < sizeof(h)) {
		if (r->truncated)
			return 0;	/* a record cut by the kill */
		snprintf(err, errlen, "truncated record at offset %llu", (unsigned long long)r->pos);
		return -1;
	}
	if (pd_fill(r, r->pos, sizeof(h), err, errlen) < 0)
		return -1;
	t = r->ch.tail;
	memcpy(&h, t->data + (r->pos - t->off), sizeof(h));
	if (h.size < sizeof(h) || h.size % 8) {
		if (r->truncated && h.size == 0)
			return 0;	/* preallocated zeros after the last record */
		snprintf(err, errlen, "corrupt record at offset %llu (size %u)",
			 (unsigned long long)r->pos, h.size);
		return -1;
	}
	if (h.size > r->data_end - r->pos) {
		if (r->truncated)
			return 0;
		snprintf(err, errlen, "truncated record at offset %llu (size %u, %llu bytes left)",
			 (unsigned long long)r->pos, h.size,
			 (unsigned long long)(r->data_end - r->pos));
		return -1;
	}
	if (pd_fill(r, r->pos, h.size, err, errlen) < 0)
		return -1;
	t = r->ch.tail;
	*hdr = (const struct perf_event_header *)(t->data + (r->pos - t->off));
	r->pos += h.size;
	r->nr_records++;
	r->cur = t->data + (r->pos - t->off);
	r->cur_end = t->data + t->len;
	return 1;
}

/* ======================= writer ======================= */

struct pd_writer {
	int fd;
	struct file_header h;
	struct pd_writer_attr *attrs;
	int nr_attrs;
	char **argv;
	int argc;
	char *tracing;          /* TRACING_DATA, built at create time from tracefs */
	size_t tracing_len;
	char *private_note;     /* tlbstat's own feature (transport) */
	void *build_ids;        /* HEADER_BUILD_ID's body (record -g), or NULL */
	size_t build_ids_len;
	uint64_t data_size;
	uint64_t last_header_ns, last_flush_ns;
	char *buf;              /* write buffer */
	size_t buf_len;
};

#define WBUF (1u << 20)
#define FLUSH_NS 100000000ULL		/* buffered records reach the file this often */
#define HEADER_REFRESH_NS 1000000000ULL	/* and the header's data size this often */


/* perf's do_write_string: u32 length (NUL included, aligned to 64), padded bytes */
static void mb_string(struct membuf *m, const char *s)
{
	uint32_t olen = (uint32_t)strlen(s) + 1;
	uint32_t len = (olen + NAME_ALIGN - 1) / NAME_ALIGN * NAME_ALIGN;
	static const char zeros[NAME_ALIGN];
	membuf_u32(m, len);
	membuf_put(m, s, olen);
	membuf_put(m, zeros, len - olen);
}

/* TRACING_DATA of the tracepoint attrs (tracing-data.c), with syms's kallsyms lines. */
static int build_tracing_data(struct pd_writer *w, const struct syms *syms, char *err,
			      size_t errlen)
{
	const char **events = calloc((size_t)w->nr_attrs + 1, sizeof(*events));
	int n = 0, rc;

	if (!events) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < w->nr_attrs; i++)
		if (w->attrs[i].attr->type == PERF_TYPE_TRACEPOINT && w->attrs[i].name)
			events[n++] = w->attrs[i].name;
	rc = tdata_build(events, n, syms, &w->tracing, &w->tracing_len, err, errlen);
	free(events);
	return rc;
}

static int flush_buf(struct pd_writer *w)
{
	if (w->buf_len && pwrite_all(w->fd, w->buf, w->buf_len,
				     w->h.data.offset + w->data_size - w->buf_len) < 0)
		return -1;
	w->buf_len = 0;
	return 0;
}

static int write_header(struct pd_writer *w)
{
	w->h.data.size = w->data_size - w->buf_len;
	return pwrite_all(w->fd, &w->h, sizeof(w->h), 0);
}

static void build_features(struct pd_writer *w, uint64_t *bits, uint64_t off, struct membuf *tab,
			   struct membuf *body);

/* The writer's own copies of the attrs, their ids and names. -1 when out of memory. */
static int copy_attrs(struct pd_writer *w, const struct pd_writer_attr *attrs, int nr_attrs)
{
	w->attrs = calloc((size_t)nr_attrs, sizeof(*w->attrs));
	if (!w->attrs)
		return -1;
	w->nr_attrs = nr_attrs;
	for (int i = 0; i < nr_attrs; i++) {
		struct perf_event_attr *a = malloc(sizeof(*a));
		uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)(attrs[i].nr_ids + 1));
		char *name = attrs[i].name ? strdup(attrs[i].name) : NULL;

		w->attrs[i] = (struct pd_writer_attr){ a, ids, attrs[i].nr_ids, name };
		if (!a || !ids || (attrs[i].name && !name))
			return -1;
		*a = *attrs[i].attr;
		memcpy(ids, attrs[i].ids, sizeof(uint64_t) * (size_t)attrs[i].nr_ids);
	}
	return 0;
}

struct pd_writer *pd_create(const char *path, const struct pd_writer_attr *attrs, int nr_attrs,
			    int argc, char **argv, const struct syms *syms, char *err, size_t errlen)
{
	struct pd_writer *w = calloc(1, sizeof(*w));
	struct membuf m = { 0 };
	uint64_t ids_off;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = -1;
	w->argc = argc;
	w->argv = argv;
	if (copy_attrs(w, attrs, nr_attrs) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (build_tracing_data(w, syms, err, errlen) < 0)
		goto fail;

	/* root writes it: never through a symlink (outfile.h) */
	w->fd = outfile_open(path, 0600, err, errlen);
	if (w->fd < 0)
		goto fail;
	w->h.magic = PERF_MAGIC2;
	w->h.size = sizeof(w->h);
	w->h.attr_size = sizeof(struct perf_event_attr) + sizeof(struct file_section);
	w->h.attrs.offset = sizeof(w->h);
	w->h.attrs.size = w->h.attr_size * (uint64_t)nr_attrs;
	ids_off = w->h.attrs.offset + w->h.attrs.size;
	for (int i = 0; i < nr_attrs; i++) {
		struct file_section ids = { ids_off, 8 * (uint64_t)w->attrs[i].nr_ids };
		membuf_put(&m, w->attrs[i].attr, sizeof(struct perf_event_attr));
		membuf_put(&m, &ids, sizeof(ids));
		ids_off += ids.size;
	}
	for (int i = 0; i < nr_attrs; i++)
		membuf_put(&m, w->attrs[i].ids, 8 * (size_t)w->attrs[i].nr_ids);
	{
		/*
		 * The early copy of the features (everything but the transport note, known only at
		 * the end): a killed recording keeps its tracing data, event names and machine facts.
		 * perf reads nothing between the ids and the data offset.
		 */
		uint64_t early = (ids_off + 7) & ~7ULL, bits[HEADER_FEAT_BITS / 64] = { 0 };
		uint64_t table = early + sizeof(early_magic) + sizeof(bits);
		struct membuf tab = { 0 }, body = { 0 };
		static const char zeros[8];
		build_features(w, bits, table, &tab, &body);
		membuf_put(&m, zeros, early - ids_off);
		membuf_put(&m, early_magic, sizeof(early_magic));
		membuf_put(&m, bits, sizeof(bits));
		membuf_put(&m, tab.p, tab.len);
		membuf_put(&m, body.p, body.len);
		m.oom |= tab.oom || body.oom;
		free(tab.p);
		free(body.p);
		w->h.data.offset = (table + tab.len + body.len + 4095) & ~4095ULL;
	}
	if (m.oom) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pwrite_all(w->fd, m.p, m.len, sizeof(w->h)) < 0 || write_header(w) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	free(m.p);
	m.p = NULL;
	w->buf = malloc(WBUF);
	if (!w->buf) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	w->last_header_ns = w->last_flush_ns = now_ns();
	return w;
fail:
	free(m.p);
	if (w->fd >= 0)
		close(w->fd);
	for (int i = 0; w->attrs && i < nr_attrs; i++) {
		free((void *)w->attrs[i].attr);
		free((void *)w->attrs[i].ids);
		free((void *)w->attrs[i].name);
	}
	free(w->attrs);
	free(w->tracing);
	free(w);
	return NULL;
}

int pd_write(struct pd_writer *w, const void *rec, size_t len)
{
	if (w->buf_len + len > WBUF && flush_buf(w) < 0)
		return -1;
	if (len > WBUF) {
		if (pwrite_all(w->fd, rec, len, w->h.data.offset + w->data_size) < 0)
			return -1;
		w->data_size += len;
		return 0;
	}
	memcpy(w->buf + w->buf_len, rec, len);
	w->buf_len += len;
	w->data_size += len;
	return 0;
}

int pd_finish_round(struct pd_writer *w)
{
	struct perf_event_header h = { PERF_RECORD_FINISHED_ROUND, 0, sizeof(h) };
	if (pd_write(w, &h, sizeof(h)) < 0)
		return -1;
	return pd_tick(w);
}

int pd_tick(struct pd_writer *w)
{
	uint64_t now;
	/*
	 * Kill safety: every 100 ms at most the buffered records go to the file (a killed
	 * recording loses at most that, plus what the kernel buffers still held: tlbstat's reader
	 * reads a killed file to its end, whatever the header says); once a second the header's
	 * data size is brought up to date too (rarely: a write to a page under writeback waits
	 * for it, and the reader does not need it).
	 */
	now = now_ns();
	if (now - w->last_flush_ns > FLUSH_NS) {
		w->last_flush_ns = now;
		if (flush_buf(w) < 0)
			return -1;
	}
	if (now - w->last_header_ns > HEADER_REFRESH_NS) {
		w->last_header_ns = now;
		if (write_header(w) < 0)
			return -1;
	}
	return 0;
}

int pd_set_note(struct pd_writer *w, const char *note)
{
	free(w->private_note);
	w->private_note = note ? strdup(note) : NULL;
	return note && !w->private_note ? -1 : 0;
}

int pd_set_build_ids(struct pd_writer *w, const void *blob, size_t len)
{
	free(w->build_ids);
	w->build_ids = NULL;
	w->build_ids_len = 0;
	if (!blob || !len)
		return 0;
	w->build_ids = malloc(len);
	if (!w->build_ids)
		return -1;
	memcpy(w->build_ids, blob, len);
	w->build_ids_len = len;
	return 0;
}

static void feature_string(struct membuf *m, const char *s)
{
	mb_string(m, s ? s : "");
}

static void build_feature_src(const struct pd_feature_src *w, int feat, struct membuf *m)
{
	struct utsname u;
	uname(&u);
	switch (feat) {
	case HEADER_TRACING_DATA:
		membuf_put(m, w->tracing, w->tracing_len);
		break;
	case HEADER_HOSTNAME:
		feature_string(m, u.nodename);
		break;
	case HEADER_OSRELEASE:
		feature_string(m, u.release);
		break;
	case HEADER_VERSION:
		feature_string(m, "tlbstat " TLBSTAT_VERSION);
		break;
	case HEADER_ARCH:
		feature_string(m, u.machine);
		break;
	case HEADER_NRCPUS: {
		uint32_t avail = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
		uint32_t online = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
		membuf_u32(m, avail);
		membuf_u32(m, online);
		break;
	}
	case HEADER_TOTAL_MEM: {
		struct sysinfo si;
		sysinfo(&si);
		membuf_u64(m, (uint64_t)si.totalram * si.mem_unit / 1024);
		break;
	}
	case HEADER_CMDLINE:
		membuf_u32(m, (uint32_t)w->argc);
		for (int i = 0; i < w->argc; i++)
			feature_string(m, w->argv[i]);
		break;
	case HEADER_EVENT_DESC:
		membuf_u32(m, (uint32_t)w->nr_attrs);
		membuf_u32(m, (uint32_t)sizeof(struct perf_event_attr));
		for (int i = 0; i < w->nr_attrs; i++) {
			membuf_put(m, w->attrs[i].attr, sizeof(struct perf_event_attr));
			membuf_u32(m, (uint32_t)w->attrs[i].nr_ids);
			feature_string(m, w->attrs[i].name ? w->attrs[i].name : "unknown");
			membuf_put(m, w->attrs[i].ids, 8 * (size_t)w->attrs[i].nr_ids);
		}
		break;
	case HEADER_CLOCKID: {
		uint64_t res_ns = 1;	/* perf stores the resolution in ns */
		struct timespec ts;
		if (clock_getres(CLOCK_MONOTONIC, &ts) == 0)
			res_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		membuf_u64(m, res_ns);
		break;
	}
	case HEADER_TLBSTAT:
		feature_string(m, w->note);
		break;
	case HEADER_BUILD_ID:
		membuf_put(m, w->build_ids, w->build_ids_len);
		break;
	}
}

static void build_feature(struct pd_writer *w, int feat, struct membuf *m)
{
	const struct pd_feature_src src = {
		w->attrs, w->nr_attrs, w->argc, w->argv, w->tracing, w->tracing_len, w->private_note,
		w->build_ids, w->build_ids_len,
	};

	build_feature_src(&src, feat, m);
}

int pd_feature_body(const struct pd_feature_src *src, int feat, void **body, size_t *len)
{
	struct membuf m = { 0 };

	build_feature_src(src, feat, &m);
	if (m.oom) {
		free(m.p);
		return -1;
	}
	*body = m.p;
	*len = m.len;
	return 0;
}

static const int writer_feats[] = {
	HEADER_TRACING_DATA, HEADER_BUILD_ID, HEADER_HOSTNAME, HEADER_OSRELEASE, HEADER_VERSION,
	HEADER_ARCH, HEADER_NRCPUS, HEADER_TOTAL_MEM, HEADER_CMDLINE, HEADER_EVENT_DESC,
	HEADER_CLOCKID, HEADER_TLBSTAT,
};

/* The features the writer has now into bits, and their table (at off) and bodies after it. */
static void build_features(struct pd_writer *w, uint64_t *bits, uint64_t off, struct membuf *tab,
			   struct membuf *body)
{
	int nf = 0;

	for (size_t i = 0; i < ARRAY_SIZE(writer_feats); i++) {
		if (writer_feats[i] == HEADER_TLBSTAT && !w->private_note)
			continue;
		if (writer_feats[i] == HEADER_BUILD_ID && !w->build_ids_len)
			continue;
		if (writer_feats[i] == HEADER_CLOCKID && !w->attrs[0].attr->use_clockid)
			continue;
		set_bit(bits, writer_feats[i]);
		nf++;
	}
	off += (uint64_t)nf * sizeof(struct file_section);
	for (int b = 0; b < HEADER_FEAT_BITS; b++) {
		struct file_section s;
		size_t before = body->len;
		if (!test_bit(bits, b))
			continue;
		build_feature(w, b, body);
		s.offset = off + before;
		s.size = body->len - before;
		membuf_put(tab, &s, sizeof(s));
	}
}

int pd_finish(struct pd_writer *w)
{
	struct membuf tab = { 0 }, body = { 0 };
	uint64_t feat_off;
	int rc = 0;

	if (flush_buf(w) < 0)
		rc = -1;
	feat_off = w->h.data.offset + w->data_size;
	build_features(w, w->h.features, feat_off, &tab, &body);
	if (tab.oom || body.oom) {
		errno = ENOMEM;
		rc = -1;
	}
	if (rc == 0 && (pwrite_all(w->fd, tab.p, tab.len, feat_off) < 0 ||
			pwrite_all(w->fd, body.p, body.len, feat_off + tab.len) < 0 ||
			write_header(w) < 0 ||
			ftruncate(w->fd, (off_t)(feat_off + tab.len + body.len)) < 0))
		rc = -1;
	if (close(w->fd) < 0)
		rc = -1;
	for (int i = 0; i < w->nr_attrs; i++) {
		free((void *)w->attrs[i].attr);
		free((void *)w->attrs[i].ids);
		free((void *)w->attrs[i].name);
	}
	free(tab.p);
	free(body.p);
	free(w->attrs);
	free(w->tracing);
	free(w->private_note);
	free(w->build_ids);
	free(w->buf);
	free(w);
	return rc;
}

uint64_t pd_bytes_written(const struct pd_writer *w)
{
	return w->h.data.offset + w->data_size;
}
