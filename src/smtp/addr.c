/*
 * addr.c — RFC 5321 path parser (see addr.h).
 */
#include "smtp/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Cursor over the input, so the grammar functions read like the ABNF. */
struct cursor {
	const char *s;
	size_t len;
	size_t pos;
};

static int
peek(const struct cursor *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool
accept_char(struct cursor *c, int ch)
{
	if (peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* RFC 5322 atext */
static bool
is_atext(int ch)
{
	return ch >= 0 && (is_alnum(ch) || strchr("!#$%&'*+-/=?^_`{|}~", ch)) &&
	       ch != 0;
}

/* Length of one well-formed UTF-8 non-ASCII character at s, or 0. */
static size_t
utf8_char_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Consume one UTF-8 non-ASCII character; flags it. */
static bool
accept_utf8(struct cursor *c, bool *utf8)
{
	size_t n;

	if (c->pos >= c->len || (unsigned char)c->s[c->pos] < 0x80)
		return false;
	n = utf8_char_len((const unsigned char *)c->s + c->pos,
	                  c->len - c->pos);
	if (n == 0)
		return false;
	c->pos += n;
	*utf8 = true;
	return true;
}

bool
addr_is_utf8(const char *s, size_t len)
{
	struct cursor c = {s, len, 0};
	bool utf8 = false;

	while (c.pos < c.len) {
		if ((unsigned char)s[c.pos] < 0x80)
			c.pos++;
		else if (!accept_utf8(&c, &utf8))
			return false;
	}
	return utf8;
}

/* sub-domain = Let-dig [Ldh-str]; U-labels allowed (RFC 6531 s3.3). */
static bool
parse_subdomain(struct cursor *c, bool *utf8)
{
	size_t start = c->pos;
	int last = -1;

	for (;;) {
		int ch = peek(c);

		if (is_alnum(ch) || (ch == '-' && c->pos > start)) {
			c->pos++;
			last = ch;
		} else if (ch >= 0x80 && accept_utf8(c, utf8)) {
			last = 'a';
		} else {
			break;
		}
	}
	return c->pos > start && last != '-';
}

static bool
parse_domain(struct cursor *c, bool *utf8)
{
	if (!parse_subdomain(c, utf8))
		return false;
	while (peek(c) == '.') {
		c->pos++;
		if (!parse_subdomain(c, utf8))
			return false;
	}
	return true;
}

static bool
is_dcontent(unsigned char ch)
{
	return ch >= 33 && ch <= 126 && ch != '[' && ch != ']' && ch != '\\';
}

static bool
is_ldh(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-';
}

/* inet_pton() wants a string; the longest IPv6 text is 45 octets. */
static bool
is_ip(int af, const char *s, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(af, text, bin) == 1;
}

/* Standardized-tag ":" 1*dcontent, the tag an Ldh-str (no '-' at its end). */
static bool
is_general_literal(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_ldh((unsigned char)s[i]))
		i++;
	if (i == 0 || i == len || s[i] != ':' || s[i - 1] == '-' ||
	    i + 1 == len)
		return false;
	for (i++; i < len; i++)
		if (!is_dcontent((unsigned char)s[i]))
			return false;
	return true;
}

bool
addr_literal_valid(const char *s, size_t len)
{
	if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0)
		return is_ip(AF_INET6, s + 5, len - 5);
	if (memchr(s, ':', len) == NULL)
		return is_ip(AF_INET, s, len);
	return is_general_literal(s, len);
}

/* address-literal = "[" ( IPv4 / IPv6 / General ) "]" */
static bool
parse_address_literal(struct cursor *c)
{
	size_t start;

	if (!accept_char(c, '['))
		return false;
	start = c->pos;
	while (is_dcontent((unsigned char)peek(c)))
		c->pos++;
	return addr_literal_valid(c->s + start, c->pos - start) &&
	       accept_char(c, ']');
}

/* At-domain *( "," At-domain ) ":" */
static bool
parse_source_route(struct cursor *c, bool *utf8)
{
	do {
		if (!accept_char(c, '@') || !parse_domain(c, utf8))
			return false;
	} while (accept_char(c, ','));
	return accept_char(c, ':');
}

static bool
parse_dot_string(struct cursor *c, char *out, size_t *outlen, bool *utf8)
{
	size_t start = c->pos;

	for (;;) {
		size_t atom = c->pos;

		for (;;) {
			int ch = peek(c);

			if (ch >= 0 && ch < 0x80 && is_atext(ch))
				c->pos++;
			else if (!(ch >= 0x80 && accept_utf8(c, utf8)))
				break;
		}
		if (c->pos == atom)
			return false;
		if (peek(c) != '.')
			break;
		c->pos++;
	}
	*outlen = c->pos - start;
	if (*outlen <= ADDR_LOCAL_MAX)
		memcpy(out, c->s + start, *outlen);
	return true; /* the caller checks the length */
}

static bool
parse_quoted_string(struct cursor *c, char *out, size_t *outlen, bool *utf8)
{
	size_t n = 0, start = c->pos;

	if (!accept_char(c, '"'))
		return false;
	for (;;) {
		int ch = peek(c);

		if (ch == '"')
			break;
		if (ch == '\\') {
			c->pos++;
			ch = peek(c);
			if (ch < 32 || ch > 126)
				return false;
		} else if (ch >= 0x80) {
			size_t before = c->pos;

			if (!accept_utf8(c, utf8))
				return false;
			while (before < c->pos && n < ADDR_LOCAL_MAX)
				out[n++] = c->s[before++];
			continue;
		} else if (ch < 32 || ch > 126) {
			return false;
		}
		if (n < ADDR_LOCAL_MAX)
			out[n] = (char)ch;
		n++;
		c->pos++;
	}
	c->pos++;
	/* The limit applies to the local part as sent, quotes included. */
	*outlen = c->pos - start > ADDR_LOCAL_MAX ? ADDR_LOCAL_MAX + 1 : n;
	return true;
}

static enum addr_status
parse_mailbox(struct cursor *c, struct mailaddr *out)
{
	size_t llen = 0, dstart;

	if (peek(c) == '"') {
		if (!parse_quoted_string(c, out->local, &llen, &out->is_utf8))
			return ADDR_SYNTAX;
		out->was_quoted = true;
	} else if (!parse_dot_string(c, out->local, &llen, &out->is_utf8)) {
		return ADDR_SYNTAX;
	}
	if (llen > ADDR_LOCAL_MAX)
		return ADDR_TOO_LONG;
	out->local[llen] = '\0';
	if (!accept_char(c, '@'))
		return ADDR_SYNTAX;
	dstart = c->pos;
	if (peek(c) == '[') {
		if (!parse_address_literal(c))
			return ADDR_SYNTAX;
		out->is_literal = true;
	} else if (!parse_domain(c, &out->is_utf8)) {
		return ADDR_SYNTAX;
	}
	if (c->pos - dstart > ADDR_DOMAIN_MAX)
		return ADDR_TOO_LONG;
	memcpy(out->domain, c->s + dstart, c->pos - dstart);
	out->domain[c->pos - dstart] = '\0';
	return ADDR_OK;
}

enum addr_status
addr_parse_path(const char *s, size_t len, bool allow_null,
                bool allow_postmaster, struct mailaddr *out, size_t *used_r)
{
	struct cursor c = {s, len, 0};
	enum addr_status st;

	memset(out, 0, sizeof(*out));
	*used_r = 0;
	if (!accept_char(&c, '<'))
		return ADDR_SYNTAX;
	if (allow_null && accept_char(&c, '>')) {
		out->is_null = true;
		*used_r = c.pos;
		return ADDR_OK;
	}
	if (allow_postmaster && len - c.pos >= 11 &&
	    strncasecmp(s + c.pos, "postmaster>", 11) == 0) {
		memcpy(out->local, s + c.pos, 10);
		out->is_bare_postmaster = true;
		*used_r = c.pos + 11;
		return ADDR_OK;
	}
	if (peek(&c) == '@') {
		if (!parse_source_route(&c, &out->is_utf8))
			return ADDR_SYNTAX;
		out->has_route = true;
	}
	st = parse_mailbox(&c, out);
	if (st != ADDR_OK)
		return st;
	if (!accept_char(&c, '>'))
		return ADDR_SYNTAX;
	if (c.pos > ADDR_PATH_MAX)
		return ADDR_TOO_LONG;
	*used_r = c.pos;
	return ADDR_OK;
}

/* A local part needs quotes unless it is a valid dot-string. */
static bool
local_needs_quotes(const char *l)
{
	bool prev_dot = true;

	if (*l == '\0')
		return true;
	for (; *l; l++) {
		unsigned char ch = (unsigned char)*l;

		if (ch == '.') {
			if (prev_dot)
				return true;
			prev_dot = true;
			continue;
		}
		prev_dot = false;
		if (ch < 0x80 && !is_atext(ch))
			return true;
	}
	return prev_dot;
}

size_t
addr_format(const struct mailaddr *a, char *buf, size_t len)
{
	size_t n = 0;
	const char *l;

	if (a->is_null) {
		buf[0] = '\0';
		return 0;
	}
	if (a->is_bare_postmaster)
		return (size_t)snprintf(buf, len, "%s", a->local);
	if (!local_needs_quotes(a->local)) {
		n = (size_t)snprintf(buf, len, "%s@%s", a->local, a->domain);
		return n < len ? n : len - 1;
	}
	buf[n++] = '"';
	for (l = a->local; *l && n + 4 < len; l++) {
		if (*l == '"' || *l == '\\')
			buf[n++] = '\\';
		buf[n++] = *l;
	}
	n += (size_t)snprintf(buf + n, len - n, "\"@%s", a->domain);
	return n < len ? n : len - 1;
}
