// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: correlate's CSV time-series reader (csvts.c csvts_parse: quoting, field
 * counts, numbers, sorting), then every column binned onto a small grid (csvts_bin).
 */
#include "csvts.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvts ts;
	char err[512];
	double out[64];

	if (csvts_parse(&ts, "fuzz", (const char *)data, size, err, sizeof(err)))
		return 0;
	for (int c = 0; c < ts.nr_cols; c++)
		if (ts.nr_rows)
			csvts_bin(&ts, c, 0, 1000000000ull, csvts_bin_of(ts.time[0], 0, 1000000000ull),
				  64, out);
	csvts_free(&ts);
	return 0;
}
