/*
 * dane.c — DANE policies from TLSA answers (see dane.h).
 */
#include "dane/dane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

bool
dane_rr_usable(uint8_t usage, uint8_t selector, uint8_t mtype)
{
	return (usage == DANE_USAGE_TA || usage == DANE_USAGE_EE) &&
	       selector <= 1 && mtype <= 2;
}

static void
add_rr(struct dane_policy *p, uint8_t usage, uint8_t selector, uint8_t mtype,
       const unsigned char *data, size_t len)
{
	struct dane_rr *rr;

	rr = reallocarray(p->rrs, p->n + 1, sizeof(*rr));
	if (rr == NULL)
		abort();
	p->rrs = rr;
	rr += p->n++;
	*rr = (struct dane_rr){usage, selector, mtype, malloc(len ? len : 1),
	                       len};
	if (rr->data == NULL)
		abort();
	memcpy(rr->data, data, len);
}

void
dane_policy_set(struct dane_policy *p, const struct dns_tlsa_result *r)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	switch (r->status) {
	case DNS_TLSA_INSECURE:
		return;
	case DNS_TLSA_BOGUS:
	case DNS_TLSA_TEMPFAIL:
		p->mode = DANE_DEFER;
		p->reason = str_dup(r->error ? r->error : "TLSA lookup failed");
		return;
	case DNS_TLSA_SECURE:
		break;
	}
	for (i = 0; i < r->n; i++)
		if (dane_rr_usable(r->rrs[i].usage, r->rrs[i].selector,
		                   r->rrs[i].mtype))
			add_rr(p, r->rrs[i].usage, r->rrs[i].selector,
			       r->rrs[i].mtype, r->rrs[i].data, r->rrs[i].len);
	p->mode = p->n > 0 ? DANE_VERIFY : r->n > 0 ? DANE_ENCRYPT : DANE_OFF;
}

void
dane_policy_copy(struct dane_policy *dst, const struct dane_policy *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->mode = src->mode;
	dst->reason = str_dup(src->reason);
	for (i = 0; i < src->n; i++)
		add_rr(dst, src->rrs[i].usage, src->rrs[i].selector,
		       src->rrs[i].mtype, src->rrs[i].data, src->rrs[i].len);
}

void
dane_policy_clear(struct dane_policy *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->rrs[i].data);
	free(p->rrs);
	free(p->reason);
	memset(p, 0, sizeof(*p));
}

bool
dane_policy_same(const struct dane_policy *a, const struct dane_policy *b)
{
	size_t i;

	if (a->mode != b->mode || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->rrs[i].usage != b->rrs[i].usage ||
		    a->rrs[i].selector != b->rrs[i].selector ||
		    a->rrs[i].mtype != b->rrs[i].mtype ||
		    a->rrs[i].len != b->rrs[i].len ||
		    memcmp(a->rrs[i].data, b->rrs[i].data, a->rrs[i].len) != 0)
			return false;
	return true;
}

const char *
dane_mode_name(enum dane_mode m)
{
	static const char *const names[] = {
	        [DANE_OFF] = "off",
	        [DANE_VERIFY] = "verify",
	        [DANE_ENCRYPT] = "encrypt",
	        [DANE_DEFER] = "defer",
	};

	return names[m];
}
