/*
 * Decoding raw tracepoint samples into tlb_events through libtraceevent (event.h).
 *
 * Two ways to get a tep handle: from tracefs (live) or from a perf.data TRACING_DATA blob
 * (file). Either way the event formats are parsed by libtraceevent, and the decoder looks events
 * up by name and fields by name once, at tlb_decoder_new(); no offset is written here.
 *
 * Function addresses (ipi callback, csd func) are classified through a handful of kernel
 * symbols registered in the tep's function map: flush_tlb_func (user mm flush) and the
 * kernel-range flush functions. They come from /proc/kallsyms when live, or from the kallsyms
 * part of TRACING_DATA (falling back to /proc/kallsyms when the file has none, as perf does).
 */
#include "event.h"
#include "sample.h"
#include "tracefs.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>

/* The function names that mean "a TLB flush runs there" and their class. */
static const struct {
	const char *name;
	enum tlb_func_class cls;
} tlb_funcs[] = {
	{ "flush_tlb_func", TLB_FUNC_FLUSH },
	{ "flush_tlb_func_remote", TLB_FUNC_FLUSH },        /* kernels < 5.13 */
	{ "do_kernel_range_flush", TLB_FUNC_KERNEL_RANGE },
	{ "do_flush_tlb_all", TLB_FUNC_KERNEL_RANGE },
};

static enum tlb_func_class func_class_of_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tlb_funcs); i++)
		if (!strcmp(name, tlb_funcs[i].name))
			return tlb_funcs[i].cls;
	return TLB_FUNC_NONE;
}

/*
 * Scan kallsyms text ("addr type name [module]" lines) and register the TLB functions in tep.
 * Returns how many were registered (0 with kptr_restrict's zero addresses).
 */
static int register_tlb_funcs(struct tep_handle *tep, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *ln;
	size_t l;
	int n = 0;

	while (next_line(&p, end, &ln, &l)) {
		char line[256];

		if (l < sizeof(line)) {
			unsigned long long addr;
			char type, name[160];

			memcpy(line, ln, l);
			line[l] = 0;
			/* cheap filter before sscanf: every name of interest contains "flush" */
			if (strstr(line, "flush") &&
			    sscanf(line, "%llx %c %159s", &addr, &type, name) == 3 && addr &&
			    func_class_of_name(name) != TLB_FUNC_NONE &&
			    !strchr(line, '[')) {
				if (tep_register_function(tep, name, addr, NULL) == 0)
					n++;
			}
		}
	}
	return n;
}

static int register_from_proc_kallsyms(struct tep_handle *tep)
{
	size_t len;
	const char *text = proc_kallsyms(&len);

	return text ? register_tlb_funcs(tep, text, len) : 0;
}

/*
 * Reading /proc/kallsyms costs about 0.1 s, so it waits until a function address must be
 * classified: these teps want it, on their decoder's first classification.
 */
static struct tep_handle *lazy_kallsyms[16];

static void want_proc_kallsyms(struct tep_handle *tep)
{
	for (size_t i = 0; i < ARRAY_SIZE(lazy_kallsyms); i++)
		if (!lazy_kallsyms[i]) {
			lazy_kallsyms[i] = tep;
			return;
		}
	register_from_proc_kallsyms(tep);   /* table full: now */
}

/* Load /proc/kallsyms's TLB functions now if tep was waiting for them (or forget a freed tep). */
static void settle_kallsyms(struct tep_handle *tep, bool load)
{
	for (size_t i = 0; i < ARRAY_SIZE(lazy_kallsyms); i++)
		if (lazy_kallsyms[i] == tep) {
			lazy_kallsyms[i] = NULL;
			if (load)
				register_from_proc_kallsyms(tep);
		}
}

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

struct tep_handle *event_tep_from_tracefs(const char *const *events, int nr)
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
	want_proc_kallsyms(tep);
	return tep;
}

/* ---------------- TRACING_DATA ---------------- */

/*
 * A format text from a file is untrusted: libtraceevent (1.7) dereferences NULL on some corrupt
 * print formats (a print fmt naming a field the format lacks) and on non-ASCII field lines. tlbstat
 * reads fields only, never prints through the print fmt, so the print fmt is replaced by an empty
 * one, and a format with bytes a kernel never writes (outside tab, newline, 0x20-0x7e) is refused.
 * Returns false for a refused format.
 */
