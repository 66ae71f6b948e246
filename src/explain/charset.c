/*
 * charset.c — conversion of bounce text to UTF-8 with iconv(3), and RFC
 * 2047 encoded words.  glibc's iconv knows every charset bounces use
 * (ISO-2022-JP, Shift_JIS, EUC-JP, ISO-8859-*, Windows-125x, KOI8-R, GB2312,
 * Big5 ...); what it cannot convert is skipped a byte at a time, so a
 * broken sequence loses one character, not the message.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "explain/charset.h"

static int
is_utf8_or_ascii(const char *cs)
{
	return cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	       strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	       strcasecmp(cs, "ascii") == 0;
}

/* Text that reads the same in any ASCII-based charset needs no iconv
 * (opening a converter costs more than parsing the bounce).  ISO-2022-JP
 * is 7-bit but switches sets with ESC. */
static int
plain_ascii(const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80 || in[i] == 0x1b)
			return 0;
	return 1;
}

/* Converts with cd into out (cap bytes, NUL kept free); returns length. */
static size_t
convert(iconv_t cd, const char *in, size_t len, char *out, size_t cap)
{
	char *ip = (char *)(uintptr_t)in, *op = out;
	size_t il = len, ol = cap - 1;

	while (il > 0 && ol > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		/* EILSEQ/EINVAL: skip the byte that does not convert */
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	iconv(cd, NULL, NULL, &op, &ol); /* flush the shift state */
	*op = '\0';
	return (size_t)(op - out);
}

/* Opening a converter loads a gconv module and costs more than parsing a
 * bounce, so each thread keeps the last few it opened (reset before each
 * use, never shared between threads). */
#define CACHE_SLOTS 4

static iconv_t
converter(const char *charset)
{
	static _Thread_local struct {
		char name[32];
		iconv_t cd;
	} cache[CACHE_SLOTS];
	static _Thread_local unsigned next;
	iconv_t cd;
	unsigned i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].name[0] != '\0' &&
		    strcasecmp(cache[i].name, charset) == 0) {
			iconv(cache[i].cd, NULL, NULL, NULL, NULL);
			return cache[i].cd;
		}
	if (strlen(charset) >= sizeof(cache[0].name))
		return (iconv_t)-1;
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return cd;
	i = next++ % CACHE_SLOTS;
	if (cache[i].name[0] != '\0')
		iconv_close(cache[i].cd);
	snprintf(cache[i].name, sizeof(cache[i].name), "%s", charset);
	cache[i].cd = cd;
	return cd;
}

char *
charset_to_utf8(const char *charset, const char *in, size_t len, size_t *outlen)
{
	iconv_t cd;
	size_t cap;
	char *out;

	if (charset == NULL || is_utf8_or_ascii(charset) ||
	    plain_ascii(in, len))
		return NULL;
	cd = converter(charset);
	if (cd == (iconv_t)-1)
		return NULL;
	cap = len * 4 + 16; /* any charset's byte takes at most 4 in UTF-8 */
	out = malloc(cap);
	if (out != NULL)
		*outlen = convert(cd, in, len, out, cap);
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* The encoded text of one word, decoded (B or Q) into raw bytes. */
static size_t
decode_word(char enc, const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	for (i = 0; i < n && o + 1 < cap; i++) {
		if (enc == 'Q' || enc == 'q') {
			if (s[i] == '_') {
				out[o++] = ' ';
			} else if (s[i] == '=' && i + 2 < n &&
			           hexval(s[i + 1]) >= 0 &&
			           hexval(s[i + 2]) >= 0) {
				out[o++] = (char)(hexval(s[i + 1]) * 16 +
				                  hexval(s[i + 2]));
				i += 2;
			} else {
				out[o++] = s[i];
			}
			continue;
		}
		v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

/* Appends one encoded word's text (charset cs) to out at *o. */
static void
append_word(const char *cs, char enc, const char *text, size_t n, char *out,
            size_t outsz, size_t *o)
{
	char raw[512], *utf;
	size_t rl = decode_word(enc, text, n, raw, sizeof(raw)), ul;

	utf = charset_to_utf8(cs, raw, rl, &ul);
	if (utf == NULL) {
		ul = rl < outsz - 1 - *o ? rl : outsz - 1 - *o;
		memcpy(out + *o, raw, ul);
	} else {
		if (ul > outsz - 1 - *o)
			ul = outsz - 1 - *o;
		memcpy(out + *o, utf, ul);
		free(utf);
	}
	*o += ul;
}

/* "=?cs?E?text?=" at p: fills the parts, returns the word's length or 0. */
static size_t
encoded_word(const char *p, char *cs, size_t cssz, char *enc, const char **text,
             size_t *tlen)
{
	const char *q, *e;
	size_t n;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	q = strchr(p + 2, '?');
	if (q == NULL || (n = (size_t)(q - p - 2)) == 0 || n >= cssz ||
	    (q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q') ||
	    q[2] != '?')
		return 0;
	e = strstr(q + 3, "?=");
	if (e == NULL)
		return 0;
	memcpy(cs, p + 2, n);
	cs[n] = '\0';
	if (strchr(cs, '*') != NULL) /* RFC 2231 language tag */
		*strchr(cs, '*') = '\0';
	*enc = q[1];
	*text = q + 3;
	*tlen = (size_t)(e - q - 3);
	return (size_t)(e + 2 - p);
}

void
charset_decode_words(const char *in, char *out, size_t outsz)
{
	char cs[64], enc;
	const char *text, *p = in, *ws;
	size_t o = 0, n, tlen;
	int last_was_word = 0;

	if (outsz == 0)
		return;
	while (*p != '\0' && o + 1 < outsz) {
		n = encoded_word(p, cs, sizeof(cs), &enc, &text, &tlen);
		if (n > 0) {
			append_word(cs, enc, text, tlen, out, outsz, &o);
			p += n;
			last_was_word = 1;
			continue;
		}
		/* white space between two encoded words is not text */
		for (ws = p; *ws == ' ' || *ws == '\t'; ws++)
			;
		if (last_was_word && ws > p &&
		    encoded_word(ws, cs, sizeof(cs), &enc, &text, &tlen)) {
			p = ws;
			continue;
		}
		out[o++] = *p++;
		last_was_word = 0;
	}
	out[o] = '\0';
}
