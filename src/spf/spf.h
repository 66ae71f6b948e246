/*
 * spf — Sender Policy Framework (RFC 7208): may this IP address send mail
 * for this domain?  check_host() of RFC 7208 s4, evaluated on ferry's
 * asynchronous DNS (dns/resolver.h, dns/lookup.h, local data included),
 * so the event loop never waits for it.
 *
 * Limits of RFC 7208 s4.6.4: at most 10 terms that cause DNS lookups
 * (include, a, mx, ptr, exists, redirect), at most 10 MX or PTR names per
 * mechanism, at most 2 lookups that find nothing ("void"); going over is a
 * permerror.  The explanation (exp=) of a fail is fetched and expanded.
 *
 * Errors: every outcome reaches the callback, temporary DNS trouble as
 * SPF_TEMPERROR; spf_check_host() returns NULL only when out of memory or
 * when the resolver refuses the first query (no callback then).
 *
 * Ownership: the outcome lives during the callback only.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_SPF_H
#define FERRY_SPF_H

struct dns_resolver;
struct spf_check;

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

struct spf_outcome {
	enum spf_result result;
	const char *domain;      /* the domain checked */
	const char *explanation; /* fail: the domain's exp= text or ours */
	const char *reason;      /* the term that matched, or what went wrong */
};

#define SPF_CHECK_TIMEOUT_S 20

typedef void (*spf_done_fn)(void *arg, const struct spf_outcome *o);

/*
 * ip: the client's address as text (IPv4, IPv6, IPv4-mapped IPv6).
 * domain: the identity checked: the MAIL FROM domain, or the HELO name
 * (then sender is "postmaster@" HELO).  sender: the MAIL FROM address
 * (local@domain; without "@" the local part is "postmaster").  helo: the
 * HELO/EHLO name (%{h}), may be NULL.  limit_s: the whole check's time
 * limit (SPF_CHECK_TIMEOUT_S, RFC 7208 s4.6.4's 20 s, unless configured),
 * temperror after.  The callback runs later, on the loop, exactly once
 * unless cancelled.
 */
struct spf_check *spf_check_host(struct dns_resolver *r, const char *ip,
                                 const char *domain, const char *sender,
                                 const char *helo, unsigned limit_s,
                                 spf_done_fn cb, void *arg);
/* No callback afterwards; c is invalid once its callback has started. */
void spf_check_cancel(struct spf_check *c);

/* Frees what cancelled checks still hold for queries in flight; only
 * after the resolver they used is freed (it never answers them then). */
void spf_forget_abandoned(void);

/* "pass", "fail", ... as in Received-SPF and Authentication-Results. */
const char *spf_result_name(enum spf_result r);

#endif