static bool sanitize_format(char *buf, size_t *len)
{
	char *pf;

	for (size_t i = 0; i < *len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch != '\t' && ch != '\n' && (ch < 0x20 || ch > 0x7e))
			return false;
	}
	pf = strstr(buf, "\nprint fmt:");
	if (pf) {
		/* buf has room: the replacement is shorter than "\nprint fmt:" plus anything */
		size_t keep = (size_t)(pf - buf) + 1;
		static const char empty[] = "print fmt: \"\"\n";

		if (*len - keep >= sizeof(empty) - 1) {
			memcpy(buf + keep, empty, sizeof(empty));
			*len = keep + sizeof(empty) - 1;
		}
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
	buf = xmalloc((size_t)n + 1);
	memcpy(buf, p, (size_t)n);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

struct tep_handle *event_tep_from_tracing_data(const void *data, size_t len, char *err,
					       size_t errlen)
{
	static const unsigned char magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	struct cursor c = { .base = data, .len = len, .err = err, .errlen = errlen };
	const unsigned char *p;
	const char *version, *s;
	char *buf;
	size_t blen;
	unsigned file_be, long_size;
	uint64_t page_size, count, systems;
	int kallsyms_funcs = -1;
	bool have_kallsyms = false;

	if (err && errlen)
		err[0] = 0;
	if (!data) {
		cfail(&c, "no tracing data");
		return NULL;
	}
	p = take(&c, sizeof(magic), "magic");
	if (!p)
		return NULL;
	if (memcmp(p, magic, sizeof(magic))) {
		c.pos = 0;
		cfail(&c, "not perf tracing data (bad magic)");
		return NULL;
	}
	version = take_string(&c, "version string");
	p = take(&c, 2, "endianness and long size");
	if (!p)
		return NULL;
	file_be = p[0];
	long_size = p[1];
	if (file_be > 1 || (long_size != 4 && long_size != 8)) {
		c.pos -= 2;
		cfail(&c, "corrupt tracing data: endianness %u, long size %u", file_be, long_size);
		return NULL;
	}

	c.tep = new_tep();
	if (!c.tep) {
		cfail(&c, "out of memory");
		return NULL;
	}
	tep_set_file_bigendian(c.tep, file_be ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(c.tep, (int)long_size);
	page_size = take_num(&c, 4, "page size");
	if (c.failed)
		goto fail;
	if (!page_size || page_size > (1u << 24)) {
		c.pos -= 4;
		cfail(&c, "corrupt tracing data: page size %llu", (unsigned long long)page_size);
		goto fail;
	}
	tep_set_page_size(c.tep, (int)page_size);

	/* header_page, header_event */
	p = take(&c, 12, "header_page tag");
	if (p && memcmp(p, "header_page", 12)) {
		c.pos -= 12;
		cfail(&c, "corrupt tracing data: no header_page");
		goto fail;
	}
	buf = take_block(&c, 8, "header_page", &blen);
	if (!buf)
		goto fail;
	if (!tep_parse_header_page(c.tep, buf, blen, (int)long_size))
		tep_set_long_size(c.tep, tep_get_header_page_size(c.tep));
	free(buf);
	p = take(&c, 13, "header_event tag");
	if (p && memcmp(p, "header_event", 13)) {
		c.pos -= 13;
		cfail(&c, "corrupt tracing data: no header_event");
		goto fail;
	}
	free(take_block(&c, 8, "header_event", &blen));
	if (c.failed)
		goto fail;

	/* ftrace formats */
	count = take_num(&c, 4, "ftrace format count");
	for (uint64_t i = 0; i < count && !c.failed; i++) {
		buf = take_block(&c, 8, "ftrace format", &blen);
		if (buf && sanitize_format(buf, &blen))
			tep_parse_event(c.tep, buf, blen, "ftrace");
		free(buf);
	}

	/* event formats by system */
	systems = take_num(&c, 4, "system count");
	for (uint64_t i = 0; i < systems && !c.failed; i++) {
		size_t sys_at = c.pos;

		s = take_string(&c, "system name");
		if (s && !*s) {
			c.pos = sys_at;
			cfail(&c, "corrupt tracing data: empty system name");
		}
		count = take_num(&c, 4, "event format count");
		for (uint64_t j = 0; j < count && !c.failed; j++) {
			size_t at = c.pos;

			buf = take_block(&c, 8, "event format", &blen);
			if (buf && !sanitize_format(buf, &blen)) {
				c.pos = at;
				cfail(&c, "corrupt tracing data: format %llu of system '%.32s' has bytes "
				      "no kernel writes", (unsigned long long)j + 1, s);
			} else if (buf) {
				/* one libtraceevent cannot parse is left out, like perf does */
				tep_parse_event(c.tep, buf, blen, s);
			}
			free(buf);
		}
	}
	if (c.failed)
		goto fail;

	/* kallsyms (perf >= 5.x writes size 0) */
	buf = take_block(&c, 4, "kallsyms", &blen);
	if (!buf)
		goto fail;
	if (blen) {
		have_kallsyms = true;
		kallsyms_funcs = register_tlb_funcs(c.tep, buf, blen);
	}
	free(buf);

	/*
	 * printk formats; saved cmdlines (>= 0.6). Checked for framing but not handed to
	 * libtraceevent: tlbstat prints no %s-of-pointer fields and names tasks from COMM records,
	 * and tep_parse_printk_formats() reads past the end of some corrupt texts.
	 */
	buf = take_block(&c, 4, "printk formats", &blen);
	if (!buf)
		goto fail;
	free(buf);
	if (version && atof(version) >= 0.6) {
		buf = take_block(&c, 8, "saved cmdlines", &blen);
		if (!buf)
			goto fail;
		free(buf);
	}
	if (!have_kallsyms || kallsyms_funcs == 0)
		want_proc_kallsyms(c.tep);
	return c.tep;
fail:
	tep_free(c.tep);
	return NULL;
}

/* ---------------- decoder ---------------- */

struct dec_event {
	int id;
	enum tlb_event_kind kind;
	struct tep_format_field *f[TLB_F_MAX];
};

#define FUNC_CACHE 64

struct tlb_decoder {
	struct tep_handle *tep;
	int type_off, type_size;
	/* id -> index+1 into evs (0 = not ours); ids above max_id are not ours */
	unsigned short *by_id;
	int max_id;
	struct dec_event evs[32];
	int nr_evs;
	int long_size;
	bool file_be;
	bool symbols_settled;
	struct { uint64_t addr; enum tlb_func_class cls; const char *name; } cache[FUNC_CACHE];
};

static void add_event(struct tlb_decoder *d, struct tep_event *e, enum tlb_event_kind kind,
		      const char *const *fields)
{
	struct dec_event *de;

	if (!e || d->nr_evs >= (int)ARRAY_SIZE(d->evs) || e->id < 0 || e->id > 65535)
		return;
	de = &d->evs[d->nr_evs];
	memset(de, 0, sizeof(*de));
	de->id = e->id;
	de->kind = kind;
	for (int i = 0; i < TLB_F_MAX; i++)
		if (fields[i])
			de->f[i] = tep_find_field(e, fields[i]);
	/* a tlb_flush without its fields cannot be decoded: leave it as "other" */
	if (kind == EV_TLB_FLUSH && (!de->f[TLB_F_REASON] || !de->f[TLB_F_PAGES]))
		return;
	if (e->id > d->max_id) {
		d->by_id = xrealloc(d->by_id, sizeof(*d->by_id) * (size_t)(e->id + 1));
		memset(d->by_id + d->max_id + 1, 0, sizeof(*d->by_id) * (size_t)(e->id - d->max_id));
		d->max_id = e->id;
	}
	d->by_id[e->id] = (unsigned short)(d->nr_evs + 1);
	d->nr_evs++;
}

/*
 * Add the events of tep that registry row def describes: the one of its name, or for the
 * patched-tracepoint row every event of its system that carries the flush's targets. *ct gets
 * the common_type field of the first event seen.
 */
static void add_def_events(struct tlb_decoder *d, const struct tlb_event_def *def,
			   struct tep_format_field **ct)
{
	struct tep_event **all;

	if (strcmp(def->name, "*")) {
		struct tep_event *e = tep_find_event_by_name(d->tep, def->sys, def->name);

		if (e && !*ct)
			*ct = tep_find_common_field(e, "common_type");
		add_event(d, e, def->kind, def->fields);
		return;
	}
	all = tep_list_events(d->tep, TEP_EVENT_SORT_ID);
	for (int i = 0; all && all[i]; i++) {
		struct tep_event *e = all[i];
		bool targets = tep_find_field(e, "cpumask") || tep_find_field(e, "nr_targets");

		if (!*ct)
			*ct = tep_find_common_field(e, "common_type");
		if (tlb_events_match(def, e->system, e->name, targets))
			add_event(d, e, def->kind, def->fields);
	}
}

struct tlb_decoder *tlb_decoder_new(struct tep_handle *tep)
{
	struct tlb_decoder *d;
	const struct tlb_event_def *defs;
	struct tep_format_field *ct = NULL;
	size_t nr_defs;

	if (!tep)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->tep = tep;
	d->max_id = -1;
	d->long_size = tep_get_long_size(tep);
	if (d->long_size != 4 && d->long_size != 8)
		d->long_size = 8;
	d->file_be = tep_is_file_bigendian(tep);
	d->type_off = 0;
	d->type_size = 2;

	defs = tlb_events_table(&nr_defs);
	for (size_t i = 0; i < nr_defs; i++)
		add_def_events(d, &defs[i], &ct);
	if (ct) {
		d->type_off = ct->offset;
		d->type_size = ct->size;
	}
	return d;
}

void tlb_decoder_free(struct tlb_decoder *d)
{
	if (!d)
		return;
	free(d->by_id);
	free(d);
}

/*
 * A number of size bytes at p, in the file's byte order. The common case (the file's order is
 * the host's) is a plain load: libtraceevent's tep_read_number_field was a fifth of report's
 * time on a 1M-sample file.
 */
static unsigned long long read_num(const struct tlb_decoder *d, const unsigned char *p, int size)
{
	if (d->file_be == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)) {
		uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
		switch (size) {
		case 1: memcpy(&u8, p, 1); return u8;
		case 2: memcpy(&u16, p, 2); return u16;
		case 4: memcpy(&u32, p, 4); return u32;
		case 8: memcpy(&u64, p, 8); return u64;
		default: break;
		}
	}
	return tep_read_number(d->tep, p, size);
}

static bool read_field(const struct tlb_decoder *d, const struct tep_format_field *f,
		       const struct tlb_sample *s, unsigned long long *v)
{
	if (!f || f->offset < 0 || (uint64_t)f->offset + (uint64_t)f->size > s->raw_size)
		return false;
	switch (f->size) {
	case 1: case 2: case 4: case 8:
		*v = read_num(d, (const unsigned char *)s->raw + f->offset, f->size);
		return true;
	default:
		return false;	/* tep_read_number_field refuses other sizes too */
	}
}

/* The bytes of a __data_loc / __rel_loc field; false if absent or out of the payload. */
static bool dyn_field(const struct tlb_decoder *d, const struct tep_format_field *f,
		      const struct tlb_sample *s, const unsigned char **p, uint32_t *len)
{
	unsigned long long v;
	uint32_t off, l;

	if (!f || !(f->flags & TEP_FIELD_IS_DYNAMIC)) {
		/* a fixed array (patched tracepoints may declare the mask as an array) */
		if (!f || f->offset < 0 || (uint64_t)f->offset + (uint64_t)f->size > s->raw_size)
			return false;
		*p = (const unsigned char *)s->raw + f->offset;
		*len = (uint32_t)f->size;
		return true;
	}
	if (!read_field(d, f, s, &v))
		return false;
	off = (uint32_t)(v & 0xffff);
	l = (uint32_t)((v >> 16) & 0xffff);
	if (f->flags & TEP_FIELD_IS_RELATIVE)
		off += (uint32_t)(f->offset + f->size);
	if ((uint64_t)off + l > s->raw_size)
		return false;
	*p = (const unsigned char *)s->raw + off;
	*len = l;
	return true;
}

int tlb_cpumask_weight(const void *bits, size_t len)
{
	const unsigned char *b = bits;
	int w = 0;

	for (size_t i = 0; i < len; i++)
		w += __builtin_popcount(b[i]);
	return w;
}

/* Set ev->target_mask from a kernel bitmap of long_size-byte words in the file's byte order. */
static void mask_from_bitmap(struct tlb_decoder *d, const unsigned char *b, uint32_t len,
			     struct tlb_event *ev)
{
	uint32_t ls = (uint32_t)d->long_size;

	for (uint32_t w = 0; w + ls <= len; w += ls) {
		uint64_t word = tep_read_number(d->tep, b + w, (int)ls);
		uint32_t base = w * 8;   /* first cpu of this word */

		while (word) {
			int bit = __builtin_ctzll(word);
			uint32_t cpu = base + (uint32_t)bit;

			word &= word - 1;
			if (cpu < 64 * TLB_EVENT_MASK_WORDS)
				ev->target_mask[cpu / 64] |= 1ULL << (cpu % 64);
			if (ev->nr_targets == 1)
				ev->target_cpu = -1;
			else if (ev->nr_targets == 0)
				ev->target_cpu = (int)cpu;
			ev->nr_targets++;
		}
	}
}

static void set_target(struct tlb_event *ev, unsigned long long cpu)
{
	ev->target_cpu = (int)cpu;
	ev->nr_targets = 1;
	if (cpu < 64 * TLB_EVENT_MASK_WORDS)
		ev->target_mask[cpu / 64] |= 1ULL << (cpu % 64);
}

/* Copy a string field (char[] or __data_loc char[]) into comm; basename for exec filenames. */
static void comm_from(const struct tlb_decoder *d, const struct tep_format_field *f,
		      const struct tlb_sample *s, char *comm, bool basename)
{
	const unsigned char *p;
	uint32_t len;
	const char *str;
	size_t n;

	comm[0] = 0;
	if (!dyn_field(d, f, s, &p, &len) || !len)
		return;
	n = strnlen((const char *)p, len);
	str = (const char *)p;
	if (basename) {
		const char *slash = memrchr(str, '/', n);

		if (slash) {
			n -= (size_t)(slash + 1 - str);
			str = slash + 1;
		}
	}
	if (n > 15)
		n = 15;
	memcpy(comm, str, n);
	comm[n] = 0;
}

enum tlb_event_kind tlb_decode(struct tlb_decoder *d, const struct tlb_sample *s, struct tlb_event *ev)
{
	unsigned long long type = 0, v;
	const struct dec_event *de;
	const unsigned char *p;
	uint32_t len;
	unsigned idx;

	ev->kind = EV_OTHER;
	if (!d || !s->raw || s->raw_size < (uint32_t)(d->type_off + d->type_size))
		return EV_OTHER;
	type = read_num(d, (const unsigned char *)s->raw + d->type_off, d->type_size);
	if ((long long)type > d->max_id)
		return EV_OTHER;
	idx = d->by_id[type];
	if (!idx)
		return EV_OTHER;
	de = &d->evs[idx - 1];

	memset(ev, 0, sizeof(*ev));
	ev->time = s->time;
	ev->cpu = (int)s->cpu;
	ev->pid = (pid_t)s->pid;
	ev->tid = (pid_t)s->tid;
	ev->target_cpu = -1;

	switch (de->kind) {
	case EV_TLB_FLUSH:
		if (!read_field(d, de->f[TLB_F_REASON], s, &v))
			return EV_OTHER;
		ev->reason = (int)(int32_t)v;
		if (!read_field(d, de->f[TLB_F_PAGES], s, &v))
			return EV_OTHER;
		/* TLB_FLUSH_ALL is -1UL: a full flush, whatever the long size */
		if ((de->f[TLB_F_PAGES]->size == 8 && v == ~0ULL) ||
		    (de->f[TLB_F_PAGES]->size == 4 && v == 0xffffffffULL))
			ev->pages = -1;
		else
			ev->pages = (int64_t)v;
		break;
	case EV_IPI_SEND_CPUMASK:
		if (!dyn_field(d, de->f[TLB_F_MASK], s, &p, &len))
			return EV_OTHER;
		mask_from_bitmap(d, p, len, ev);
		if (read_field(d, de->f[TLB_F_FUNC], s, &v))
			ev->func = v;
		break;
	case EV_IPI_SEND_CPU:
	case EV_CSD_QUEUE_CPU:
		if (!read_field(d, de->f[TLB_F_CPU], s, &v))
			return EV_OTHER;
		set_target(ev, v);
		if (read_field(d, de->f[TLB_F_FUNC], s, &v))
			ev->func = v;
		break;
	case EV_CSD_FUNC_ENTRY:
	case EV_CSD_FUNC_EXIT:
		if (read_field(d, de->f[TLB_F_FUNC], s, &v))
			ev->func = v;
		if (read_field(d, de->f[TLB_F_CSD], s, &v))
			ev->csd = v;
		break;
	case EV_EXEC:
		comm_from(d, de->f[TLB_F_FILENAME], s, ev->comm, true);
		break;
	case EV_RENAME:
		comm_from(d, de->f[TLB_F_NEWCOMM], s, ev->comm, false);
		break;
	case EV_PATCHED_FLUSH:
		if (read_field(d, de->f[TLB_F_REASON], s, &v))
			ev->reason = (int)(int32_t)v;
		if (read_field(d, de->f[TLB_F_PAGES], s, &v))
			ev->pages = (int64_t)v;
		if (dyn_field(d, de->f[TLB_F_MASK], s, &p, &len))
			mask_from_bitmap(d, p, len, ev);
		else if (read_field(d, de->f[TLB_F_NR_TARGETS], s, &v))
			ev->nr_targets = (int)v;
		if (read_field(d, de->f[TLB_F_FUNC], s, &v))
			ev->func = v;
		break;
	default:
		break;
	}
	if (ev->func)
		ev->func_class = tlb_decoder_func_class(d, ev->func);
	ev->kind = de->kind;
	return de->kind;
}

static unsigned func_slot(uint64_t a)
{
	return (unsigned)((a >> 4) ^ (a >> 12)) % FUNC_CACHE;
}

void tlb_decoder_load_symbols(struct tlb_decoder *d)
{
	if (d && !d->symbols_settled) {
		settle_kallsyms(d->tep, true);
		d->symbols_settled = true;
	}
}

enum tlb_func_class tlb_decoder_func_class(struct tlb_decoder *d, uint64_t func)
{
	unsigned i;
	const char *name;
	enum tlb_func_class cls = TLB_FUNC_NONE;

	if (!d || !func)
		return TLB_FUNC_NONE;
	i = func_slot(func);
	if (d->cache[i].addr == func)
		return d->cache[i].cls;
	if (!d->symbols_settled) {
		settle_kallsyms(d->tep, true);
		d->symbols_settled = true;
	}
	/* only the TLB functions are registered: an exact start address is a match */
	name = tep_find_function(d->tep, func);
	if (name && tep_find_function_address(d->tep, func) == func)
		cls = func_class_of_name(name);
	else
		name = NULL;
	d->cache[i].addr = func;
	d->cache[i].cls = cls;
	d->cache[i].name = cls != TLB_FUNC_NONE ? name : NULL;
	return cls;
}

bool tlb_decoder_is_tlb_func(struct tlb_decoder *d, uint64_t func)
{
	return tlb_decoder_func_class(d, func) != TLB_FUNC_NONE;
}

const char *tlb_decoder_func_name(struct tlb_decoder *d, uint64_t func)
{
	if (tlb_decoder_func_class(d, func) == TLB_FUNC_NONE)
		return NULL;
	return d->cache[func_slot(func)].name;
}

const char *tlb_decoder_event_name(struct tlb_decoder *d, const void *raw, uint32_t raw_size)
{
	struct tep_event *e;

	if (!d || !raw || raw_size < (uint32_t)(d->type_off + d->type_size))
		return NULL;
	e = tep_find_event(d->tep, (int)tep_read_number(d->tep, (const unsigned char *)raw +
							d->type_off, d->type_size));
	return e ? e->name : NULL;
}
