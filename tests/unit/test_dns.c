/*
 * test_dns.c — MX resolution against local data only: every resolver is
 * made with resolv_conf "" (no upstream; names outside the zones given are
 * refused at once), so no test reaches the network, and every loop run is
 * bounded by a timer.  The one test with an upstream forwards to a UDP
 * socket on 127.0.0.1 that never answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/name.h"
#include "dns/resolver.h"
#include "dns/resolver_int.h"

#define SAFETY_MS 5000
#define MAX_HOSTS 32
#define MAX_ADDRS 8

static const char *const zone_data[] = {
        /* two preferences, both families */
        "two.ferry.test. 300 IN MX 20 b.two.ferry.test.",
        "two.ferry.test. 300 IN MX 10 a.two.ferry.test.",
        "a.two.ferry.test. 300 IN A 192.0.2.1",
        "a.two.ferry.test. 300 IN AAAA 2001:db8::1",
        "b.two.ferry.test. 300 IN A 192.0.2.2",
        "b.two.ferry.test. 300 IN A 192.0.2.3",
        /* four hosts of equal preference and a backup */
        "tie.ferry.test. 300 IN MX 10 h1.tie.ferry.test.",
        "tie.ferry.test. 300 IN MX 10 h2.tie.ferry.test.",
        "tie.ferry.test. 300 IN MX 10 h3.tie.ferry.test.",
        "tie.ferry.test. 300 IN MX 10 h4.tie.ferry.test.",
        "tie.ferry.test. 300 IN MX 50 backup.tie.ferry.test.",
        "h1.tie.ferry.test. 300 IN A 192.0.2.11",
        "h2.tie.ferry.test. 300 IN A 192.0.2.12",
        "h3.tie.ferry.test. 300 IN A 192.0.2.13",
        "h4.tie.ferry.test. 300 IN A 192.0.2.14",
        "backup.tie.ferry.test. 300 IN A 192.0.2.15",
        /* no MX: the domain is its own host */
        "implicit.ferry.test. 300 IN A 192.0.2.20",
        "implicit6.ferry.test. 300 IN AAAA 2001:db8::20",
        /* RFC 7505 */
        "null.ferry.test. 300 IN MX 0 .",
        /* targets without addresses */
        "noaddr.ferry.test. 300 IN MX 10 ghost.ferry.test.",
        "mixed.ferry.test. 300 IN MX 10 ghost.ferry.test.",
        "mixed.ferry.test. 300 IN MX 20 real.ferry.test.",
        "real.ferry.test. 300 IN A 192.0.2.30",
        /* a domain that exists with neither MX nor address */
        "bare.ferry.test. 300 IN TXT \"v=spf1 -all\"",
        /* MX host whose address lookups fail */
        "brokenmx.ferry.test. 300 IN MX 10 mx.refused.test.",
        /* one good host, one whose lookups fail */
        "halfbroken.ferry.test. 300 IN MX 10 mx.refused.test.",
        "halfbroken.ferry.test. 300 IN MX 20 real.ferry.test.",
};

struct got_host {
	char name[DNS_NAME_MAX + 1];
	int pref;
	size_t naddrs;
	char addrs[MAX_ADDRS][64];
};

struct got {
	int calls;
	enum dns_status status;
	char error[512];
	size_t nhosts;
	struct got_host hosts[MAX_HOSTS];
	/* for callbacks that act on the loop */
	struct event_base *base;
	int expect;
	struct dns_resolver *free_me;
	struct dns_query *cancel_me;
};

struct fixture {
	struct event_base *base;
	struct dns_resolver *r;
};

