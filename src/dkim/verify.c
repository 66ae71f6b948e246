/*
 * verify.c — checking one DKIM-Signature field (RFC 6376 s6.1) against the
 * key record published for it: tags, body hash, header hash, signature,
 * rsa-sha256 and ed25519-sha256, simple and relaxed canonicalization.  The
 * record is fetched by the caller (DNS is not done here).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/str.h"
#include "dkim/dkim.h"
#include "dkim/dkim_int.h"
#include "dkim/verify.h"

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
dkim_each_tag(const char *p, const char *end,
              int (*fn)(void *arg, const char *n, size_t nl, const char *v,
                        size_t vl),
              void *arg)
{
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *tend = semi ? semi : end, *eq, *n = p, *v;
		size_t nl, vl;

		eq = memchr(p, '=', (size_t)(tend - p));
		while (n < tend && is_fws(*n))
			n++;
		if (eq == NULL) {
			if (n != tend)
				return -1; /* a tag without '=' */
		} else {
			for (nl = (size_t)(eq - n); nl > 0 && is_fws(n[nl - 1]);
			     nl--)
				;
			for (v = eq + 1; v < tend && is_fws(*v); v++)
				;
			for (vl = (size_t)(tend - v);
			     vl > 0 && is_fws(v[vl - 1]); vl--)
				;
			if (nl == 0 || fn(arg, n, nl, v, vl) < 0)
				return -1;
		}
		p = semi ? semi + 1 : end;
	}
	return 0;
}

/* Copies a value with all folding white space removed. */
static char *
dup_nows(const char *v, size_t vl)
{
	char *out = malloc(vl + 1);
	size_t i, o = 0;

	if (out == NULL)
		abort();
	for (i = 0; i < vl; i++)
		if (!is_fws(v[i]))
			out[o++] = v[i];
	out[o] = '\0';
	return out;
}

static bool
tag_is(const char *n, size_t nl, const char *name)
{
	return nl == strlen(name) && memcmp(n, name, nl) == 0;
}

static int
sig_tag(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct dkim_sig *s = arg;
	char **slot = NULL;

	if (tag_is(n, nl, "v"))
		slot = &s->v;
	else if (tag_is(n, nl, "a"))
		slot = &s->a;
	else if (tag_is(n, nl, "b"))
		slot = &s->b;
	else if (tag_is(n, nl, "bh"))
		slot = &s->bh;
	else if (tag_is(n, nl, "c"))
		slot = &s->c;
	else if (tag_is(n, nl, "d"))
		slot = &s->d;
	else if (tag_is(n, nl, "h"))
		slot = &s->h;
	else if (tag_is(n, nl, "i"))
		slot = &s->i;
	else if (tag_is(n, nl, "l"))
		slot = &s->l;
	else if (tag_is(n, nl, "s"))
		slot = &s->s;
	else if (tag_is(n, nl, "cv"))
		slot = &s->cv;
	if (slot == NULL)
		return 0; /* unknown tags are ignored (s3.2) */
	if (*slot != NULL)
		return -1; /* a tag twice: permerror */
	*slot = (slot == &s->b || slot == &s->bh) ? dup_nows(v, vl)
	                                          : str_ndup(v, vl);
	return 0;
}

void
dkim_sig_free(struct dkim_sig *s)
{
	free(s->v);
	free(s->a);
	free(s->b);
	free(s->bh);
	free(s->c);
	free(s->d);
	free(s->h);
	free(s->i);
	free(s->l);
	free(s->s);
	free(s->cv);
	free(s->unsigned_field);
	memset(s, 0, sizeof(*s));
}

/* The field with the b= value removed, as it is hashed (s3.7). */
static char *
strip_b(const char *f, size_t n)
{
	const char *p = memchr(f, ':', n), *end = f + n;
	char *out = malloc(n + 1);
	size_t o;

	if (out == NULL)
		abort();
	memcpy(out, f, n);
	out[n] = '\0';
	while (p != NULL && p < end) {
		const char *t = p + 1, *q;

		while (t < end && is_fws(*t))
			t++;
		q = t + 1;
		while (q < end && is_fws(*q))
			q++;
		if (t < end && *t == 'b' && q < end && *q == '=') {
			const char *semi = memchr(q, ';', (size_t)(end - q));
			o = (size_t)(q + 1 - f);
			memcpy(out + o, semi ? semi : end,
			       (size_t)(end - (semi ? semi : end)));
			out[o + (size_t)(end - (semi ? semi : end))] = '\0';
			return out;
		}
		p = memchr(p + 1, ';', (size_t)(end - p - 1));
	}
	free(out);
	return NULL;
}

