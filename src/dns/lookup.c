/*
 * lookup.c — single DNS questions on the resolver's libunbound context
 * (see lookup.h).  Like resolver.c, the caller's callback runs from a
 * libevent event of its own, never inside ub_process().
 */
#include "base/str.h"
#include "dns/lookup.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <unbound.h>

#include "dns/name.h"
#include "dns/resolver_int.h"

#define RCODE_NXDOMAIN 3
#define ANSWERS_MAX 16
/* Answers are kept this long at most (and no longer than their TTL);
 * a lookup answered from here costs no trip to libunbound's thread. */
#define CACHE_TTL_MAX 300
#define CACHE_NEGATIVE_TTL 60
#define CACHE_SLOTS 4096

/* One answer remembered: a slot of a direct-mapped table (a newer answer
 * with the same hash replaces it). */
struct cache_slot {
	char *name;
	int rrtype;
	time_t expires;
	struct dns_lookup_result res;
};

static struct cache_slot cache[CACHE_SLOTS];

struct lookup {
	struct dns_resolver *r;
	TAILQ_ENTRY(lookup) entry; /* in inflight while libunbound has it */
	char *name;                /* for the cache */
	int rrtype;
	dns_lookup_cb cb;
	void *arg;
	struct event *done_ev, *timer;
	bool answered; /* the caller heard (answer or timeout) */
	bool ub_done;  /* libunbound called back: nothing more comes */
	struct dns_lookup_result res;
};

static void
result_clear(struct dns_lookup_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		free(res->answers[i]);
	free(res->answers);
	memset(res, 0, sizeof(*res));
}

static void
lookup_free(struct lookup *lk)
{
	result_clear(&lk->res);
	event_free(lk->done_ev);
	event_free(lk->timer);
	free(lk->name);
	free(lk);
}

/* Lookups libunbound still owns, of every resolver: freed by
 * dns_lookup_abandon() when their resolver goes, as libunbound then never
 * calls back (event-loop thread only, as everything here). */
static TAILQ_HEAD(, lookup) inflight = TAILQ_HEAD_INITIALIZER(inflight);

void
dns_lookup_abandon(struct dns_resolver *r)
{
	struct lookup *lk, *next;

	for (lk = TAILQ_FIRST(&inflight); lk != NULL; lk = next) {
		next = TAILQ_NEXT(lk, entry);
		if (lk->r != r)
			continue;
		TAILQ_REMOVE(&inflight, lk, entry);
		lookup_free(lk);
	}
}

static void add_answer(struct lookup *lk, const char *text);

static struct cache_slot *
cache_slot(const char *name, int rrtype)
{
	uint32_t h = 2166136261u ^ (uint32_t)rrtype; /* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return &cache[h % CACHE_SLOTS];
}

/* Copies a final answer into the cache (not temporary failures). */
static void
cache_put(const struct lookup *lk, int ttl)
{
	struct cache_slot *c = cache_slot(lk->name, lk->rrtype);
	size_t i;

	if (lk->res.status == DNS_LOOKUP_TEMPFAIL)
		return;
	if (lk->res.status != DNS_LOOKUP_OK && ttl < CACHE_NEGATIVE_TTL)
		ttl = CACHE_NEGATIVE_TTL;
	if (ttl <= 0)
		return;
	free(c->name);
	result_clear(&c->res);
	c->name = str_dup(lk->name);
	c->res.answers = calloc(ANSWERS_MAX, sizeof(char *));
	if (c->name == NULL || c->res.answers == NULL) {
		free(c->name);
		c->name = NULL;
		return;
	}
	c->rrtype = lk->rrtype;
	c->expires = time(NULL) + (ttl < CACHE_TTL_MAX ? ttl : CACHE_TTL_MAX);
	c->res.status = lk->res.status;
	for (i = 0; i < lk->res.n; i++)
		if ((c->res.answers[c->res.n] = str_dup(lk->res.answers[i])))
			c->res.n++;
}

/* A cached answer into lk; false when there is none. */
static bool
cache_get(struct lookup *lk)
{
	const struct cache_slot *c = cache_slot(lk->name, lk->rrtype);
	size_t i;

	if (c->name == NULL || c->rrtype != lk->rrtype ||
	    c->expires < time(NULL) || strcmp(c->name, lk->name) != 0)
		return false;
	lk->res.status = c->res.status;
	for (i = 0; i < c->res.n; i++)
		add_answer(lk, c->res.answers[i]);
	return true;
}

void
dns_lookup_cache_clear(void)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].name);
		result_clear(&cache[i].res);
		cache[i].name = NULL;
	}
}

static void
add_answer(struct lookup *lk, const char *text)
{
	char *copy = str_dup(text);

	if (copy == NULL || lk->res.n == ANSWERS_MAX) {
		free(copy);
		return;
	}
	lk->res.answers[lk->res.n++] = copy;
}

/* "USAGE SELECTOR MTYPE HEX" (RFC 6698 s2.2); data over 256 bytes (a
 * whole certificate) is left out. */
static void
tlsa_answer(struct lookup *lk, const unsigned char *d, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char text[16 + 2 * 256 + 1];
	size_t i, n;

	if (len < 4 || len - 3 > 256)
		return;
	n = (size_t)snprintf(text, sizeof(text), "%u %u %u ", d[0], d[1], d[2]);
	for (i = 3; i < len; i++) {
		text[n++] = hex[d[i] >> 4];
		text[n++] = hex[d[i] & 15];
	}
	text[n] = '\0';
	add_answer(lk, text);
}

