/*
 * How this machine delivers remote TLB flushes: by IPI (receivers fire reason 1 and the TLB:
 * interrupt row moves), by the hypervisor (PV flush hypercall: only the initiator's reason 4 is
 * visible), or by hardware broadcast (AMD INVLPGB). Documentation/transport.md.
 */
#ifndef TLBSTAT_TRANSPORT_H
#define TLBSTAT_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tlb_transport {
	TRANSPORT_UNKNOWN = 0,
	TRANSPORT_IPI,
	TRANSPORT_HYPERVISOR,
	TRANSPORT_BROADCAST,
};

/* What a run saw: counts of reason 4 (remote send), reason 1 (remote shootdown), TLB: delta. */
struct transport_observation {
	bool valid;
	uint64_t remote_sends;
	uint64_t remote_shootdowns;
	uint64_t tlb_interrupts;
	bool tlb_interrupts_valid;   /* the TLB: row exists */
};

struct transport_info {
	enum tlb_transport transport;
	char evidence[256];          /* which evidence decided it, one line */
};

/*
 * Pure decision, for tests: kernel log text (may be NULL), /proc/cpuinfo flags line (may be NULL),
 * kernel release (may be NULL), and what a run observed (may be NULL).
 */
void transport_decide(const char *klog, const char *cpu_flags, const char *osrelease,
		      const struct transport_observation *obs, struct transport_info *out);
/* Read the kernel log (where readable), cpuinfo and uname, then transport_decide(). */
void transport_detect(const struct transport_observation *obs, struct transport_info *out);

const char *transport_name(enum tlb_transport t);            /* "ipi", "hypervisor", ... */
enum tlb_transport transport_parse(const char *name);        /* UNKNOWN if not a name */
bool transport_victims_observable(enum tlb_transport t);     /* false for hypervisor, broadcast */
/* The sentence shown instead of victim numbers when they cannot be observed. */
const char *transport_victims_note(enum tlb_transport t);
#endif
