/*
 * resolver.c — MX resolution on libunbound, driven by the libevent loop.
 *
 * One dns_resolve_mx() is a small tree of libunbound queries ("subs"): the
 * MX query first, then an AAAA and an A query for every MX host, all in
 * flight together.  Answers come back only from ub_process(), which runs
 * when ub_fd() turns readable.  When the last sub of a query is answered
 * (or the query fails early, or its timer fires) the query is marked done
 * and its done event is activated, so the caller's callback runs from the
 * loop itself: never inside dns_resolve_mx(), and never inside
 * ub_process(), which lets a callback start new lookups or free the whole
 * resolver.
 *
 * libunbound runs its resolver in a background thread (ub_ctx_async(ctx,
 * 1)).  The other mode forks a process at the first query; that process
 * keeps a copy of every descriptor open at that moment (SMTP sessions,
 * listeners, spool files) for its whole life, and sees no local data added
 * later.  The thread never calls back into ferry: results cross a pipe and
 * are handed out by ub_process() on the loop thread.
 */
#include "base/str.h"
#include "base/mem.h"
#include "dns/resolver.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>
#include <unbound.h>

#include "base/log.h"
#include "dns/name.h"
#include "dns/resolver_int.h"

#define RR_A 1
#define RR_MX 15
#define RR_TXT 16
#define RR_AAAA 28
#define CLASS_IN 1

#define RCODE_FORMERR 1
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5

/* MX hosts tried for addresses, best preferences first. */
#define MX_HOSTS_MAX 20
#define ERROR_MAX 512

enum sub_kind { SUB_MX, SUB_A, SUB_AAAA };

/* What one answer says, whatever was asked. */
enum answer { ANS_DATA, ANS_NODATA, ANS_NXDOMAIN, ANS_TEMP };

struct dns_sub {
	struct dns_resolver *r;
	struct dns_query *q; /* NULL once the query is gone (orphan) */
	enum sub_kind kind;
	size_t host;
	int id;
	TAILQ_ENTRY(dns_sub) entry;
};
TAILQ_HEAD(sub_list, dns_sub);

struct addr_list {
	char **v;
	size_t n;
};

struct host {
	char *name;
	int pref;
	uint32_t tiebreak;
	struct addr_list v6, v4;
	bool insecure; /* an address answer was not DNSSEC-validated */
};

struct dns_query {
	struct dns_resolver *r;
	char qname[DNS_NAME_MAX + 2]; /* lower case, trailing dot */
	char name[DNS_NAME_MAX + 2];  /* the same without the dot */
	dns_mx_cb cb;
	void *arg;
	struct event *done_ev;
	struct event *timer;
	struct sub_list subs;
	struct host *hosts;
	size_t nhosts;
	bool implicit;
	bool host_only; /* dns_resolve_host(): no MX step */
	bool mx_secure; /* the MX answer (or its denial) validated */
	bool bogus;     /* an answer failed validation */
	bool done;
	bool in_callback;
	enum dns_status status;
	char error[ERROR_MAX];
	char temp_error[ERROR_MAX]; /* first failed address lookup */
	TAILQ_ENTRY(dns_query) entry;
};

/* TXT lookups (dns_resolve_txt): one query, no sub-queries. */
struct txt_query {
	dns_txt_cb cb;
	dns_txt_ttl_cb cb_ttl; /* instead of cb */
	void *arg;
	struct dns_resolver *r;
	TAILQ_ENTRY(txt_query) entry;
};

struct dns_resolver {
	struct event_base *base;
	struct ub_ctx *ctx;
	struct event *fd_ev;
	bool local_only;
	bool forwarder;
	bool own_root; /* the local data declares the root zone itself */
	bool started;
	unsigned timeout_ms;
	TAILQ_HEAD(, dns_query) queries;
	struct sub_list orphans;
	/* TXT lookups in flight: libunbound forgets them when deleted. */
	TAILQ_HEAD(, txt_query) txts;
};

static void sub_cb(void *data, int err, struct ub_result *res);

