/*
 * check.c — the checks of one message at the end of DATA: each
 * DKIM-Signature's key record, then the DMARC record of the From domain
 * (or of its organizational domain), one DNS question at a time.  ARC
 * (RFC 8617 s5.2) comes between the two: the chain's structure, the
 * newest ARC-Message-Signature, then each ARC-Seal from the newest down,
 * stopping at the first that fails.  A
 * signature is verified on the loop as soon as its key arrives: an
 * rsa-2048 verification is a few tens of microseconds, the body hash one
 * pass over the message (docs/mail-auth.md has the figures).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/mem.h"
#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "dkim/verify.h"
#include "dns/resolver.h"
#include "mailauth/mailauth.h"

struct mailauth_check {
	struct dns_resolver *r;
	const struct mailauth_psl *psl;
	char *msg; /* a copy: the session may be gone before the answer */
	size_t len;
	struct mailauth_results *res, results;
	mailauth_done_fn done;
	void *arg;
	struct event *timer;
	struct dkim_sig sigs[MAILAUTH_DKIM_MAX];
	size_t nsigs, next; /* sigs parsed; the one whose key is asked */
	struct arc_chain *arc;
	struct dkim_sig arc_sig; /* the ARC field being checked */
	/* 0: the newest AMS; 1..n: the AS of instance n + 1 - k; then the
	 * older AMSes for header.oldest-pass, instance 2n - k */
	int arc_step;
	char org[MAILAUTH_NAME];
	bool at_org; /* the DMARC question is for the org domain */
	bool pending, finished, cancelled;
	struct mailauth_check *next_orphan;
};

static struct mailauth_check *orphans;

static void next_key(struct mailauth_check *c);
static void ask_dmarc(struct mailauth_check *c, bool at_org);
static void arc_next(struct mailauth_check *c);

static void
check_free(struct mailauth_check *c)
{
	size_t i;

	for (i = 0; i < c->nsigs; i++)
		dkim_sig_free(&c->sigs[i]);
	dkim_sig_free(&c->arc_sig);
	free(c->arc);
	event_free(c->timer);
	free(c->msg);
	free(c);
}

static void
orphan(struct mailauth_check *c)
{
	c->cancelled = true;
	c->next_orphan = orphans;
	orphans = c;
}

static bool
answer_wanted(struct mailauth_check *c)
{
	struct mailauth_check **pp;

	c->pending = false;
	if (!c->cancelled)
		return !c->finished;
	for (pp = &orphans; *pp; pp = &(*pp)->next_orphan)
		if (*pp == c) {
			*pp = c->next_orphan;
			break;
		}
	check_free(c);
	return false;
}

static void
deliver(evutil_socket_t fd, short what, void *arg)
{
	struct mailauth_check *c = arg;

	if (!c->finished) { /* the time limit: what is missing is temporary */
		size_t i;

		for (i = c->next; i < c->res->ndkim; i++)
			c->res->dkim[i].result = DKIM_TEMPERROR;
		if (c->res->dmarc == DMARC_NONE && c->res->from_domain[0])
			c->res->dmarc = DMARC_TEMPERROR;
		if (c->res->arc == ARC_RESULT_TEMPERROR)
			snprintf(c->res->arc_reason, sizeof(c->res->arc_reason),
			         "time limit");
		c->finished = true;
	}
	c->done(c->arg, c->res);
	if (c->pending)
		orphan(c);
	else
		check_free(c);
}

static void
finish(struct mailauth_check *c)
{
	struct timeval now = {0, 0};

	c->finished = true;
	event_del(c->timer);
	event_add(c->timer, &now);
}

