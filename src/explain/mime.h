/*
 * mime.h — just enough RFC 5322/2045 parsing to take bounce messages apart:
 * header lookup with unfolding, Content-Type parameters, transfer decoding,
 * line-end normalisation.  Internal to src/explain/.
 *
 * All functions take (pointer, length) views and never read past them;
 * outputs are written to caller buffers (truncated, always NUL-terminated)
 * or to malloc'ed buffers the caller frees.  No global state.
 */
#ifndef FERRY_EXPLAIN_MIME_H
#define FERRY_EXPLAIN_MIME_H

#include <stddef.h>

/* Copy of src with CRLF and lone CR turned into LF; caller frees. */
char *mime_normalize(const char *src, size_t len, size_t *outlen);

/* Splits a part (LF line ends) into header block and body. */
void mime_split(const char *part, size_t len, size_t *hlen, const char **body,
                size_t *blen);

/* Value of the first header named name (unfolded, trimmed); 1 if found. */
int mime_header(const char *hdrs, size_t hlen, const char *name, char *out,
                size_t outsz);

/* Lower-cased "type/subtype" of a Content-Type value. */
void mime_type(const char *ctype, char *out, size_t outsz);

/* Parameter of a header value (boundary, report-type); 1 if found. */
int mime_param(const char *value, const char *param, char *out, size_t outsz);

/* Body decoded per Content-Transfer-Encoding (base64, quoted-printable)
 * and normalised to LF; NULL when no decoding was needed. Caller frees. */
char *mime_decode(const char *cte, const char *body, size_t blen,
                  size_t *outlen);

/* First mailbox address (local@domain) in s; 1 if found. */
int mime_address(const char *s, size_t len, char *out, size_t outsz);

/* Case-insensitive search for needle in s[0..len). */
const char *mime_memcasemem(const char *s, size_t len, const char *needle);

#endif
