/*
 * resolver — asynchronous DNS for delivery, on libunbound inside the event
 * loop (ub_fd() watched by libevent, ub_process() on readiness).  Answers
 * "where does mail for this domain go": the MX hosts in preference order,
 * each with its IPv4/IPv6 addresses, the implicit MX of RFC 5321 s5.1 when
 * there is no MX record, and the null MX of RFC 7505.
 *
 * Tests and offline setups give the resolver its data with
 * dns_resolver_add_local(): records in zone-file syntax, answered by
 * libunbound itself, so no DNS server is needed (dns/resolver_int.h adds
 * whole local zones, a forwarder and the query time limit).
 *
 * Errors: every failure reaches the callback as a status with text;
 * dns_resolve_mx() returns NULL only when out of memory (no callback then).
 * Each lookup is bounded in time (60 s by default): DNS_TEMPFAIL after.
 *
 * Ownership: results passed to the callback are valid during the callback
 * only.  Threads: event-loop thread only.
 */
#ifndef FERRY_DNS_RESOLVER_H
#define FERRY_DNS_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct dns_resolver;
struct dns_query;

enum dns_status {
	DNS_OK,       /* hosts[] holds at least one host with an address */
	DNS_NXDOMAIN, /* the domain does not exist: bounce 5.1.2 */
	DNS_NULL_MX,  /* "MX 0 ." (RFC 7505): bounce 5.1.10 */
	DNS_NO_HOST,  /* no MX host (nor the domain) has an address:
	               * temporary, a host may be renumbered */
	DNS_TEMPFAIL, /* SERVFAIL, timeout, resolver trouble: retry later */
};

struct dns_mx_host {
	char *name; /* MX target, or the domain for an implicit MX */
	int preference;
	char **addrs; /* numeric IPv6 and IPv4 addresses */
	size_t naddrs;
	bool secure; /* its AAAA and A answers validated (DNSSEC) */
};

struct dns_mx_result {
	enum dns_status status;
	struct dns_mx_host *hosts; /* sorted by preference, ties shuffled */
	size_t nhosts;
	const char *error; /* human text for logs and DSNs */
	/* The MX RRset (or, for an implicit MX, its absence) validated
	 * (DNSSEC, with a trust anchor: dns_resolver_set_trust_anchor());
	 * false for dns_resolve_host(). */
	bool secure;
	bool bogus; /* an answer failed DNSSEC validation */
};

typedef void (*dns_mx_cb)(void *arg, const struct dns_mx_result *res);

/*
 * resolv_conf: NULL for /etc/resolv.conf (and /etc/hosts); a path for that
 * file's nameservers; "" for none: local data only, and any other name
 * fails at once with DNS_TEMPFAIL.  Returns NULL on failure.
 */
struct dns_resolver *dns_resolver_new(struct event_base *base,
                                      const char *resolv_conf);
/* The loop the resolver answers on. */
struct event_base *dns_resolver_base(struct dns_resolver *r);
/* Cancels every query in flight; none of their callbacks runs. */
void dns_resolver_free(struct dns_resolver *r);
/*
 * One record in zone-file syntax, e.g. "example.org. 300 IN MX 10 mx.a."
 * Best added before the first query.  Returns 0 or -1.
 */
int dns_resolver_add_local(struct dns_resolver *r, const char *record);

/*
 * DNSSEC: validate answers with the trust anchors of path (a file of DS
 * or DNSKEY records, as Debian's /usr/share/dns/root.key).  Only before
 * the first query.  Returns 0 or -1.
 */
int dns_resolver_set_trust_anchor(struct dns_resolver *r, const char *path);

/*
 * Sends every query that local data does not answer to addr, "IP" or
 * "IP@port" (a validating resolver, or an authoritative server for
 * tests), loopback allowed.  Only before the first query.  Returns 0
 * or -1.
 */
int dns_resolver_set_forwarder(struct dns_resolver *r, const char *addr);

/* After msec (default 60 s), a dns_resolve_mx() or dns_resolve_host() not
 * yet answered ends with DNS_TEMPFAIL. */
void dns_resolver_set_timeout(struct dns_resolver *r, unsigned msec);
unsigned dns_resolver_timeout(const struct dns_resolver *r);

/*
 * The callback always runs later, on the loop, never inside this call, and
 * exactly once unless the query is cancelled.  domain: with or without the
 * trailing dot, in A-labels; not an address literal.
 */
struct dns_query *dns_resolve_mx(struct dns_resolver *r, const char *domain,
                                 dns_mx_cb cb, void *arg);
/*
 * The addresses of one host (AAAA and A, no MX step), as a result with one
 * host; DNS_NXDOMAIN only for a name that cannot be one, DNS_NO_HOST when
 * the name has no address.  Same callback rules as dns_resolve_mx().
 */
struct dns_query *dns_resolve_host(struct dns_resolver *r, const char *host,
                                   dns_mx_cb cb, void *arg);
/* No callback afterwards.  q is invalid once its callback has started. */
void dns_query_cancel(struct dns_query *q);

/*
 * The TXT records of name, each record's strings joined into one text.
 * status: DNS_OK (n >= 1), DNS_NXDOMAIN, DNS_NO_HOST (the name exists
 * without TXT), DNS_TEMPFAIL.  The callback runs later on the loop, exactly
 * once (there is no cancel: keep arg alive until it has run), bounded by
 * libunbound's own time limits.  Returns 0, or -1 (no callback).
 */
typedef void (*dns_txt_cb)(void *arg, enum dns_status status,
                           const char *const *texts, size_t n);
int dns_resolve_txt(struct dns_resolver *r, const char *name, dns_txt_cb cb,
                    void *arg);
/* The same, with the answer's TTL in seconds (of the records, or of the
 * denial; 0 for a temporary failure), for callers that keep the answer. */
typedef void (*dns_txt_ttl_cb)(void *arg, enum dns_status status,
                               const char *const *texts, size_t n,
                               unsigned ttl);
int dns_resolve_txt_ttl(struct dns_resolver *r, const char *name,
                        dns_txt_ttl_cb cb, void *arg);

/*
 * Local data from a file: "zone NAME TYPE" lines declare local zones,
 * other lines are records, lines starting with # are comments.  Returns -1
 * when the file cannot be read.
 */
int dns_resolver_load_file(struct dns_resolver *r, const char *path);

#endif
