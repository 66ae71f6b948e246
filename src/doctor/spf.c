/*
 * spf.c — the part of SPF (RFC 7208) doctor needs to say whether a
 * domain's record authorises the outbound address: the record is found
 * (exactly one "v=spf1"), its terms parse, the DNS-querying terms stay
 * within 10 (s4.6.4), and ip4/ip6/a/mx/include/exists/redirect are
 * evaluated against the address.  Macros (s7) and ptr are not expanded:
 * a term that needs them never matches and the reason says so.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/net.h"
#include "doctor/doctor_int.h"

#define SPF_LOOKUP_LIMIT 10
#define SPF_DEPTH_MAX 10
#define SPF_MX_MAX 10

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
	const char *ip;
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

/* Does one of name's addresses (of the address's family) lie within the
 * given prefix lengths of ip? */
static bool
host_matches(struct spf_run *s, const char *name, int cidr4, int cidr6)
{
	bool v6 = strchr(s->ip, ':') != NULL;
	struct doctor_answers ans;
	char net[128];
	struct net_prefix p;
	bool hit = false;
	size_t i;

	doctor_lookup(s->d, name, v6 ? DNS_RR_AAAA : DNS_RR_A, &ans);
	for (i = 0; i < ans.n && !hit; i++) {
		snprintf(net, sizeof(net), "%s/%d", ans.a[i],
		         v6 ? cidr6 : cidr4);
		hit = net_parse(net, &p) == 0 && net_contains(&p, s->ip);
	}
	doctor_answers_free(&ans);
	return hit;
}

static bool
mx_matches(struct spf_run *s, const char *dom, int cidr4, int cidr6)
{
	struct doctor_answers mx;
	bool hit = false;
	size_t i;

	doctor_lookup(s->d, dom, DNS_RR_MX, &mx);
	for (i = 0; i < mx.n && i < SPF_MX_MAX && !hit; i++)
		hit = host_matches(s, mx.a[i], cidr4, cidr6);
	doctor_answers_free(&mx);
	return hit;
}

/* "a", "a:dom", "a/24", "a:dom/24//64": target and prefix lengths. */
static void
split_target(const char *arg, const char *dom, char *target, size_t len,
             int *cidr4, int *cidr6)
{
	const char *slash;

	*cidr4 = 32;
	*cidr6 = 128;
	if (*arg == ':')
		arg++;
	slash = strchr(arg, '/');
	if (*arg == '\0' || arg == slash)
		snprintf(target, len, "%s", dom);
	else
		snprintf(target, len, "%.*s",
		         (int)(slash ? (size_t)(slash - arg) : strlen(arg)),
		         arg);
	if (slash && slash[1] != '/')
		*cidr4 = atoi(slash + 1);
	if (slash && (slash = strstr(slash, "//")) != NULL)
		*cidr6 = atoi(slash + 2);
}

/* -1: no match, else the mechanism matched (1) or an error result. */
static int
mechanism(struct spf_run *s, const char *dom, const char *t, int depth,
          enum doctor_spf_result *err)
{
	char target[300], net[160];
	struct net_prefix p;
	int c4, c6;

	if (strcasecmp(t, "all") == 0)
		return 1;
	if (strncasecmp(t, "ip4:", 4) == 0 || strncasecmp(t, "ip6:", 4) == 0) {
		snprintf(net, sizeof(net), "%s", t + 4);
		if (net_parse(net, &p) < 0) {
			*err = perm(s, "bad address term %s", t);
			return 0;
		}
		return s->ip && net_contains(&p, s->ip) ? 1 : -1;
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
	if (strchr(t, '%') != NULL || strncasecmp(t, "ptr", 3) == 0)
		return -1; /* macros and ptr: not evaluated here */
	if (strncasecmp(t, "include:", 8) == 0) {
		enum doctor_spf_result r = check_host(s, t + 8, depth + 1);

		if (r == DSPF_PASS)
			return 1;
		if (r == DSPF_TEMPERROR || r == DSPF_PERMERROR ||
		    r == DSPF_NONE) {
			*err = r == DSPF_NONE
			               ? perm(s, "include:%s has no SPF record",
			                      t + 8)
			               : r;
			return 0;
		}
		return -1;
	}
	if (s->ip == NULL)
		return -1;
	if (strncasecmp(t, "exists:", 7) == 0)
		return host_matches(s, t + 7, 0, 0) ? 1 : -1;
	if (tolower((unsigned char)t[0]) == 'a') {
		split_target(t + 1, dom, target, sizeof(target), &c4, &c6);
		return host_matches(s, target, c4, c6) ? 1 : -1;
	}
	split_target(t + 2, dom, target, sizeof(target), &c4, &c6);
	return mx_matches(s, target, c4, c6) ? 1 : -1;
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

void
doctor_spf_eval(struct doctor *d, const char *domain, const char *ip,
                struct doctor_spf_eval *ev)
{
	struct spf_run s = {d, NULL, ev};
	int lookups, terms;

	/* Without an address nothing but "all" matches, so the first walk
	 * visits every include and redirect: the count is the record's
	 * worst case, whatever address asks. */
	memset(ev, 0, sizeof(*ev));
	ev->result = check_host(&s, domain, 0);
	if (ip == NULL || ev->result == DSPF_NONE ||
	    ev->result == DSPF_PERMERROR || ev->result == DSPF_TEMPERROR)
		return;
	lookups = ev->lookups;
	terms = ev->terms;
	memset(ev, 0, sizeof(*ev));
	s.ip = ip;
	ev->result = check_host(&s, domain, 0);
	ev->lookups = lookups;
	ev->terms = terms;
}
