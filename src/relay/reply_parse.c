/*
 * reply_parse.c — the SMTP client's reply parser (see reply_parse.h).
 */
#include "base/mem.h"
#include "relay/reply_parse.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Longest line content, CRLF not counted. */
#define CONTENT_MAX (RELAY_REPLY_LINE_MAX - 2)

struct line_span {
	size_t start; /* offset of the first code digit */
	size_t len;   /* content length, line end not counted */
};

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* The code of a line of len content octets, or -1. */
static int
line_code(const char *p, size_t len)
{
	if (len < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]))
		return -1;
	if (p[0] < '2' || p[0] > '5')
		return -1;
	if (len > 3 && p[3] != ' ' && p[3] != '-')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/*
 * Finds the lines of the first complete reply.  Returns the number of
 * lines, 0 when more input is needed, or -1 with *error_r set.
 */
static int
scan_lines(const char *buf, size_t len, struct line_span *spans,
           size_t *consumed, const char **error_r)
{
	size_t pos = 0, n = 0;
	int first = -1;

	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t clen;
		int code;

		if (nl == NULL) {
			if (len - pos > CONTENT_MAX + 1) {
				*error_r = "reply line too long";
				return -1;
			}
			return 0;
		}
		clen = (size_t)(nl - (buf + pos));
		if (clen > 0 && buf[pos + clen - 1] == '\r')
			clen--;
		if (clen > CONTENT_MAX) {
			*error_r = "reply line too long";
			return -1;
		}
		code = line_code(buf + pos, clen);
		if (code < 0) {
			*error_r = "malformed reply line";
			return -1;
		}
		if (first >= 0 && code != first) {
			*error_r = "reply lines with different codes";
			return -1;
		}
		if (n == RELAY_REPLY_LINES_MAX) {
			*error_r = "reply has too many lines";
			return -1;
		}
		first = code;
		spans[n].start = pos;
		spans[n].len = clen;
		n++;
		pos = (size_t)(nl - buf) + 1;
		if (clen == 3 || buf[spans[n - 1].start + 3] == ' ') {
			*consumed = pos;
			return (int)n;
		}
	}
}

/* Copies len octets, replacing control bytes. */
static void
copy_clean(char *dst, const char *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == '\t')
			ch = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			ch = '?';
		dst[i] = (char)ch;
	}
	dst[len] = '\0';
}

static void
build_reply(const char *buf, const struct line_span *spans, size_t n,
            struct reply_parsed *out)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n; i++)
		total += spans[i].len + 1;
	out->text = xcalloc(total, 1);
	out->lines = xcalloc(n, sizeof(*out->lines));
	out->nlines = n;
	for (size_t i = 0; i < n; i++) {
		const char *line = buf + spans[i].start;
		size_t tlen = spans[i].len > 4 ? spans[i].len - 4 : 0;

		if (i > 0)
			out->text[off++] = ' ';
		copy_clean(out->text + off, line, spans[i].len);
		off += spans[i].len;
		out->lines[i] = xcalloc(tlen + 1, 1);
		copy_clean(out->lines[i], line + 4, tlen);
	}
	out->code = line_code(buf + spans[0].start, spans[0].len);
	relay_reply_enhanced(out->lines[0], out->code, out->enhanced,
	                     sizeof(out->enhanced));
}

enum reply_parse_status
relay_reply_parse(const char *buf, size_t len, struct reply_parsed *out,
                  const char **error_r)
{
	struct line_span *spans;
	size_t consumed = 0;
	int n;

	memset(out, 0, sizeof(*out));
	*error_r = NULL;
	spans = xcalloc(RELAY_REPLY_LINES_MAX, sizeof(*spans));
	n = scan_lines(buf, len, spans, &consumed, error_r);
	if (n > 0) {
		build_reply(buf, spans, (size_t)n, out);
		out->consumed = consumed;
	}
	free(spans);
	if (n < 0)
		return REPLY_PARSE_ERROR;
	return n == 0 ? REPLY_PARSE_MORE : REPLY_PARSE_OK;
}

void
relay_reply_parsed_free(struct reply_parsed *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* Skips 1 to 3 digits; returns the count, 0 when there are none. */
static size_t
digits(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && is_digit(p[n]))
		n++;
	return is_digit(p[n]) ? 0 : n;
}

int
relay_reply_enhanced(const char *text, int code, char *out, size_t outlen)
{
	size_t subj, det, len;

	out[0] = '\0';
	if (text[0] != '2' && text[0] != '4' && text[0] != '5')
		return -1;
	if (text[0] - '0' != code / 100 || text[1] != '.')
		return -1;
	subj = digits(text + 2, 3);
	if (subj == 0 || text[2 + subj] != '.')
		return -1;
	det = digits(text + 3 + subj, 3);
	len = 3 + subj + det;
	if (det == 0 || (text[len] != '\0' && text[len] != ' '))
		return -1;
	if (len >= outlen)
		return -1;
	memcpy(out, text, len);
	out[len] = '\0';
	return 0;
}
