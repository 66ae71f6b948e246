/*
 * arc — Authenticated Received Chain (RFC 8617): the ARC sets of a message,
 * the ARC-Seal hash over them, and sealing a message ferry forwards.
 *
 * arc_chain_parse() finds the sets (ARC-Authentication-Results,
 * ARC-Message-Signature, ARC-Seal with the same i=) and checks the chain's
 * structure (RFC 8617 s5.2 steps 1-3): instances 1..N each complete and
 * once, N <= 50, cv=none at i=1 and cv=pass above, the newest cv not fail.
 * The signatures are checked by the caller, which fetches the keys: the
 * newest AMS with dkim_sig_verify(), each AS with arc_seal_digest() and
 * dkim_sig_check_digest() (mailauth/check.c does it on the loop).
 *
 * arc_seal_message() adds the next set to a message whose verification
 * ferry recorded in its own Authentication-Results field.
 *
 * Errors: -1 or NULL with a static text in *why.  Pure computation, no
 * allocation kept in a chain (it points into the message): any thread.
 */
#ifndef FERRY_DKIM_ARC_H
#define FERRY_DKIM_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ARC_MAX_INSTANCE 50

enum arc_cv { ARC_CV_NONE, ARC_CV_PASS, ARC_CV_FAIL };

/* One header field as it is in the message: name to the end of its last
 * line, without the final CRLF. */
struct arc_field {
	const char *f;
	size_t n;
};

struct arc_set {
	struct arc_field aar, ams, as;
};

struct arc_chain {
	int n;                                    /* newest instance; 0: none */
	struct arc_set set[ARC_MAX_INSTANCE + 1]; /* [1..n] */
};

/*
 * The chain of msg (CRLF lines, header and body).  0: no ARC field at all
 * (n == 0) or a well-formed chain; -1: the chain fails as it stands
 * (*why: "missing ARC set", "duplicate ARC set", "bad instance",
 * "chain already failed", "bad cv"), n then is what was found.
 */
int arc_chain_parse(const char *msg, size_t len, struct arc_chain *c,
                    const char **why);

/*
 * The SHA-256 that the ARC-Seal of instance inst signs (RFC 8617 s5.1.1):
 * the sets 1..inst-1 of c, then aar and ams of inst, each AAR, AMS, AS in
 * that order in relaxed form with CRLF, then as_unsigned (the AS with its
 * b= value emptied) without one.  0 or -1.
 */
int arc_seal_digest(const struct arc_chain *c, int inst,
                    const struct arc_field *aar, const struct arc_field *ams,
                    const char *as_unsigned, unsigned char *dg,
                    unsigned *dglen);

/* The value of tag name in the tag list v..end (RFC 6376 s3.2; a field
 * value after its colon), trimmed, into out; false when it is not there or
 * does not fit. */
bool arc_tag_value(const char *v, const char *end, const char *name, char *out,
                   size_t outlen);

/*
 * The next ARC set for msg, three fields (ARC-Seal, ARC-Message-Signature,
 * ARC-Authentication-Results, CRLF-terminated, heap) to put on top, signed
 * with the first RSA key of key domain domain (selectors in name order).
 * The AAR and cv= come from the Authentication-Results field of msg that
 * claims authserv_id: its arc= result must be pass or none (none: no set
 * yet).  NULL with *why when the message is not to be sealed (not
 * verified, a failed chain, 50 sets) or cannot be.
 */
struct dkim_keys;
char *arc_seal_message(const struct dkim_keys *keys, const char *domain,
                       const char *authserv_id, const char *msg, size_t len,
                       time_t now, const char **why);

#endif