static int
set_option(struct dns_resolver *r, const char *opt, const char *val)
{
	int err;

	err = ub_ctx_set_option(r->ctx, (char *)opt, (char *)val);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "option", opt, "value", val,
		          "error", ub_strerror(err), NULL);
		return -1;
	}
	return 0;
}

static void
ub_readable(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver *r = arg;
	int err;

	err = ub_process(r->ctx);
	if (err != 0)
		log_event(LOG_LVL_WARN, "dns", "error", ub_strerror(err), NULL);
}

/* Where queries go that local data does not answer. */
static int
configure_upstream(struct dns_resolver *r, const char *resolv_conf)
{
	int err;

	if (resolv_conf != NULL && resolv_conf[0] == '\0') {
		r->local_only = true;
		return 0;
	}
	/* A local caching resolver (127.0.0.1, 127.0.0.53) is the usual
	 * entry in resolv.conf; unbound skips loopback servers by default. */
	if (set_option(r, "do-not-query-localhost:", "no") < 0)
		return -1;
	err = ub_ctx_resolvconf(r->ctx, (char *)resolv_conf);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "resolv_conf",
		          resolv_conf ? resolv_conf : "/etc/resolv.conf",
		          "error", ub_strerror(err), NULL);
		if (resolv_conf != NULL)
			return -1;
	}
	if (resolv_conf == NULL) {
		err = ub_ctx_hosts(r->ctx, NULL);
		if (err != 0)
			log_event(LOG_LVL_WARN, "dns", "hosts", "/etc/hosts",
			          "error", ub_strerror(err), NULL);
	}
	return 0;
}

struct dns_resolver *
dns_resolver_new(struct event_base *base, const char *resolv_conf)
{
	struct dns_resolver *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->base = base;
	r->timeout_ms = DNS_TIMEOUT_MS_DEFAULT;
	TAILQ_INIT(&r->queries);
	TAILQ_INIT(&r->txts);
	TAILQ_INIT(&r->orphans);
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL)
		goto fail;
	if (ub_ctx_async(r->ctx, 1) != 0 ||
	    configure_upstream(r, resolv_conf) < 0)
		goto fail;
	r->fd_ev = event_new(base, ub_fd(r->ctx), EV_READ | EV_PERSIST,
	                     ub_readable, r);
	if (r->fd_ev == NULL || event_add(r->fd_ev, NULL) < 0)
		goto fail;
	return r;
fail:
	if (r->fd_ev != NULL)
		event_free(r->fd_ev);
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	free(r);
	return NULL;
}

static void resolver_start(struct dns_resolver *r);

struct ub_ctx *
dns_resolver_ub(struct dns_resolver *r)
{
	resolver_start(r);
	return r->ctx;
}

struct event_base *
dns_resolver_base(struct dns_resolver *r)
{
	return r->base;
}

int
dns_resolver_add_local(struct dns_resolver *r, const char *record)
{
	int err;

	if (!r->started)
		return set_option(r, "local-data:", record);
	err = ub_ctx_data_add(r->ctx, (char *)record);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "local_data", record, "error",
		          ub_strerror(err), NULL);
		return -1;
	}
	return 0;
}

int
dns_resolver_add_local_zone(struct dns_resolver *r, const char *zone,
                            const char *type)
{
	char buf[DNS_NAME_MAX + 64];
	int err;

	if (!r->started) {
		if (strcmp(zone, ".") == 0)
			r->own_root = true;
		if ((size_t)snprintf(buf, sizeof(buf), "%s %s", zone, type) >=
		    sizeof(buf))
			return -1;
		return set_option(r, "local-zone:", buf);
	}
	err = ub_ctx_zone_add(r->ctx, (char *)zone, (char *)type);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "local_zone", zone, "error",
		          ub_strerror(err), NULL);
		return -1;
	}
	return 0;
}

int
dns_resolver_set_forwarder(struct dns_resolver *r, const char *addr)
{
	int err;

	if (r->started || set_option(r, "do-not-query-localhost:", "no") < 0)
		return -1;
	err = ub_ctx_set_fwd(r->ctx, (char *)addr);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "forwarder", addr, "error",
		          ub_strerror(err), NULL);
		return -1;
	}
	r->forwarder = true;
	return 0;
}