static void
dmarc_done(void *arg, enum dns_status st, const char *const *texts, size_t n)
{
	struct mailauth_check *c = arg;
	struct dmarc_record rec;
	unsigned char roll;
	size_t i, found = 0;
	int pick = -1;

	if (!answer_wanted(c))
		return;
	if (st == DNS_TEMPFAIL) {
		c->res->dmarc = DMARC_TEMPERROR;
		snprintf(c->res->dmarc_reason, sizeof(c->res->dmarc_reason),
		         "DNS lookup failed");
		finish(c);
		return;
	}
	for (i = 0; st == DNS_OK && i < n; i++)
		if (strncmp(texts[i], "v=DMARC1", 8) == 0) {
			found++;
			pick = (int)i;
		}
	/* s6.6.3: exactly one record, else none here. */
	if (found != 1 || dmarc_record_parse(texts[pick], &rec) < 0) {
		if (!c->at_org && strcmp(c->org, c->res->from_domain) != 0)
			ask_dmarc(c, true);
		else
			finish(c);
		return;
	}
	if (RAND_bytes(&roll, 1) != 1)
		roll = 0;
	mailauth_dmarc_evaluate(c->psl, &rec, c->at_org, roll % 100, c->res);
	finish(c);
}

static void
ask_dmarc(struct mailauth_check *c, bool at_org)
{
	char name[MAILAUTH_NAME + 8];

	c->at_org = at_org;
	snprintf(name, sizeof(name), "_dmarc.%s",
	         at_org ? c->org : c->res->from_domain);
	c->pending = true;
	if (dns_resolve_txt(c->r, name, dmarc_done, c) < 0) {
		c->pending = false;
		c->res->dmarc = DMARC_TEMPERROR;
		finish(c);
	}
}

static void
from_start(struct mailauth_check *c)
{
	char from[512];
	const char *at;

	if (!dkim_from_address(c->msg, c->len, from, sizeof(from)) ||
	    (at = strrchr(from, '@')) == NULL) {
		snprintf(c->res->dmarc_reason, sizeof(c->res->dmarc_reason),
		         "not exactly one From address");
		finish(c);
		return;
	}
	snprintf(c->res->from_domain, sizeof(c->res->from_domain), "%s",
	         at + 1);
	mailauth_org_domain(c->psl, c->res->from_domain, c->org,
	                    sizeof(c->org));
	ask_dmarc(c, false);
}

static void
arc_end(struct mailauth_check *c, enum arc_result result, const char *why)
{
	c->res->arc = (int)result;
	snprintf(c->res->arc_reason, sizeof(c->res->arc_reason), "%s", why);
	from_start(c);
}

/* A domain from a signature into our Authentication-Results comment:
 * anything but a name's characters (folding, parentheses) becomes '?'. */
static void
copy_name(char *out, size_t len, const char *d)
{
	size_t i;

	for (i = 0; d[i] && i + 1 < len; i++)
		out[i] = (isalnum((unsigned char)d[i]) || d[i] == '.' ||
		          d[i] == '-' || d[i] == '_')
		                 ? d[i]
		                 : '?';
	out[i] = '\0';
}

/* What step arc_step checks: an ARC-Seal (true) or an AMS, of *inst. */
static bool
arc_step_is_seal(const struct mailauth_check *c, int *inst)
{
	int n = c->arc->n, k = c->arc_step;

	*inst = k == 0 ? n : k <= n ? n + 1 - k : 2 * n - k;
	return k > 0 && k <= n;
}

/* The signature of step arc_step against its key record. */
static enum dkim_result
arc_verify_step(struct mailauth_check *c, const char *rec, const char **why)
{
	const struct arc_chain *ch = c->arc;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dgl = 0;
	int inst;

	if (!arc_step_is_seal(c, &inst))
		return dkim_sig_verify(&c->arc_sig, rec, c->msg, c->len, why);
	if (arc_seal_digest(ch, inst, &ch->set[inst].aar, &ch->set[inst].ams,
	                    c->arc_sig.unsigned_field, dg, &dgl) < 0) {
		*why = "cannot hash the ARC sets";
		return DKIM_PERMERROR;
	}
	return dkim_sig_check_digest(&c->arc_sig, rec, dg, dgl, why);
}

/* After the seals: the older AMSes only tell how far back the message is
 * unchanged (header.oldest-pass, RFC 8617 s5.2 step 5), never the
 * verdict.  0: every AMS verified; -1: unknown (a lookup failed). */
static bool
arc_oldest_pass_step(struct mailauth_check *c, enum dns_status st,
                     enum dkim_result r)
{
	int inst;

