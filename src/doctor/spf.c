/*
 * spf.c — SPF (RFC 7208) for doctor.  Whether the record authorises the
 * outbound address is the server's own check_host() (spf/spf.h).  Doctor
 * adds what that answer does not say: the record itself, how many terms
 * it has, and how many DNS-querying terms (include, a, mx, ptr, exists,
 * redirect) it holds over every include and redirect, whatever address
 * asks (s4.6.4 allows 10): an address that matches early hides a record
 * that is broken for the others.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/net.h"
#include "doctor/doctor_int.h"
#include "spf/spf.h"

#define SPF_LOOKUP_LIMIT 10
#define SPF_DEPTH_MAX 10

static const char *const result_names[] = {
        "pass", "neutral", "softfail", "fail", "none", "permerror", "temperror",
};

const char *
doctor_spf_name(enum doctor_spf_result r)
{
	return result_names[r];
}

struct spf_run {
	struct doctor *d;
	struct doctor_spf_eval *ev;
};

static enum doctor_spf_result check_host(struct spf_run *s, const char *dom,
                                         int depth);

static enum doctor_spf_result perm(struct spf_run *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* The first reason found is the one reported. */
static enum doctor_spf_result
perm(struct spf_run *s, const char *fmt, ...)
{
	va_list ap;

	if (s->ev->why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(s->ev->why, sizeof(s->ev->why), fmt, ap);
		va_end(ap);
	}
	return DSPF_PERMERROR;
}

/* Finds the one SPF record of dom; copies it into rec. */
static enum doctor_spf_result
find_record(struct spf_run *s, const char *dom, char *rec, size_t len)
{
	struct doctor_answers ans;
	size_t i, found = 0;

	doctor_txt(s->d, dom, &ans);
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_answers_free(&ans);
		return DSPF_TEMPERROR;
	}
	for (i = 0; i < ans.n; i++)
		if (strncasecmp(ans.a[i], "v=spf1", 6) == 0 &&
		    (ans.a[i][6] == '\0' || ans.a[i][6] == ' ')) {
			if (found++ == 0)
				snprintf(rec, len, "%s", ans.a[i]);
		}
	doctor_answers_free(&ans);
	if (found > 1)
		return perm(s, "%s publishes more than one SPF record", dom);
	return found == 1 ? DSPF_PASS : DSPF_NONE;
}

static bool
count_lookup(struct spf_run *s)
{
	return ++s->ev->lookups <= SPF_LOOKUP_LIMIT;
}

/* -1: no match, else the mechanism matched (1) or an error result. */
static int
mechanism(struct spf_run *s, const char *dom, const char *t, int depth,
          enum doctor_spf_result *err)
{
	char net[160];
	struct net_prefix p;

	if (strcasecmp(t, "all") == 0)
		return 1;
	if (strncasecmp(t, "ip4:", 4) == 0 || strncasecmp(t, "ip6:", 4) == 0) {
		snprintf(net, sizeof(net), "%s", t + 4);
		if (net_parse(net, &p) < 0) {
			*err = perm(s, "bad address term %s", t);
			return 0;
		}
		return -1;
	}
	if (strncasecmp(t, "include:", 8) == 0 ||
	    strncasecmp(t, "exists:", 7) == 0 || strcasecmp(t, "a") == 0 ||
	    strncasecmp(t, "a:", 2) == 0 || strncasecmp(t, "a/", 2) == 0 ||
	    strcasecmp(t, "mx") == 0 || strncasecmp(t, "mx:", 3) == 0 ||
	    strncasecmp(t, "mx/", 3) == 0 || strcasecmp(t, "ptr") == 0 ||
	    strncasecmp(t, "ptr:", 4) == 0) {
		if (!count_lookup(s)) {
			*err = perm(s, "more than 10 DNS lookups (at %s)", t);
			return 0;
		}
	} else {
		*err = perm(s, "unknown term %s", t);
		return 0;
	}
	if (strncasecmp(t, "include:", 8) == 0 && strchr(t, '%') == NULL) {
		enum doctor_spf_result r = check_host(s, t + 8, depth + 1);

		if (r == DSPF_TEMPERROR || r == DSPF_PERMERROR ||
		    r == DSPF_NONE) {
			*err = r == DSPF_NONE
			               ? perm(s, "include:%s has no SPF record",
			                      t + 8)
			               : r;
			return 0;
		}
	}
	return -1; /* a, mx, ptr, exists: the address decides */
}

