/*
 * wait.c — the checks run one after the other, so each lookup is started
 * on the run's own event loop and the loop turned until it answers.  Every
 * wait is bounded by opts->timeout_ms (dns_lookup() enforces it itself;
 * for TXT and MX the loop stops waiting and counts the lookup as failed).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "base/mem.h"
#include "base/net.h"
#include "base/str.h"
#include "doctor/doctor_int.h"

struct waiter {
	bool done, abandoned;
	struct doctor_answers ans;
	struct dns_mx_result mx;
};

static void
copy_texts(struct doctor_answers *out, const char *const *texts, size_t n)
{
	size_t i;

	out->a = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		out->a[i] = str_dup(texts[i]);
	out->n = n;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

bool
doctor_wait(struct doctor *d, bool *done, unsigned timeout_ms)
{
	long deadline = now_ms() + (long)timeout_ms;

	while (!*done && now_ms() < deadline) {
		struct timeval tv = {0, 20000};

		event_base_loopexit(d->base, &tv);
		event_base_dispatch(d->base);
	}
	return *done;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted: resolvers rotate records, reports should not change. */
static void
lookup_cb(void *arg, const struct dns_lookup_result *r)
{
	struct waiter *w = arg;

	w->ans.status = r->status;
	copy_texts(&w->ans, (const char *const *)r->answers, r->n);
	qsort(w->ans.a, w->ans.n, sizeof(char *), by_text);
	w->done = true;
}

void
doctor_lookup(struct doctor *d, const char *name, int rrtype,
              struct doctor_answers *out)
{
	struct waiter w = {0};

	memset(out, 0, sizeof(*out));
	out->status = DNS_LOOKUP_TEMPFAIL;
	/* dns_lookup() calls back by its own deadline, so w outlives it. */
	if (dns_lookup(d->dns, name, rrtype, d->opts->timeout_ms, lookup_cb,
	               &w) < 0)
		return;
	while (!w.done)
		doctor_wait(d, &w.done, d->opts->timeout_ms + 1000);
	*out = w.ans;
}

/* TXT and MX lookups cannot be cancelled: a waiter given up on stays
 * allocated until its callback, which frees it. */
static void
txt_cb(void *arg, enum dns_status st, const char *const *texts, size_t n)
{
	struct waiter *w = arg;

	if (w->abandoned) {
		free(w);
		return;
	}
	w->ans.status = st == DNS_OK         ? DNS_LOOKUP_OK
	                : st == DNS_NXDOMAIN ? DNS_LOOKUP_NXDOMAIN
	                : st == DNS_NO_HOST  ? DNS_LOOKUP_NODATA
	                                     : DNS_LOOKUP_TEMPFAIL;
	copy_texts(&w->ans, texts, n);
	w->done = true;
}

void
doctor_txt(struct doctor *d, const char *name, struct doctor_answers *out)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	memset(out, 0, sizeof(*out));
	out->status = DNS_LOOKUP_TEMPFAIL;
	if (dns_resolve_txt(d->dns, name, txt_cb, w) < 0) {
		free(w);
		return;
	}
	if (!doctor_wait(d, &w->done, d->opts->timeout_ms)) {
		w->abandoned = true;
		return;
	}
	*out = w->ans;
	free(w);
}

static char **
copy_addrs(char **addrs, size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));
	size_t i;

	if (v == NULL)
		abort();
	for (i = 0; i < n; i++)
		v[i] = str_dup(addrs[i]);
	return v;
}

static void
mx_cb(void *arg, const struct dns_mx_result *res)
{
	struct waiter *w = arg;
	size_t i;

	w->mx.status = res->status;
	w->mx.secure = res->secure;
	w->mx.nhosts = res->nhosts;
	w->mx.hosts = xcalloc(res->nhosts + 1, sizeof(*w->mx.hosts));
	for (i = 0; i < res->nhosts; i++) {
		w->mx.hosts[i].name = str_dup(res->hosts[i].name);
		w->mx.hosts[i].preference = res->hosts[i].preference;
		w->mx.hosts[i].addrs =
		        copy_addrs(res->hosts[i].addrs, res->hosts[i].naddrs);
		w->mx.hosts[i].naddrs = res->hosts[i].naddrs;
		w->mx.hosts[i].secure = res->hosts[i].secure;
	}
	w->mx.error = NULL;
	w->done = true;
}

void
doctor_mx(struct doctor *d, const char *domain, struct dns_mx_result *res)
{
	struct waiter w = {0};
	struct dns_query *q;

	memset(res, 0, sizeof(*res));
	res->status = DNS_TEMPFAIL;
	q = dns_resolve_mx(d->dns, domain, mx_cb, &w);
	if (q == NULL)
		return;
	if (!doctor_wait(d, &w.done, d->opts->timeout_ms)) {
		dns_query_cancel(q);
		return;
	}
	*res = w.mx;
}

void
doctor_mx_free(struct dns_mx_result *res)
{
	size_t i, j;

	for (i = 0; i < res->nhosts; i++) {
		for (j = 0; j < res->hosts[i].naddrs; j++)
			free(res->hosts[i].addrs[j]);
		free(res->hosts[i].addrs);
		free(res->hosts[i].name);
	}
	free(res->hosts);
	memset(res, 0, sizeof(*res));
}

void
doctor_answers_free(struct doctor_answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->a[i]);
	free(a->a);
	memset(a, 0, sizeof(*a));
}

const char *
doctor_txt_find(const struct doctor_answers *a, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; a->status == DNS_LOOKUP_OK && i < a->n; i++)
		if (strncasecmp(a->a[i], prefix, n) == 0)
			return a->a[i];
	return NULL;
}

static bool
same_address(const char *a, const char *b)
{
	struct net_prefix p;

	return net_parse(a, &p) == 0 && net_contains(&p, b);
}

bool
doctor_resolves_to(struct doctor *d, const char *name, const char *ip,
                   enum dns_lookup_status *status)
{
	struct doctor_answers ans;
	bool found = false;
	size_t i;

	doctor_lookup(d, name, strchr(ip, ':') ? DNS_RR_AAAA : DNS_RR_A, &ans);
	*status = ans.status;
	for (i = 0; i < ans.n && !found; i++)
		found = same_address(ans.a[i], ip);
	doctor_answers_free(&ans);
	return found;
}
