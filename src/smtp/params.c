/*
 * params.c — ESMTP MAIL/RCPT parameter semantics (see params.h).
 */
#include "smtp/params.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/addr.h"

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1; /* xtext hexchar is upper-case only */
}

int
xtext_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '+') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
			/* s4.2, s4.4: before encoding, ORCPT and ENVID are
			 * printable US-ASCII; a control octet or CRLF must not
			 * reach the envelope and later the DSN. */
			if (ch < 32 || ch > 126)
				return -1;
		} else if (ch < 33 || ch > 126 || ch == '=') {
			return -1;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return 0;
}

/* size-value = 1*20DIGIT (RFC 1870 s3).  A value past SIZE_MAX is still
 * well-formed: it saturates, so the caller answers 552, not 501. */
static bool
parse_size(const char *v, size_t len, size_t *out)
{
	size_t i, n = 0;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		size_t d = (size_t)(v[i] - '0');

		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n > (SIZE_MAX - d) / 10 ? SIZE_MAX : n * 10 + d;
	}
	*out = n;
	return true;
}

static bool
value_is(const struct esmtp_param *p, const char *v)
{
	return p->value && strlen(v) == p->valuelen &&
	       strncasecmp(p->value, v, p->valuelen) == 0;
}

/* Flags the parameter as seen; false if it was already. */
static bool
first_time(unsigned *seen, unsigned bit)
{
	if (*seen & bit)
		return false;
	*seen |= bit;
	return true;
}

/*
 * RFC 4954 s5: the value is an xtext-encoded addr-spec, or "<>" for an
 * unknown identity.  Senders differ on the angle brackets (Postfix and the
 * RFC's examples use none, others write "<user@domain>"), so both are read;
 * the mailbox itself must be one RFC 5321 accepts, without a source route.
 */
static bool
parse_auth(const char *v, size_t len, char *out, size_t cap)
{
	char dec[AUTH_PARAM_MAX + 3], path[AUTH_PARAM_MAX + 3];
	struct mailaddr a;
	size_t n, used;

	if (xtext_decode(v, len, dec, sizeof(dec)) < 0)
		return false;
	if (strcmp(dec, "<>") == 0) {
		out[0] = '\0';
		return true;
	}
	n = strlen(dec);
	if (n == 0)
		return false;
	if (dec[0] == '<')
		snprintf(path, sizeof(path), "%s", dec);
	else if (snprintf(path, sizeof(path), "<%s>", dec) >= (int)sizeof(path))
		return false;
	n = strlen(path);
	if (addr_parse_path(path, n, false, false, &a, &used) != ADDR_OK ||
	    used != n || a.has_route || a.is_utf8)
		return false;
	return addr_format(&a, out, cap) < cap - 1;
}

static enum param_status
mail_one(const struct esmtp_param *p, struct mail_options *o, unsigned *seen)
{
	if (esmtp_param_is(p, "SIZE")) {
		o->has_size = true;
		return first_time(seen, 1) && p->value &&
		                       parse_size(p->value, p->valuelen,
		                                  &o->size)
		               ? PARAM_OK
		               : PARAM_SYNTAX;
	}
	if (esmtp_param_is(p, "BODY")) {
		if (!first_time(seen, 2))
			return PARAM_SYNTAX;
		if (value_is(p, "7BIT"))
			o->body = BODY_7BIT;
		else if (value_is(p, "8BITMIME"))
			o->body = BODY_8BITMIME;
		else
			return PARAM_SYNTAX;
		return PARAM_OK;
	}
	if (esmtp_param_is(p, "SMTPUTF8")) {
		o->smtputf8 = true;
		return first_time(seen, 4) && !p->value ? PARAM_OK
		                                        : PARAM_SYNTAX;
	}
	if (esmtp_param_is(p, "REQUIRETLS")) {
		o->requiretls = true;
		return first_time(seen, 64) && !p->value ? PARAM_OK
		                                         : PARAM_SYNTAX;
	}
	if (esmtp_param_is(p, "RET")) {
		if (!first_time(seen, 8))
			return PARAM_SYNTAX;
		if (value_is(p, "FULL"))
			o->ret = DSN_RET_FULL;
		else if (value_is(p, "HDRS"))
			o->ret = DSN_RET_HDRS;
		else
			return PARAM_SYNTAX;
		return PARAM_OK;
	}
	if (esmtp_param_is(p, "ENVID"))
		return first_time(seen, 16) && p->value &&
		                       xtext_decode(p->value, p->valuelen,
		                                    o->envid,
		                                    sizeof(o->envid)) == 0
		               ? PARAM_OK
		               : PARAM_SYNTAX;
	if (esmtp_param_is(p, "AUTH")) {
		o->has_auth = true;
		return first_time(seen, 32) && p->value &&
		                       parse_auth(p->value, p->valuelen,
		                                  o->auth, sizeof(o->auth))
		               ? PARAM_OK
		               : PARAM_SYNTAX;
	}
	return PARAM_UNKNOWN;
}

