/*
 * mime.c — header and body helpers for the bounce parser.  Bounces come
 * from every kind of software, so everything here is lenient: a missing
 * blank line, bad base64 or an unterminated quoted parameter still yields
 * the best reading instead of an error.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <strings.h>

#include "explain/mime.h"

char *
mime_normalize(const char *src, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (src[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < len && src[i + 1] == '\n')
				i++;
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* A header block starts with "Name:" (printable, no spaces in the name). */
static int
looks_like_header(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 80; i++) {
		if (p[i] == ':')
			return i > 0;
		if (p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return 0;
	}
	return 0;
}

void
mime_split(const char *part, size_t len, size_t *hlen, const char **body,
           size_t *blen)
{
	size_t i;

	if (len > 0 && part[0] == '\n') {
		*hlen = 0;
		*body = part + 1;
		*blen = len - 1;
		return;
	}
	if (!looks_like_header(part, len)) {
		*hlen = 0;
		*body = part;
		*blen = len;
		return;
	}
	for (i = 0; i + 1 < len; i++)
		if (part[i] == '\n' && part[i + 1] == '\n')
			break;
	if (i + 1 >= len) {
		*hlen = len;
		*body = part + len;
		*blen = 0;
		return;
	}
	*hlen = i + 1;
	*body = part + i + 2;
	*blen = len - i - 2;
}

static size_t
copy_unfolded(const char *p, const char *end, char *out, size_t outsz)
{
	size_t o = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end; p++) {
		if (*p == '\n') {
			if (p + 1 >= end || (p[1] != ' ' && p[1] != '\t'))
				break;
			continue; /* folded: the next line continues */
		}
		if (o + 1 < outsz)
			out[o++] = *p == '\t' ? ' ' : *p;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

int
mime_header(const char *hdrs, size_t hlen, const char *name, char *out,
            size_t outsz)
{
	size_t n = strlen(name), i = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	while (i < hlen) {
		if (hlen - i > n && strncasecmp(hdrs + i, name, n) == 0) {
			size_t c = i + n;

			/* "Name : value" is wrong but written by some MTAs */
			while (c < hlen && hdrs[c] == ' ')
				c++;
			if (c < hlen && hdrs[c] == ':') {
				copy_unfolded(hdrs + c + 1, hdrs + hlen, out,
				              outsz);
				return 1;
			}
		}
		while (i < hlen && hdrs[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

void
mime_type(const char *ctype, char *out, size_t outsz)
{
	size_t o = 0;

	while (*ctype == ' ')
		ctype++;
	while (*ctype != '\0' && *ctype != ';' && *ctype != ' ' &&
	       o + 1 < outsz)
		out[o++] = (char)tolower((unsigned char)*ctype++);
	out[o] = '\0';
}

int
mime_param(const char *value, const char *param, char *out, size_t outsz)
{
	const char *p = value;
	size_t n = strlen(param), o = 0;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, param, n) != 0 || p[n] != '=')
			continue;
		p += n + 1;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"' && o + 1 < outsz; p++)
				out[o++] = *p;
		} else {
			for (; *p != '\0' && *p != ';' && *p != ' ' &&
			       o + 1 < outsz;
			     p++)
				out[o++] = *p;
		}
		out[o] = '\0';
		return o > 0;
	}
	return 0;
}

static bool
b64_alphabet(unsigned char c)
{
	return isalnum(c) || c == '+' || c == '/';
}

/*
 * Lenient base64 for bounce bodies: line breaks and stray octets are
 * skipped and missing padding is forgiven (bounces are often mangled on
 * the way); OpenSSL does the decoding.  out holds len + 3 octets.
 */
static size_t
decode_b64(const char *in, size_t len, char *out)
{
	char *clean = malloc(len + 3);
	size_t i, n = 0, pad;
	int got;

	if (clean == NULL)
		return 0;
	for (i = 0; i < len && in[i] != '='; i++)
		if (b64_alphabet((unsigned char)in[i]))
			clean[n++] = in[i];
	n -= n % 4 == 1; /* a lone sextet carries no whole octet */
	pad = (4 - n % 4) % 4;
	for (i = 0; i < pad; i++)
		clean[n++] = '=';
	got = n ? EVP_DecodeBlock((unsigned char *)out,
	                          (const unsigned char *)clean, (int)n)
	        : 0;
	free(clean);
	return got > (int)pad ? (size_t)got - pad : 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
decode_qp(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] != '=') {
			out[o++] = in[i];
			continue;
		}
		if (i + 1 < len && in[i + 1] == '\n') {
			i++; /* soft line break */
			continue;
		}
		hi = i + 2 < len ? hexval((unsigned char)in[i + 1]) : -1;
		lo = i + 2 < len ? hexval((unsigned char)in[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			out[o++] = '=';
			continue;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	return o;
}

char *
mime_decode(const char *cte, const char *body, size_t blen, size_t *outlen)
{
	char *raw, *norm;
	size_t n;

	if (strncasecmp(cte, "base64", 6) != 0 &&
	    strncasecmp(cte, "quoted-printable", 16) != 0)
		return NULL;
	raw = malloc(blen + 4); /* base64 padding may round up */
	if (raw == NULL)
		return NULL;
	if (tolower((unsigned char)cte[0]) == 'b')
		n = decode_b64(body, blen, raw);
	else
		n = decode_qp(body, blen, raw);
	norm = mime_normalize(raw, n, outlen);
	free(raw);
	return norm;
}

static int
local_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

static int
domain_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-';
}

int
mime_address(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i, a, b;

	for (i = 0; i < len; i++) {
		if (s[i] != '@')
			continue;
		for (a = i; a > 0 && local_char((unsigned char)s[a - 1]); a--)
			;
		for (b = i + 1; b < len && domain_char((unsigned char)s[b]);
		     b++)
			;
		while (b > i + 1 && (s[b - 1] == '.' || s[b - 1] == '-'))
			b--;
		if (a == i || b == i + 1 || b - a + 1 > outsz)
			continue;
		memcpy(out, s + a, b - a);
		out[b - a] = '\0';
		return 1;
	}
	return 0;
}

const char *
mime_memcasemem(const char *s, size_t len, const char *needle)
{
	const char *p, *a, *b, *c, *end;
	size_t n = strlen(needle);
	int lo, up;

	if (n == 0 || n > len)
		return NULL;
	/* The parser searches whole messages for dozens of sentences: test
	 * the first byte inline, compare the rest only where it matches. */
	lo = tolower((unsigned char)needle[0]);
	up = toupper((unsigned char)needle[0]);
	end = s + len - n + 1;
	for (p = s; p < end; p = c + 1) {
		a = memchr(p, lo, (size_t)(end - p));
		b = up != lo ? memchr(p, up, (size_t)((a ? a : end) - p))
		             : NULL;
		c = b != NULL ? b : a;
		if (c == NULL)
			return NULL;
		if (strncasecmp(c + 1, needle + 1, n - 1) == 0)
			return c;
	}
	return NULL;
}
