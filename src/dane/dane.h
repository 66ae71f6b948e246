/*
 * dane — DANE for SMTP (RFC 7672, RFC 7671): what the DNSSEC-validated
 * TLSA records of an MX host demand of the TLS session to it, and the
 * OpenSSL side of it (the TLSA records are matched by OpenSSL's own DANE
 * code, SSL_dane_enable()).
 *
 * A policy is made from one TLSA lookup (dns/tlsa.h), asked only for a
 * host whose MX and address records validated (the caller's part,
 * RFC 7672 s2.2):
 *   - secure with at least one usable record (DANE-TA(2) or DANE-EE(3),
 *     selector 0/1, matching type 0/1/2): DANE_VERIFY, TLS is required
 *     and the peer must match a record;
 *   - secure, records present but none usable (PKIX-TA/EE usages are not
 *     for SMTP, RFC 7672 s3.1.3): DANE_ENCRYPT, TLS required without
 *     authentication (RFC 7672 s2.2);
 *   - secure denial, or insecure: DANE_OFF, the normal TLS policy;
 *   - bogus, or the lookup failed: DANE_DEFER, nothing is sent to that
 *     host now (RFC 7672 s2.2: never in clear).
 * DANE-EE matches are not checked against the name (RFC 7672 s3.1.1);
 * DANE-TA chains must name the MX host (s3.2.2).
 *
 * Errors: -1 with the reason in errbuf.  Ownership: a policy owns its
 * records and reason; dane_policy_clear() frees them.
 * Threads: any (no shared state but the lazily made SSL_CTX, which is for
 * the event-loop thread).
 */
#ifndef FERRY_DANE_DANE_H
#define FERRY_DANE_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "dns/tlsa.h"

enum dane_mode {
	DANE_OFF,     /* no DANE: the configured TLS policy */
	DANE_VERIFY,  /* TLS, authenticated by the TLSA records */
	DANE_ENCRYPT, /* TLS, unauthenticated (no usable record) */
	DANE_DEFER,   /* bogus or failed lookup: no delivery to this host */
};

struct dane_rr {
	uint8_t usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

struct dane_policy {
	enum dane_mode mode;
	struct dane_rr *rrs; /* the usable records (DANE_VERIFY) */
	size_t n;
	char *reason; /* DANE_DEFER: why */
};

#define DANE_USAGE_TA 2
#define DANE_USAGE_EE 3

/* Is this record one DANE for SMTP uses (RFC 7672 s3.1)? */
bool dane_rr_usable(uint8_t usage, uint8_t selector, uint8_t mtype);

/* The policy a TLSA lookup calls for (p is overwritten). */
void dane_policy_set(struct dane_policy *p, const struct dns_tlsa_result *r);
void dane_policy_copy(struct dane_policy *dst, const struct dane_policy *src);
void dane_policy_clear(struct dane_policy *p);
bool dane_policy_same(const struct dane_policy *a, const struct dane_policy *b);
/* "verify", "encrypt", ... for logs. */
const char *dane_mode_name(enum dane_mode m);

/* The client context for DANE sessions: no trust store (the records are
 * the trust anchors), DANE enabled; NULL on failure. */
SSL_CTX *dane_tls_ctx(void);
/* Before the handshake: the records of p, host as the name a DANE-TA
 * chain must carry.  Returns 0 or -1. */
int dane_tls_prepare(SSL *ssl, const char *host, const struct dane_policy *p,
                     char *errbuf, size_t errlen);
/* After the handshake: 0 when the peer matched a record, else -1 and
 * why. */
int dane_tls_check(SSL *ssl, const char *host, char *errbuf, size_t errlen);

#endif