void
dns_resolver_set_timeout(struct dns_resolver *r, unsigned msec)
{
	r->timeout_ms = msec;
}

unsigned
dns_resolver_timeout(const struct dns_resolver *r)
{
	return r->timeout_ms;
}

int
dns_resolver_set_trust_anchor(struct dns_resolver *r, const char *path)
{
	int err;

	if (r->started)
		return -1;
	err = ub_ctx_add_ta_file(r->ctx, (char *)path);
	if (err != 0) {
		log_event(LOG_LVL_WARN, "dns", "trust_anchor", path, "error",
		          ub_strerror(err), NULL);
		return -1;
	}
	return 0;
}

/* Last settings before the first query finalizes the context. */
static void
resolver_start(struct dns_resolver *r)
{
	if (r->started)
		return;
	if (r->local_only && !r->forwarder && !r->own_root)
		(void)set_option(r, "local-zone:", ". refuse");
	r->started = true;
}

static void
addr_list_free(struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
addr_list_add(struct addr_list *l, const char *text)
{
	char **v;

	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	l->v = v;
	l->v[l->n] = str_dup(text);
	if (l->v[l->n] == NULL)
		return -1;
	l->n++;
	return 0;
}

/* Stops every sub of q; any answer still on its way is dropped. */
static void
cancel_subs(struct dns_query *q)
{
	struct dns_sub *s;

	while ((s = TAILQ_FIRST(&q->subs)) != NULL) {
		TAILQ_REMOVE(&q->subs, s, entry);
		if (ub_cancel(q->r->ctx, s->id) == 0) {
			free(s);
			continue;
		}
		/* Already on its way back: sub_cb() frees it. */
		s->q = NULL;
		TAILQ_INSERT_TAIL(&q->r->orphans, s, entry);
	}
}

static void
query_free(struct dns_query *q)
{
	size_t i;

	for (i = 0; i < q->nhosts; i++) {
		free(q->hosts[i].name);
		addr_list_free(&q->hosts[i].v6);
		addr_list_free(&q->hosts[i].v4);
	}
	free(q->hosts);
	if (q->done_ev != NULL)
		event_free(q->done_ev);
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
}

/* Ends q with status; the callback runs on the next loop iteration. */
static void __attribute__((format(printf, 3, 4)))
query_finish(struct dns_query *q, enum dns_status status, const char *fmt, ...)
{
	va_list ap;

	if (q->done)
		return;
	q->done = true;
	q->status = status;
	q->error[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(q->error, sizeof(q->error), fmt, ap);
		va_end(ap);
	}
	cancel_subs(q);
	evtimer_del(q->timer);
	event_active(q->done_ev, 0, 0);
}

static const char *
rcode_text(int rcode)
{
	switch (rcode) {
	case RCODE_FORMERR:
		return "format error (FORMERR)";
	case RCODE_SERVFAIL:
		return "server failure (SERVFAIL)";
	case RCODE_NOTIMP:
		return "not implemented (NOTIMP)";
	case RCODE_REFUSED:
		return "query refused (REFUSED)";
	default:
		return "unexpected response code";
	}
}

static const char *
type_text(enum sub_kind kind)
{
	return kind == SUB_MX ? "MX" : kind == SUB_A ? "A" : "AAAA";
}

/*
 * Sorts one answer into data / no data / no such name / temporary
 * failure; for the last, writes why to buf.
 */
static enum answer
classify(int err, const struct ub_result *res, enum sub_kind kind,
         const char *name, char *buf, size_t size)
{
	if (err != 0 || res == NULL) {
		snprintf(buf, size, "resolver error looking up %s of %s: %s",
		         type_text(kind), name, ub_strerror(err));
		return ANS_TEMP;
	}
	if (res->bogus) {
		snprintf(buf, size, "DNSSEC validation failed for %s of %s: %s",
		         type_text(kind), name,
		         res->why_bogus ? res->why_bogus : "bogus answer");
		return ANS_TEMP;
	}
	if (res->nxdomain || res->rcode == RCODE_NXDOMAIN)
		return ANS_NXDOMAIN;
	if (res->rcode != 0) {
		snprintf(buf, size, "DNS error looking up %s of %s: %s (%d)",
		         type_text(kind), name, rcode_text(res->rcode),
		         res->rcode);
		return ANS_TEMP;
	}
	return res->havedata ? ANS_DATA : ANS_NODATA;
}

static int
sub_start(struct dns_query *q, enum sub_kind kind, size_t host)
{
	static const int rrtype[] = {RR_MX, RR_A, RR_AAAA};
	char qname[DNS_NAME_MAX + 2];
	struct dns_sub *s;
	int err;

	if (kind == SUB_MX)
		snprintf(qname, sizeof(qname), "%s", q->qname);
	else
		snprintf(qname, sizeof(qname), "%s.", q->hosts[host].name);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	s->r = q->r;
	s->q = q;
	s->kind = kind;
	s->host = host;
	err = ub_resolve_async(q->r->ctx, qname, rrtype[kind], CLASS_IN, s,
	                       sub_cb, &s->id);
	if (err != 0) {
		if (q->temp_error[0] == '\0')
			snprintf(q->temp_error, sizeof(q->temp_error),
			         "resolver error looking up %s of %s: %s",
			         type_text(kind), qname, ub_strerror(err));
		free(s);
		return -1;
	}
	TAILQ_INSERT_TAIL(&q->subs, s, entry);
	return 0;
}

static int
host_add(struct dns_query *q, const char *name, int pref)
{
	struct host *h;
	size_t i;

	for (i = 0; i < q->nhosts; i++) {
		if (strcmp(q->hosts[i].name, name) == 0) {
			if (pref < q->hosts[i].pref)
				q->hosts[i].pref = pref;
			return 0;
		}
	}
	h = reallocarray(q->hosts, q->nhosts + 1, sizeof(*h));
	if (h == NULL)
		return -1;
	q->hosts = h;
	h = &q->hosts[q->nhosts];
	memset(h, 0, sizeof(*h));
	h->name = str_dup(name);
	if (h->name == NULL)
		return -1;
	h->pref = pref;
	h->tiebreak = arc4random();
	q->nhosts++;
	return 0;
}

static int
host_cmp(const void *a, const void *b)
{
	const struct host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if (x->tiebreak != y->tiebreak)
		return x->tiebreak < y->tiebreak ? -1 : 1;
	return 0;
}

/*
 * Reads the MX rdata (16-bit preference, then the target name) into
 * q->hosts.  Returns 1 for a null MX (RFC 7505: one record, "0 ."), 0
 * otherwise, -1 when out of memory.  Unreadable records and "." targets
 * next to other records are skipped.
 */
static int
mx_parse(struct dns_query *q, const struct ub_result *res)
{
	char target[DNS_NAME_MAX + 1];
	const unsigned char *rd;
	size_t i, len;
	int pref;

	for (i = 0; res->data[i] != NULL; i++) {
		rd = (const unsigned char *)res->data[i];
		len = (size_t)res->len[i];
		if (len < 3 ||
		    dns_name_from_wire(rd + 2, len - 2, target) != len - 2)
			continue;
		pref = rd[0] << 8 | rd[1];
		if (target[0] == '\0') {
			if (pref == 0 && i == 0 && res->data[1] == NULL)
				return 1;
			continue;
		}
		if (host_add(q, target, pref) < 0)
			return -1;
	}
	return 0;
}

static void
on_mx(struct dns_query *q, int err, const struct ub_result *res)
{
	char why[ERROR_MAX];
	size_t i;
	int rc = 0;

	q->mx_secure = err == 0 && res != NULL && res->secure;
	q->bogus |= err == 0 && res != NULL && res->bogus;
	switch (classify(err, res, SUB_MX, q->name, why, sizeof(why))) {
	case ANS_TEMP:
		query_finish(q, DNS_TEMPFAIL, "%s", why);
		return;
	case ANS_NXDOMAIN:
		query_finish(q, DNS_NXDOMAIN, "domain %s does not exist",
		             q->name);
		return;
	case ANS_NODATA:
		/* RFC 5321 s5.1: no MX, the domain is its own host. */
		q->implicit = true;
		rc = host_add(q, q->name, 0);
		break;
	case ANS_DATA:
		rc = mx_parse(q, res);
		if (rc == 1) {
			query_finish(q, DNS_NULL_MX,
			             "domain %s accepts no mail (null MX)",
			             q->name);
			return;
		}
		break;
	}
	if (rc < 0) {
		query_finish(q, DNS_TEMPFAIL, "out of memory");
		return;
	}
	qsort(q->hosts, q->nhosts, sizeof(*q->hosts), host_cmp);
	if (q->nhosts > MX_HOSTS_MAX) {
		for (i = MX_HOSTS_MAX; i < q->nhosts; i++)
			free(q->hosts[i].name);
		q->nhosts = MX_HOSTS_MAX;
	}
	for (i = 0; i < q->nhosts; i++) {
		(void)sub_start(q, SUB_AAAA, i);
		(void)sub_start(q, SUB_A, i);
	}
}

static void
on_addr(struct dns_query *q, const struct dns_sub *s, int err,
        const struct ub_result *res)
{
	struct host *h = &q->hosts[s->host];
	struct addr_list *l = s->kind == SUB_A ? &h->v4 : &h->v6;
	int af = s->kind == SUB_A ? AF_INET : AF_INET6;
	int want = s->kind == SUB_A ? 4 : 16;
	char text[INET6_ADDRSTRLEN];
	char why[ERROR_MAX];
	enum answer ans;
	size_t i;

	ans = classify(err, res, s->kind, h->name, why, sizeof(why));
	q->bogus |= err == 0 && res != NULL && res->bogus;
	if (err != 0 || res == NULL || !res->secure)
		h->insecure = true;
	if (ans == ANS_TEMP && q->temp_error[0] == '\0')
		snprintf(q->temp_error, sizeof(q->temp_error), "%s", why);
	/* NXDOMAIN and NODATA leave the host without addresses. */
	if (ans != ANS_DATA)
		return;
	for (i = 0; res->data[i] != NULL; i++) {
		if (res->len[i] != want ||
		    inet_ntop(af, res->data[i], text, sizeof(text)) == NULL)
			continue;
		if (addr_list_add(l, text) < 0) {
			query_finish(q, DNS_TEMPFAIL, "out of memory");
			return;
		}
	}
}

/* All subs of q are answered: decide. */
static void
query_complete(struct dns_query *q)
{
	size_t i;

	for (i = 0; i < q->nhosts; i++) {
		if (q->hosts[i].v6.n + q->hosts[i].v4.n > 0) {
			query_finish(q, DNS_OK, NULL);
			return;
		}
	}
	if (q->temp_error[0] != '\0')
		query_finish(q, DNS_TEMPFAIL, "%s", q->temp_error);
	else if (q->host_only)
		query_finish(q, DNS_NO_HOST, "host %s has no address", q->name);
	else if (q->implicit)
		query_finish(q, DNS_NO_HOST,
		             "domain %s has no MX record and no address",
		             q->name);
	else
		query_finish(q, DNS_NO_HOST, "no MX host of %s has an address",
		             q->name);
}

static void
sub_cb(void *data, int err, struct ub_result *res)
{
	struct dns_sub *s = data;
	struct dns_query *q = s->q;

	if (q == NULL) {
		TAILQ_REMOVE(&s->r->orphans, s, entry);
	} else {
		TAILQ_REMOVE(&q->subs, s, entry);
		if (s->kind == SUB_MX)
			on_mx(q, err, res);
		else
			on_addr(q, s, err, res);
		if (!q->done && TAILQ_EMPTY(&q->subs))
			query_complete(q);
	}
	free(s);
	ub_resolve_free(res);
}

static void
query_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;

	query_finish(q, DNS_TEMPFAIL, "DNS lookup for %s timed out after %u ms",
	             q->name, q->r->timeout_ms);
}

