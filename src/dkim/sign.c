/*
 * sign.c — the DKIM-Signature field: which header fields it covers, the
 * hash over them (RFC 6376 s3.7) and the signature, RSA PKCS#1 v1.5 or
 * Ed25519 over the SHA-256 hash (RFC 8463 s3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkim/dkim.h"
#include "dkim/dkim_int.h"
#include "dkim/keys_int.h"
#include "dkim/sign_int.h"

/* What good signers cover.  The oversigned names are listed once more than
 * they occur, so nobody can add another (a second From, a Subject ahead of
 * ours) without breaking the signature. */
static const struct {
	const char *name;
	bool oversign;
} signed_fields[] = {
        {"from", true},
        {"reply-to", true},
        {"subject", true},
        {"date", true},
        {"to", true},
        {"cc", true},
        {"sender", false},
        {"message-id", false},
        {"in-reply-to", false},
        {"references", false},
        {"mime-version", true},
        {"content-type", true},
        {"content-transfer-encoding", true},
        {"list-id", false},
        {"list-unsubscribe", false},
        {"list-unsubscribe-post", false},
};

#define MAX_FIELDS 1000

struct field_list {
	const char *f[MAX_FIELDS];
	size_t n[MAX_FIELDS];
	bool used[MAX_FIELDS];
	size_t count;
};

static int
collect_cb(void *arg, const char *f, size_t n)
{
	struct field_list *fl = arg;

	if (fl->count == MAX_FIELDS)
		return 1;
	fl->f[fl->count] = f;
	fl->n[fl->count] = n;
	fl->used[fl->count] = false;
	fl->count++;
	return 0;
}

int
dkim_hash_field(EVP_MD_CTX *md, const char *f, size_t n, bool crlf,
                bool relaxed)
{
	char *buf = malloc(n + 4);
	long c;

	if (buf == NULL)
		abort();
	if (relaxed) {
		c = dkim_canon_header(f, n, buf, n + 4);
	} else {
		memcpy(buf, f, n); /* simple: as it is (RFC 6376 s3.4.1) */
		c = (long)n;
	}
	if (c >= 0) {
		if (crlf) {
			buf[c++] = '\r';
			buf[c++] = '\n';
		}
		EVP_DigestUpdate(md, buf, (size_t)c);
	}
	free(buf);
	return c < 0 ? -1 : 0;
}

/* Each name of h picks the lowest unused instance (RFC 6376 s5.4.2). */
static int
hash_selected(EVP_MD_CTX *md, struct field_list *fl, const char *h,
              bool relaxed)
{
	const char *p = h;

	while (*p) {
		char name[128];
		size_t k = 0, i;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		while (*p && *p != ':' && *p != ' ' && *p != '\t' &&
		       *p != '\r' && *p != '\n' && k + 1 < sizeof(name))
			name[k++] = *p++;
		name[k] = '\0';
		while (*p && *p != ':')
			p++;
		if (*p == ':')
			p++;
		if (k == 0)
			continue;
		for (i = fl->count; i-- > 0;) {
			if (!fl->used[i] &&
			    dkim_field_is(fl->f[i], fl->n[i], name)) {
				fl->used[i] = true;
				if (dkim_hash_field(md, fl->f[i], fl->n[i],
				                    true, relaxed) < 0)
					return -1;
				break;
			}
		}
	}
	return 0;
}

int
dkim_sign_digest(EVP_PKEY *key, const unsigned char *dg, size_t dglen,
                 unsigned char *sig, size_t *siglen)
{
	int ok = 0;

	if (dkim_alg_of(key) == DKIM_ED25519_SHA256) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		ok = c && EVP_DigestSignInit(c, NULL, NULL, NULL, key) == 1 &&
		     EVP_DigestSign(c, sig, siglen, dg, dglen) == 1;
		EVP_MD_CTX_free(c);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);

		ok = c && EVP_PKEY_sign_init(c) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(c, sig, siglen, dg, dglen) == 1;
		EVP_PKEY_CTX_free(c);
	}
	return ok ? 0 : -1;
}

int
dkim_header_digest(const char *field, size_t flen, const char *h,
                   const char *msg, size_t len, bool relaxed, unsigned char *dg,
                   unsigned *dglen)
{
	struct field_list *fl = malloc(sizeof(*fl));
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (fl == NULL || md == NULL)
		abort();
	fl->count = 0;
	dkim_each_field(msg, len, collect_cb, fl);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    hash_selected(md, fl, h, relaxed) == 0 &&
	    dkim_hash_field(md, field, flen, false, relaxed) == 0 &&
	    EVP_DigestFinal_ex(md, dg, dglen) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	free(fl);
	return rc;
}