	if (c->arc_step <= c->arc->n)
		return false;
	(void)arc_step_is_seal(c, &inst);
	if (st == DNS_TEMPFAIL || r == DKIM_TEMPERROR)
		c->res->arc_oldest_pass = -1;
	else if (r != DKIM_PASS)
		c->res->arc_oldest_pass = inst + 1;
	if (r == DKIM_PASS && st != DNS_TEMPFAIL) {
		c->arc_step++;
		arc_next(c);
	} else {
		arc_end(c, ARC_RESULT_PASS, "");
	}
	return true;
}

static void
arc_key_done(void *arg, enum dns_status st, const char *const *texts, size_t n)
{
	struct mailauth_check *c = arg;
	const char *rec = NULL, *why = "";
	char reason[96];
	enum dkim_result r;
	size_t i;

	if (!answer_wanted(c))
		return;
	for (i = 0; st == DNS_OK && i < n && rec == NULL; i++)
		if (strstr(texts[i], "p=") != NULL)
			rec = texts[i];
	r = rec && st != DNS_TEMPFAIL ? arc_verify_step(c, rec, &why)
	                              : DKIM_PERMERROR;
	if (arc_oldest_pass_step(c, st, r))
		return;
	if (st == DNS_TEMPFAIL) {
		arc_end(c, ARC_RESULT_TEMPERROR, "key lookup failed");
		return;
	}
	if (r != DKIM_PASS) {
		snprintf(reason, sizeof(reason), "%s i=%s: %s",
		         c->arc_step == 0 ? "AMS" : "AS", c->arc_sig.i,
		         rec ? why : "no key record");
		arc_end(c, ARC_RESULT_FAIL, reason);
		return;
	}
	c->arc_step++;
	arc_next(c);
}

static void
arc_next(struct mailauth_check *c)
{
	const struct arc_chain *ch = c->arc;
	const struct arc_field *f;
	char name[MAILAUTH_NAME + 80];
	const char *why;
	int inst;
	bool seal = arc_step_is_seal(c, &inst);

	if (inst < 1) { /* every AMS verified */
		c->res->arc_oldest_pass = 0;
		arc_end(c, ARC_RESULT_PASS, "");
		return;
	}
	f = seal ? &ch->set[inst].as : &ch->set[inst].ams;
	dkim_sig_free(&c->arc_sig);
	if (dkim_sig_parse_arc(f->f, f->n, seal, &c->arc_sig, &why) < 0) {
		if (c->arc_step > ch->n) {
			c->res->arc_oldest_pass = inst + 1;
			arc_end(c, ARC_RESULT_PASS, "");
		} else {
			arc_end(c, ARC_RESULT_FAIL, why);
		}
		return;
	}
	if (c->arc_step == 1)
		copy_name(c->res->arc_sealer, sizeof(c->res->arc_sealer),
		          c->arc_sig.d);
	snprintf(name, sizeof(name), "%s._domainkey.%s", c->arc_sig.s,
	         c->arc_sig.d);
	c->pending = true;
	if (dns_resolve_txt(c->r, name, arc_key_done, c) < 0) {
		c->pending = false;
		if (c->arc_step > ch->n)
			arc_end(c, ARC_RESULT_PASS, "");
		else
			arc_end(c, ARC_RESULT_TEMPERROR, "key lookup failed");
	}
}

static void
keys_done(struct mailauth_check *c)
{
	const char *why = "";

	c->arc = xcalloc(1, sizeof(*c->arc));
	if (arc_chain_parse(c->msg, c->len, c->arc, &why) < 0) {
		c->res->arc_sets = c->arc->n;
		arc_end(c, ARC_RESULT_FAIL, why);
		return;
	}
	c->res->arc_sets = c->arc->n;
	if (c->arc->n == 0)
		arc_end(c, ARC_RESULT_NONE, "");
	else if (c->arc->n > MAILAUTH_ARC_MAX)
		arc_end(c, ARC_RESULT_FAIL, "too many ARC sets");
	else
		arc_next(c);
}