static void
parse_answer(struct lookup *lk, const unsigned char *d, size_t len)
{
	char text[DNS_NAME_MAX + 1];

	switch (lk->rrtype) {
	case DNS_RR_A:
		if (len == 4 && inet_ntop(AF_INET, d, text, sizeof(text)))
			add_answer(lk, text);
		break;
	case DNS_RR_AAAA:
		if (len == 16 && inet_ntop(AF_INET6, d, text, sizeof(text)))
			add_answer(lk, text);
		break;
	case DNS_RR_MX:
		if (len > 2 && dns_name_from_wire(d + 2, len - 2, text) > 0)
			add_answer(lk, text);
		break;
	case DNS_RR_TLSA:
		tlsa_answer(lk, d, len);
		break;
	default:
		if (dns_name_from_wire(d, len, text) > 0)
			add_answer(lk, text);
	}
}

static void
ub_cb(void *data, int err, struct ub_result *res)
{
	struct lookup *lk = data;
	int i;

	lk->ub_done = true;
	TAILQ_REMOVE(&inflight, lk, entry);
	if (lk->answered) { /* timed out: the caller has moved on */
		ub_resolve_free(res);
		lookup_free(lk);
		return;
	}
	if (err != 0 || res == NULL || res->bogus ||
	    (res->rcode != 0 && res->rcode != RCODE_NXDOMAIN && !res->nxdomain))
		lk->res.status = DNS_LOOKUP_TEMPFAIL;
	else if (res->nxdomain || res->rcode == RCODE_NXDOMAIN)
		lk->res.status = DNS_LOOKUP_NXDOMAIN;
	else if (!res->havedata)
		lk->res.status = DNS_LOOKUP_NODATA;
	else
		for (i = 0; res->data[i] != NULL; i++)
			parse_answer(lk, (unsigned char *)res->data[i],
			             (size_t)res->len[i]);
	if (lk->res.status == DNS_LOOKUP_OK && lk->res.n == 0)
		lk->res.status = DNS_LOOKUP_NODATA;
	cache_put(lk, res ? res->ttl : 0);
	ub_resolve_free(res);
	event_active(lk->done_ev, EV_TIMEOUT, 0);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;

	lk->answered = true;
	event_del(lk->timer);
	lk->cb(lk->arg, &lk->res);
	lookup_free(lk);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *lk = arg;
	struct dns_lookup_result res = {DNS_LOOKUP_TEMPFAIL, NULL, 0};

	if (lk->ub_done)
		return; /* the answer is already on its way (done_cb) */
	lk->answered = true;
	lk->cb(lk->arg, &res);
	/* libunbound still owns lk until it answers. */
}

int
dns_lookup(struct dns_resolver *r, const char *name, int rrtype,
           unsigned timeout_ms, dns_lookup_cb cb, void *arg)
{
	struct event_base *base = dns_resolver_base(r);
	struct timeval tv = {timeout_ms / 1000,
	                     (suseconds_t)(timeout_ms % 1000) * 1000};
	struct lookup *lk = calloc(1, sizeof(*lk));

	if (lk == NULL ||
	    (lk->res.answers = calloc(ANSWERS_MAX, sizeof(char *))) == NULL) {
		free(lk);
		return -1;
	}
	lk->rrtype = rrtype;
	lk->cb = cb;
	lk->arg = arg;
	lk->name = str_dup(name);
	lk->done_ev = event_new(base, -1, 0, done_cb, lk);
	lk->timer = evtimer_new(base, timeout_cb, lk);
	if (lk->name == NULL || lk->done_ev == NULL || lk->timer == NULL) {
		lookup_free(lk);
		return -1;
	}
	if (cache_get(lk)) {
		lk->ub_done = true;
		event_active(lk->done_ev, EV_TIMEOUT, 0);
		return 0;
	}
	lk->r = r;
	TAILQ_INSERT_TAIL(&inflight, lk, entry);
	if (ub_resolve_async(dns_resolver_ub(r), name, rrtype, 1, lk, ub_cb,
	                     NULL) != 0) {
		TAILQ_REMOVE(&inflight, lk, entry);
		lookup_free(lk);
		return -1;
	}
	evtimer_add(lk->timer, &tv);
	return 0;
}

int
dns_reverse_name(const char *ip, const char *suffix, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t n = 0;
	int i;

	if (inet_pton(AF_INET, ip, a) == 1) {
		n = (size_t)snprintf(out, len, "%u.%u.%u.%u.%s", a[3], a[2],
		                     a[1], a[0],
		                     suffix ? suffix : "in-addr.arpa");
		return n < len ? 0 : -1;
	}
	if (inet_pton(AF_INET6, ip, a) != 1 || len < 65)
		return -1;
	for (i = 15; i >= 0; i--) {
		out[n++] = hex[a[i] & 15];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	n += (size_t)snprintf(out + n, len - n, "%s",
	                      suffix ? suffix : "ip6.arpa");
	return n < len ? 0 : -1;
}

int
dns_resolver_load_file(struct dns_resolver *r, const char *path)
{
	char line[1024], zone[256], type[32];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "zone %255s %31s", zone, type) == 2)
			dns_resolver_add_local_zone(r, zone, type);
		else
			dns_resolver_add_local(r, line);
	}
	fclose(f);
	return 0;
}
