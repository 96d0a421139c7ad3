/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How this machine delivers remote TLB flushes: by IPI (receivers fire reason 1 and the TLB:
 * interrupt row moves), by the hypervisor (PV flush hypercall: at most the initiator's reason 4
 * is visible), or by hardware broadcast (AMD INVLPGB, kernels >= 6.15, processes on 4+ CPUs;
 * arm64 always: broadcast TLBI instructions, decided from the machine uname reports).
 * Evidence, strongest first: what a run observed, the kernel log's remote-flush line, the CPU
 * flags and kernel release. Documentation/transport.md.
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

/*
 * A run counts as evidence only with at least this many remote sends (reason 4): fewer, and
 * "no remote shootdowns" may just mean no other CPU was running the mm.
 */
#define TRANSPORT_MIN_SENDS 100

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
	bool tlbi;                   /* broadcast by arm64's TLBI instructions (else x86 rules) */
	char evidence[512];          /* which evidence decided it (and any disagreement), one line */
};

/*
 * Pure decision, for tests: kernel log text (NULL: not readable), /proc/cpuinfo flags (the
 * "flags : ..." line or just the flags; NULL if unknown), kernel release (NULL if unknown), and
 * what a run observed (NULL or !valid: nothing).
 * Order: a conclusive run (reason 1 or TLB: moving -> ipi; >= TRANSPORT_MIN_SENDS sends with
 * neither -> hypervisor, or broadcast with INVLPGB) wins over the kernel log, which wins over
 * the flags (INVLPGB + >= 6.15 -> broadcast; no "hypervisor" flag -> bare metal -> ipi).
 * A KVM guest's "setup pv remote TLB flush" line means ipi (PV flush skips only preempted vCPUs).
 */
void transport_decide(const char *klog, const char *cpu_flags, const char *osrelease,
		      const struct transport_observation *obs, struct transport_info *out);
/*
 * The same with uname's machine first ("aarch64", "x86_64"; NULL or "" unknown: x86's rules).
 * arm64 ("aarch64", "aarch64_be", "arm64") is always TRANSPORT_BROADCAST with tlbi set: its
 * kernels invalidate other CPUs with broadcast TLBI instructions, which no tracepoint, interrupt
 * or IPI shows on the CPUs they reach; nothing a run or the log shows changes that.
 */
void transport_decide_machine(const char *machine, const char *klog, const char *cpu_flags,
			      const char *osrelease, const struct transport_observation *obs,
			      struct transport_info *out);
/* machine names an arm64 CPU (uname -m: aarch64, aarch64_be; arm64 as Debian and Apple say) */
bool transport_machine_is_arm64(const char *machine);
/*
 * What detection reads from the machine: the kernel log (klogctl READ_ALL, else /dev/kmsg
 * non-blocking, else the tail of /var/log/kern.log; at most 8 MiB), the cpuinfo flags and
 * uname. A caller that decides repeatedly (top, every refresh) keeps one and reads it once.
 */
struct transport_sources {
	bool read;                   /* filled (a { 0 } one is read on first use) */
	char *klog, *flags;          /* NULL: not readable (or out of memory) */
	char release[65];
	char machine[65];            /* uname -m; "" unknown */
};
void transport_sources_read(struct transport_sources *src);
void transport_sources_free(struct transport_sources *src);
/* transport_decide() from src, read first if it is not yet. */
void transport_detect_with(struct transport_sources *src, const struct transport_observation *obs,
			   struct transport_info *out);
/* One-shot: read the sources, decide, free them. */
void transport_detect(const struct transport_observation *obs, struct transport_info *out);

const char *transport_name(enum tlb_transport t);            /* "ipi", "hypervisor", ... */
enum tlb_transport transport_parse(const char *name);        /* UNKNOWN if not a name */
/* true only for ipi: hypervisor and broadcast hide victims, unknown cannot vouch for a 0. */
bool transport_victims_observable(enum tlb_transport t);
/* The sentence shown instead of victim numbers when they cannot be observed. */
const char *transport_victims_note(enum tlb_transport t);
/* The same for a decision: broadcast names TLBI on arm64 (ti->tlbi), INVLPGB otherwise. */
const char *transport_info_victims_note(const struct transport_info *ti);

/* Helpers exposed for tests. */
/* Kernel release "6.18.44-..." is at least maj.min; false when it does not parse. */
bool transport_release_at_least(const char *osrelease, int maj, int min);
/* flags contains this whole word ("invlpgb" in "... invlpgb ..."). */
bool transport_has_flag(const char *cpu_flags, const char *flag);
#endif