/* Builds the caller's view: hosts with addresses, in order. */
static struct dns_mx_host *
result_hosts(struct dns_query *q, size_t *n)
{
	struct dns_mx_host *out;
	struct host *h;
	size_t i, j;

	*n = 0;
	out = calloc(q->nhosts ? q->nhosts : 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (i = 0; i < q->nhosts; i++) {
		h = &q->hosts[i];
		if (h->v6.n + h->v4.n == 0)
			continue;
		out[*n].addrs = calloc(h->v6.n + h->v4.n, sizeof(char *));
		if (out[*n].addrs == NULL)
			continue;
		out[*n].name = h->name;
		out[*n].preference = h->pref;
		out[*n].secure = !h->insecure;
		for (j = 0; j < h->v6.n; j++)
			out[*n].addrs[out[*n].naddrs++] = h->v6.v[j];
		for (j = 0; j < h->v4.n; j++)
			out[*n].addrs[out[*n].naddrs++] = h->v4.v[j];
		(*n)++;
	}
	return out;
}

static void
query_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	struct dns_mx_result res;
	struct dns_mx_host *hosts = NULL;
	size_t i, n = 0;

	TAILQ_REMOVE(&q->r->queries, q, entry);
	memset(&res, 0, sizeof(res));
	res.status = q->status;
	res.error = q->error[0] != '\0' ? q->error : NULL;
	res.secure = q->mx_secure;
	res.bogus = q->bogus;
	if (q->status == DNS_OK) {
		hosts = result_hosts(q, &n);
		if (hosts == NULL || n == 0) {
			res.status = DNS_TEMPFAIL;
			res.error = "out of memory";
		}
		res.hosts = hosts;
		res.nhosts = n;
	}
	q->in_callback = true;
	q->cb(q->arg, &res);
	for (i = 0; hosts != NULL && i < n; i++)
		free(hosts[i].addrs);
	free(hosts);
	query_free(q);
}

