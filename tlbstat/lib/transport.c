// SPDX-License-Identifier: GPL-2.0
/*
 * How this machine delivers remote TLB flushes, decided from evidence (Documentation/transport.md):
 *
 *   1. what a run observed: reason 1 (remote shootdown, fired on the victim) or a moving TLB:
 *      row means IPIs; many reason 4 (remote send) with neither means the flush reached the
 *      other CPUs without the guest seeing it: the hypervisor (or INVLPGB broadcast);
 *   2. the kernel log line a paravirtualised kernel prints when it installs a flush hypercall
 *      (PVM, Hyper-V, Xen PV), or KVM's PV flush line (still IPIs except to preempted vCPUs);
 *   3. CPU flags and release: invlpgb with a kernel >= 6.15 (broadcast); no "hypervisor" flag
 *      (bare metal, no INVLPGB): IPIs.
 *
 * Before all of these, the machine: arm64 flushes other CPUs with broadcast TLBI instructions
 * (flush_tlb_mm/__flush_tlb_range/flush_tlb_page in arch/arm64/include/asm/tlbflush.h: TLBI
 * ...IS, inner shareable), bare metal or guest alike: no IPI, no interrupt, no tracepoint on the
 * CPUs reached, so victims are never observable there.
 *
 * When the run and the log disagree the run wins, and the evidence string says so.
 */
#include "transport.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KLOG_CAP (8u << 20)

/* ---- names */

static const char *const names[] = {
	[TRANSPORT_UNKNOWN] = "unknown",
	[TRANSPORT_IPI] = "ipi",
	[TRANSPORT_HYPERVISOR] = "hypervisor",
	[TRANSPORT_BROADCAST] = "broadcast",
};

const char *transport_name(enum tlb_transport t)
{
	if ((unsigned)t < ARRAY_SIZE(names))
		return names[t];
	return "unknown";
}

enum tlb_transport transport_parse(const char *name)
{
	for (unsigned i = 0; name && i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(name, names[i]))
			return (enum tlb_transport)i;
	return TRANSPORT_UNKNOWN;
}

bool transport_victims_observable(enum tlb_transport t)
{
	return t == TRANSPORT_IPI;
}

#define TLBI_NOTE "not observable on this machine (remote flushes broadcast by the CPU, arm64 TLBI)"

const char *transport_info_victims_note(const struct transport_info *ti)
{
	if (ti->transport == TRANSPORT_BROADCAST && ti->tlbi)
		return TLBI_NOTE;
	return transport_victims_note(ti->transport);
}

const char *transport_victims_note(enum tlb_transport t)
{
	switch (t) {
	case TRANSPORT_IPI:
		return "observable: reason 1 on each victim CPU";
	case TRANSPORT_HYPERVISOR:
		return "not observable on this machine (remote flushes delivered by the hypervisor)";
	case TRANSPORT_BROADCAST:
		return "not observable on this machine (remote flushes broadcast by the CPU, INVLPGB)";
	default:
		return "not known on this machine (remote-flush transport undetermined; "
		       "try 'tlbstat transport --probe')";
	}
}

/* ---- small parsers */

