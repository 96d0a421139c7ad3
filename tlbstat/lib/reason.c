// SPDX-License-Identifier: GPL-2.0
#include "reason.h"

#include <stdlib.h>
#include <string.h>

static const char *const keys[TLB_NR_REASONS] = {
	"task_switch", "remote_shootdown", "local_shootdown",
	"local_mm_shootdown", "remote_ipi_send", "remote_wrong_cpu",
};
static const char *const labels[TLB_NR_REASONS] = {
	"task switch", "remote shootdown", "local shootdown",
	"local MM shootdown", "remote IPI send", "remote wrong CPU",
};

const char *tlb_reason_key(int r)
{
	return r >= 0 && r < TLB_NR_REASONS ? keys[r] : "unknown";
}

const char *tlb_reason_label(int r)
{
	return r >= 0 && r < TLB_NR_REASONS ? labels[r] : "unknown";
}

int tlb_reason_parse(const char *s)
{
	char *end;
	long v;
	for (int i = 0; i < TLB_NR_REASONS; i++)
		if (!strcmp(s, keys[i]))
			return i;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v < TLB_NR_REASONS)
		return (int)v;
	return -1;
}

enum tlb_health tlb_health_of(double per_core_rate)
{
	if (per_core_rate < HEALTH_YELLOW_AT)
		return HEALTH_GREEN;
	if (per_core_rate < HEALTH_RED_AT)
		return HEALTH_YELLOW;
	return HEALTH_RED;
}

const char *tlb_health_name(enum tlb_health h)
{
	switch (h) {
	case HEALTH_GREEN: return "green";
	case HEALTH_YELLOW: return "yellow";
	case HEALTH_RED: return "red";
	default: return "insufficient data";
	}
}
