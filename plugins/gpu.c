// SPDX-License-Identifier: GPL-2.0
/*
 * gpu: NVIDIA GPUs through NVML, loaded at run time with dlopen("libnvidia-ml.so.1") (the
 * driver ships it; nothing at build time). Per GPU and interval: utilisation (%), memory used
 * (MiB), SM clock (MHz), PCIe rx and tx (KiB/s, NVML's 20 ms sample), XID critical errors seen
 * in the interval and the change of the volatile uncorrected ECC count. Without NVML or without
 * GPUs: a note and no columns, never made-up values; a value a GPU does not support is NaN.
 * The NVML declarations below are the subset of nvml.h used, with its documented ABI.
 */
#include "plugin-util.h"

#include <dlfcn.h>

#define MAX_GPUS 64

typedef void *nvml_dev;
typedef void *nvml_evset;
struct nvml_util { unsigned int gpu, memory; };
struct nvml_mem { unsigned long long total, free, used; };
struct nvml_event { nvml_dev dev; unsigned long long type, data; unsigned int gi, ci; };

enum {
	NVML_SUCCESS = 0, NVML_ERROR_TIMEOUT = 10,
	NVML_CLOCK_SM = 1,
	NVML_PCIE_TX = 0, NVML_PCIE_RX = 1,
	NVML_UNCORRECTED = 1, NVML_VOLATILE = 0,
	NVML_EVENT_XID = 0x8,
};

struct nvml {
	void *dl;
	int (*init)(void);
	int (*shutdown)(void);
	const char *(*error)(int);
	int (*count)(unsigned int *);
	int (*handle)(unsigned int, nvml_dev *);
	int (*util)(nvml_dev, struct nvml_util *);
	int (*mem)(nvml_dev, struct nvml_mem *);
	int (*clock)(nvml_dev, int, unsigned int *);
	int (*pcie)(nvml_dev, int, unsigned int *);
	int (*ecc)(nvml_dev, int, int, unsigned long long *);
	int (*evset_create)(nvml_evset *);
	int (*evset_free)(nvml_evset);
	int (*register_events)(nvml_dev, unsigned long long, nvml_evset);
	int (*evset_wait)(nvml_evset, struct nvml_event *, unsigned int);
};

#define GPU_COLS 7
static const char *const col_names[GPU_COLS] = {
	"util", "mem_used", "sm_clock", "pcie_rx", "pcie_tx", "xid", "ecc_uncorrected",
};
static const char *const col_units[GPU_COLS] = {
	"%", "MiB", "MHz", "KiB/s", "KiB/s", "events", "events",
};

struct gpu {
	struct nvml n;
	struct pcols cols;
	unsigned int nr;
	nvml_dev dev[MAX_GPUS];
	unsigned long long ecc[MAX_GPUS];
	int ecc_ok[MAX_GPUS];
	nvml_evset evset;
	int initialised;
};

/* Every symbol, or the name of the first missing one. */
static const char *nvml_bind(struct nvml *n)
{
#define BIND(field, sym) do { *(void **)&n->field = dlsym(n->dl, sym); \
	if (!n->field) return sym; } while (0)
	BIND(init, "nvmlInit_v2");
	BIND(shutdown, "nvmlShutdown");
	BIND(error, "nvmlErrorString");
	BIND(count, "nvmlDeviceGetCount_v2");
	BIND(handle, "nvmlDeviceGetHandleByIndex_v2");
	BIND(util, "nvmlDeviceGetUtilizationRates");
	BIND(mem, "nvmlDeviceGetMemoryInfo");
	BIND(clock, "nvmlDeviceGetClockInfo");
	BIND(pcie, "nvmlDeviceGetPcieThroughput");
	BIND(ecc, "nvmlDeviceGetTotalEccErrors");
	BIND(evset_create, "nvmlEventSetCreate");
	BIND(evset_free, "nvmlEventSetFree");
	BIND(register_events, "nvmlDeviceRegisterEvents");
	BIND(evset_wait, "nvmlEventSetWait_v2");
#undef BIND
	return NULL;
}

static void gpu_close(void *hv)
{
	struct gpu *h = hv;

	if (h->evset)
		h->n.evset_free(h->evset);
	if (h->initialised)
		h->n.shutdown();
	if (h->n.dl)
		dlclose(h->n.dl);
	pcols_free(&h->cols);
	free(h);
}

static int gpu_columns(struct gpu *h)
{
	char name[48];

	for (unsigned int g = 0; g < h->nr; g++)
		for (int c = 0; c < GPU_COLS; c++) {
			snprintf(name, sizeof(name), "gpu%u_%s", g, col_names[c]);
			if (pcols_add(&h->cols, name, col_units[c]))
				return -1;
		}
	return 0;
}

