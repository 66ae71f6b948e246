/*
 * dsn_original.c — the third part: the original message (message/rfc822)
 * or its header section (text/rfc822-headers), per RET (RFC 3461 s4.3).
 *
 * RET=FULL is honoured only in reports that contain a failure, as RFC 3461
 * asks; delay and success reports carry the headers.  A full message over
 * DSN_FULL_MAX octets, or one with NUL bytes (BINARYMIME), is replaced by
 * its headers, and part 1 says so.  A header section over DSN_HEADERS_MAX
 * octets is cut at a line boundary.  8-bit octets are passed through and
 * the part is labelled 8bit (RFC 6532 allows UTF-8 header fields).
 *
 * Line ends are rewritten to CRLF (bare LF and bare CR included).  Lines
 * longer than DSN_CHUNK_MAX are split: in the header section as a fold
 * (CRLF SP), in the body with a plain CRLF.
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* Content of the line at i ends at the returned offset; *next is where the
 * following line starts. */
static size_t
line_end(const char *s, size_t n, size_t i, size_t *next)
{
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	if (i < n && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
		*next = i + 2;
	else
		*next = i < n ? i + 1 : n;
	return i;
}

/* Offset of the empty line that ends the header section, or n. */
static size_t
header_end(const char *s, size_t n)
{
	size_t i = 0, e, next;

	while (i < n) {
		e = line_end(s, n, i, &next);
		if (e == i)
			return i;
		i = next;
	}
	return n;
}

/* Start of the last line that begins at or before limit. */
static size_t
last_line_before(const char *s, size_t n, size_t limit)
{
	size_t i = 0, next, last = 0;

	while (i < n && i <= limit) {
		last = i;
		line_end(s, n, i, &next);
		i = next;
	}
	return i <= limit ? i : last;
}

void
dsn_orig_plan(const struct dsn_report *r, const char *orig, size_t origlen,
              struct dsn_orig_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (orig == NULL) {
		orig = "";
		origlen = 0;
	}
	plan->body = header_end(orig, origlen);
	plan->full_requested =
	        r->ret == DSN_RET_FULL && dsn_any_action(r, DSN_ACTION_FAILED);
	plan->mode = DSN_ORIG_HEADERS;
	if (plan->full_requested) {
		if (origlen > DSN_FULL_MAX)
			plan->too_big = true;
		else if (memchr(orig, '\0', origlen) != NULL)
			plan->binary = true;
		else
			plan->mode = DSN_ORIG_FULL;
	}
	plan->end = plan->mode == DSN_ORIG_FULL ? origlen : plan->body;
	if (plan->mode == DSN_ORIG_HEADERS && plan->end > DSN_HEADERS_MAX) {
		plan->end = last_line_before(orig, plan->end, DSN_HEADERS_MAX);
		plan->cut = true;
	}
	plan->eightbit = dsn_has_8bit(orig, plan->end);
}

/* One line of content, NUL bytes dropped, split to fit. */
static void
emit_line(struct dsn_buf *b, const char *s, size_t n, bool in_header)
{
	size_t start = 0, i, take;
	bool first = true;

	while (first || start < n) {
		if (!first)
			dsn_buf_puts(b, in_header ? "\r\n " : "\r\n");
		take = n - start;
		if (take > DSN_CHUNK_MAX)
			take = DSN_CHUNK_MAX;
		if (memchr(s + start, '\0', take) == NULL)
			dsn_buf_add(b, s + start, take);
		else
			for (i = start; i < start + take; i++)
				if (s[i] != '\0')
					dsn_buf_add(b, s + i, 1);
		start += take;
		first = false;
	}
	dsn_buf_add(b, "\r\n", 2);
}

void
dsn_orig_part(struct dsn_buf *b, const char *orig, size_t origlen,
              struct dsn_orig_plan *plan)
{
	size_t i = 0, e, next;

	if (orig == NULL)
		return;
	while (i < plan->end && i < origlen) {
		e = line_end(orig, plan->end, i, &next);
		emit_line(b, orig + i, e - i, i < plan->body);
		i = next;
	}
}
