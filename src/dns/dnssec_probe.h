/*
 * dnssec_probe — is DNSSEC validation possible through the relay's
 * resolver?  ferry validates DNSSEC itself, from a trust anchor
 * ([relay] dnssec_trust_anchor, the root's for real use).  A resolver
 * that does not pass DNSSEC records on (many home routers, container
 * and cloud resolvers) makes every answer bogus; DANE (tls = dane) then
 * acts as opportunistic TLS instead of deferring every message, as
 * Postfix's dane level does behind a resolver that sets no AD bit.
 *
 * The probe validates the DNSKEY RRset of the trust anchor's owner name
 * (the first record of the anchor file: "." for the root, a test zone's
 * apex in tests) with a fresh resolver each time (dnssec_resolver_fn),
 * so no cached failure of an earlier run decides the next.  Secure with
 * keys: available.  Bogus (the resolver gives no signatures or keys),
 * insecure, SERVFAIL or no answer within the resolver's time limit:
 * unavailable, with the reason.  It runs at start, every interval, at
 * once when asked (a reload), and soon after a bogus answer seen while
 * it said available (dnssec_probe_suspect(): a broken resolver, or an
 * attack on one domain; the probe tells which).
 *
 * Each change of state is logged once (event=dnssec-available or
 * event=dnssec-unavailable with the reason, warning level) and reported
 * to the owner's settled callback, which also hears the first answer.
 *
 * The state machine (dnssec_status_*) is plain data, for tests; the
 * driver runs on the event loop.
 *
 * Ownership: the probe owns the resolvers it makes.  Threads: event-loop
 * thread only.
 */
#ifndef FERRY_DNS_DNSSEC_PROBE_H
#define FERRY_DNS_DNSSEC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dns/tlsa.h"

struct event_base;
struct dns_resolver;

enum dnssec_avail {
	DNSSEC_UNKNOWN,     /* no probe has answered yet */
	DNSSEC_AVAILABLE,   /* the anchor's DNSKEY RRset validated */
	DNSSEC_UNAVAILABLE, /* it did not: reason says why */
};

struct dnssec_status {
	enum dnssec_avail avail;
	char zone[256];   /* the trust anchor's owner name, "." for the root */
	char reason[512]; /* unavailable: why */
	time_t since;     /* when avail last changed */
	time_t checked;   /* when a probe last answered */
};

/* "unknown", "available", "unavailable". */
const char *dnssec_avail_name(enum dnssec_avail a);

/*
 * One probe's answer (the status and key count of dns_resolve_dnskey(),
 * its error text).  Returns true when avail changed.
 */
bool dnssec_status_note(struct dnssec_status *s, enum dns_tlsa_status st,
                        size_t nkeys, const char *error, time_t now);

/* Seconds from now to the next probe: interval after the last one started;
 * after a bogus answer while available (suspect), DNSSEC_SUSPECT_GAP after
 * it when that is sooner; 0 when the time is past. */
#define DNSSEC_SUSPECT_GAP 10
unsigned dnssec_next_probe(time_t last_start, unsigned interval, bool suspect,
                           time_t now);

/*
 * The owner name of the first record of a trust anchor file (zone-file
 * syntax, as Debian's root.key: ". IN DNSKEY 257 3 8 ..."), with its
 * trailing dot.  Returns 0, or -1 when the file cannot be read or holds
 * no record.
 */
int dnssec_anchor_owner(const char *path, char *out, size_t len);

/* A new resolver that validates with the trust anchor and asks what the
 * relay asks; NULL on failure. */
typedef struct dns_resolver *(*dnssec_resolver_fn)(void *arg);
typedef void (*dnssec_settled_fn)(void *arg, const struct dnssec_status *s);

struct dnssec_probe;

/*
 * Starts the first probe at once (the answer comes later, on the loop).
 * A trust anchor that cannot be read makes the state unavailable at once,
 * for good (logged).  interval: seconds between probes.  Returns NULL when
 * out of memory.
 */
struct dnssec_probe *dnssec_probe_start(struct event_base *base,
                                        const char *anchor, unsigned interval,
                                        dnssec_resolver_fn make,
                                        dnssec_settled_fn settled, void *arg);
const struct dnssec_status *dnssec_probe_status(const struct dnssec_probe *p);
/* Probe again now (after a reload); nothing if one is running. */
void dnssec_probe_now(struct dnssec_probe *p);
/* A bogus answer was seen: probe again soon if the state is available. */
void dnssec_probe_suspect(struct dnssec_probe *p);
void dnssec_probe_free(struct dnssec_probe *p);

#endif
