/*
 * arc_seal.c — the ARC set ferry adds when it forwards a message received
 * from elsewhere (RFC 8617 s5.1): the ARC-Authentication-Results copies
 * ferry's own Authentication-Results field, the ARC-Message-Signature
 * signs like a DKIM-Signature, the ARC-Seal signs the chain with cv= from
 * the arc= result that field records.  ARC is rsa-sha256 only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/mem.h"
#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "dkim/keys_int.h"
#include "dkim/sign_int.h"

struct ours {
	const char *id;
	const char *v; /* the value from the authserv-id on */
	size_t vn;
};

/* The first Authentication-Results field whose authserv-id is ours:
 * ferry removes any such field that comes from outside. */
static int
ours_cb(void *arg, const char *f, size_t n)
{
	struct ours *o = arg;
	const char *v, *end = f + n;
	size_t il = strlen(o->id);

	if (!dkim_field_is(f, n, "authentication-results"))
		return 0;
	v = memchr(f, ':', n); /* there is one: the name matched */
	for (v++; v < end && isspace((unsigned char)*v); v++)
		;
	if ((size_t)(end - v) < il || strncasecmp(v, o->id, il) != 0 ||
	    (v + il < end && v[il] != ';' && !isspace((unsigned char)v[il])))
		return 0;
	o->v = v;
	o->vn = (size_t)(end - v);
	return 1;
}

/* The cv= the next seal carries: -1 when the chain is not to be sealed. */
static int
next_cv(const struct ours *o, const char **why)
{
	char *r;
	size_t w;
	int cv = -1;

	*why = "no arc= result of ours: not verified";
	if (o->v == NULL)
		return -1;
	r = xmalloc(o->vn + 1); /* the result with its comment and properties */
	if (arc_tag_value(o->v, o->v + o->vn, "arc", r, o->vn + 1)) {
		for (w = 0; isalpha((unsigned char)r[w]); w++)
			;
		r[w] = '\0';
		*why = "the ARC chain did not pass";
		if (strcasecmp(r, "pass") == 0)
			cv = ARC_CV_PASS;
		else if (strcasecmp(r, "none") == 0)
			cv = ARC_CV_NONE;
	}
	free(r);
	return cv;
}

static const struct dkim_key *
rsa_key(const struct dkim_keys *keys, const char *domain)
{
	size_t i;

	for (i = 0; i < keys->n; i++)
		if (strcmp(keys->k[i].domain, domain) == 0 &&
		    keys->k[i].alg == DKIM_RSA_SHA256)
			return &keys->k[i];
	return NULL;
}

static char *
make_ams(const struct dkim_key *k, int inst, const char *msg, size_t len,
         time_t now, const char **why)
{
	char bh[64], h[2048], b64[1400], *field;
	size_t cap;

	*why = "cannot hash the body";
	if (dkim_body_hash(msg, len, bh) < 0)
		return NULL;
	dkim_build_h(msg, len, h, sizeof(h));
	cap = 4096 + strlen(h);
	field = xmalloc(cap);
	snprintf(field, cap,
	         "ARC-Message-Signature: i=%d; a=rsa-sha256; "
	         "c=relaxed/relaxed;\r\n\td=%s; s=%s; t=%lld;\r\n\th=%s;\r\n"
	         "\tbh=%s;\r\n\tb=",
	         inst, k->domain, k->selector, (long long)now, h, bh);
	if (dkim_sign_field(k->pkey, field, h, msg, len, b64, sizeof(b64),
	                    why) < 0) {
		free(field);
		return NULL;
	}
	dkim_append_folded(field, cap, b64);
	return field;
}

static char *
make_as(const struct dkim_key *k, const struct arc_chain *c, int cv,
        const char *aar, const char *ams, time_t now, const char **why)
{
	unsigned char dg[EVP_MAX_MD_SIZE], sig[1024];
	unsigned dgl = 0;
	size_t sigl = sizeof(sig), cap = 4096;
	struct arc_field a = {aar, strlen(aar) - 2}, m = {ams, strlen(ams) - 2};
	char *field = xmalloc(cap), b64[1400];

	snprintf(field, cap,
	         "ARC-Seal: i=%d; a=rsa-sha256; t=%lld; cv=%s;\r\n"
	         "\td=%s; s=%s;\r\n\tb=",
	         c->n + 1, (long long)now, cv == ARC_CV_PASS ? "pass" : "none",
	         k->domain, k->selector);
	*why = "cannot sign the ARC-Seal";
	if (arc_seal_digest(c, c->n + 1, &a, &m, field, dg, &dgl) < 0 ||
	    dkim_sign_digest(k->pkey, dg, dgl, sig, &sigl) < 0 ||
	    4 * ((sigl + 2) / 3) + 1 > sizeof(b64)) {
		free(field);
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)sigl);
	dkim_append_folded(field, cap, b64);
	return field;
}

/* The three fields, AS on top (the order ARC sealers write them). */
static char *
seal(const struct dkim_key *k, const struct arc_chain *c, int cv,
     const struct ours *o, const char *msg, size_t len, time_t now,
     const char **why)
{
	int inst = c->n + 1;
	size_t alen = o->vn + 64;
	char *aar = xmalloc(alen), *ams, *as, *all = NULL;

	snprintf(aar, alen, "ARC-Authentication-Results: i=%d; %.*s\r\n", inst,
	         (int)o->vn, o->v);
	ams = make_ams(k, inst, msg, len, now, why);
	as = ams ? make_as(k, c, cv, aar, ams, now, why) : NULL;
	if (as != NULL) {
		size_t l = strlen(as) + strlen(ams) + strlen(aar) + 1;

		all = xmalloc(l);
		snprintf(all, l, "%s%s%s", as, ams, aar);
	}
	free(aar);
	free(ams);
	free(as);
	return all;
}

char *
arc_seal_message(const struct dkim_keys *keys, const char *domain,
                 const char *authserv_id, const char *msg, size_t len,
                 time_t now, const char **why)
{
	struct ours o = {authserv_id, NULL, 0};
	struct arc_chain *c = xmalloc(sizeof(*c));
	const struct dkim_key *k = rsa_key(keys, domain);
	char *out = NULL;
	int cv;

	dkim_each_field(msg, len, ours_cb, &o);
	if ((cv = next_cv(&o, why)) < 0 ||
	    arc_chain_parse(msg, len, c, why) < 0)
		goto done;
	*why = "the ARC chain changed after it was verified";
	if ((cv == ARC_CV_NONE) != (c->n == 0))
		goto done;
	*why = "the ARC chain has 50 sets";
	if (c->n == ARC_MAX_INSTANCE)
		goto done;
	*why = "no RSA key for the sealing domain";
	if (k != NULL)
		out = seal(k, c, cv, &o, msg, len, now, why);
done:
	free(c);
	return out;
}