/* A query with its events, on the resolver's list; NULL when out of memory. */
static struct dns_query *
query_new(struct dns_resolver *r, dns_mx_cb cb, void *arg)
{
	struct dns_query *q;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INIT(&q->subs);
	q->done_ev = event_new(r->base, -1, 0, query_deliver, q);
	q->timer = evtimer_new(r->base, query_timeout, q);
	if (q->done_ev == NULL || q->timer == NULL) {
		query_free(q);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&r->queries, q, entry);
	resolver_start(r);
	return q;
}

static void
query_arm_timer(struct dns_query *q)
{
	struct timeval tv;

	tv.tv_sec = q->r->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(q->r->timeout_ms % 1000) * 1000;
	evtimer_add(q->timer, &tv);
}

struct dns_query *
dns_resolve_mx(struct dns_resolver *r, const char *domain, dns_mx_cb cb,
               void *arg)
{
	struct dns_query *q = query_new(r, cb, arg);
	const char *why;

	if (q == NULL)
		return NULL;
	if (!dns_name_check(domain, q->qname, &why)) {
		query_finish(q, DNS_NXDOMAIN, "invalid domain: %s", why);
		return q;
	}
	memcpy(q->name, q->qname, strlen(q->qname) - 1);
	if (sub_start(q, SUB_MX, 0) < 0) {
		query_finish(q, DNS_TEMPFAIL, "%s",
		             q->temp_error[0] ? q->temp_error
		                              : "out of memory");
		return q;
	}
	query_arm_timer(q);
	return q;
}

