/*
 * resolver_int — settings of the resolver for tests and offline setups.
 * Not part of the public interface; include it only from tests and from
 * code that builds a resolver for tests.
 *
 * Local data: best given before the first dns_resolve_mx(), when it goes
 * into the resolver's configuration.  Later additions go straight into the
 * running resolver; libunbound 1.17 then loses the parent link of a zone
 * added below an existing one (a name under the new zone that is not in it
 * is resolved upstream instead of answered by the outer zone), so add
 * late zones outermost first or, better, not at all.
 *
 * Zone types (unbound.conf(5) "local-zone"), and what dns_resolve_mx()
 * makes of them when a name in the zone has no local data:
 *   "static"  NXDOMAIN, or NODATA for a name that has other types:
 *             DNS_NXDOMAIN / implicit MX / a host without address;
 *   "refuse"  REFUSED at once: DNS_TEMPFAIL (the way to make a lookup
 *             fail in tests);
 *   "deny"    in the background mode used here libunbound reports the
 *             dropped query as error UB_NOMEM: DNS_TEMPFAIL with the
 *             misleading text "out of memory"; prefer "refuse";
 *   "always_nxdomain"  NXDOMAIN even where local data exists.
 * A real SERVFAIL or a timeout needs an upstream: point
 * dns_resolver_set_forwarder() at a UDP socket on 127.0.0.1 that answers
 * SERVFAIL, or never answers (tests/unit/test_dns.c has such a server).
 *
 * A resolver made with resolv_conf "" also has a zone "." of type "refuse",
 * so a name outside every zone given fails at once (DNS_TEMPFAIL) instead
 * of being sent to the root servers; unless the local data declares the
 * zone "." itself (e.g. "static": every unknown name is NXDOMAIN).
 */
#ifndef FERRY_DNS_RESOLVER_INT_H
#define FERRY_DNS_RESOLVER_INT_H

#include "dns/resolver.h"

/* Default limit on one dns_resolve_mx(), all sub-queries included. */
#define DNS_TIMEOUT_MS_DEFAULT 60000

/* zone: "test." or "test"; type: as above.  Returns 0 or -1. */
int dns_resolver_add_local_zone(struct dns_resolver *r, const char *zone,
                                const char *type);

/* For the other lookups of the module (lookup.c): the libunbound
 * context, configured and started. */
struct ub_ctx;
struct ub_ctx *dns_resolver_ub(struct dns_resolver *r);

/* lookup.c: frees the lookups of r libunbound still had; called by
 * dns_resolver_free() once libunbound is gone (it never answers them). */
void dns_lookup_abandon(struct dns_resolver *r);

#endif
