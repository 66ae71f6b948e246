/* sign_int.h — helpers of the signer, shared with its tests. */
#ifndef FERRY_DKIM_SIGN_INT_H
#define FERRY_DKIM_SIGN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* True if field f (n bytes) has the given (lower-case) name. */
bool dkim_field_is(const char *f, size_t n, const char *name);
#include "dkim/dkim.h" /* dkim_from_address() */

/* The signature (RSA PKCS#1 v1.5 or Ed25519, by the key) of a SHA-256
 * digest; 0 or -1. */
int dkim_sign_digest(EVP_PKEY *key, const unsigned char *dg, size_t dglen,
                     unsigned char *sig, size_t *siglen);
/* Field f (n bytes) canonicalized (relaxed or simple) into md, with a
 * CRLF when crlf; 0, or -1 for a field that does not canonicalize. */
int dkim_hash_field(EVP_MD_CTX *md, const char *f, size_t n, bool crlf,
                    bool relaxed);
/* The h= list for this message: present names, oversigned ones once more. */
void dkim_build_h(const char *msg, size_t len, char *h, size_t hlen);
/* Appends b64 to out (a C string) folded in lines of at most 72
 * characters, then CRLF. */
void dkim_append_folded(char *out, size_t outlen, const char *b64);

#endif