bool transport_release_at_least(const char *osrelease, int maj, int min)
{
	int a, b;

	if (!osrelease || sscanf(osrelease, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

bool transport_has_flag(const char *cpu_flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = cpu_flags;

	if (!p || !n)
		return false;
	/* skip a leading "flags\t\t:" */
	const char *colon = strchr(p, ':');
	const char *nl = strchr(p, '\n');
	if (colon && (!nl || colon < nl))
		p = colon + 1;
	while (*p && *p != '\n') {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *w = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if ((size_t)(p - w) == n && !strncmp(w, flag, n))
			return true;
	}
	return false;
}

/* ---- kernel log */

enum pv_kind { PV_NONE, PV_KVM, PV_PVM, PV_HYPERV, PV_XEN };

struct pv_pattern {
	enum pv_kind kind;
	const char *text;        /* case-insensitive */
	bool whole_message;      /* the message must end with text (not "Xen HVM") */
	const char *what;
};

/*
 * The lines the kernels print (their source: arch/x86/hyperv/mmu.c hyperv_setup_mmu_ops(),
 * arch/x86/kernel/kvm.c kvm_guest_init(), arch/x86/kernel/paravirt.c via setup_arch for
 * "Booting paravirtualized kernel on %s", and the PVM guest patches).
 * Xen PV prints no flush line of its own: a PV (not HVM, not PVH) Xen guest always flushes
 * through MMUEXT_TLB_FLUSH_MULTI (arch/x86/xen/mmu_pv.c xen_flush_tlb_multi).
 */
static const struct pv_pattern patterns[] = {
	{ PV_PVM, "remote TLB flushes via PVM_HC_FLUSH_TLB", false, "PVM flush hypercall" },
	{ PV_HYPERV, "hypercall for remote TLB flush", false, "Hyper-V flush hypercall" },
	{ PV_XEN, "Booting paravirtualized kernel on Xen", true, "Xen PV (MMUEXT_TLB_FLUSH_MULTI)" },
	{ PV_KVM, "setup pv remote TLB flush", false, "KVM PV flush (preempted vCPUs only)" },
};

/*
 * The message part of one log line: strips "<6>", "6,339,263,-;" (/dev/kmsg),
 * "Nov 25 10:00:00 host kernel: " (kern.log) and "[    0.000263] ".
 */
static void message_of(const char *line, size_t len, char *out, size_t outlen)
{
	const char *p = line, *end = line + len;
	const char *k;

	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && *p == '<') {
		const char *q = p + 1;
		while (q < end && isdigit((unsigned char)*q))
			q++;
		if (q < end && *q == '>')
			p = q + 1;
	}
	if (p < end && isdigit((unsigned char)*p)) {      /* kmsg "prio,seq,ts,flags;" */
		const char *q = p;
		int commas = 0;
		while (q < end && (isdigit((unsigned char)*q) || *q == ',' || *q == '-' ||
				   *q == 'c' || *q == '+')) {
			commas += *q == ',';
			q++;
		}
		if (q < end && *q == ';' && commas >= 2)
			p = q + 1;
	}
	k = memmem(p, (size_t)(end - p), "kernel: ", 8);  /* syslog file */
	if (k && k - p < 80)
		p = k + 8;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));
		if (q && q - p < 24)
			p = q + 1;
	}
	while (p < end && *p == ' ')
		p++;
	len = (size_t)(end - p);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, p, len);
	out[len] = 0;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcasecmp(s + a - b, suffix) &&
	       (a == b || !isalnum((unsigned char)s[a - b - 1]));
}

/* The strongest remote-flush line in the log: a hypercall line beats KVM's. */
static enum pv_kind scan_klog(const char *klog, char *msg, size_t msglen)
{
	enum pv_kind best = PV_NONE;
	const char *line = klog;
	char buf[256];

