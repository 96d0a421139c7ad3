// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the TRACING_DATA feature (tracing-data.c tdata_read): its header, the
 * format files parsed by libtraceevent, kallsyms, printk formats, saved_cmdlines.
 */
#include "symbols.h"
#include "tracing-data.h"

#include <event-parse.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct syms *syms = syms_new(0);
	struct tep_handle *tep;

	if (!syms)
		return 0;
	tep = tdata_read(data, size, syms, err, sizeof(err));
	if (tep)
		tep_free(tep);
	syms_free(syms);
	return 0;
}