static void
add_data(struct dns_resolver *r)
{
	size_t i;

	assert_int_equal(
	        dns_resolver_add_local_zone(r, "ferry.test.", "static"), 0);
	assert_int_equal(
	        dns_resolver_add_local_zone(r, "refused.test.", "refuse"), 0);
	for (i = 0; i < sizeof(zone_data) / sizeof(zone_data[0]); i++)
		assert_int_equal(dns_resolver_add_local(r, zone_data[i]), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->r = dns_resolver_new(f->base, "");
	assert_non_null(f->r);
	/* Nothing here should take long; a hang fails fast. */
	dns_resolver_set_timeout(f->r, SAFETY_MS);
	add_data(f->r);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dns_resolver_free(f->r);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
record(void *arg, const struct dns_mx_result *res)
{
	struct got *g = arg;
	size_t i, j;

	g->calls++;
	g->status = res->status;
	snprintf(g->error, sizeof(g->error), "%s",
	         res->error ? res->error : "");
	g->nhosts = res->nhosts;
	assert_true(res->nhosts <= MAX_HOSTS);
	if (res->status == DNS_OK)
		assert_true(res->nhosts > 0);
	else
		assert_int_equal(res->nhosts, 0);
	for (i = 0; i < res->nhosts; i++) {
		struct got_host *h = &g->hosts[i];

		snprintf(h->name, sizeof(h->name), "%s", res->hosts[i].name);
		h->pref = res->hosts[i].preference;
		h->naddrs = res->hosts[i].naddrs;
		assert_true(h->naddrs > 0 && h->naddrs <= MAX_ADDRS);
		for (j = 0; j < h->naddrs; j++)
			snprintf(h->addrs[j], sizeof(h->addrs[j]), "%s",
			         res->hosts[i].addrs[j]);
	}
	if (g->base != NULL && g->calls >= g->expect)
		event_base_loopbreak(g->base);
}

static void
on_safety(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Runs the loop until the callbacks break it, or for at most ms. */
static void
run_loop(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *safety = evtimer_new(base, on_safety, base);

	assert_non_null(safety);
	evtimer_add(safety, &tv);
	event_base_dispatch(base);
	event_free(safety);
}

/* Resolves domain and waits for the one callback. */
static void
resolve(struct fixture *f, const char *domain, struct got *g)
{
	struct dns_query *q;

	memset(g, 0, sizeof(*g));
	g->base = f->base;
	g->expect = 1;
	q = dns_resolve_mx(f->r, domain, record, g);
	assert_non_null(q);
	assert_int_equal(g->calls, 0); /* never inside the call */
	run_loop(f->base, SAFETY_MS);
	assert_int_equal(g->calls, 1);
}

/* The same for one host's addresses. */
static void
resolve_host(struct fixture *f, const char *host, struct got *g)
{
	struct dns_query *q;

	memset(g, 0, sizeof(*g));
	g->base = f->base;
	g->expect = 1;
	q = dns_resolve_host(f->r, host, record, g);
	assert_non_null(q);
	assert_int_equal(g->calls, 0);
	run_loop(f->base, SAFETY_MS);
	assert_int_equal(g->calls, 1);
}

static bool
has_addr(const struct got_host *h, const char *addr)
{
	size_t i;

	for (i = 0; i < h->naddrs; i++)
		if (strcmp(h->addrs[i], addr) == 0)
			return true;
	return false;
}

static void
test_two_preferences(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "two.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 2);
	assert_string_equal(g.hosts[0].name, "a.two.ferry.test");
	assert_int_equal(g.hosts[0].pref, 10);
	assert_int_equal(g.hosts[0].naddrs, 2);
	assert_string_equal(g.hosts[0].addrs[0], "2001:db8::1"); /* v6 first */
	assert_string_equal(g.hosts[0].addrs[1], "192.0.2.1");
	assert_string_equal(g.hosts[1].name, "b.two.ferry.test");
	assert_int_equal(g.hosts[1].pref, 20);
	assert_int_equal(g.hosts[1].naddrs, 2);
	assert_true(has_addr(&g.hosts[1], "192.0.2.2"));
	assert_true(has_addr(&g.hosts[1], "192.0.2.3"));
}

static void
test_trailing_dot_and_case(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "two.ferry.test.", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 2);
	resolve(f, "TWO.Ferry.TEST", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_string_equal(g.hosts[0].name, "a.two.ferry.test");
}

static void
test_ties_shuffled(void **state)
{
	struct fixture *f = *state;
	int first[5] = {0};
	struct got g;
	int round, i, distinct = 0;

	for (round = 0; round < 40; round++) {
		bool seen[5] = {false};

		resolve(f, "tie.ferry.test", &g);
		assert_int_equal(g.status, DNS_OK);
		assert_int_equal(g.nhosts, 5);
		for (i = 0; i < 4; i++) {
			int n;

			assert_int_equal(g.hosts[i].pref, 10);
			assert_int_equal(sscanf(g.hosts[i].name,
			                        "h%d.tie.ferry.test", &n),
			                 1);
			assert_true(n >= 1 && n <= 4 && !seen[n]);
			seen[n] = true;
			if (i == 0)
				first[n]++;
		}
		assert_string_equal(g.hosts[4].name, "backup.tie.ferry.test");
		assert_int_equal(g.hosts[4].pref, 50);
	}
	for (i = 1; i <= 4; i++)
		distinct += first[i] > 0;
	/* all four first in turn; one missing has odds of about 4*(3/4)^40 */
	assert_true(distinct >= 3);
}

/* A host's own addresses: its MX records play no part. */
static void
test_host_addresses(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve_host(f, "a.two.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 1);
	assert_string_equal(g.hosts[0].name, "a.two.ferry.test");
	assert_int_equal(g.hosts[0].naddrs, 2);
	assert_true(has_addr(&g.hosts[0], "192.0.2.1"));
	assert_true(has_addr(&g.hosts[0], "2001:db8::1"));

	/* two.ferry.test has MX records but no address of its own */
	resolve_host(f, "two.ferry.test", &g);
	assert_int_equal(g.status, DNS_NO_HOST);
	assert_non_null(strstr(g.error, "host two.ferry.test has no address"));

	resolve_host(f, "nowhere.ferry.test", &g);
	assert_int_equal(g.status, DNS_NO_HOST);

	resolve_host(f, "bad..name", &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
}

static void
test_implicit_mx(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "implicit.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 1);
	assert_string_equal(g.hosts[0].name, "implicit.ferry.test");
	assert_int_equal(g.hosts[0].pref, 0);
	assert_int_equal(g.hosts[0].naddrs, 1);
	assert_string_equal(g.hosts[0].addrs[0], "192.0.2.20");

	resolve(f, "implicit6.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 1);
	assert_string_equal(g.hosts[0].addrs[0], "2001:db8::20");

	resolve(f, "bare.ferry.test", &g);
	assert_int_equal(g.status, DNS_NO_HOST);
	assert_non_null(strstr(g.error, "no MX record and no address"));
}

static void
test_null_mx(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "null.ferry.test", &g);
	assert_int_equal(g.status, DNS_NULL_MX);
	assert_non_null(strstr(g.error, "null MX"));
}

static void
test_nxdomain(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "nope.ferry.test", &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
	assert_string_equal(g.error, "domain nope.ferry.test does not exist");
	/* the RFC 6761 zone libunbound serves itself */
	resolve(f, "nowhere.test", &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
}

static void
test_host_without_address(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "noaddr.ferry.test", &g);
	assert_int_equal(g.status, DNS_NO_HOST);
	assert_string_equal(g.error, "no MX host of noaddr.ferry.test has an "
	                             "address");

	resolve(f, "mixed.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 1);
	assert_string_equal(g.hosts[0].name, "real.ferry.test");
	assert_int_equal(g.hosts[0].pref, 20);
}

static void
test_tempfail(void **state)
{
	struct fixture *f = *state;
	struct timespec t0, t1;
	struct got g;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* "refuse" zone */
	resolve(f, "refused.test", &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	assert_string_equal(g.error, "DNS error looking up MX of refused.test: "
	                             "query refused (REFUSED) (5)");
	/* outside every zone, no upstream */
	resolve(f, "example.org", &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	/* the MX host's own lookups fail: retry, not "no host" */
	resolve(f, "brokenmx.ferry.test", &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	assert_non_null(strstr(g.error, "mx.refused.test"));
	/* ... unless another host has an address */
	resolve(f, "halfbroken.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 1);
	assert_string_equal(g.hosts[0].name, "real.ferry.test");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
}

/*
 * A DNS server on 127.0.0.1 for the resolver to forward to: silent, or
 * answering SERVFAIL to every query.
 */
struct fake_server {
	int fd;
	struct event *ev;
	bool servfail;
	int queries;
	char addr[64]; /* "127.0.0.1@port" */
};

static void
fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake_server *fs = arg;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	unsigned char pkt[4096];
	ssize_t n;
	size_t end = 12;

	n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
	             &fromlen);
	if (n < 12)
		return;
	fs->queries++;
	if (!fs->servfail)
		return;
	/* keep the header and the question; drop EDNS */
	while (end < (size_t)n && pkt[end] != 0)
		end += pkt[end] + 1;
	end += 5;
	if (end > (size_t)n)
		return;
	pkt[2] |= 0x80;        /* QR */
	pkt[3] = 0x80 | 2;     /* RA, SERVFAIL */
	memset(pkt + 6, 0, 6); /* no answer, authority, additional */
	(void)sendto(fd, pkt, end, 0, (struct sockaddr *)&from, fromlen);
}

static void
fake_start(struct fake_server *fs, struct event_base *base, bool servfail)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(fs, 0, sizeof(*fs));
	fs->servfail = servfail;
	fs->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fs->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fs->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fs->fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(fs->addr, sizeof(fs->addr), "127.0.0.1@%u",
	         ntohs(sin.sin_port));
	fs->ev = event_new(base, fs->fd, EV_READ | EV_PERSIST, fake_read, fs);
	assert_non_null(fs->ev);
	assert_int_equal(event_add(fs->ev, NULL), 0);
}

static void
fake_stop(struct fake_server *fs)
{
	event_free(fs->ev);
	close(fs->fd);
}

/* One lookup through the fake server; returns the elapsed ms. */
static long
resolve_upstream(bool servfail, unsigned timeout_ms, struct got *g)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r;
	struct fake_server fs;
	struct timespec t0, t1;

	assert_non_null(base);
	fake_start(&fs, base, servfail);
	r = dns_resolver_new(base, "");
	assert_non_null(r);
	assert_int_equal(dns_resolver_set_forwarder(r, fs.addr), 0);
	dns_resolver_set_timeout(r, timeout_ms);
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->expect = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_non_null(dns_resolve_mx(r, "example.org", record, g));
	run_loop(base, SAFETY_MS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(g->calls, 1);
	assert_true(fs.queries > 0);
	dns_resolver_free(r);
	fake_stop(&fs);
	event_base_free(base);
	return (t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

static void
test_servfail(void **state)
{
	struct got g;
	long ms;

	(void)state;
	ms = resolve_upstream(true, SAFETY_MS, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	assert_string_equal(g.error, "DNS error looking up MX of example.org: "
	                             "server failure (SERVFAIL) (2)");
	assert_true(ms < 3000);
}

static void
test_timeout(void **state)
{
	struct got g;
	long ms;

	(void)state;
	ms = resolve_upstream(false, 300, &g);
	assert_int_equal(g.status, DNS_TEMPFAIL);
	assert_string_equal(
	        g.error, "DNS lookup for example.org timed out after 300 ms");
	assert_true(ms >= 250 && ms < 3000);
}

static void
test_invalid_names(void **state)
{
	static const char *const bad[] = {
	        "",
	        ".",
	        "a..b",
	        ".a",
	        "a b.test",
	        "a@b.test",
	        "[192.0.2.1]",
	        "caf\xc3\xa9.test",
	        "x.test..",
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "aaa.test",
	};
	struct fixture *f = *state;
	struct got g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		resolve(f, bad[i], &g);
		assert_int_equal(g.status, DNS_NXDOMAIN);
		assert_non_null(strstr(g.error, "invalid domain"));
	}
}

static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	struct dns_query *q;
	struct got g;

	memset(&g, 0, sizeof(g));
	q = dns_resolve_mx(f->r, "two.ferry.test", record, &g);
	assert_non_null(q);
	dns_query_cancel(q);
	/* an early failure, already scheduled, is cancelled too */
	q = dns_resolve_mx(f->r, "a..b", record, &g);
	assert_non_null(q);
	dns_query_cancel(q);
	run_loop(f->base, 300);
	assert_int_equal(g.calls, 0);
	/* the resolver still works */
	resolve(f, "two.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
}

/* Cancels the other query once its MX answer is in, mid-way. */
static void
cancel_other(void *arg, const struct dns_mx_result *res)
{
	struct got *g = arg;

	dns_query_cancel(g->cancel_me);
	record(g, res);
}

static void
test_cancel_midway(void **state)
{
	struct fixture *f = *state;
	struct got first, second;

	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	first.base = f->base;
	first.expect = 1;
	/* implicit: two address queries; tie: one MX then ten */
	assert_non_null(dns_resolve_mx(f->r, "implicit.ferry.test",
	                               cancel_other, &first));
	first.cancel_me =
	        dns_resolve_mx(f->r, "tie.ferry.test", record, &second);
	assert_non_null(first.cancel_me);
	run_loop(f->base, SAFETY_MS);
	assert_int_equal(first.calls, 1);
	run_loop(f->base, 300);
	assert_int_equal(second.calls, 0);
}

static void
count(void *arg, const struct dns_mx_result *res)
{
	struct got *g = arg;

	if (res->status == DNS_OK && res->nhosts == 2 &&
	    strcmp(res->hosts[0].name, "a.two.ferry.test") == 0)
		g->nhosts++;
	else if (res->status == DNS_NXDOMAIN)
		g->hosts[0].pref++;
	g->calls++;
	if (g->calls >= g->expect)
		event_base_loopbreak(g->base);
}

static void
test_many_in_flight(void **state)
{
	struct fixture *f = *state;
	struct got g;
	int i;

	memset(&g, 0, sizeof(g));
	g.base = f->base;
	g.expect = 200;
	for (i = 0; i < 200; i++) {
		char name[64];

		if (i % 2 == 0)
			snprintf(name, sizeof(name), "two.ferry.test");
		else
			snprintf(name, sizeof(name), "n%d.ferry.test", i);
		assert_non_null(dns_resolve_mx(f->r, name, count, &g));
	}
	run_loop(f->base, SAFETY_MS);
	assert_int_equal(g.calls, 200);
	assert_int_equal(g.nhosts, 100);
	assert_int_equal(g.hosts[0].pref, 100);
}

static void
test_free_in_flight(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = dns_resolver_new(base, "");
	struct got g;
	int i;

	(void)state;
	assert_non_null(r);
	add_data(r);
	memset(&g, 0, sizeof(g));
	for (i = 0; i < 50; i++)
		assert_non_null(dns_resolve_mx(
		        r, i % 2 ? "tie.ferry.test" : "a..b", record, &g));
	dns_resolver_free(r);
	run_loop(base, 200);
	assert_int_equal(g.calls, 0);
	event_base_free(base);
}

/* The first answer frees the resolver while others are in flight. */
static void
free_resolver(void *arg, const struct dns_mx_result *res)
{
	struct got *g = arg;

	record(g, res);
	if (g->free_me != NULL) {
		dns_resolver_free(g->free_me);
		g->free_me = NULL;
	}
}

static void
test_free_from_callback(void **state)
{
	struct event_base *base = event_base_new();
	struct dns_resolver *r = dns_resolver_new(base, "");
	struct got g;
	int i;

	(void)state;
	assert_non_null(r);
	add_data(r);
	memset(&g, 0, sizeof(g));
	g.base = base;
	g.expect = 1;
	g.free_me = r;
	for (i = 0; i < 20; i++)
		assert_non_null(
		        dns_resolve_mx(r, "tie.ferry.test", free_resolver, &g));
	run_loop(base, SAFETY_MS);
	run_loop(base, 200);
	assert_int_equal(g.calls, 1);
	assert_null(g.free_me);
	event_base_free(base);
}

static void
test_local_data_after_start(void **state)
{
	struct fixture *f = *state;
	struct got g;

	resolve(f, "late.ferry.test", &g);
	assert_int_equal(g.status, DNS_NXDOMAIN);
	assert_int_equal(dns_resolver_add_local(
	                         f->r, "late.ferry.test. 60 IN A 192.0.2.40"),
	                 0);
	resolve(f, "late.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_string_equal(g.hosts[0].addrs[0], "192.0.2.40");
}

static void
test_many_mx_hosts(void **state)
{
	struct fixture *f = *state;
	char rr[128];
	struct got g;
	int i;

	for (i = 0; i < 30; i++) {
		snprintf(rr, sizeof(rr),
		         "many.ferry.test. 60 IN MX %d m%d.ferry.test.", i, i);
		assert_int_equal(dns_resolver_add_local(f->r, rr), 0);
		snprintf(rr, sizeof(rr), "m%d.ferry.test. 60 IN A 192.0.2.%d",
		         i, 100 + i);
		assert_int_equal(dns_resolver_add_local(f->r, rr), 0);
	}
	resolve(f, "many.ferry.test", &g);
	assert_int_equal(g.status, DNS_OK);
	assert_int_equal(g.nhosts, 20); /* the 20 best preferences */
	for (i = 0; i < 20; i++)
		assert_int_equal(g.hosts[i].pref, i);
}

static void
test_name_check(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	        {"example.org", "example.org."},
	        {"Example.ORG.", "example.org."},
	        {"localhost", "localhost."},
	        {"_x-1.example", "_x-1.example."},
	};
	char out[DNS_NAME_MAX + 2];
	char long_name[300];
	const char *why = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(dns_name_check(good[i].in, out, &why));
		assert_string_equal(out, good[i].out);
	}
	/* 253 characters pass, 254 do not */
	memset(long_name, 'a', sizeof(long_name));
	for (i = 63; i < 253; i += 64)
		long_name[i] = '.';
	long_name[253] = '\0';
	assert_true(dns_name_check(long_name, out, &why));
	long_name[253] = 'a';
	long_name[254] = '\0';
	assert_false(dns_name_check(long_name, out, &why));
	assert_string_equal(why, "domain longer than 253 characters");
	assert_false(dns_name_check(NULL, out, &why));
}

static void
test_name_from_wire(void **state)
{
	static const unsigned char mx[] = "\x02mx\x07"
	                                  "Example\x03org";
	static const unsigned char root[] = {0};
	static const unsigned char pointer[] = {2, 'm', 'x', 0xc0, 12};
	static const unsigned char truncated[] = {5, 'm', 'x'};
	static const unsigned char space[] = {3, 'a', ' ', 'b', 0};
	char out[DNS_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dns_name_from_wire(mx, sizeof(mx), out), sizeof(mx));
	assert_string_equal(out, "mx.example.org");
	assert_int_equal(dns_name_from_wire(root, sizeof(root), out), 1);
	assert_string_equal(out, "");
	assert_int_equal(dns_name_from_wire(pointer, sizeof(pointer), out), 0);
	assert_int_equal(dns_name_from_wire(truncated, sizeof(truncated), out),
	                 0);
	assert_int_equal(dns_name_from_wire(space, sizeof(space), out), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_two_preferences),
	        T(test_trailing_dot_and_case),
	        T(test_ties_shuffled),
	        T(test_implicit_mx),
	        T(test_host_addresses),
	        T(test_null_mx),
	        T(test_nxdomain),
	        T(test_host_without_address),
	        T(test_tempfail),
	        cmocka_unit_test(test_servfail),
	        cmocka_unit_test(test_timeout),
	        T(test_invalid_names),
	        T(test_cancel),
	        T(test_cancel_midway),
	        T(test_many_in_flight),
	        cmocka_unit_test(test_free_in_flight),
	        cmocka_unit_test(test_free_from_callback),
	        T(test_local_data_after_start),
	        T(test_many_mx_hosts),
	        cmocka_unit_test(test_name_check),
	        cmocka_unit_test(test_name_from_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
