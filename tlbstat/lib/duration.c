// SPDX-License-Identifier: GPL-2.0
#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {	/* largest first: duration_format picks the first that divides exactly */
	{ "d", DUR_D }, { "h", DUR_H }, { "m", DUR_MIN }, { "s", DUR_S },
	{ "ms", DUR_MS }, { "us", DUR_US }, { "ns", DUR_NS },
};

static uint64_t suffix_ns(const char *suffix, uint64_t unit_ns)
{
	if (!*suffix)
		return unit_ns;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(suffix, units[i].suffix))
			return units[i].ns;
	return 0;
}

int duration_parse(const char *s, uint64_t unit_ns, uint64_t *ns)
{
	char *end;
	double v, mult;

	/* digits first: strtod would also take " 1", "-1", "+1", "inf", "nan" and hex */
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]))))
		return DURATION_BAD;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return DURATION_BAD;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return errno == ERANGE && v > 0 ? DURATION_HUGE : DURATION_BAD;
	mult = (double)suffix_ns(end, unit_ns);
	if (mult == 0)
		return DURATION_BAD;
	v = nearbyint(v * mult);
	if (v >= 18446744073709551616.0)	/* 2^64 */
		return DURATION_HUGE;
	*ns = (uint64_t)v;
	return DURATION_OK;
}

void duration_format(uint64_t ns, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns && ns % units[i].ns == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].ns),
				 units[i].suffix);
			return;
		}
	snprintf(buf, len, "0s");
}
