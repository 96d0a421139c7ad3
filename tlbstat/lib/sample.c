// SPDX-License-Identifier: GPL-2.0
/* PERF_RECORD_SAMPLE bodies and sample_id_all trailers, in the kernel's field order. */
#include "sample.h"
#include "util.h"

#include <string.h>

struct cursor {
	const uint8_t *p, *end;
};

static int take_u64(struct cursor *c, uint64_t *v)
{
	if (c->end - c->p < 8)
		return -1;
	memcpy(v, c->p, 8);
	c->p += 8;
	return 0;
}

/* bytes of the fixed-size fields between STACK_USER and CGROUP (weight, data_src, transaction,
 * phys_addr; REGS_INTR is sized by the attr and excluded by the callers) */
static size_t after_stack_skip(uint64_t st)
{
	return 8 * (size_t)(!!(st & (PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT)) +
			    !!(st & PERF_SAMPLE_DATA_SRC) + !!(st & PERF_SAMPLE_TRANSACTION) +
			    !!(st & PERF_SAMPLE_PHYS_ADDR));
}

/* The fields after PERIOD: CALLCHAIN, RAW, then a CGROUP whose place sample_type alone tells. */
/* inline in both parsers: sample_parse_layout's call per sample was a tenth of its cost */
static inline __attribute__((always_inline)) int
parse_tail(struct cursor *c, uint64_t st, struct tlb_sample *s)
{
	if (st & PERF_SAMPLE_CALLCHAIN) {
		uint64_t nr;
		if (take_u64(c, &nr) || nr > (uint64_t)(c->end - c->p) / 8 || nr > UINT32_MAX)
			return -1;
		/* records are 8-byte aligned, so the ips can be read in place */
		s->callchain = nr ? (const uint64_t *)c->p : NULL;
		s->nr_callchain = (uint32_t)nr;
		c->p += nr * 8;
	}
	if (st & PERF_SAMPLE_RAW) {
		uint32_t size;
		if (c->end - c->p < 4)
			return -1;
		memcpy(&size, c->p, 4);
		c->p += 4;
		if (size > (uint64_t)(c->end - c->p))
			return -1;
		s->raw = c->p;
		s->raw_size = size;
		c->p += size;
	}
	s->tail = c->p;	/* fields after RAW: sample_parse_user() */
	if (st & PERF_SAMPLE_CGROUP) {
		/* the fields between RAW and CGROUP: sized by sample_type alone, else unknown here
		 * (after the user regs and stack, sample_parse_user() reads it) */
		if (st & (PERF_SAMPLE_BRANCH_STACK | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER |
			  PERF_SAMPLE_REGS_INTR))
			return 0;
		if ((size_t)(c->end - c->p) < after_stack_skip(st))
			return -1;
		c->p += after_stack_skip(st);
		if (take_u64(c, &s->cgroup))
			return -1;
	}
	return 0;
}

int sample_parse(const struct perf_event_header *hdr, uint64_t st, struct tlb_sample *s)
{
	struct cursor c = { (const uint8_t *)(hdr + 1), (const uint8_t *)hdr + hdr->size };
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (hdr->size < sizeof(*hdr))
		return -1;
	if ((st & PERF_SAMPLE_IDENTIFIER) && take_u64(&c, &s->id))
		return -1;
	if ((st & PERF_SAMPLE_IP) && take_u64(&c, &s->ip))
		return -1;
	if (st & PERF_SAMPLE_TID) {
		if (take_u64(&c, &v))
			return -1;
		s->pid = (uint32_t)v;
		s->tid = (uint32_t)(v >> 32);
	}
	if ((st & PERF_SAMPLE_TIME) && take_u64(&c, &s->time))
		return -1;
	if ((st & PERF_SAMPLE_ADDR) && take_u64(&c, &v))
		return -1;
	if ((st & PERF_SAMPLE_ID) && take_u64(&c, &s->id))
		return -1;
	if ((st & PERF_SAMPLE_STREAM_ID) && take_u64(&c, &v))
		return -1;
	if (st & PERF_SAMPLE_CPU) {
		if (take_u64(&c, &v))
			return -1;
		s->cpu = (uint32_t)v;
	}
	if ((st & PERF_SAMPLE_PERIOD) && take_u64(&c, &s->period))
		return -1;
	if (st & PERF_SAMPLE_READ)
		return -1;	/* not produced by tracepoint recordings; layout needs read_format */
	return parse_tail(&c, st, s);
}

