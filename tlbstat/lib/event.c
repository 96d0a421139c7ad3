// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding raw tracepoint samples into tlb_events through libtraceevent (event.h).
 *
 * The tep handle comes from tracing-data.c (tracefs live, a file's TRACING_DATA otherwise). The
 * decoder looks the registry's events (events.c) up by name and their fields by name once, at
 * tlb_decoder_new(); no offset is written here.
 *
 * Function addresses (ipi callback, csd func) are classified by the caller's symbol table
 * (symbols.c), behind a small cache of recent addresses.
 */
#include "event.h"
#include "sample.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

/*
 * A fixed field's place, copied from its format (size 0: the event has no such field): read as
 * the 8 bytes that end where it ends, shifted down (little-endian, the file's order the host's),
 * so that no size is switched on; every field lies past the 8-byte common header.
 */
struct plain_field {
	uint16_t end;
	uint8_t size, shift;
};

struct dec_event {
	int id;
	enum tlb_event_kind kind;
	struct tep_format_field *f[TLB_F_MAX];
	/*
	 * The kinds almost every sample of a file is (tlb_flush, csd and single-CPU ipi events):
	 * their fields read as plain loads from pf[] when each is 1/2/4/8 bytes at a known offset
	 * (fast) and the payload holds fast_need bytes; read_field's checks hold for all of them
	 * then, and the field formats (one heap object each) are not touched per sample.
	 */
	bool fast;
	uint32_t fast_need;
	struct plain_field pf[TLB_F_MAX];
};

#define FUNC_CACHE 64

struct tlb_decoder {
	struct tep_handle *tep;
	int type_off, type_size;
	bool type_u16;		/* common_type is 2 bytes in the host's order */
	/* id -> index+1 into evs (0 = not ours); ids above max_id are not ours */
	unsigned short *by_id;
	int max_id;
	struct dec_event evs[32];
	int nr_evs;
	int long_size;
	bool file_be;
	struct syms *syms;        /* the caller's; NULL: no classes */
	struct { uint64_t addr; enum tlb_func_class cls; const char *name; } cache[FUNC_CACHE];
};

/*
 * The fields tlb_decode's fast path reads for each kind it takes (the first one required:
 * without it the slow path says EV_OTHER), and whether all of them are plain numbers.
 */
static void set_fast(const struct tlb_decoder *d, struct dec_event *de)
{
	static const int need_f[][3] = {
		[EV_TLB_FLUSH] = { TLB_F_REASON, TLB_F_PAGES, -1 },
		[EV_IPI_SEND_CPU] = { TLB_F_CPU, TLB_F_FUNC, -1 },
		[EV_CSD_QUEUE_CPU] = { TLB_F_CPU, TLB_F_FUNC, -1 },
		[EV_CSD_FUNC_ENTRY] = { -1, TLB_F_FUNC, TLB_F_CSD },
		[EV_CSD_FUNC_EXIT] = { -1, TLB_F_FUNC, TLB_F_CSD },
	};
	bool takes = de->kind == EV_TLB_FLUSH || de->kind == EV_IPI_SEND_CPU ||
		     de->kind == EV_CSD_QUEUE_CPU || de->kind == EV_CSD_FUNC_ENTRY ||
		     de->kind == EV_CSD_FUNC_EXIT;

	de->fast = false;
	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || d->file_be)
		return;
	if (!takes || (need_f[de->kind][0] >= 0 && !de->f[need_f[de->kind][0]]))
		return;
	for (int i = 0; i < 3; i++) {
		const struct tep_format_field *f = need_f[de->kind][i] >= 0 ?
						   de->f[need_f[de->kind][i]] : NULL;
		uint32_t end;

		if (!f)
			continue;
		if (!(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8) ||
		    f->offset < 0 || f->offset + f->size < 8 || f->offset + f->size > 65535)
			return;
		end = (uint32_t)(f->offset + f->size);
		de->pf[need_f[de->kind][i]] = (struct plain_field){ (uint16_t)end, (uint8_t)f->size,
								    (uint8_t)(64 - 8 * f->size) };
		if (end > de->fast_need)
			de->fast_need = end;
	}
	de->fast = true;
}