static int
parse_tags(const char *field, size_t n, struct dkim_sig *s, const char **why)
{
	const char *colon = memchr(field, ':', n);

	memset(s, 0, sizeof(*s));
	*why = "bad tag list";
	return colon == NULL || dkim_each_tag(colon + 1, field + n, sig_tag,
	                                      s) < 0
	               ? -1
	               : 0;
}

/* a=, c= and the field with b= emptied; c= defaults to def_relaxed. */
static int
parse_alg_canon(const char *field, size_t n, struct dkim_sig *s,
                bool def_relaxed, const char **why)
{
	*why = "unsupported algorithm";
	if (strcmp(s->a, "rsa-sha256") == 0)
		s->alg = DKIM_RSA_SHA256;
	else if (strcmp(s->a, "ed25519-sha256") == 0)
		s->alg = DKIM_ED25519_SHA256;
	else
		return -1;
	*why = "unsupported canonicalization";
	s->relaxed_h = s->relaxed_b = def_relaxed;
	if (s->c) {
		char *slash = strchr(s->c, '/');
		const char *hc = s->c, *bc = slash ? slash + 1 : "simple";

		if (slash)
			*slash = '\0';
		if ((strcmp(hc, "relaxed") != 0 && strcmp(hc, "simple") != 0) ||
		    (strcmp(bc, "relaxed") != 0 && strcmp(bc, "simple") != 0))
			return -1;
		s->relaxed_h = strcmp(hc, "relaxed") == 0;
		s->relaxed_b = strcmp(bc, "relaxed") == 0;
	}
	*why = "no b= tag";
	s->unsigned_field = strip_b(field, n);
	return s->unsigned_field ? 0 : -1;
}

int
dkim_sig_parse(const char *field, size_t n, struct dkim_sig *s,
               const char **why)
{
	if (parse_tags(field, n, s, why) < 0)
		return -1;
	*why = "missing tag";
	if (!s->v || !s->a || !s->b || !s->bh || !s->d || !s->h || !s->s)
		return -1;
	*why = "unsupported version";
	if (strcmp(s->v, "1") != 0)
		return -1;
	*why = "From is not signed";
	if (!dkim_h_has(s->h, "from"))
		return -1;
	if (parse_alg_canon(field, n, s, false, why) < 0)
		return -1;
	*why = "i= is not in d=";
	if (s->i) {
		const char *at = strrchr(s->i, '@');
		size_t il, dl = strlen(s->d);

		if (at == NULL)
			return -1;
		at++;
		il = strlen(at);
		if (il < dl || strcasecmp(at + il - dl, s->d) != 0 ||
		    (il > dl && at[il - dl - 1] != '.'))
			return -1;
	}
	return 0;
}

/* An instance tag: 1..50 (RFC 8617 s4.2.1), digits only. */
static bool
arc_instance_ok(const char *i)
{
	size_t l = strlen(i);

	return l > 0 && l <= 2 && strspn(i, "0123456789") == l &&
	       atoi(i) >= 1 && atoi(i) <= 50;
}

int
dkim_sig_parse_arc(const char *field, size_t n, bool seal, struct dkim_sig *s,
                   const char **why)
{
	if (parse_tags(field, n, s, why) < 0)
		return -1;
	*why = "missing tag";
	if (!s->i || !s->a || !s->b || !s->d || !s->s ||
	    (seal ? !s->cv : (!s->bh || !s->h)))
		return -1;
	*why = "bad instance";
	if (!arc_instance_ok(s->i))
		return -1;
	if (seal) {
		*why = "h= in an ARC-Seal";
		if (s->h || s->c)
			return -1;
	} else {
		*why = "the ARC-Message-Signature signs an ARC-Seal";
		if (dkim_h_has(s->h, "arc-seal"))
			return -1;
	}
	/* ARC uses relaxed canonicalization unless c= says otherwise; an
	 * AMS without c= is read as dkimpy and OpenARC sign it. */
	return parse_alg_canon(field, n, s, true, why);
}

bool
dkim_h_has(const char *h, const char *name)
{
	size_t l = strlen(name);

	while (h && *h) {
		while (is_fws(*h) || *h == ':')
			h++;
		if (strncasecmp(h, name, l) == 0 &&
		    (h[l] == '\0' || h[l] == ':' || is_fws(h[l])))
			return true;
		h = strchr(h, ':');
	}
	return false;
}

