/*
 * macro.c — SPF macro expansion (RFC 7208 s7) and the checks on the
 * domain names it produces (s4.8, s7.3 on names over 253 octets).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/name.h" /* DNS_NAME_MAX */
#include "spf/spf_int.h"

#define PARTS_MAX 128

static const char *
letter_value(char c, const struct spf_macro_vars *v, char *tbuf, size_t tlen)
{
	switch (tolower((unsigned char)c)) {
	case 's':
		return v->sender;
	case 'l':
		return v->local;
	case 'o':
		return v->sender_domain;
	case 'd':
		return v->domain;
	case 'i':
		return v->ip_dotted;
	case 'p':
		return v->validated;
	case 'h':
		return v->helo ? v->helo : "unknown";
	case 'v':
		return v->ipv6 ? "ip6" : "in-addr";
	case 'c':
		return v->exp ? v->ip_text : NULL;
	case 'r':
		return v->exp ? "unknown" : NULL;
	case 't':
		if (!v->exp)
			return NULL;
		snprintf(tbuf, tlen, "%lld", (long long)time(NULL));
		return tbuf;
	default:
		return NULL;
	}
}

/* Appends n bytes; -1 when out is full. */
static int
put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/* URL-escapes what is not "unreserved" (s7.3, upper-case macro letters). */
static int
put_escaped(char *out, size_t outlen, size_t *o, const char *s)
{
	char hex[4];

	for (; *s; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s)) {
			if (put(out, outlen, o, s, 1) < 0)
				return -1;
		} else {
			snprintf(hex, sizeof(hex), "%%%02X", (unsigned char)*s);
			if (put(out, outlen, o, hex, 3) < 0)
				return -1;
		}
	}
	return 0;
}

/* value split at delims, reversed when asked, the rightmost keep parts
 * joined with dots.  keep 0: all. */
static int
transform(const char *value, const char *delims, bool rev, unsigned keep,
          char *res, size_t reslen)
{
	char buf[SPF_TEXT_MAX], *parts[PARTS_MAX], *p;
	size_t n = 0, i, first, o = 0;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", value) >= sizeof(buf))
		return -1;
	parts[n++] = buf;
	for (p = buf; *p; p++)
		if (strchr(delims, *p) && n < PARTS_MAX) {
			*p = '\0';
			parts[n++] = p + 1;
		}
	if (rev)
		for (i = 0; i < n / 2; i++) {
			p = parts[i];
			parts[i] = parts[n - 1 - i];
			parts[n - 1 - i] = p;
		}
	first = (keep > 0 && keep < n) ? n - keep : 0;
	res[0] = '\0';
	for (i = first; i < n; i++) {
		if (i > first && put(res, reslen, &o, ".", 1) < 0)
			return -1;
		if (put(res, reslen, &o, parts[i], strlen(parts[i])) < 0)
			return -1;
	}
	return 0;
}

/* One "%{...}" at *pp (just after "%{"); advances past the "}". */
static int
expand_one(const char **pp, const struct spf_macro_vars *v, char *out,
           size_t outlen, size_t *o)
{
	const char *p = *pp, *value;
	char tbuf[32], delims[16] = "", res[SPF_TEXT_MAX];
	unsigned keep = 0;
	bool rev = false, digits = false;
	char letter = *p++;
	size_t nd = 0;

	if ((value = letter_value(letter, v, tbuf, sizeof(tbuf))) == NULL)
		return -1;
	while (isdigit((unsigned char)*p)) {
		keep = keep * 10 + (unsigned)(*p++ - '0');
		digits = true;
		if (keep > 1000)
			return -1;
	}
	if (digits && keep == 0)
		return -1;
	if (*p == 'r' || *p == 'R') {
		rev = true;
		p++;
	}
	while (*p && strchr(".-+,/_=", *p) && nd + 1 < sizeof(delims))
		delims[nd++] = *p++;
	if (*p != '}')
		return -1;
	*pp = p + 1;
	if (nd == 0)
		delims[0] = '.';
	if (transform(value, delims, rev, keep, res, sizeof(res)) < 0)
		return -1;
	if (isupper((unsigned char)letter))
		return put_escaped(out, outlen, o, res);
	return put(out, outlen, o, res, strlen(res));
}

int
spf_macro_expand(const char *in, const struct spf_macro_vars *v, char *out,
                 size_t outlen)
{
	const char *p = in;
	size_t o = 0;

	out[0] = '\0';
	while (*p) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return -1;
		if (*p != '%') {
			if (put(out, outlen, &o, p++, 1) < 0)
				return -1;
			continue;
		}
		p++;
		if (*p == '%' || *p == '_' || *p == '-') {
			const char *lit = *p == '%'   ? "%"
			                  : *p == '_' ? " "
			                              : "%20";
			if (put(out, outlen, &o, lit, strlen(lit)) < 0)
				return -1;
			p++;
		} else if (*p == '{') {
			p++;
			if (expand_one(&p, v, out, outlen, &o) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel_ok(const char *s, size_t len)
{
	size_t i;
	bool alpha = false, dash = false;

	if (len == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha || dash;
}

bool
spf_domain_spec_ok(const char *spec)
{
	const struct spf_macro_vars v = {"a@b", "a", "b", "b",   "1",
	                                 "1",   "b", "b", false, false};
	char out[SPF_TEXT_MAX];
	size_t len = strlen(spec);
	const char *dot;

	if (len == 0 || spf_macro_expand(spec, &v, out, sizeof(out)) < 0)
		return false;
	if (spec[len - 1] == '}')
		return true; /* domain-end is a macro-expand */
	if (spec[len - 1] == '.')
		len--;
	dot = memrchr(spec, '.', len);
	if (dot == NULL)
		return false;
	return toplabel_ok(dot + 1, len - (size_t)(dot + 1 - spec));
}

bool
spf_target_name(char *name)
{
	const char *p = name, *dot;
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	while (strlen(p) > DNS_NAME_MAX) {
		if ((p = strchr(p, '.')) == NULL)
			return false;
		p++;
	}
	memmove(name, p, strlen(p) + 1);
	/* Any octet but the dot may be in a label (RFC 2181 s11). */
	for (p = name; *p; p = dot + 1) {
		dot = strchr(p, '.');
		if (dot == NULL)
			dot = p + strlen(p);
		if (dot == p || dot - p > 63 || (unsigned char)*p <= ' ')
			return false;
		if (*dot == '\0')
			break;
	}
	return name[0] != '\0';
}
