/*
 * rua.c — where a policy domain wants its reports: the "rua" of its
 * `_smtp._tls` TXT record (RFC 8460 s3), checked strictly, since what is
 * taken from it becomes an envelope recipient, a header field or a URL.
 */
#include "tlsrpt/tlsrpt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"

static const char local_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "!#$&'*+/=^_`{|}~.-";
static const char host_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 6068: a mailto address may be percent-encoded; its "?" fields
 * (subject=...) are not for reports and are dropped. */
static char *
mailto_address(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	const char *end = s + n, *at;

	if (out == NULL)
		return NULL;
	for (; s < end && *s != '?'; s++) {
		int hi = end - s >= 3 && *s == '%' ? hexval(s[1]) : -1;
		int lo = hi >= 0 ? hexval(s[2]) : -1;

		if (hi >= 0 && lo >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	at = strrchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' ||
	    strspn(out, local_chars) != (size_t)(at - out) ||
	    strspn(at + 1, host_chars) != strlen(at + 1) || strlen(out) > 254) {
		free(out);
		return NULL;
	}
	return out;
}

/* "https://" host [":" port] [path]: printable, no spaces or quotes. */
static char *
https_url(const char *s, size_t n)
{
	size_t i, host;

	if (n < 9 || n > 2000 || strncasecmp(s, "https://", 8) != 0)
		return NULL;
	host = strspn(s + 8, host_chars);
	if (host == 0 || host > 253)
		return NULL;
	for (i = 8; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '<' ||
		    s[i] == '>' || s[i] == '\\')
			return NULL;
	return str_ndup(s, n);
}

static int
add_uri(struct tlsrpt_rua *r, const char *s, size_t n)
{
	char *v;

	if (n > 7 && strncasecmp(s, "mailto:", 7) == 0) {
		if (r->nmailto == TLSRPT_RUA_MAX ||
		    (v = mailto_address(s + 7, n - 7)) == NULL)
			return -1;
		r->mailto[r->nmailto++] = v;
		return 0;
	}
	if (r->nhttps == TLSRPT_RUA_MAX || (v = https_url(s, n)) == NULL)
		return -1;
	r->https[r->nhttps++] = v;
	return 0;
}

static const char *
skip_wsp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* rua=URI *(*WSP "," *WSP URI), up to the next ";" or the end. */
static int
parse_rua(struct tlsrpt_rua *r, const char *s, const char *end)
{
	while (s < end) {
		const char *e = s;

		while (e < end && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if (e == s || add_uri(r, s, (size_t)(e - s)) < 0)
			return -1;
		s = skip_wsp(e);
		if (s < end && *s != ',')
			return -1;
		if (s < end)
			s = skip_wsp(s + 1);
	}
	return 0;
}

int
tlsrpt_rua_parse(const char *txt, struct tlsrpt_rua *r)
{
	const char *p = txt;
	bool seen = false;

	memset(r, 0, sizeof(*r));
	if (strncmp(p, "v=TLSRPTv1", 10) != 0)
		return -1;
	p = skip_wsp(p + 10);
	while (*p == ';') {
		const char *f = skip_wsp(p + 1), *end = strchr(f, ';');

		if (end == NULL)
			end = f + strlen(f);
		p = end;
		while (end > f && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - f > 4 && strncmp(f, "rua=", 4) == 0 && !seen) {
			seen = true;
			if (parse_rua(r, f + 4, end) < 0)
				goto bad;
		}
		/* other fields: extensions (s3), ignored */
	}
	if (*p != '\0' || !seen || r->nmailto + r->nhttps == 0)
		goto bad;
	return 0;
bad:
	tlsrpt_rua_clear(r);
	return -1;
}

int
tlsrpt_rua_pick(const char *const *texts, size_t n, struct tlsrpt_rua *r)
{
	size_t i, found = 0, which = 0;

	for (i = 0; i < n; i++)
		if (strncmp(texts[i], "v=TLSRPTv1", 10) == 0 &&
		    (texts[i][10] == ';' || texts[i][10] == ' ' ||
		     texts[i][10] == '\t')) {
			found++;
			which = i;
		}
	/* s3: anything but exactly one such record means no reporting. */
	if (found != 1)
		return -1;
	return tlsrpt_rua_parse(texts[which], r);
}

void
tlsrpt_rua_clear(struct tlsrpt_rua *r)
{
	size_t i;

	for (i = 0; i < r->nmailto; i++)
		free(r->mailto[i]);
	for (i = 0; i < r->nhttps; i++)
		free(r->https[i]);
	memset(r, 0, sizeof(*r));
}
