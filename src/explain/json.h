/*
 * json.h — the few JSON primitives ferry's machine-readable output needs.
 * Strings are written as valid JSON from any bytes: control characters are
 * escaped and invalid UTF-8 becomes U+FFFD, so output parses whatever the
 * input was.  Writes to a stdio stream; no state, no allocation.
 */
#ifndef FERRY_EXPLAIN_JSON_H
#define FERRY_EXPLAIN_JSON_H

#include <stdio.h>

/* A JSON string literal for s (NULL prints null). */
void json_string(FILE *out, const char *s);
/* "key": value pairs; sep is printed before (",\n  " or ""). */
void json_kv_str(FILE *out, const char *sep, const char *key, const char *v);
void json_kv_int(FILE *out, const char *sep, const char *key, long v);
void json_kv_bool(FILE *out, const char *sep, const char *key, int v);

#endif
