/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP for C unit tests: ok()/is_int()/is_str(), then done_testing(). */
#ifndef TLBSTAT_TAP_H
#define TLBSTAT_TAP_H
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
static inline int __attribute__((format(printf, 4, 5)))
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define is_int(got, want, ...) do { \
	long long _g = (long long)(got), _w = (long long)(want); \
	if (!ok(_g == _w, __VA_ARGS__)) printf("#   got %lld, want %lld\n", _g, _w); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *_g = (got), *_w = (want); \
	if (!ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__)) \
		printf("#   got '%s', want '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
} while (0)

/* Prints the plan and returns the exit status for main(). */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
