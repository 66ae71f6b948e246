/*
 * tlsa.c — TLSA lookups (see tlsa.h).  As in lookup.c the caller hears
 * from an event of its own, never inside ub_process().
 */
#include "dns/tlsa.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <unbound.h>

#include "dns/name.h"
#include "dns/resolver_int.h"

#define RR_TLSA 52
#define RR_DNSKEY 48
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3
#define TLSA_MAX 32

struct dns_tlsa_query {
	struct dns_resolver *r;
	char qname[DNS_NAME_MAX + 32];
	int rrtype;
	dns_tlsa_cb cb;
	void *arg;
	struct event *done_ev, *timer;
	int ub_id;
	bool ub_pending; /* libunbound still owes an answer */
	enum dns_tlsa_status status;
	struct dns_tlsa_rr rrs[TLSA_MAX];
	size_t n;
	char error[600];
};

static void
query_free(struct dns_tlsa_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		free((void *)q->rrs[i].data);
	if (q->done_ev != NULL)
		event_free(q->done_ev);
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
}

/* Records too short to hold usage, selector and type are skipped. */
static void
parse_records(struct dns_tlsa_query *q, const struct ub_result *res)
{
	const unsigned char *d;
	unsigned char *copy;
	size_t len;
	int i;

	for (i = 0; res->data[i] != NULL && q->n < TLSA_MAX; i++) {
		d = (const unsigned char *)res->data[i];
		len = (size_t)res->len[i];
		if (len < 4 || (copy = malloc(len - 3)) == NULL)
			continue;
		memcpy(copy, d + 3, len - 3);
		q->rrs[q->n++] =
		        (struct dns_tlsa_rr){d[0], d[1], d[2], copy, len - 3};
	}
}

static const char *
type_name(const struct dns_tlsa_query *q)
{
	return q->rrtype == RR_TLSA ? "TLSA" : "DNSKEY";
}

static void
classify(struct dns_tlsa_query *q, int err, const struct ub_result *res)
{
	if (err != 0 || res == NULL) {
		q->status = DNS_TLSA_TEMPFAIL;
		snprintf(q->error, sizeof(q->error),
		         "resolver error looking up %s of %s: %s", type_name(q),
		         q->qname, ub_strerror(err));
	} else if (res->bogus) {
		q->status = DNS_TLSA_BOGUS;
		snprintf(q->error, sizeof(q->error),
		         "DNSSEC validation failed for %s of %s: %s",
		         type_name(q), q->qname,
		         res->why_bogus ? res->why_bogus : "bogus");
	} else if (res->rcode != 0 && res->rcode != RCODE_NXDOMAIN &&
	           !res->nxdomain) {
		q->status = DNS_TLSA_TEMPFAIL;
		snprintf(q->error, sizeof(q->error),
		         "DNS error looking up %s of %s: rcode %d",
		         type_name(q), q->qname, res->rcode);
	} else if (!res->secure) {
		q->status = DNS_TLSA_INSECURE;
	} else {
		q->status = DNS_TLSA_SECURE;
		/* Other types: only the status and how many records. */
		if (res->havedata && q->rrtype == RR_TLSA)
			parse_records(q, res);
		else if (res->havedata)
			while (res->data[q->n] != NULL)
				q->n++;
	}
}

static void
ub_cb(void *data, int err, struct ub_result *res)
{
	struct dns_tlsa_query *q = data;

	q->ub_pending = false;
	classify(q, err, res);
	ub_resolve_free(res);
	event_active(q->done_ev, EV_TIMEOUT, 0);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_tlsa_query *q = arg;
	struct dns_tlsa_result res = {q->status,
	                              q->rrtype == RR_TLSA ? q->rrs : NULL,
	                              q->n, q->error[0] ? q->error : NULL};

	(void)fd;
	(void)what;
	q->cb(q->arg, &res);
	query_free(q);
}

static void
stop_asking(struct dns_tlsa_query *q)
{
	if (q->ub_pending)
		(void)ub_cancel(dns_resolver_ub(q->r), q->ub_id);
	q->ub_pending = false;
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_tlsa_query *q = arg;

	(void)fd;
	(void)what;
	if (!q->ub_pending)
		return; /* answered: done_cb is on its way */
	stop_asking(q);
	q->status = DNS_TLSA_TEMPFAIL;
	snprintf(q->error, sizeof(q->error), "DNS lookup of %s of %s timed out",
	         type_name(q), q->qname);
	done_cb(-1, 0, q);
}

/* Asks for rrtype of q->qname; NULL (q freed) when it cannot start. */
static struct dns_tlsa_query *
query_start(struct dns_tlsa_query *q)
{
	struct event_base *base = dns_resolver_base(q->r);
	unsigned ms = dns_resolver_timeout(q->r);
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	q->done_ev = event_new(base, -1, 0, done_cb, q);
	q->timer = evtimer_new(base, timeout_cb, q);
	if (q->done_ev == NULL || q->timer == NULL ||
	    ub_resolve_async(dns_resolver_ub(q->r), q->qname, q->rrtype,
	                     CLASS_IN, q, ub_cb, &q->ub_id) != 0) {
		query_free(q);
		return NULL;
	}
	q->ub_pending = true;
	evtimer_add(q->timer, &tv);
	return q;
}

struct dns_tlsa_query *
dns_resolve_tlsa(struct dns_resolver *r, const char *host, int port,
                 dns_tlsa_cb cb, void *arg)
{
	struct dns_tlsa_query *q = calloc(1, sizeof(*q));
	size_t hl = strlen(host);

	if (q == NULL)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->rrtype = RR_TLSA;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (port <= 0 || port > 65535 || hl == 0 || hl > DNS_NAME_MAX) {
		free(q);
		return NULL;
	}
	snprintf(q->qname, sizeof(q->qname), "_%d._tcp.%.*s.", port, (int)hl,
	         host);
	return query_start(q);
}

struct dns_tlsa_query *
dns_resolve_dnskey(struct dns_resolver *r, const char *zone, dns_tlsa_cb cb,
                   void *arg)
{
	struct dns_tlsa_query *q = calloc(1, sizeof(*q));
	size_t zl = strlen(zone);

	if (q == NULL)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->rrtype = RR_DNSKEY;
	if (zl > 0 && zone[zl - 1] == '.')
		zl--;
	if (zl > DNS_NAME_MAX) {
		free(q);
		return NULL;
	}
	snprintf(q->qname, sizeof(q->qname), "%.*s.", (int)zl, zone);
	return query_start(q);
}

void
dns_tlsa_cancel(struct dns_tlsa_query *q)
{
	if (q == NULL)
		return;
	stop_asking(q);
	query_free(q);
}
