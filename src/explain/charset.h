/*
 * charset.h — text of any charset as UTF-8, with iconv(3): bounce notices
 * arrive as ISO-2022-JP from Japanese carriers, ISO-8859-x and Windows
 * code pages from European ones, and headers carry RFC 2047 encoded words.
 * Internal to src/explain/.  Threading: each thread keeps its own few
 * open converters (thread-local, never shared); nothing else is kept.
 * Unknown charsets and invalid sequences never fail: the bytes that
 * cannot be converted are skipped or kept, so the caller always has text.
 */
#ifndef FERRY_EXPLAIN_CHARSET_H
#define FERRY_EXPLAIN_CHARSET_H

#include <stddef.h>

/* in (len bytes, in charset) as UTF-8 in a malloc'ed, NUL-terminated
 * buffer; NULL when no conversion is needed or possible (the caller keeps
 * the original).  Caller frees. */
char *charset_to_utf8(const char *charset, const char *in, size_t len,
                      size_t *outlen);

/* Header value with RFC 2047 encoded words (=?cs?B?..?= / =?cs?Q?..?=)
 * decoded to UTF-8; always NUL-terminates out. */
void charset_decode_words(const char *in, char *out, size_t outsz);

#endif
