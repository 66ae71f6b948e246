/* dkim_int.h — shared inside src/dkim only. */
#ifndef FERRY_DKIM_DKIM_INT_H
#define FERRY_DKIM_DKIM_INT_H

#include <stddef.h>

/* Where the body starts (after the empty line), or msg + len. */
const char *dkim_body_start(const char *msg, size_t len);

/* Calls fn for each header field of msg (folded lines included, CRLF
 * excluded), top to bottom; stops when fn returns non-zero. */
void dkim_each_field(const char *msg, size_t len,
                     int (*fn)(void *arg, const char *f, size_t n), void *arg);

#endif