/* Add event e as kind; -1 when out of memory (an event it cannot decode is left out). */
static int add_event(struct tlb_decoder *d, struct tep_event *e, enum tlb_event_kind kind,
		     const char *const *fields)
{
	struct dec_event *de;

	if (!e || d->nr_evs >= (int)ARRAY_SIZE(d->evs) || e->id < 0 || e->id > 65535)
		return 0;
	de = &d->evs[d->nr_evs];
	memset(de, 0, sizeof(*de));
	de->id = e->id;
	de->kind = kind;
	for (int i = 0; i < TLB_F_MAX; i++)
		if (fields[i])
			de->f[i] = tep_find_field(e, fields[i]);
	/* a tlb_flush without its fields cannot be decoded: leave it as "other" */
	if (kind == EV_TLB_FLUSH && (!de->f[TLB_F_REASON] || !de->f[TLB_F_PAGES]))
		return 0;
	set_fast(d, de);
	if (e->id > d->max_id) {
		unsigned short *by_id = realloc(d->by_id, sizeof(*by_id) * (size_t)(e->id + 1));

		if (!by_id)
			return -1;
		d->by_id = by_id;
		memset(d->by_id + d->max_id + 1, 0, sizeof(*d->by_id) * (size_t)(e->id - d->max_id));
		d->max_id = e->id;
	}
	d->by_id[e->id] = (unsigned short)(d->nr_evs + 1);
	d->nr_evs++;
	return 0;
}

/*
 * Add the events of tep that registry row def describes: the one of its name, or for the
 * patched-tracepoint row every event of its system that carries the flush's targets. *ct gets
 * the common_type field of the first event seen. -1 when out of memory.
 */
static int add_def_events(struct tlb_decoder *d, const struct tlb_event_def *def,
			  struct tep_format_field **ct)
{
	struct tep_event **all;

	if (strcmp(def->name, "*")) {
		struct tep_event *e = tep_find_event_by_name(d->tep, def->sys, def->name);

		if (e && !*ct)
			*ct = tep_find_common_field(e, "common_type");
		return add_event(d, e, def->kind, def->fields);
	}
	all = tep_list_events(d->tep, TEP_EVENT_SORT_ID);
	for (int i = 0; all && all[i]; i++) {
		struct tep_event *e = all[i];
		bool targets = tep_find_field(e, "cpumask") || tep_find_field(e, "nr_targets");

		if (!*ct)
			*ct = tep_find_common_field(e, "common_type");
		if (tlb_events_match(def, e->system, e->name, targets) &&
		    add_event(d, e, def->kind, def->fields) < 0)
			return -1;
	}
	return 0;
}

struct tlb_decoder *tlb_decoder_new(struct tep_handle *tep, struct syms *syms)
{
	struct tlb_decoder *d;
	const struct tlb_event_def *defs;
	struct tep_format_field *ct = NULL;
	size_t nr_defs;

	if (!tep)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->tep = tep;
	d->syms = syms;
	d->max_id = -1;
	d->long_size = tep_get_long_size(tep);
	if (d->long_size != 4 && d->long_size != 8)
		d->long_size = 8;
	d->file_be = tep_is_file_bigendian(tep);
	d->type_off = 0;
	d->type_size = 2;

