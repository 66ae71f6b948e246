/*
 * auth.c — what a receiver's SPF, DKIM and DMARC checks will make of mail
 * from one sending domain: the SPF record authorises the outbound address
 * (spf.c), each DKIM key ferry signs with ([dkim] key_dir) is the one
 * published, the domain has a DMARC record with a policy, and at least
 * one of SPF and DKIM passes aligned with the From domain (DMARC, and
 * the Gmail/Yahoo bulk-sender rules).  ferry sends with the author's
 * address as the envelope sender, so SPF is evaluated for the From
 * domain; the organizational domain comes from the Public Suffix List
 * ([mailauth] public_suffix_list), as in the inbound DMARC check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim.h"
#include "mailauth/mailauth.h"
#include "doctor/doctor_int.h"

#define G "authentication"

struct domain_auth {
	bool spf_pass;
	char dkim_domain[256]; /* signing domain whose keys all match */
	bool adkim_strict, aspf_strict;
};

/* ---- SPF ------------------------------------------------------------- */

static void
check_spf(struct doctor *d, const char *dom, struct domain_auth *da)
{
	struct doctor_spf_eval ev = {0};
	struct doctor_check *c;

	doctor_spf_eval(d, dom, d->ip, &ev);
	if (d->ip == NULL && ev.result < DSPF_NONE)
		ev.result = DSPF_NEUTRAL; /* "all" matched: says nothing */
	switch (ev.result) {
	case DSPF_NONE:
		c = doctor_add(d, G, "spf", dom, DOCTOR_FAIL,
		               "%s publishes no SPF record", dom);
		c->fix = "publish a TXT record such as \"v=spf1 ip4:ADDRESS "
		         "-all\" (or mx, a: the hosts that send)";
		c->sample = "unauthenticated";
		return;
	case DSPF_PERMERROR:
		c = doctor_add(d, G, "spf", dom, DOCTOR_FAIL,
		               "the SPF record of %s is broken: %s", dom,
		               ev.why);
		c->fix = "fix the record: one v=spf1 record, known terms, at "
		         "most 10 include/a/mx/ptr/exists/redirect in all";
		c->sample = "unauthenticated";
		break;
	case DSPF_TEMPERROR:
		doctor_add(d, G, "spf", dom, DOCTOR_WARN,
		           "the SPF lookup for %s failed", dom);
		return;
	case DSPF_PASS:
		da->spf_pass = true;
		c = doctor_add(d, G, "spf", dom, DOCTOR_PASS,
		               "the SPF record of %s authorises %s", dom,
		               d->ip);
		break;
	default:
		if (d->ip == NULL) {
			c = doctor_add(d, G, "spf", dom, DOCTOR_WARN,
			               "the SPF record of %s parses; the "
			               "outbound address is unknown",
			               dom);
			break;
		}
		c = doctor_add(d, G, "spf", dom,
		               ev.result == DSPF_FAIL ? DOCTOR_FAIL
		                                      : DOCTOR_WARN,
		               "the SPF record of %s does not authorise %s "
		               "(%s)",
		               dom, d->ip, doctor_spf_name(ev.result));
		c->fix = "add the outbound address to the record (ip4:/ip6:, "
		         "or a/mx when its name is there)";
		c->sample =
		        ev.result == DSPF_FAIL ? "spf-fail" : "unauthenticated";
	}
	doctor_detail(c, "record: %s", ev.record);
	doctor_detail(c, "%d terms, %d of 10 DNS lookups", ev.terms,
	              ev.lookups);
	if (d->ip != NULL && ev.why[0] != '\0')
		doctor_detail(c, "for %s: %s (%s)", d->ip,
		              doctor_spf_name(ev.result), ev.why);
}

/* ---- DKIM ------------------------------------------------------------ */