	msg[0] = 0;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		message_of(line, len, buf, sizeof(buf));
		for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
			const struct pv_pattern *pt = &patterns[i];
			bool hit = pt->whole_message ? ends_with_ci(buf, pt->text)
						     : strcasestr(buf, pt->text) != NULL;
			/* PVM/Hyper-V/Xen all mean hypervisor; KVM only if nothing stronger */
			if (hit && (best == PV_NONE || (best == PV_KVM && pt->kind != PV_KVM))) {
				best = pt->kind;
				snprintf(msg, msglen, "%s", buf);
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return best;
}

/* ---- the decision */

struct ev {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) ev_add(struct ev *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->len + 1 >= e->cap)
		return;
	if (e->len) {
		n = snprintf(e->buf + e->len, e->cap - e->len, "; ");
		e->len += (size_t)n < e->cap - e->len ? (size_t)n : e->cap - e->len - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->len, e->cap - e->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->len += (size_t)n < e->cap - e->len ? (size_t)n : e->cap - e->len - 1;
}

enum obs_verdict { OBS_NONE, OBS_TOO_FEW, OBS_IPI, OBS_SILENT };

static enum obs_verdict judge(const struct transport_observation *o)
{
	if (!o || !o->valid)
		return OBS_NONE;
	if (o->remote_shootdowns > 0 || (o->tlb_interrupts_valid && o->tlb_interrupts > 0))
		return OBS_IPI;
	if (o->remote_sends >= TRANSPORT_MIN_SENDS)
		return OBS_SILENT;
	return OBS_TOO_FEW;
}

static void ev_run(struct ev *e, const struct transport_observation *o)
{
	char tlb[48];

	if (o->tlb_interrupts_valid)
		snprintf(tlb, sizeof(tlb), "%llu TLB interrupts",
			 (unsigned long long)o->tlb_interrupts);
	else
		snprintf(tlb, sizeof(tlb), "no TLB: row");
	ev_add(e, "run: %llu remote sends, %llu remote shootdowns, %s",
	       (unsigned long long)o->remote_sends, (unsigned long long)o->remote_shootdowns, tlb);
}

bool transport_machine_is_arm64(const char *machine)
{
	return machine && (!strcmp(machine, "aarch64") || !strcmp(machine, "aarch64_be") ||
			   !strcmp(machine, "arm64"));
}

void transport_decide_machine(const char *machine, const char *klog, const char *cpu_flags,
			      const char *osrelease, const struct transport_observation *obs,
			      struct transport_info *out)
{
	if (!transport_machine_is_arm64(machine)) {
		transport_decide(klog, cpu_flags, osrelease, obs, out);
		return;
	}
	out->transport = TRANSPORT_BROADCAST;
	out->tlbi = true;
	snprintf(out->evidence, sizeof(out->evidence),
		 "hardware broadcast (TLBI): machine %s; arm64 kernels invalidate other CPUs' TLBs "
		 "with broadcast TLBI instructions (no IPI, no interrupt, no tracepoint on the CPUs "
		 "they reach)", machine);
}

void transport_decide(const char *klog, const char *cpu_flags, const char *osrelease,
		      const struct transport_observation *obs, struct transport_info *out)
{
	struct ev e = { out->evidence, 0, sizeof(out->evidence) };
	char msg[256];
	enum pv_kind pv = klog ? scan_klog(klog, msg, sizeof(msg)) : PV_NONE;
	bool pv_flush = pv == PV_PVM || pv == PV_HYPERV || pv == PV_XEN;
	bool invlpgb = transport_has_flag(cpu_flags, "invlpgb");
	bool new_kernel = transport_release_at_least(osrelease, 6, 15);
	bool broadcast = invlpgb && new_kernel;
	bool bare_metal = cpu_flags && !transport_has_flag(cpu_flags, "hypervisor");
	enum obs_verdict v = judge(obs);

	out->evidence[0] = 0;
	out->transport = TRANSPORT_UNKNOWN;
	out->tlbi = false;

	if (v == OBS_IPI) {
		out->transport = TRANSPORT_IPI;
		ev_run(&e, obs);
		if (pv_flush)
			ev_add(&e, "disagrees with kernel log '%s': preferring the run", msg);
		else if (pv == PV_KVM)
			ev_add(&e, "kernel log '%s' (KVM PV flush skips only preempted vCPUs)", msg);
		if (broadcast)
			ev_add(&e, "INVLPGB with kernel %s: broadcast only for processes on 4+ CPUs",
			       osrelease);
		return;
	}
	if (v == OBS_SILENT) {
		out->transport = pv_flush || !broadcast ? TRANSPORT_HYPERVISOR : TRANSPORT_BROADCAST;
		if (pv_flush)
			ev_add(&e, "kernel log: '%s'", msg);
		ev_run(&e, obs);
		if (pv == PV_KVM)
			ev_add(&e, "kernel log '%s' suggests IPIs, but none reached a victim: "
				   "preferring the run", msg);
		else if (!pv_flush && broadcast)
			ev_add(&e, "cpu flag invlpgb, kernel %s >= 6.15", osrelease);
		else if (!pv_flush && bare_metal)
			ev_add(&e, "disagrees with the cpu flags (no 'hypervisor' flag): "
				   "preferring the run");
		else if (!pv_flush)
			ev_add(&e, "flushes reached no victim: delivered outside the guest");
		return;
	}

	/* no conclusive run: the kernel log, then the flags */
	if (pv_flush) {
		out->transport = TRANSPORT_HYPERVISOR;
		ev_add(&e, "kernel log: '%s'", msg);
	} else if (broadcast) {
		out->transport = TRANSPORT_BROADCAST;
		ev_add(&e, "cpu flag invlpgb, kernel %s >= 6.15 (processes on fewer than 4 CPUs "
			   "still flush by IPI)", osrelease);
	} else if (pv == PV_KVM) {
		out->transport = TRANSPORT_IPI;
		ev_add(&e, "kernel log: '%s' (KVM PV flush skips only preempted vCPUs; the rest "
			   "get IPIs)", msg);
	} else if (bare_metal) {
		out->transport = TRANSPORT_IPI;
		ev_add(&e, "no 'hypervisor' cpu flag (bare metal)%s", invlpgb
		       ? " and a kernel before 6.15 (INVLPGB unused)" : " and no INVLPGB");
	} else {
		ev_add(&e, "no evidence: %s", !klog ? "kernel log not readable"
			   : "no remote-flush line in the kernel log");
		if (!cpu_flags)
			ev_add(&e, "cpu flags unknown");
		else
			ev_add(&e, "virtual machine (cpu flag 'hypervisor')");
	}
	if (v == OBS_TOO_FEW && (pv == PV_HYPERV || pv == PV_XEN))
		ev_add(&e, "run: %llu remote sends, %llu remote shootdowns (this hypervisor's flush "
			   "hypercall does not fire reason 4)", (unsigned long long)obs->remote_sends,
		       (unsigned long long)obs->remote_shootdowns);
	else if (v == OBS_TOO_FEW)
		ev_add(&e, "run inconclusive (%llu remote sends < %d, no remote shootdowns)",
		       (unsigned long long)obs->remote_sends, TRANSPORT_MIN_SENDS);
	else if (out->transport == TRANSPORT_UNKNOWN)
		ev_add(&e, "'tlbstat transport --probe' (as root) can decide from a run");
}

/* ---- reading the machine */

static char *read_klogctl(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		size = 1 << 20;
	if ((unsigned)size > KLOG_CAP)
		size = KLOG_CAP;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;	/* out of memory: as if unreadable, the evidence says so */
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static char *read_kmsg(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	size_t len = 0, cap = 1 << 16;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		char rec[8192];
		ssize_t n = read(fd, rec, sizeof(rec));
		if (n < 0 && errno == EPIPE)        /* overwritten records: go on */
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;                        /* EAGAIN: the end */
		if (len + (size_t)n + 1 > KLOG_CAP)
			break;
		while (len + (size_t)n + 1 > cap) {
			char *grown = realloc(buf, cap * 2);
			if (!grown)
				goto done;	/* keep what we have: the newest lines are lost */
			buf = grown;
			cap *= 2;
		}
		memcpy(buf + len, rec, (size_t)n);
		len += (size_t)n;
	}
done:
	close(fd);
	if (!len) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

/* The last KLOG_CAP bytes of a syslog file. */
static char *read_tail(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t want, got = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		goto out;
	want = (size_t)st.st_size > KLOG_CAP ? KLOG_CAP : (size_t)st.st_size;
	if (lseek(fd, st.st_size - (off_t)want, SEEK_SET) < 0)
		goto out;
	buf = malloc(want + 1);
	if (!buf)
		goto out;
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
out:
	close(fd);
	return buf;
}

static char *read_cpu_flags(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *line = NULL, *res = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "flags", 5) && strchr(line, ':')) {
			res = strdup(line);	/* NULL when out of memory: flags unknown */
			break;
		}
	}
	free(line);
	fclose(f);
	return res;
}

void transport_sources_read(struct transport_sources *src)
{
	struct utsname u;

	memset(src, 0, sizeof(*src));
	src->klog = read_klogctl();
	if (!src->klog)
		src->klog = read_kmsg();
	if (!src->klog)
		src->klog = read_tail("/var/log/kern.log");
	src->flags = read_cpu_flags();
	if (uname(&u) == 0) {
		snprintf(src->release, sizeof(src->release), "%s", u.release);
		snprintf(src->machine, sizeof(src->machine), "%s", u.machine);
	}
	src->read = true;
}

void transport_sources_free(struct transport_sources *src)
{
	free(src->klog);
	free(src->flags);
	memset(src, 0, sizeof(*src));
}

void transport_detect_with(struct transport_sources *src, const struct transport_observation *obs,
			   struct transport_info *out)
{
	if (!src->read)
		transport_sources_read(src);
	transport_decide_machine(src->machine, src->klog, src->flags,
				 src->release[0] ? src->release : NULL, obs, out);
}

void transport_detect(const struct transport_observation *obs, struct transport_info *out)
{
	struct transport_sources src;

	transport_sources_read(&src);
	transport_detect_with(&src, obs, out);
	transport_sources_free(&src);
}
