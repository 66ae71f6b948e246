/* dkim_int.h — shared inside src/dkim only. */
#ifndef FERRY_DKIM_DKIM_INT_H
#define FERRY_DKIM_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim/dkim.h"

/* Where the body starts (after the empty line), or msg + len. */
const char *dkim_body_start(const char *msg, size_t len);

/* SHA-256 of the body of msg, relaxed or simple, of at most limit octets
 * of it when limit >= 0 (l=).  Returns 0 or -1. */
int dkim_body_digest(const char *msg, size_t len, bool relaxed, long limit,
                     unsigned char *dg, unsigned *dglen);
/* SHA-256 over the fields of msg named in h (bottom-up per name) and then
 * field (flen bytes, its b= value already emptied, no final CRLF), each in
 * relaxed or simple form (RFC 6376 s3.7).  Returns 0 or -1. */
int dkim_header_digest(const char *field, size_t flen, const char *h,
                       const char *msg, size_t len, bool relaxed,
                       unsigned char *dg, unsigned *dglen);

#endif
