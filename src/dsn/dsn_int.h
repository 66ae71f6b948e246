/*
 * dsn_int.h — private to src/dsn: the growable output buffer, value
 * cleaning and encoding, header folding and text wrapping, dates, and the
 * three report parts.  Every writer appends CRLF-terminated lines no longer
 * than DSN_LINE_MAX octets; out of memory aborts.
 */
#ifndef FERRY_DSN_INT_H
#define FERRY_DSN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dsn/dsn.h"

#define DSN_LINE_MAX 998       /* RFC 5322 s2.1.1, without the CRLF */
#define DSN_FOLD_AT 76         /* preferred width of folded and wrapped lines */
#define DSN_CHUNK_MAX 900      /* longest unbroken run before a forced break */
#define DSN_FULL_MAX 10485760  /* RET=FULL above this: headers only */
#define DSN_HEADERS_MAX 262144 /* header section returned at most */
#define DSN_DATE_LEN 64        /* "Thu, 01 Jan 1970 00:00:00 +0000" and room */

struct dsn_buf {
	char *p;
	size_t len, cap;
};

void dsn_buf_add(struct dsn_buf *b, const char *s, size_t n);
void dsn_buf_puts(struct dsn_buf *b, const char *s);
void dsn_buf_printf(struct dsn_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void dsn_buf_free(struct dsn_buf *b);

/*
 * Cleaning (dsn_clean.c).  All return a heap string the caller frees; NULL
 * input gives "".  dsn_clean_text: control characters (CR, LF, TAB, ...)
 * become single spaces, runs of spaces collapse, ends are trimmed; with
 * ascii set, every byte above 0x7e becomes '?', otherwise only bytes that
 * are not valid UTF-8 do.  dsn_clean_token keeps only bytes in allowed
 * (and alphanumerics), falling back to fallback when nothing is left.
 */
char *dsn_clean_text(const char *s, bool ascii);
char *dsn_clean_token(const char *s, const char *allowed, const char *fallback);
bool dsn_has_8bit(const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (1-4; *cp its code point), or
 * 0 when the bytes there are not valid UTF-8. */
size_t dsn_utf8_next(const unsigned char *s, size_t n, unsigned *cp);

/* Encodings (dsn_xtext.c).  RFC 3461 xtext, RFC 6533 utf-8-addr-xtext. */
char *dsn_xtext(const char *s);
char *dsn_utf8_addr_xtext(const char *s);
/* "rfc822; addr" or, for a non-ASCII address, "utf-8; <encoded>". */
char *dsn_typed_address(const char *addr);
/* An ORCPT value ("type;address", decoded) re-encoded for the
 * Original-Recipient field: "type;xtext", or "utf-8;utf-8-addr-xtext". */
char *dsn_orcpt_value(const char *orcpt);

/*
 * Folding (dsn_fold.c).  dsn_field writes "Name: value" CRLF, folding
 * before spaces near DSN_FOLD_AT and forcing a break (CRLF SP) inside runs
 * longer than DSN_CHUNK_MAX.  dsn_wrap writes prose lines wrapped at width
 * with indent leading spaces on every line (first_indent on the first).
 */
void dsn_field(struct dsn_buf *b, const char *name, const char *value);
void dsn_wrap(struct dsn_buf *b, const char *text, int first_indent,
              int indent);

/* The Remote-MTA mta-name for the relay's "name [address]" (dsn_mta.c):
 * the name, or the address literal "[192.0.2.1]" / "[IPv6:...]" when only
 * the address is known; NULL when neither is.  Heap string. */
char *dsn_remote_mta_name(const char *remote);

/* RFC 5322 date-time in UTC (rfc5322_date.c); out of range gives 1970. */
void rfc5322_date(time_t t, char out[DSN_DATE_LEN]);

/* Random bytes as hex; never fails (dsn_random.c). */
void dsn_random_hex(char *out, size_t nbytes);

/* What part 3 carries (dsn_original.c). */
enum dsn_orig_mode { DSN_ORIG_HEADERS, DSN_ORIG_FULL };

struct dsn_orig_plan {
	enum dsn_orig_mode mode;
	bool full_requested; /* RET=FULL applied to this report */
	bool too_big;        /* RET=FULL but over DSN_FULL_MAX */
	bool binary;         /* RET=FULL but NUL bytes in the body */
	bool cut;            /* header section longer than DSN_HEADERS_MAX */
	bool eightbit;       /* the part carries 8-bit octets */
	size_t end;          /* octets of the original the part is cut from */
	size_t body;         /* where the original's body starts, or origlen */
};

void dsn_orig_plan(const struct dsn_report *r, const char *orig, size_t origlen,
                   struct dsn_orig_plan *plan);
void dsn_orig_part(struct dsn_buf *b, const char *orig, size_t origlen,
                   struct dsn_orig_plan *plan);

/* Parts 1 and 2 (dsn_human.c, dsn_status.c); *utf8_r: 8-bit text used. */
void dsn_human_part(struct dsn_buf *b, const struct dsn_report *r,
                    const struct dsn_orig_plan *plan, bool *utf8_r);
void dsn_status_part(struct dsn_buf *b, const struct dsn_report *r);

/* Shared helpers (dsn_status.c). */
const char *dsn_action_name(enum dsn_action a);
void dsn_status_code(const struct dsn_recipient *rc, char out[16]);
bool dsn_any_action(const struct dsn_report *r, enum dsn_action a);

#endif
