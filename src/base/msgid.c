/*
 * msgid.c — find the Message-ID field in a message's header section.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/msgid.h"

#define FIELD "message-id:"

/* Length of the line at p (up to and excluding its LF), within end. */
static size_t
line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

static bool
blank_line(const char *p, size_t n)
{
	return n == 0 || (n == 1 && p[0] == '\r');
}

/* Appends the value bytes of one (possibly continued) line, skipping
 * control bytes and runs of white space. */
static void
append_value(const char *p, size_t n, char *out, size_t outlen, size_t *o)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ' || c == '\t' || c < 0x20 || c == 0x7f)
			continue;
		if (*o + 1 < outlen)
			out[(*o)++] = (char)c;
	}
	out[*o] = '\0';
}

const char *
msgid_find(const char *msg, size_t len, char *out, size_t outlen)
{
	const char *p = msg, *end = msg + len;
	size_t o = 0, n;

	if (outlen == 0)
		return NULL;
	out[0] = '\0';
	while (p < end) {
		n = line_len(p, end);
		if (blank_line(p, n))
			break;
		if (n >= sizeof(FIELD) - 1 &&
		    strncasecmp(p, FIELD, sizeof(FIELD) - 1) == 0) {
			append_value(p + sizeof(FIELD) - 1,
			             n - (sizeof(FIELD) - 1), out, outlen, &o);
			for (p += n + 1; p < end && (*p == ' ' || *p == '\t');
			     p += n + 1) {
				n = line_len(p, end);
				append_value(p, n, out, outlen, &o);
			}
			return o ? out : NULL;
		}
		p += n + 1;
	}
	return NULL;
}