struct dns_query *
dns_resolve_host(struct dns_resolver *r, const char *host, dns_mx_cb cb,
                 void *arg)
{
	struct dns_query *q = query_new(r, cb, arg);
	const char *why;

	if (q == NULL)
		return NULL;
	if (!dns_name_check(host, q->qname, &why)) {
		query_finish(q, DNS_NXDOMAIN, "invalid host name: %s", why);
		return q;
	}
	memcpy(q->name, q->qname, strlen(q->qname) - 1);
	/* The same path as a domain without MX: its own addresses. */
	q->implicit = true;
	q->host_only = true;
	if (host_add(q, q->name, 0) < 0) {
		query_finish(q, DNS_TEMPFAIL, "out of memory");
		return q;
	}
	if ((sub_start(q, SUB_AAAA, 0) | sub_start(q, SUB_A, 0)) < 0 &&
	    TAILQ_EMPTY(&q->subs)) {
		query_finish(q, DNS_TEMPFAIL, "%s", q->temp_error);
		return q;
	}
	query_arm_timer(q);
	return q;
}

void
dns_query_cancel(struct dns_query *q)
{
	if (q == NULL || q->in_callback)
		return;
	cancel_subs(q);
	TAILQ_REMOVE(&q->r->queries, q, entry);
	query_free(q);
}

