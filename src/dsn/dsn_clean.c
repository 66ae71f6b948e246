/*
 * dsn_clean.c — make untrusted values (remote replies, addresses, host
 * names) safe to place in a header field or a line of text: no control
 * characters survive, so no CR or LF can start a forged header line, and
 * bytes that are not valid UTF-8 (or, where 7 bits are required, any
 * 8-bit byte) become '?'.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "dsn/dsn_int.h"

size_t
dsn_utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len, i;
	unsigned c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

bool
dsn_has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Append one output byte, folding whitespace and control runs into one
 * space and dropping leading space. */
static void
put(char *out, size_t *o, unsigned char c)
{
	if (c < 0x20 || c == 0x7f)
		c = ' ';
	if (c == ' ' && (*o == 0 || out[*o - 1] == ' '))
		return;
	out[(*o)++] = (char)c;
}

char *
dsn_clean_text(const char *s, bool ascii)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u), i = 0, o = 0, k;
	unsigned cp;
	char *out = xmalloc(n + 1);

	while (i < n) {
		if (u[i] < 0x80) {
			put(out, &o, u[i++]);
			continue;
		}
		k = ascii ? 0 : dsn_utf8_next(u + i, n - i, &cp);
		if (k == 0 || (cp >= 0x80 && cp < 0xa0)) {
			/* C1 controls count as control characters too. */
			put(out, &o, '?');
			i += k ? k : 1;
			continue;
		}
		memcpy(out + o, u + i, k);
		o += k;
		i += k;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

char *
dsn_clean_token(const char *s, const char *allowed, const char *fallback)
{
	const char *p;
	size_t o = 0;
	char *out;

	s = s ? s : "";
	out = xmalloc(strlen(s) + strlen(fallback) + 1);
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr(allowed, c)))
			out[o++] = (char)c;
	}
	out[o] = '\0';
	if (o == 0)
		memcpy(out, fallback, strlen(fallback) + 1);
	return out;
}