/* One selector: 0 when the published record is this key's. */
static int
check_selector(struct doctor *d, const char *kdom, const char *sel,
               EVP_PKEY *pkey)
{
	char name[600], got[2048], want[2048];
	struct doctor_answers ans;
	struct doctor_check *c;
	const char *rec;
	char *txt = dkim_public_txt(pkey);
	int rc = -1;

	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, kdom);
	doctor_txt(d, name, &ans);
	rec = doctor_txt_find(&ans, "v=DKIM1");
	if (rec == NULL && ans.n > 0)
		rec = ans.a[0];
	dkim_record_p_value(txt, want, sizeof(want));
	if (rec)
		dkim_record_p_value(rec, got, sizeof(got));
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "dkim", name, DOCTOR_WARN,
		           "the lookup of %s failed", name);
	} else if (rec == NULL) {
		c = doctor_add(d, G, "dkim", name, DOCTOR_FAIL,
		               "selector %s of %s is not published", sel, kdom);
		doctor_detail(c, "publish: %s IN TXT \"%s\"", name, txt);
		c->fix = "publish the record `ferry dkim keygen` printed";
		c->sample = "unauthenticated";
	} else if (strcmp(got, want) != 0) {
		c = doctor_add(d, G, "dkim", name, DOCTOR_FAIL,
		               "selector %s of %s does not match the key", sel,
		               kdom);
		doctor_detail(c, "published: %s", rec);
		doctor_detail(c, "expected:  %s", txt);
		c->fix = "publish the expected record (or sign with the key "
		         "that belongs to the published one)";
		c->sample = "unauthenticated";
	} else {
		doctor_add(d, G, "dkim", name, DOCTOR_PASS,
		           "selector %s of %s matches the key", sel, kdom);
		rc = 0;
	}
	doctor_answers_free(&ans);
	free(txt);
	return rc;
}

static void
check_dkim(struct doctor *d, const char *dom, struct domain_auth *da)
{
	const char *why = NULL, *kdom, *kd, *sel;
	struct dkim_keys *keys = NULL;
	struct doctor_check *c;
	EVP_PKEY *pkey;
	int bad = 0;
	size_t i;

	if (d->cfg->dkim_key_dir)
		keys = dkim_keys_load(d->cfg->dkim_key_dir, &why);
	if (d->cfg->dkim_key_dir && keys == NULL) {
		c = doctor_add(d, G, "dkim", dom, DOCTOR_WARN,
		               "the DKIM keys cannot be read");
		doctor_detail(c, "%s: %s", d->cfg->dkim_key_dir, why);
		c->fix = "run doctor as root or as the server's user";
		return;
	}
	kdom = keys ? dkim_keys_domain_for(keys, dom) : NULL;
	if (kdom == NULL) {
		c = doctor_add(d, G, "dkim", dom, DOCTOR_FAIL,
		               "mail from %s is not DKIM-signed", dom);
		doctor_detail(c, "%s",
		              d->cfg->dkim_key_dir == NULL
		                      ? "[dkim] key_dir is not set"
		                      : "no key for the domain or a parent in "
		                        "[dkim] key_dir");
		c->fix = "ferry dkim keygen --domain DOMAIN --selector "
		         "SELECTOR, publish the record, restart";
		c->sample = "unauthenticated";
		dkim_keys_free(keys);
		return;
	}
	for (i = 0; i < dkim_keys_count(keys); i++) {
		dkim_keys_at(keys, i, &kd, &sel, &pkey);
		if (strcmp(kd, kdom) == 0)
			bad |= check_selector(d, kdom, sel, pkey);
	}
	if (bad == 0)
		snprintf(da->dkim_domain, sizeof(da->dkim_domain), "%s", kdom);
	dkim_keys_free(keys);
}

/* ---- DMARC ----------------------------------------------------------- */

/* The value of tag in a DMARC record ("p", "adkim"), into out. */
static bool
tag_value(const char *rec, const char *tag, char *out, size_t len)
{
	const char *p = rec;
	size_t n = strlen(tag);

	while (*p) {
		p += strspn(p, " \t;");
		if (strncasecmp(p, tag, n) == 0 &&
		    p[n + strspn(p + n, " \t")] == '=') {
			p += n + strspn(p + n, " \t") + 1;
			p += strspn(p, " \t");
			snprintf(out, len, "%.*s", (int)strcspn(p, "; \t"), p);
			return true;
		}
		p += strcspn(p, ";");
	}
	return false;
}

/* The DMARC record for dom (or its organizational domain) into rec. */
static enum dns_lookup_status
find_dmarc(struct doctor *d, const char *dom, char *rec, size_t len,
           char *where, size_t wlen)
{
	struct doctor_answers ans;
	enum dns_lookup_status st;
	const char *r;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		char org[256];
		const char *q = dom;

		if (pass == 1) {
			mailauth_org_domain(d->psl, dom, org, sizeof(org));
			if (strcasecmp(org, dom) == 0)
				break;
			q = org;
		}
		snprintf(where, wlen, "_dmarc.%s", q);
		doctor_txt(d, where, &ans);
		st = ans.status;
		r = doctor_txt_find(&ans, "v=DMARC1");
		if (r)
			snprintf(rec, len, "%s", r);
		doctor_answers_free(&ans);
		if (r || st == DNS_LOOKUP_TEMPFAIL)
			return r ? DNS_LOOKUP_OK : st;
	}
	return DNS_LOOKUP_NXDOMAIN;
}

