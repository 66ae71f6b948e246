/*
 * sts — MTA-STS (RFC 8461): a domain's policy, published as a DNS TXT
 * record `_mta-sts.DOMAIN` ("v=STSv1; id=...") and a policy file served
 * over HTTPS at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, saying
 * which MX hosts the domain has and whether mail to them must go over TLS
 * with a certificate that verifies (mode enforce), is only to be reported
 * (testing) or nothing (none).
 *
 * sts_policy_parse() and sts_mx_matches() are pure.  The store fetches
 * policies on the event loop (libunbound for the TXT and the address,
 * libevent's HTTP client over OpenSSL with the certificate of
 * mta-sts.DOMAIN verified), keeps them in memory for their max_age and
 * on disk under a directory, so that they survive restarts (RFC 8461
 * s5.1), and refetches one when its TXT id changes or it is within a day
 * of expiring.
 *
 * Errors: parse returns -1 with the reason; a lookup always calls back
 * (with no policy when there is none, or none could be had).
 * Ownership: a policy given to a callback lives during the callback.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_STS_STS_H
#define FERRY_STS_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

struct event_base;
struct dns_resolver;

enum sts_mode { STS_MODE_NONE, STS_MODE_TESTING, STS_MODE_ENFORCE };

struct sts_policy {
	enum sts_mode mode;
	char **mx; /* patterns: "mx.example.org" or "*.example.org" */
	size_t nmx;
	long max_age; /* seconds */
	char id[33];  /* the TXT record's id when it was fetched */
	time_t expires;
};

/* RFC 8461 s3.2.  Returns 0, or -1 with why in err. */
int sts_policy_parse(const char *text, size_t len, struct sts_policy *p,
                     char *err, size_t errlen);
void sts_policy_clear(struct sts_policy *p);
void sts_policy_copy(struct sts_policy *dst, const struct sts_policy *src);
/* RFC 8461 s4.1: does the MX host name match one of the patterns? */
bool sts_mx_matches(const struct sts_policy *p, const char *host);
/* How long a _mta-sts TXT answer of this TTL is used again: its TTL,
 * at least 5 seconds and at most an hour. */
unsigned sts_txt_reuse(unsigned ttl);
/* The id of a "v=STSv1; id=..." TXT record (s3.1); -1 if it is not one. */
int sts_txt_id(const char *txt, char *id, size_t len);
const char *sts_mode_name(enum sts_mode m);

struct sts_store;
struct sts_lookup;

/* dir: where policies are kept (made when missing); ca_file: the CAs
 * the policy hosts' certificates are verified with (NULL: the system's). */
struct sts_store *sts_store_new(struct event_base *base,
                                struct dns_resolver *dns, const char *dir,
                                const char *ca_file);
void sts_store_free(struct sts_store *s);

/* A TLS client context (1.2 minimum) that verifies the server's
 * certificate against ca_file (NULL: the system's CAs): the policy
 * fetches here, and the https reports of TLS-RPT.  NULL on failure. */
SSL_CTX *sts_https_ctx(const char *ca_file);

/* Why a policy the TXT record announced could not be had (RFC 8460
 * s4.3.2.2): not fetched (no address, no connection, not 200), not
 * valid (not text/plain, too large, does not parse), or the policy
 * host's certificate did not verify. */
enum sts_failure {
	STS_FAIL_NONE,
	STS_FAIL_FETCH,
	STS_FAIL_INVALID,
	STS_FAIL_WEBPKI,
};

/* p NULL: the domain has no usable policy.  fail: why the announced
 * policy could not be fetched (with why, a text), even when a cached p
 * is used instead; STS_FAIL_NONE (why NULL) otherwise. */
typedef void (*sts_cb)(void *arg, const struct sts_policy *p,
                       enum sts_failure fail, const char *why);
/* The callback runs later on the loop, exactly once unless cancelled. */
struct sts_lookup *sts_lookup(struct sts_store *s, const char *domain,
                              sts_cb cb, void *arg);
void sts_lookup_cancel(struct sts_lookup *l);

#endif
