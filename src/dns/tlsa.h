/*
 * tlsa — the TLSA records of a TLS service (RFC 6698), with what DNSSEC
 * says of them: the lookup DANE for SMTP needs (RFC 7672 s2.2), on the
 * resolver's libunbound context (local data, forwarder and trust anchor
 * included, see resolver.h).
 *
 * The callback runs on the loop, never inside dns_resolve_tlsa(), exactly
 * once unless the lookup is cancelled; DNS_TLSA_TEMPFAIL after the
 * resolver's time limit.  Each record's data is raw (the certificate, key
 * or digest bytes).
 *
 * Errors: dns_resolve_tlsa() returns NULL when out of memory or when the
 * name cannot be made (no callback then).
 * Ownership: the result lives during the callback only.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_DNS_TLSA_H
#define FERRY_DNS_TLSA_H

#include <stddef.h>
#include <stdint.h>

struct dns_resolver;
struct dns_tlsa_query;

enum dns_tlsa_status {
	DNS_TLSA_SECURE,   /* validated: records, or their proven absence */
	DNS_TLSA_INSECURE, /* not signed (no trust anchor above it) */
	DNS_TLSA_BOGUS,    /* DNSSEC validation failed */
	DNS_TLSA_TEMPFAIL, /* SERVFAIL, timeout, resolver trouble */
};

struct dns_tlsa_rr {
	uint8_t usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

struct dns_tlsa_result {
	enum dns_tlsa_status status;
	const struct dns_tlsa_rr *rrs; /* DNS_TLSA_SECURE only; may be 0 */
	size_t n;
	const char *error; /* why, for BOGUS and TEMPFAIL */
};

typedef void (*dns_tlsa_cb)(void *arg, const struct dns_tlsa_result *res);

/* The records of _PORT._tcp.HOST. */
struct dns_tlsa_query *dns_resolve_tlsa(struct dns_resolver *r,
                                        const char *host, int port,
                                        dns_tlsa_cb cb, void *arg);
/*
 * The DNSKEY RRset of zone ("." for the root), for what DNSSEC says of it
 * (the availability probe, dns/dnssec_probe.h): SECURE with n the number
 * of keys (rrs stays NULL), or another status.  Same callback rules.
 */
struct dns_tlsa_query *dns_resolve_dnskey(struct dns_resolver *r,
                                          const char *zone, dns_tlsa_cb cb,
                                          void *arg);
/* No callback afterwards; q is invalid once its callback has started. */
void dns_tlsa_cancel(struct dns_tlsa_query *q);

#endif