void
dns_resolver_free(struct dns_resolver *r)
{
	struct dns_query *q;
	struct dns_sub *s;
	struct txt_query *t;

	if (r == NULL)
		return;
	/* dns_query_cancel() unlinks q: not a use after free. */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while ((q = TAILQ_FIRST(&r->queries)) != NULL)
		dns_query_cancel(q);
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	event_free(r->fd_ev);
	/* Stops the background thread; no callback after this. */
	ub_ctx_delete(r->ctx);
	while ((s = TAILQ_FIRST(&r->orphans)) != NULL) {
		TAILQ_REMOVE(&r->orphans, s, entry);
		free(s);
	}
	while ((t = TAILQ_FIRST(&r->txts)) != NULL) {
		TAILQ_REMOVE(&r->txts, t, entry);
		free(t);
	}
	dns_lookup_abandon(r);
	free(r);
}

/* The character-strings of each record joined (RFC 7208 s3.3, RFC 6376
 * s3.6.2.2), one NUL-terminated text per record. */
static char **
txt_texts(const struct ub_result *res, size_t *n)
{
	char **v;
	size_t i;

	for (*n = 0; res->data[*n] != NULL; (*n)++)
		;
	v = xcalloc(*n + 1, sizeof(*v));
	for (i = 0; i < *n; i++) {
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = (size_t)res->len[i], o = 0, k = 0;

		v[i] = xmalloc(len + 1);
		while (k < len) {
			size_t l = p[k++];

			if (l > len - k)
				l = len - k;
			memcpy(v[i] + o, p + k, l);
			o += l;
			k += l;
		}
		v[i][o] = '\0';
	}
	return v;
}

static void
txt_cb(void *data, int err, struct ub_result *res)
{
	struct txt_query *t = data;
	char **texts = NULL;
	size_t n = 0, i;
	enum dns_status st;

	char why[ERROR_MAX];

	switch (classify(err, res, SUB_MX, "TXT", why, sizeof(why))) {
	case ANS_DATA:
		st = DNS_OK;
		texts = txt_texts(res, &n);
		break;
	case ANS_NODATA:
		st = DNS_NO_HOST;
		break;
	case ANS_NXDOMAIN:
		st = DNS_NXDOMAIN;
		break;
	default:
		st = DNS_TEMPFAIL;
	}
	TAILQ_REMOVE(&t->r->txts, t, entry);
	if (t->cb_ttl != NULL)
		t->cb_ttl(t->arg, st, (const char *const *)texts, n,
		          st != DNS_TEMPFAIL && res != NULL && res->ttl > 0
		                  ? (unsigned)res->ttl
		                  : 0);
	else
		t->cb(t->arg, st, (const char *const *)texts, n);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(t);
	ub_resolve_free(res);
}

static int
txt_start(struct dns_resolver *r, const char *name, dns_txt_cb cb,
          dns_txt_ttl_cb cb_ttl, void *arg)
{
	struct txt_query *t = calloc(1, sizeof(*t));
	int id;

	if (t == NULL)
		return -1;
	t->cb = cb;
	t->cb_ttl = cb_ttl;
	t->arg = arg;
	t->r = r;
	resolver_start(r);
	TAILQ_INSERT_TAIL(&r->txts, t, entry);
	if (ub_resolve_async(r->ctx, name, RR_TXT, CLASS_IN, t, txt_cb, &id) !=
	    0) {
		TAILQ_REMOVE(&r->txts, t, entry);
		free(t);
		return -1;
	}
	return 0;
}

int
dns_resolve_txt(struct dns_resolver *r, const char *name, dns_txt_cb cb,
                void *arg)
{
	return txt_start(r, name, cb, NULL, arg);
}

int
dns_resolve_txt_ttl(struct dns_resolver *r, const char *name, dns_txt_ttl_cb cb,
                    void *arg)
{
	return txt_start(r, name, NULL, cb, arg);
}