static bool
check_dmarc(struct doctor *d, const char *dom, struct domain_auth *da)
{
	char rec[512], where[300], p[32], v[32];
	struct doctor_check *c;
	enum dns_lookup_status st;

	st = find_dmarc(d, dom, rec, sizeof(rec), where, sizeof(where));
	if (st == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "dmarc", dom, DOCTOR_WARN,
		           "the DMARC lookup for %s failed", dom);
		return false;
	}
	if (st != DNS_LOOKUP_OK) {
		c = doctor_add(d, G, "dmarc", dom, DOCTOR_FAIL,
		               "%s publishes no DMARC record", dom);
		c->fix = "publish _dmarc.DOMAIN IN TXT \"v=DMARC1; p=none; "
		         "rua=mailto:...\" at least (Gmail and Yahoo require "
		         "one from bulk senders)";
		c->sample = "unauthenticated";
		return false;
	}
	if (!tag_value(rec, "p", p, sizeof(p)) ||
	    (strcasecmp(p, "none") != 0 && strcasecmp(p, "quarantine") != 0 &&
	     strcasecmp(p, "reject") != 0)) {
		c = doctor_add(d, G, "dmarc", dom, DOCTOR_FAIL,
		               "the DMARC record of %s has no valid policy",
		               dom);
		doctor_detail(c, "%s: %s", where, rec);
		c->fix = "add p=none, p=quarantine or p=reject";
		c->sample = "unauthenticated";
		return false;
	}
	c = doctor_add(d, G, "dmarc", dom, DOCTOR_PASS,
	               "%s has a DMARC record with p=%s", dom, p);
	doctor_detail(c, "%s: %s", where, rec);
	da->adkim_strict = tag_value(rec, "adkim", v, sizeof(v)) &&
	                   strcasecmp(v, "s") == 0;
	da->aspf_strict =
	        tag_value(rec, "aspf", v, sizeof(v)) && strcasecmp(v, "s") == 0;
	return true;
}

static void
check_alignment(struct doctor *d, const char *dom, const struct domain_auth *da)
{
	bool dkim_ok = da->dkim_domain[0] != '\0' &&
	               mailauth_aligned(d->psl, da->dkim_domain, dom,
	                                da->adkim_strict);
	struct doctor_check *c;

	if (dkim_ok || da->spf_pass) {
		c = doctor_add(d, G, "alignment", dom, DOCTOR_PASS,
		               "mail from %s passes DMARC (%s%s%s)", dom,
		               dkim_ok ? "DKIM" : "",
		               dkim_ok && da->spf_pass ? " and " : "",
		               da->spf_pass ? "SPF" : "");
		if (dkim_ok)
			doctor_detail(c, "DKIM d=%s aligns with From %s (%s)",
			              da->dkim_domain, dom,
			              da->adkim_strict ? "strict" : "relaxed");
		return;
	}
	c = doctor_add(d, G, "alignment", dom, DOCTOR_FAIL,
	               "mail from %s fails DMARC: neither SPF nor DKIM "
	               "passes aligned with it",
	               dom);
	if (da->dkim_domain[0] != '\0')
		doctor_detail(c, "DKIM d=%s does not align with %s (adkim=s)",
		              da->dkim_domain, dom);
	c->fix = "make SPF authorise the outbound address, or publish the "
	         "DKIM key of the domain";
	c->sample = "dmarc";
}

void
doctor_authentication(struct doctor *d, const char *domain)
{
	struct domain_auth da = {0};
	bool dmarc = false;

	if (!doctor_skipped(d, "spf"))
		check_spf(d, domain, &da);
	if (!doctor_skipped(d, "dkim"))
		check_dkim(d, domain, &da);
	if (!doctor_skipped(d, "dmarc"))
		dmarc = check_dmarc(d, domain, &da);
	if (dmarc && !doctor_skipped(d, "alignment"))
		check_alignment(d, domain, &da);
}
