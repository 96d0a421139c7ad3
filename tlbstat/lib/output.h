/* JSON and CSV writers shared by every command. */
#ifndef TLBSTAT_OUTPUT_H
#define TLBSTAT_OUTPUT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool pretty;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *w, FILE *f, bool pretty);
/* key is NULL inside arrays and at top level. */
void json_object_begin(struct json_writer *w, const char *key);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w, const char *key);
void json_array_end(struct json_writer *w);
void json_int(struct json_writer *w, const char *key, int64_t v);
void json_uint(struct json_writer *w, const char *key, uint64_t v);
void json_double(struct json_writer *w, const char *key, double v);  /* NaN/inf -> null */
void json_string(struct json_writer *w, const char *key, const char *v); /* NULL -> null */
void json_bool(struct json_writer *w, const char *key, bool v);
void json_null(struct json_writer *w, const char *key);
/*
 * Ends the document with a newline. It does not flush: a streaming command (stat -I) flushes
 * after each line itself, and the dispatcher's final fflush keeps the errno of a write error.
 */
void json_finish(struct json_writer *w);

/* CSV: quote a field when it needs it (RFC 4180). */
void csv_field(FILE *f, const char *s);
#endif