static void
key_done(void *arg, enum dns_status st, const char *const *texts, size_t n)
{
	struct mailauth_check *c = arg;
	struct mailauth_dkim *d;
	const char *rec = NULL, *why = "";
	size_t i;

	if (!answer_wanted(c))
		return;
	d = &c->res->dkim[c->next];
	for (i = 0; st == DNS_OK && i < n && rec == NULL; i++)
		if (strstr(texts[i], "p=") != NULL)
			rec = texts[i];
	if (st == DNS_TEMPFAIL) {
		d->result = DKIM_TEMPERROR;
		why = "key lookup failed";
	} else if (rec == NULL) {
		d->result = DKIM_PERMERROR;
		why = "no key record";
	} else {
		d->result = dkim_sig_verify(&c->sigs[c->next], rec, c->msg,
		                            c->len, &why);
	}
	snprintf(d->reason, sizeof(d->reason), "%s",
	         d->result == DKIM_PASS ? "" : why);
	c->next++;
	next_key(c);
}

static void
next_key(struct mailauth_check *c)
{
	char name[MAILAUTH_NAME + 80];
	struct dkim_sig *s;

	for (; c->next < c->res->ndkim; c->next++) {
		if (c->res->dkim[c->next].result != DKIM_PASS)
			continue; /* unusable: already a permerror */
		s = &c->sigs[c->next];
		snprintf(name, sizeof(name), "%s._domainkey.%s", s->s, s->d);
		c->pending = true;
		if (dns_resolve_txt(c->r, name, key_done, c) == 0)
			return;
		c->pending = false;
		c->res->dkim[c->next].result = DKIM_TEMPERROR;
	}
	keys_done(c);
}

static int
sig_cb(void *arg, const char *f, size_t n)
{
	struct mailauth_check *c = arg;
	struct mailauth_dkim *d;
	const char *why = "";

	if (n < 15 || strncasecmp(f, "DKIM-Signature:", 15) != 0)
		return 0;
	if (c->nsigs == MAILAUTH_DKIM_MAX)
		return 1; /* the rest are not checked */
	d = &c->res->dkim[c->res->ndkim++];
	/* PASS here means "parsed, key still to fetch". */
	d->result = dkim_sig_parse(f, n, &c->sigs[c->nsigs], &why) < 0
	                    ? DKIM_PERMERROR
	                    : DKIM_PASS;
	snprintf(d->reason, sizeof(d->reason), "%s",
	         d->result == DKIM_PASS ? "" : why);
	snprintf(d->d, sizeof(d->d), "%s",
	         c->sigs[c->nsigs].d ? c->sigs[c->nsigs].d : "");
	snprintf(d->s, sizeof(d->s), "%s",
	         c->sigs[c->nsigs].s ? c->sigs[c->nsigs].s : "");
	snprintf(d->a, sizeof(d->a), "%s",
	         c->sigs[c->nsigs].a ? c->sigs[c->nsigs].a : "");
	c->nsigs++;
	return 0;
}

struct mailauth_check *
mailauth_check_message(struct dns_resolver *r, const struct mailauth_psl *psl,
                       const char *msg, size_t len,
                       const struct mailauth_results *spf, unsigned limit_s,
                       mailauth_done_fn done, void *arg)
{
	struct mailauth_check *c = calloc(1, sizeof(*c));
	struct timeval limit = {(time_t)limit_s, 0};

	if (c == NULL || (c->msg = malloc(len + 1)) == NULL) {
		free(c);
		return NULL;
	}
	memcpy(c->msg, msg, len);
	c->msg[len] = '\0';
	c->timer = event_new(dns_resolver_base(r), -1, 0, deliver, c);
	if (c->timer == NULL) {
		free(c->msg);
		free(c);
		return NULL;
	}
	c->r = r;
	c->psl = psl;
	c->len = len;
	c->results = *spf;
	c->res = &c->results;
	c->done = done;
	c->arg = arg;
	c->res->ndkim = 0;
	c->res->arc = ARC_RESULT_TEMPERROR; /* until the chain is checked */
	c->res->arc_oldest_pass = -1;
	event_add(c->timer, &limit);
	dkim_each_field(msg, len, sig_cb, c);
	next_key(c);
	return c;
}

void
mailauth_check_cancel(struct mailauth_check *c)
{
	if (c == NULL)
		return;
	event_del(c->timer);
	if (c->pending)
		orphan(c);
	else
		check_free(c);
}

void
mailauth_forget_abandoned(void)
{
	struct mailauth_check *c;

	while ((c = orphans) != NULL) {
		orphans = c->next_orphan;
		check_free(c);
	}
}
