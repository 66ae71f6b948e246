/*
 * text.c — text normalisation for pattern matching.  Replies arrive with
 * typographic quotes (copied from web pages), CRLF or folded lines and any
 * case, so both patterns and input are reduced to one canonical form: ASCII
 * lower case, single spaces, straight quotes, dashes as '-'.  Bytes that are
 * not ASCII are kept so matching stays byte-exact for everything else.
 */
#include <string.h>

#include "explain/explain_int.h"

/* Returns the ASCII replacement for a UTF-8 punctuation sequence at s, and
 * its length in *n; 0 if s does not start one. */
static char
fold_utf8_punct(const unsigned char *s, size_t len, size_t *n)
{
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x80) {
		*n = 3;
		switch (s[2]) {
		case 0x98: /* left single quote */
		case 0x99: /* right single quote */
			return '\'';
		case 0x9c: /* left double quote */
		case 0x9d: /* right double quote */
			return '"';
		case 0x93: /* en dash */
		case 0x94: /* em dash */
			return '-';
		}
	}
	if (len >= 2 && s[0] == 0xc2 && (s[1] == 0xab || s[1] == 0xbb)) {
		*n = 2; /* guillemets */
		return '"';
	}
	if (len >= 2 && s[0] == 0xc2 && s[1] == 0xa0) {
		*n = 2; /* no-break space */
		return ' ';
	}
	return 0;
}

void
text_fold(char *dst, size_t dstsz, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n;
	char c;

	if (dstsz == 0)
		return;
	while (i < len && o + 1 < dstsz) {
		c = fold_utf8_punct(s + i, len - i, &n);
		if (c == 0) {
			c = (char)s[i];
			n = 1;
		}
		i += n;
		if (c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
		    c == '\f')
			c = ' ';
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == ' ' && (o == 0 || dst[o - 1] == ' '))
			continue;
		dst[o++] = c;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
}

/* '*' in pattern matches any run; pieces must appear in order.  The
 * leftmost match of each piece is enough because later pieces only need to
 * follow it. */
long
text_find(const char *hay, const char *pattern)
{
	const char *p = pattern, *star, *found, *h = hay;
	long start = -1;
	char piece[128];
	size_t n;

	while (*p != '\0') {
		star = strchr(p, '*');
		n = star ? (size_t)(star - p) : strlen(p);
		if (n >= sizeof(piece))
			n = sizeof(piece) - 1;
		if (n > 0) {
			memcpy(piece, p, n);
			piece[n] = '\0';
			found = strstr(h, piece);
			if (found == NULL)
				return -1;
			if (start < 0)
				start = found - hay;
			h = found + n;
		}
		if (star == NULL)
			break;
		p = star + 1;
	}
	return start < 0 ? 0 : start;
}