struct keyrec {
	char *k, *p, *v;
};

static int
key_tag(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct keyrec *r = arg;

	if (tag_is(n, nl, "k") && !r->k)
		r->k = str_ndup(v, vl);
	else if (tag_is(n, nl, "p") && !r->p)
		r->p = dup_nows(v, vl);
	else if (tag_is(n, nl, "v") && !r->v)
		r->v = str_ndup(v, vl);
	return 0;
}

static EVP_PKEY *
record_key(const char *rec, int alg, const char **why)
{
	struct keyrec r = {0};
	unsigned char raw[1200];
	const unsigned char *p = raw;
	EVP_PKEY *key = NULL;
	int n;

	*why = "bad key record";
	if (dkim_each_tag(rec, rec + strlen(rec), key_tag, &r) < 0 ||
	    r.p == NULL || (r.v && strcmp(r.v, "DKIM1") != 0))
		goto out;
	*why = "key revoked";
	if (r.p[0] == '\0')
		goto out;
	*why = "key type does not match a=";
	if ((alg == DKIM_ED25519_SHA256) !=
	    (r.k != NULL && strcmp(r.k, "ed25519") == 0))
		goto out;
	*why = "bad key data";
	if (strlen(r.p) > 1600)
		goto out;
	n = EVP_DecodeBlock(raw, (const unsigned char *)r.p, (int)strlen(r.p));
	if (n < 0)
		goto out;
	n -= (int)(strlen(r.p) - strcspn(r.p, "=")); /* padding */
	if (alg == DKIM_ED25519_SHA256)
		key = n == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		                                            NULL, raw, 32)
		              : NULL;
	else
		key = d2i_PUBKEY(NULL, &p, n);
out:
	free(r.k);
	free(r.p);
	free(r.v);
	return key;
}

static bool
verify_digest(EVP_PKEY *key, int alg, const unsigned char *dg, unsigned dgl,
              const unsigned char *sig, size_t sigl)
{
	bool ok;

	if (alg == DKIM_ED25519_SHA256) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, key) == 1 &&
		     EVP_DigestVerify(c, sig, sigl, dg, dgl) == 1;
		EVP_MD_CTX_free(c);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);

		ok = c && EVP_PKEY_verify_init(c) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		     EVP_PKEY_verify(c, sig, sigl, dg, dgl) == 1;
		EVP_PKEY_CTX_free(c);
	}
	return ok;
}

enum dkim_result
dkim_sig_verify(const struct dkim_sig *s, const char *record, const char *msg,
                size_t len, const char **why)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	char bh[100];
	unsigned dgl = 0;
	long limit = s->l ? atol(s->l) : -1;

	if (dkim_body_digest(msg, len, s->relaxed_b, limit, dg, &dgl) < 0) {
		*why = "cannot hash the body";
		return DKIM_TEMPERROR;
	}
	EVP_EncodeBlock((unsigned char *)bh, dg, (int)dgl);
	if (strcmp(bh, s->bh) != 0) {
		*why = "body hash did not verify";
		return DKIM_FAIL;
	}
	if (dkim_header_digest(s->unsigned_field, strlen(s->unsigned_field),
	                       s->h, msg, len, s->relaxed_h, dg, &dgl) < 0) {
		*why = "cannot hash the header";
		return DKIM_TEMPERROR;
	}
	return dkim_sig_check_digest(s, record, dg, dgl, why);
}

enum dkim_result
dkim_sig_check_digest(const struct dkim_sig *s, const char *record,
                      const unsigned char *dg, unsigned dgl, const char **why)
{
	unsigned char sig[1200];
	int sigl;
	EVP_PKEY *key;
	bool ok;

	if ((key = record_key(record, s->alg, why)) == NULL)
		return DKIM_PERMERROR;
	if (strlen(s->b) > 1500 ||
	    (sigl = EVP_DecodeBlock(sig, (const unsigned char *)s->b,
	                            (int)strlen(s->b))) < 0) {
		EVP_PKEY_free(key);
		*why = "bad b= value";
		return DKIM_PERMERROR;
	}
	sigl -= (int)(strlen(s->b) - strcspn(s->b, "="));
	ok = verify_digest(key, s->alg, dg, dgl, sig, (size_t)sigl);
	EVP_PKEY_free(key);
	*why = ok ? "good signature" : "signature did not verify";
	return ok ? DKIM_PASS : DKIM_FAIL;
}