int
dkim_sign_field(EVP_PKEY *key, const char *field, const char *h,
                const char *msg, size_t len, char *out, size_t outlen,
                const char **error_r)
{
	unsigned char dg[EVP_MAX_MD_SIZE], sig[1024];
	unsigned dglen = 0;
	size_t siglen = sizeof(sig);

	*error_r = "cannot hash the header";
	if (dkim_header_digest(field, strlen(field), h, msg, len, true, dg,
	                       &dglen) < 0)
		return -1;
	*error_r = "cannot sign";
	if (dkim_sign_digest(key, dg, dglen, sig, &siglen) < 0 ||
	    4 * ((siglen + 2) / 3) + 1 > outlen)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
	return 0;
}

struct count_arg {
	const char *name;
	int n;
};

static int
count_cb(void *arg, const char *f, size_t n)
{
	struct count_arg *c = arg;

	if (dkim_field_is(f, n, c->name))
		c->n++;
	return 0;
}

void
dkim_build_h(const char *msg, size_t len, char *h, size_t hlen)
{
	size_t i, used = 0;

	h[0] = '\0';
	for (i = 0; i < sizeof(signed_fields) / sizeof(signed_fields[0]); i++) {
		struct count_arg c = {signed_fields[i].name, 0};
		int k;

		dkim_each_field(msg, len, count_cb, &c);
		if (c.n > 20)
			c.n = 20;
		if (signed_fields[i].oversign)
			c.n++;
		for (k = 0; k < c.n; k++) {
			int w = snprintf(h + used, hlen - used, "%s%s",
			                 used ? ":" : "", c.name);
			if (w < 0 || (size_t)w >= hlen - used)
				return;
			used += (size_t)w;
		}
	}
}

void
dkim_append_folded(char *out, size_t outlen, const char *b64)
{
	size_t used = strlen(out), l = strlen(b64), i;

	for (i = 0; i < l && used + 5 < outlen; i++) {
		if (i > 0 && i % 72 == 0) {
			out[used++] = '\r';
			out[used++] = '\n';
			out[used++] = '\t';
		}
		out[used++] = b64[i];
	}
	memcpy(out + used, "\r\n", 3);
}

static char *
sign_one(const struct dkim_key *k, const char *msg, size_t len, const char *bh,
         const char *h, time_t now, const char **error_r)
{
	size_t cap = 4096 + strlen(h);
	char *field = malloc(cap), b64[1400];

	if (field == NULL)
		abort();
	snprintf(field, cap,
	         "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed; d=%s;\r\n"
	         "\ts=%s; t=%lld;\r\n\th=%s;\r\n\tbh=%s;\r\n\tb=",
	         k->alg == DKIM_ED25519_SHA256 ? "ed25519-sha256"
	                                       : "rsa-sha256",
	         k->domain, k->selector, (long long)now, h, bh);
	if (dkim_sign_field(k->pkey, field, h, msg, len, b64, sizeof(b64),
	                    error_r) < 0) {
		free(field);
		return NULL;
	}
	dkim_append_folded(field, cap, b64);
	return field;
}

char *
dkim_sign_message(const struct dkim_keys *keys, const char *domain,
                  const char *msg, size_t len, time_t now, const char **error_r)
{
	char bh[64], h[2048], *all = NULL;
	size_t i, used = 0;

	*error_r = "no key for the domain";
	if (dkim_body_hash(msg, len, bh) < 0) {
		*error_r = "cannot hash the body";
		return NULL;
	}
	dkim_build_h(msg, len, h, sizeof(h));
	for (i = 0; i < keys->n; i++) {
		const struct dkim_key *k = &keys->k[i];
		char *one;
		size_t l;

		if (strcmp(k->domain, domain) != 0)
			continue;
		one = sign_one(k, msg, len, bh, h, now, error_r);
		if (one == NULL) {
			free(all);
			return NULL;
		}
		l = strlen(one);
		all = realloc(all, used + l + 1);
		if (all == NULL)
			abort();
		memcpy(all + used, one, l + 1);
		used += l;
		free(one);
	}
	return all;
}