void sample_layout_init(struct sample_layout *l, uint64_t st)
{
	int16_t off = 0;

	memset(l, 0, sizeof(*l));
	l->st = st;
	l->id = l->ip = l->tid = l->time = l->cpu = l->period = -1;
	if (st & PERF_SAMPLE_IDENTIFIER)
		l->id = off, off += 8;
	if (st & PERF_SAMPLE_IP)
		l->ip = off, off += 8;
	if (st & PERF_SAMPLE_TID)
		l->tid = off, off += 8;
	if (st & PERF_SAMPLE_TIME)
		l->time = off, off += 8;
	if (st & PERF_SAMPLE_ADDR)
		off += 8;
	if (st & PERF_SAMPLE_ID)
		l->id = off, off += 8;	/* ID after IDENTIFIER: the same id, the later one kept */
	if (st & PERF_SAMPLE_STREAM_ID)
		off += 8;
	if (st & PERF_SAMPLE_CPU)
		l->cpu = off, off += 8;
	if (st & PERF_SAMPLE_PERIOD)
		l->period = off, off += 8;
	l->fixed = (uint16_t)off;
	l->valid = true;
}

static inline uint64_t load_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int sample_parse_layout(const struct perf_event_header *hdr, const struct sample_layout *l,
			struct tlb_sample *s)
{
	const uint8_t *b = (const uint8_t *)(hdr + 1);
	struct cursor c = { b + l->fixed, (const uint8_t *)hdr + hdr->size };

	/* too short for the fixed fields, or READ: sample_parse says how it fails */
	if (hdr->size < sizeof(*hdr) + l->fixed || (l->st & PERF_SAMPLE_READ))
		return sample_parse(hdr, l->st, s);
	zero_words(s, sizeof(*s));
	if (l->id >= 0)
		s->id = load_u64(b + l->id);
	if (l->ip >= 0)
		s->ip = load_u64(b + l->ip);
	if (l->tid >= 0) {
		uint64_t v = load_u64(b + l->tid);

		s->pid = (uint32_t)v;
		s->tid = (uint32_t)(v >> 32);
	}
	if (l->time >= 0)
		s->time = load_u64(b + l->time);
	if (l->cpu >= 0)
		s->cpu = (uint32_t)load_u64(b + l->cpu);
	if (l->period >= 0)
		s->period = load_u64(b + l->period);
	return parse_tail(&c, l->st, s);
}

int sample_parse_user(const struct perf_event_header *hdr, uint64_t st, uint64_t regs_mask,
		      struct tlb_sample *s, struct tlb_user_stack *u)
{
	struct cursor c = { s->tail, (const uint8_t *)hdr + hdr->size };

