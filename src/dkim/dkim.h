/*
 * dkim — DKIM signatures (RFC 6376) with rsa-sha256 and ed25519-sha256
 * (RFC 8463), relaxed/relaxed canonicalization, on OpenSSL.
 *
 * Keys live in a directory (config [dkim] key_dir) as DIR/DOMAIN/SELECTOR.pem,
 * written by `ferry dkim keygen`; the PEM says whether a key is RSA or
 * Ed25519.  A domain with several keys gets one signature per key.
 *
 * dkim_sign_message() computes the DKIM-Signature fields for a whole message
 * (CRLF line ends, header and body); the caller prepends them.  The message
 * is not changed.  Pure computation: any thread.
 *
 * Errors: functions return NULL or -1 and set *error_r to a static text.
 */
#ifndef FERRY_DKIM_DKIM_H
#define FERRY_DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct dkim_keys;
typedef struct evp_pkey_st EVP_PKEY;

enum dkim_alg { DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };

/* Every DIR/DOMAIN/SELECTOR.pem; an empty or missing directory gives an
 * empty set (nothing is signed). */
struct dkim_keys *dkim_keys_load(const char *dir, const char **error_r);
void dkim_keys_free(struct dkim_keys *keys);
size_t dkim_keys_count(const struct dkim_keys *keys);
/* The i-th key (i < dkim_keys_count()): its domain, selector and key,
 * owned by the set. */
void dkim_keys_at(const struct dkim_keys *keys, size_t i, const char **domain,
                  const char **selector, EVP_PKEY **pkey);
/* The key domain that signs for mail domain dom: dom itself or its closest
 * parent with a key, or NULL. */
const char *dkim_keys_domain_for(const struct dkim_keys *keys, const char *dom);

/* The key domain that signs this outbound message, or NULL when it is not
 * to be signed (policy.c says which mail qualifies). */
struct config;
struct envelope;
const char *dkim_signing_domain(const struct dkim_keys *keys,
                                const struct config *cfg,
                                const struct envelope *env, const char *msg,
                                size_t len);
/* The key domain that ARC-seals this message (dkim/arc.h), or NULL: mail
 * received from outside, checked ([mailauth] verify) and forwarded to a
 * remote address, sealed for the server's host name or its closest
 * parent with keys. */
const char *dkim_arc_sealing_domain(const struct dkim_keys *keys,
                                    const struct config *cfg,
                                    const struct envelope *env, bool forwarded);
/* addr is inside one of the comma-separated CIDR networks of list. */
bool dkim_in_networks(const char *list, const char *addr);

/* The DKIM-Signature fields (CRLF-terminated, heap) of every key of
 * domain; NULL with *error_r on failure or when the domain has no key. */
char *dkim_sign_message(const struct dkim_keys *keys, const char *domain,
                        const char *msg, size_t len, time_t now,
                        const char **error_r);

/*
 * The pieces, for tests and for `ferry dkim`.
 * dkim_body_hash: base64 of the SHA-256 of the relaxed body (RFC 6376
 *   s3.4.4) of a whole message (the body starts after the first empty line).
 * dkim_sign_field: the b= value for field (an unsigned DKIM-Signature field
 *   whose last tag is "b=" with no value, as it will appear in the message),
 *   over the header fields of msg named in the colon-separated list h.
 *   out gets base64 (at least 700 bytes for RSA-4096).
 * dkim_public_txt: the TXT record "v=DKIM1; k=...; p=..." for a key.
 * dkim_record_p_value: the p= value of a key record, white space removed
 *   ("" when it has none), to compare a published key with ours.
 * dkim_alg_of: the algorithm a key signs with, or -1.
 */
int dkim_body_hash(const char *msg, size_t len, char out[64]);
int dkim_sign_field(EVP_PKEY *key, const char *field, const char *h,
                    const char *msg, size_t len, char *out, size_t outlen,
                    const char **error_r);
char *dkim_public_txt(EVP_PKEY *key);
void dkim_record_p_value(const char *rec, char *out, size_t outlen);
int dkim_alg_of(EVP_PKEY *key);

/* Relaxed header canonicalization (RFC 6376 s3.4.2) of one field as it
 * appears (name, colon, value, folding; without the final CRLF) appended to
 * out; returns the bytes appended or -1 if it does not fit. */
long dkim_canon_header(const char *field, size_t len, char *out, size_t outlen);

/* The address of the one author in the one From field (domain lower-cased);
 * false if there is no From, more than one, or more than one author. */
bool dkim_from_address(const char *msg, size_t len, char *out, size_t outlen);

/* Calls fn for each header field of msg (folded lines included, CRLF
 * excluded), top to bottom; stops when fn returns non-zero. */
void dkim_each_field(const char *msg, size_t len,
                     int (*fn)(void *arg, const char *f, size_t n), void *arg);

#endif