enum param_status
params_mail(const struct path_command *pc, struct mail_options *o,
            const struct esmtp_param **bad_r)
{
	unsigned seen = 0;
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < pc->nparams; i++) {
		enum param_status st = mail_one(&pc->params[i], o, &seen);

		if (st != PARAM_OK) {
			*bad_r = &pc->params[i];
			return st;
		}
	}
	return PARAM_OK;
}

/* NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) */
static bool
parse_notify(const char *v, size_t len, unsigned *out)
{
	size_t i = 0;

	*out = 0;
	while (i < len) {
		size_t j = i;

		while (j < len && v[j] != ',')
			j++;
		if (j - i == 5 && strncasecmp(v + i, "NEVER", 5) == 0)
			*out |= DSN_NOTIFY_NEVER;
		else if (j - i == 7 && strncasecmp(v + i, "SUCCESS", 7) == 0)
			*out |= DSN_NOTIFY_SUCCESS;
		else if (j - i == 7 && strncasecmp(v + i, "FAILURE", 7) == 0)
			*out |= DSN_NOTIFY_FAILURE;
		else if (j - i == 5 && strncasecmp(v + i, "DELAY", 5) == 0)
			*out |= DSN_NOTIFY_DELAY;
		else
			return false;
		i = j + 1;
		if (j < len && i == len)
			return false; /* trailing comma */
	}
	return *out != 0 &&
	       (!(*out & DSN_NOTIFY_NEVER) || *out == DSN_NOTIFY_NEVER);
}

/* atext of RFC 5322 s3.2.3, ASCII only. */
static bool
is_atext(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* ORCPT = addr-type ";" xtext; addr-type is an atom (rfc822, utf-8). */
static bool
parse_orcpt(const char *v, size_t len, char *out, size_t cap)
{
	const char *semi = memchr(v, ';', len);
	size_t tlen, i;

	if (semi == NULL || semi == v || len > ORCPT_MAX)
		return false;
	tlen = (size_t)(semi - v);
	if (tlen + 2 >= cap)
		return false;
	for (i = 0; i < tlen; i++)
		if (!is_atext((unsigned char)v[i]))
			return false;
	memcpy(out, v, tlen + 1);
	return xtext_decode(semi + 1, len - tlen - 1, out + tlen + 1,
	                    cap - tlen - 1) == 0 &&
	       out[tlen + 1] != '\0';
}

enum param_status
params_rcpt(const struct path_command *pc, struct rcpt_options *o,
            const struct esmtp_param **bad_r)
{
	unsigned seen = 0;
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < pc->nparams; i++) {
		const struct esmtp_param *p = &pc->params[i];
		enum param_status st = PARAM_UNKNOWN;

		if (esmtp_param_is(p, "NOTIFY"))
			st = first_time(&seen, 1) && p->value &&
			                     parse_notify(p->value, p->valuelen,
			                                  &o->notify)
			             ? PARAM_OK
			             : PARAM_SYNTAX;
		else if (esmtp_param_is(p, "ORCPT"))
			st = first_time(&seen, 2) && p->value &&
			                     parse_orcpt(p->value, p->valuelen,
			                                 o->orcpt,
			                                 sizeof(o->orcpt))
			             ? PARAM_OK
			             : PARAM_SYNTAX;
		if (st != PARAM_OK) {
			*bad_r = p;
			return st;
		}
	}
	return PARAM_OK;
}
