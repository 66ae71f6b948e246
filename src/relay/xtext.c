/*
 * xtext.c — RFC 3461 xtext encoding (see xtext.h).
 */
#include "base/mem.h"
#include "relay/xtext.h"

#include <stdlib.h>
#include <string.h>

char *
relay_xtext_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s), o = 0;
	char *out = xmalloc(len * 3 + 1);

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 33 || ch > 126 || ch == '+' || ch == '=') {
			out[o++] = '+';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0x0f];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	return out;
}
