/*
 * families.c — the list of known reporting software and providers, and
 * how one is recognised.  Order matters: providers that run a common MTA
 * underneath (Google Groups on Gmail's servers, DragonFly's wording that
 * resembles Exim's) come before the MTA, so their own tables apply.
 */
#include <string.h>
#include <strings.h>

#include "explain/explain_int.h"
#include "explain/family.h"
#include "explain/families/families.h"
#include "explain/mime.h"

/* clang-format off */
static const struct bounce_family *const families[] = {
        &family_feedbackmail, &family_amazonses, &family_googlegroups,
        &family_dragonfly, &family_opensmtpd, &family_zoho,
        &family_amazonworkmail, &family_imailserver, &family_verizon,
        &family_apachejames,
        &family_fml, &family_trendmicro, &family_ezweb,
        &family_exchange, &family_gmail, &family_yahoo, &family_qmail,
        &family_exim, &family_sendmail, &family_postfix,
};
/* clang-format on */
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/* "name:substring": the substring in the value of any header so named. */
static int
header_marker(const char *hdrs, size_t hlen, const char *marker)
{
	const char *colon = strchr(marker, ':'), *p = hdrs, *end = hdrs + hlen;
	size_t nlen = (size_t)(colon - marker), vlen;
	const char *v, *e;

	while (p < end) {
		e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		while (e + 1 < end && (e[1] == ' ' || e[1] == '\t')) {
			e = memchr(e + 1, '\n', (size_t)(end - e - 1));
			if (e == NULL)
				e = end;
		}
		if ((size_t)(e - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, marker, nlen) == 0) {
			v = p + nlen + 1;
			vlen = (size_t)(e - v);
			if (mime_memcasemem(v, vlen, colon + 1) != NULL)
				return 1;
		}
		p = e + 1;
	}
	return 0;
}

static int
any_header(const struct bounce_family *f, const char *hdrs, size_t hlen)
{
	size_t i;

	for (i = 0; f->headers != NULL && f->headers[i] != NULL; i++)
		if (header_marker(hdrs, hlen, f->headers[i]))
			return 1;
	return 0;
}

static int
any_body(const struct bounce_family *f, const char *body, size_t blen)
{
	size_t i;

	for (i = 0; f->body != NULL && f->body[i] != NULL; i++)
		if (mime_memcasemem(body, blen, f->body[i]) != NULL)
			return 1;
	return 0;
}

const struct bounce_family *
family_detect(const char *hdrs, size_t hlen, const char *body, size_t blen)
{
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		if (any_header(families[i], hdrs, hlen))
			return families[i];
	for (i = 0; body != NULL && i < NFAMILIES; i++)
		if (any_body(families[i], body, blen))
			return families[i];
	return NULL;
}

/* Receiving providers with documented reply codes. */
static const struct bounce_family *const providers[] = {
        &family_orange,
        &family_cox,
        &family_spectrum,
        &family_nttdocomo,
};

int
provider_reason(const struct bounce_entry *e, const char *folded)
{
	const struct bounce_family *p;
	size_t i, j;
	int r;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		p = providers[i];
		for (j = 0; p->reply_markers[j] != NULL; j++)
			if (strstr(folded, p->reply_markers[j]) != NULL)
				break;
		if (p->reply_markers[j] == NULL)
			continue;
		r = family_phrase_reason(p, folded);
		if (r < 0 && p->reply_reason != NULL)
			r = p->reply_reason(e, folded);
		if (r >= 0)
			return r;
	}
	return -1;
}

int
family_phrase_reason(const struct bounce_family *f, const char *folded)
{
	size_t i;

	for (i = 0; f->phrases != NULL && f->phrases[i].match != NULL; i++)
		if (text_find(folded, f->phrases[i].match) >= 0)
			return (int)f->phrases[i].reason;
	return -1;
}