	defs = tlb_events_table(&nr_defs);
	for (size_t i = 0; i < nr_defs; i++)
		if (add_def_events(d, &defs[i], &ct) < 0) {
			tlb_decoder_free(d);
			return NULL;
		}
	if (ct) {
		d->type_off = ct->offset;
		d->type_size = ct->size;
	}
	d->type_u16 = d->type_size == 2 &&
		      d->file_be == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
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
static inline __attribute__((always_inline)) unsigned long long
read_num(const struct tlb_decoder *d, const unsigned char *p, int size)
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

static inline __attribute__((always_inline)) bool
read_field(const struct tlb_decoder *d, const struct tep_format_field *f,
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

/*
 * tlb:tlb_invalidation's fields (patches/0001). Its target_cpus counts the initiator's own CPU
 * (x86 flushes it too); the count model's nr_targets is the remote fan-out, as the IPI events
 * give it: one less, and none for a broadcast (-1), whose width the event does not say.
 */
static void patched_extra(const struct tlb_decoder *d, const struct dec_event *de,
			  const struct tlb_sample *s, struct tlb_event *ev)
{
	unsigned long long v;

	if (read_field(d, de->f[TLB_F_TARGET_CPUS], s, &v)) {
		ev->target_cpus = (int)(int32_t)v;
		ev->nr_targets = ev->target_cpus > 1 ? ev->target_cpus - 1 : 0;
	}
	if (read_field(d, de->f[TLB_F_RANGE_SIZE], s, &v))
		ev->range_size = (int64_t)v;
	/* end is an unsigned long: all ones (TLB_FLUSH_ALL, ULONG_MAX) in 8 or 4 bytes */
	if (read_field(d, de->f[TLB_F_END], s, &v))
		ev->flush_all = v == ~0ULL || v == 0xffffffffULL;
}

static unsigned func_slot(uint64_t a)
{
	return (unsigned)((a >> 4) ^ (a >> 12)) % FUNC_CACHE;
}

/* tlb_decoder_func_class, its cache's hit inline */
static inline __attribute__((always_inline)) enum tlb_func_class
func_class_of(struct tlb_decoder *d, uint64_t func)
{
	unsigned i = func_slot(func);

	return d->cache[i].addr == func ? d->cache[i].cls : tlb_decoder_func_class(d, func);
}

/* A plain field of the fast path: present (size) and inside the payload (fast_need). */
static inline __attribute__((always_inline)) unsigned long long
plain_num(const unsigned char *raw, struct plain_field f)
{
	uint64_t v;

	memcpy(&v, raw + f.end - 8, 8);
	return v >> f.shift;
}

/*
 * tlb_decode for an event whose fields are all plain and inside the payload: the same values
 * as the switch below gives, without its per-field checks.
 */
static inline __attribute__((always_inline)) enum tlb_event_kind
decode_fast(struct tlb_decoder *d, const struct dec_event *de, const unsigned char *raw,
	    struct tlb_event *ev)
{
	unsigned long long v;

	switch (de->kind) {
	case EV_TLB_FLUSH:
		ev->reason = (int)(int32_t)plain_num(raw, de->pf[TLB_F_REASON]);
		v = plain_num(raw, de->pf[TLB_F_PAGES]);
		/* TLB_FLUSH_ALL is -1UL: a full flush, whatever the long size */
		ev->pages = (de->pf[TLB_F_PAGES].size == 8 && v == ~0ULL) ||
			    (de->pf[TLB_F_PAGES].size == 4 && v == 0xffffffffULL) ? -1 : (int64_t)v;
		ev->kind = EV_TLB_FLUSH;
		return EV_TLB_FLUSH;
	case EV_IPI_SEND_CPU:
	case EV_CSD_QUEUE_CPU:
		set_target(ev, plain_num(raw, de->pf[TLB_F_CPU]));
		if (de->pf[TLB_F_FUNC].size)
			ev->func = plain_num(raw, de->pf[TLB_F_FUNC]);
		break;
	default:	/* EV_CSD_FUNC_ENTRY, EV_CSD_FUNC_EXIT */
		if (de->pf[TLB_F_FUNC].size)
			ev->func = plain_num(raw, de->pf[TLB_F_FUNC]);
		if (de->pf[TLB_F_CSD].size)
			ev->csd = plain_num(raw, de->pf[TLB_F_CSD]);
		break;
	}
	if (ev->func)
		ev->func_class = func_class_of(d, ev->func);
	ev->kind = de->kind;
	return de->kind;
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
	if (d->type_u16) {	/* common_type: a u16 in the host's order, almost always */
		uint16_t t16;

		memcpy(&t16, (const unsigned char *)s->raw + d->type_off, 2);
		type = t16;
	} else {
		type = read_num(d, (const unsigned char *)s->raw + d->type_off, d->type_size);
	}
	if ((long long)type > d->max_id)
		return EV_OTHER;
	idx = d->by_id[type];
	if (!idx)
		return EV_OTHER;
	de = &d->evs[idx - 1];

	zero_words(ev, sizeof(*ev));
	ev->time = s->time;
	ev->cpu = (int)s->cpu;
	ev->pid = (pid_t)s->pid;
	ev->tid = (pid_t)s->tid;
	ev->target_cpu = -1;

	if (de->fast && s->raw_size >= de->fast_need)
		return decode_fast(d, de, s->raw, ev);
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
		patched_extra(d, de, s, ev);
		break;
	case EV_MMU_NOTIFIER:
		if (read_field(d, de->f[TLB_F_REASON], s, &v))
			ev->reason = (int)(int32_t)v;
		if (read_field(d, de->f[TLB_F_RANGE_SIZE], s, &v))
			ev->range_size = (int64_t)v;
		if (read_field(d, de->f[TLB_F_PHASE], s, &v))
			ev->phase = (int)(int32_t)v;
		break;
	default:
		break;
	}
	if (ev->func)
		ev->func_class = tlb_decoder_func_class(d, ev->func);
	ev->kind = de->kind;
	return de->kind;
}

void tlb_decoder_load_symbols(struct tlb_decoder *d)
{
	if (d)
		syms_settle(d->syms);
}

enum tlb_func_class tlb_decoder_func_class(struct tlb_decoder *d, uint64_t func)
{
	unsigned i;
	const char *name;
	enum tlb_func_class cls;

	if (!d || !func)
		return TLB_FUNC_NONE;
	i = func_slot(func);
	if (d->cache[i].addr == func)
		return d->cache[i].cls;
	cls = syms_func_class(d->syms, func, &name);
	d->cache[i].addr = func;
	d->cache[i].cls = cls;
	d->cache[i].name = name;
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