	memset(u, 0, sizeof(*u));
	if (!c.p || c.p < (const uint8_t *)(hdr + 1) || c.p > c.end)
		return -1;
	if (st & PERF_SAMPLE_BRANCH_STACK)
		return -1;
	if (st & PERF_SAMPLE_REGS_USER) {
		if (take_u64(&c, &u->abi))
			return -1;
		u->mask = regs_mask;
		if (u->abi) {
			uint32_t n = (uint32_t)__builtin_popcountll(regs_mask);

			if ((uint64_t)n > (uint64_t)(c.end - c.p) / 8)
				return -1;
			u->regs = (const uint64_t *)c.p;
			u->nr_regs = n;
			c.p += (size_t)n * 8;
		}
	}
	if (st & PERF_SAMPLE_STACK_USER) {
		if (take_u64(&c, &u->size))
			return -1;
		if (u->size) {	/* size 0: nothing copied and no dyn_size follows */
			if (u->size > (uint64_t)(c.end - c.p) || c.end - c.p - u->size < 8)
				return -1;
			u->stack = c.p;
			c.p += u->size;
			if (take_u64(&c, &u->dyn_size) || u->dyn_size > u->size)
				return -1;
		}
	}
	/* the cgroup after the stack, when nothing of unknown size lies between */
	if ((st & PERF_SAMPLE_CGROUP) && !(st & PERF_SAMPLE_REGS_INTR)) {
		if ((size_t)(c.end - c.p) >= after_stack_skip(st)) {
			c.p += after_stack_skip(st);
			take_u64(&c, &s->cgroup);
		}
	}
	return 0;
}

static uint64_t next_u64(const uint8_t **p)
{
	uint64_t v;
	memcpy(&v, *p, 8);
	*p += 8;
	return v;
}

int sample_id_trailer(const struct perf_event_header *hdr, uint64_t st, struct tlb_sample *s)
{
	const uint8_t *end = (const uint8_t *)hdr + hdr->size;
	const uint8_t *start = (const uint8_t *)(hdr + 1);
	const uint8_t *p;
	size_t n = 0;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	n += !!(st & PERF_SAMPLE_TID) + !!(st & PERF_SAMPLE_TIME) + !!(st & PERF_SAMPLE_ID) +
	     !!(st & PERF_SAMPLE_STREAM_ID) + !!(st & PERF_SAMPLE_CPU) +
	     !!(st & PERF_SAMPLE_IDENTIFIER);
	if (hdr->size < sizeof(*hdr) || (size_t)(end - start) < n * 8)
		return -1;
	p = end - n * 8;
	if (st & PERF_SAMPLE_TID) {
		v = next_u64(&p);
		s->pid = (uint32_t)v;
		s->tid = (uint32_t)(v >> 32);
	}
	if (st & PERF_SAMPLE_TIME)
		s->time = next_u64(&p);
	if (st & PERF_SAMPLE_ID)
		s->id = next_u64(&p);
	if (st & PERF_SAMPLE_STREAM_ID)
		next_u64(&p);
	if (st & PERF_SAMPLE_CPU)
		s->cpu = (uint32_t)next_u64(&p);
	if (st & PERF_SAMPLE_IDENTIFIER)
		s->id = next_u64(&p);
	return 0;
}

bool sample_record_id(const struct perf_event_header *hdr, uint64_t st, bool sample_id_all,
		      uint64_t *id)
{
	struct tlb_sample s;
	if (hdr->type == PERF_RECORD_SAMPLE) {
		if (st & PERF_SAMPLE_IDENTIFIER) {
			if (hdr->size < sizeof(*hdr) + 8)
				return false;
			memcpy(id, hdr + 1, 8);
			return true;
		}
		if (!(st & PERF_SAMPLE_ID) || sample_parse(hdr, st & ~(uint64_t)PERF_SAMPLE_READ &
							   ~(uint64_t)PERF_SAMPLE_CALLCHAIN &
							   ~(uint64_t)PERF_SAMPLE_RAW &
							   ~(uint64_t)PERF_SAMPLE_CGROUP, &s))
			return false;
		*id = s.id;
		return true;
	}
	if (!sample_id_all || hdr->type >= PERF_RECORD_MAX ||
	    !(st & (PERF_SAMPLE_ID | PERF_SAMPLE_IDENTIFIER)))
		return false;
	if (st & PERF_SAMPLE_IDENTIFIER) {
		if (hdr->size < sizeof(*hdr) + 8)
			return false;
		memcpy(id, (const uint8_t *)hdr + hdr->size - 8, 8);
		return true;
	}
	if (sample_id_trailer(hdr, st, &s))
		return false;
	*id = s.id;
	return true;
}
