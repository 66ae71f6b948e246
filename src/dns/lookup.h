/*
 * lookup — one DNS question of any type, for the client checks of the
 * policy (reverse DNS, forward confirmation, DNS block and allow lists,
 * the sender's domain).  Uses the resolver's libunbound context, local
 * data included (resolver.h, resolver_int.h).
 *
 * The callback runs on the loop, never inside dns_lookup(), exactly once:
 * with the answer, or DNS_LOOKUP_TEMPFAIL after timeout_ms.  Lookups still
 * in flight when the resolver is freed never call back.
 *
 * Answers (NXDOMAIN and NODATA included, temporary failures not) are kept
 * in a small process-wide cache for their TTL, at most 5 minutes (negative
 * ones at least 1 minute), so a client's second message costs no trip to
 * libunbound.
 *
 * Ownership: the result lives during the callback only.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_DNS_LOOKUP_H
#define FERRY_DNS_LOOKUP_H

#include <stddef.h>

struct dns_resolver;

#define DNS_RR_A 1
#define DNS_RR_PTR 12
#define DNS_RR_MX 15
#define DNS_RR_AAAA 28
#define DNS_RR_TLSA 52

enum dns_lookup_status {
	DNS_LOOKUP_OK,       /* answers[] holds at least one answer */
	DNS_LOOKUP_NODATA,   /* the name exists, without that type */
	DNS_LOOKUP_NXDOMAIN, /* the name does not exist */
	DNS_LOOKUP_TEMPFAIL, /* SERVFAIL, timeout, resolver trouble */
};

/* Answers as text: addresses (A, AAAA), names without the trailing dot
 * (PTR, MX exchange), "USAGE SELECTOR MTYPE HEX" (TLSA, data of at most
 * 256 bytes: digests and keys, not whole certificates). */
struct dns_lookup_result {
	enum dns_lookup_status status;
	char **answers;
	size_t n;
};

typedef void (*dns_lookup_cb)(void *arg, const struct dns_lookup_result *r);

/* name: the full query name; returns -1 (and never calls back) when the
 * lookup cannot start. */
int dns_lookup(struct dns_resolver *r, const char *name, int rrtype,
               unsigned timeout_ms, dns_lookup_cb cb, void *arg);

/* Forget every cached answer (at shutdown, so nothing is left allocated). */
void dns_lookup_cache_clear(void);

/* The reverse name of an IPv4 or IPv6 address under suffix, as
 * "4.3.2.1.in-addr.arpa" (suffix NULL) or "4.3.2.1.zen.example" for a DNS
 * list.  Returns -1 for something that is not an address. */
int dns_reverse_name(const char *ip, const char *suffix, char *out, size_t len);

#endif