/* NVML present and initialised: the GPUs, their ECC baselines, the XID event set. */
static int gpu_devices(struct gpu *h, char *msg, size_t msglen)
{
	int rc = h->n.count(&h->nr);

	if (rc != NVML_SUCCESS) {
		snprintf(msg, msglen, "NVML cannot count GPUs: %s", h->n.error(rc));
		return -1;
	}
	if (h->nr > MAX_GPUS)
		h->nr = MAX_GPUS;
	if (h->n.evset_create(&h->evset) != NVML_SUCCESS)
		h->evset = NULL;
	for (unsigned int g = 0; g < h->nr; g++) {
		rc = h->n.handle(g, &h->dev[g]);
		if (rc != NVML_SUCCESS) {
			snprintf(msg, msglen, "NVML has no handle for GPU %u: %s", g,
				 h->n.error(rc));
			return -1;
		}
		h->ecc_ok[g] = h->n.ecc(h->dev[g], NVML_UNCORRECTED, NVML_VOLATILE,
					&h->ecc[g]) == NVML_SUCCESS;
		if (h->evset)
			h->n.register_events(h->dev[g], NVML_EVENT_XID, h->evset);
	}
	return 0;
}

static void *gpu_open(const char *args, struct tlb_plugin_cols *out, char *msg, size_t msglen)
{
	struct gpu *h = calloc(1, sizeof(*h));
	const char *missing;
	int rc;

	if (!h || args) {
		snprintf(msg, msglen, h ? "takes no arguments" : "out of memory");
		free(h);
		return NULL;
	}
	h->n.dl = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h->n.dl) {
		snprintf(msg, msglen, "no NVML (libnvidia-ml.so.1 not found: no NVIDIA driver): "
			 "no GPU columns");
		goto none;
	}
	missing = nvml_bind(&h->n);
	if (missing) {
		snprintf(msg, msglen, "libnvidia-ml.so.1 lacks %s (driver too old?): no GPU "
			 "columns", missing);
		goto none;
	}
	rc = h->n.init();
	if (rc != NVML_SUCCESS) {
		snprintf(msg, msglen, "nvmlInit failed: %s: no GPU columns", h->n.error(rc));
		goto none;
	}
	h->initialised = 1;
	if (gpu_devices(h, msg, msglen) || gpu_columns(h)) {
		if (!msg[0])
			snprintf(msg, msglen, "out of memory");
		gpu_close(h);
		return NULL;
	}
	if (!h->nr)
		snprintf(msg, msglen, "NVML found no GPU: no GPU columns");
	pcols_fix(&h->cols, out);
	return h;
none:
	/* not an error: the other samplers still run; the handle answers with no columns */
	if (h->n.dl)
		dlclose(h->n.dl);
	memset(&h->n, 0, sizeof(h->n));
	out->cols = NULL;
	out->nr = 0;
	return h;
}

/* XID critical errors since the last call, per GPU index (the event set is shared). */
static void gpu_xids(struct gpu *h, double *row)
{
	struct nvml_event ev;

	for (unsigned int g = 0; g < h->nr; g++)
		row[g * GPU_COLS + 5] = h->evset ? 0 : NAN;
	while (h->evset && h->n.evset_wait(h->evset, &ev, 0) == NVML_SUCCESS) {
		for (unsigned int g = 0; g < h->nr; g++)
			if (h->dev[g] == ev.dev && ev.type == NVML_EVENT_XID)
				row[g * GPU_COLS + 5] += 1;
	}
}

static int gpu_sample(void *hv, uint64_t ts, double *row, char *msg, size_t msglen)
{
	struct gpu *h = hv;

	(void)ts;
	for (unsigned int g = 0; g < h->nr; g++) {
		double *r = row + g * GPU_COLS;
		struct nvml_util u;
		struct nvml_mem m;
		unsigned int clk, rx, tx;
		unsigned long long ecc;

		r[0] = h->n.util(h->dev[g], &u) == NVML_SUCCESS ? u.gpu : NAN;
		r[1] = h->n.mem(h->dev[g], &m) == NVML_SUCCESS ? m.used / 1048576.0 : NAN;
		r[2] = h->n.clock(h->dev[g], NVML_CLOCK_SM, &clk) == NVML_SUCCESS ? clk : NAN;
		r[3] = h->n.pcie(h->dev[g], NVML_PCIE_RX, &rx) == NVML_SUCCESS ? rx : NAN;
		r[4] = h->n.pcie(h->dev[g], NVML_PCIE_TX, &tx) == NVML_SUCCESS ? tx : NAN;
		r[6] = NAN;
		if (h->ecc_ok[g] && h->n.ecc(h->dev[g], NVML_UNCORRECTED, NVML_VOLATILE,
					     &ecc) == NVML_SUCCESS) {
			r[6] = delta(ecc, h->ecc[g]);
			h->ecc[g] = ecc;
		}
	}
	gpu_xids(h, row);
	return 0;
}

static const struct tlb_plugin gpu_plugin = {
	.size = sizeof(struct tlb_plugin),
	.version = TLB_PLUGIN_VERSION,
	.name = "gpu",
	.description = "NVIDIA utilisation, memory, SM clock, PCIe, XID and ECC through NVML",
	.open = gpu_open,
	.sample = gpu_sample,
	.close = gpu_close,
};

PLUGIN_EXPORT const struct tlb_plugin *tlb_plugin_info(void)
{
	return &gpu_plugin;
}