static enum doctor_spf_result
qualified(char q)
{
	switch (q) {
	case '-':
		return DSPF_FAIL;
	case '~':
		return DSPF_SOFTFAIL;
	case '?':
		return DSPF_NEUTRAL;
	default:
		return DSPF_PASS;
	}
}

static enum doctor_spf_result
evaluate(struct spf_run *s, const char *dom, char *rec, int depth)
{
	char *save = NULL, *t, redirect[300] = "";
	enum doctor_spf_result err = DSPF_PASS;
	int m;

	for (t = strtok_r(rec + 6, " ", &save); t != NULL;
	     t = strtok_r(NULL, " ", &save)) {
		char q = strchr("+-~?", *t) ? *t++ : '+';

		if (depth == 0)
			s->ev->terms++;
		if (strncasecmp(t, "redirect=", 9) == 0) {
			snprintf(redirect, sizeof(redirect), "%s", t + 9);
			continue;
		}
		if (strchr(t, '=') != NULL && strchr(t, ':') == NULL)
			continue; /* exp= and unknown modifiers */
		m = mechanism(s, dom, t, depth, &err);
		if (m == 0)
			return err;
		if (m == 1)
			return qualified(q);
	}
	if (redirect[0] == '\0')
		return DSPF_NEUTRAL;
	if (!count_lookup(s))
		return perm(s, "more than 10 DNS lookups (at redirect=%s)",
		            redirect);
	err = check_host(s, redirect, depth + 1);
	return err == DSPF_NONE
	               ? perm(s, "redirect=%s has no SPF record", redirect)
	               : err;
}

static enum doctor_spf_result
check_host(struct spf_run *s, const char *dom, int depth)
{
	char rec[512];
	enum doctor_spf_result r;

	if (depth > SPF_DEPTH_MAX)
		return perm(s, "includes nest deeper than %s", "ten levels");
	r = find_record(s, dom, rec, sizeof(rec));
	if (r != DSPF_PASS)
		return r;
	if (depth == 0)
		snprintf(s->ev->record, sizeof(s->ev->record), "%s", rec);
	return evaluate(s, dom, rec, depth);
}

struct spf_wait {
	bool done;
	enum spf_result result;
	char reason[256];
};

static void
spf_done(void *arg, const struct spf_outcome *o)
{
	struct spf_wait *w = arg;

	w->result = o->result;
	snprintf(w->reason, sizeof(w->reason), "%s",
	         o->reason ? o->reason : "");
	w->done = true;
}

static enum doctor_spf_result
from_spf(enum spf_result r)
{
	switch (r) {
	case SPF_PASS:
		return DSPF_PASS;
	case SPF_FAIL:
		return DSPF_FAIL;
	case SPF_SOFTFAIL:
		return DSPF_SOFTFAIL;
	case SPF_NONE:
		return DSPF_NONE;
	case SPF_TEMPERROR:
		return DSPF_TEMPERROR;
	case SPF_PERMERROR:
		return DSPF_PERMERROR;
	default:
		return DSPF_NEUTRAL;
	}
}

/* check_host() of the server's SPF module for ip, as a receiver runs it
 * for mail from postmaster@domain. */
static void
authorises(struct doctor *d, const char *domain, const char *ip,
           struct doctor_spf_eval *ev)
{
	struct spf_wait w = {0};
	struct spf_check *c;
	char sender[320];

	snprintf(sender, sizeof(sender), "postmaster@%s", domain);
	c = spf_check_host(d->dns, ip, domain, sender, d->helo,
	                   SPF_CHECK_TIMEOUT_S, spf_done, &w);
	if (c == NULL) {
		ev->result = DSPF_TEMPERROR;
		return;
	}
	if (!doctor_wait(d, &w.done, d->opts->timeout_ms * 2)) {
		spf_check_cancel(c);
		ev->result = DSPF_TEMPERROR;
		snprintf(ev->why, sizeof(ev->why), "the check timed out");
		return;
	}
	ev->result = from_spf(w.result);
	snprintf(ev->why, sizeof(ev->why), "%s", w.reason);
}

void
doctor_spf_eval(struct doctor *d, const char *domain, const char *ip,
                struct doctor_spf_eval *ev)
{
	struct spf_run s = {d, ev};

	/* Without an address nothing but "all" matches, so the walk visits
	 * every include and redirect: the count is the record's worst case,
	 * whatever address asks. */
	memset(ev, 0, sizeof(*ev));
	ev->result = check_host(&s, domain, 0);
	if (ip == NULL || ev->result == DSPF_NONE ||
	    ev->result == DSPF_PERMERROR || ev->result == DSPF_TEMPERROR)
		return;
	authorises(d, domain, ip, ev);
}
