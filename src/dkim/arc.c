/*
 * arc.c — the ARC sets of a message and the structure of their chain
 * (RFC 8617 s4.2, s5.2 steps 1-3), and the hash an ARC-Seal signs.  Only
 * the i= and cv= tags are read here; the rest of a field is the
 * verifier's (dkim_sig_parse_arc).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "dkim/sign_int.h"

static bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Segments without '=' (the authserv-id of an AAR) are skipped, and the
 * first tag of the name wins: i= leads an AAR, whose results may say
 * "header.i=" later. */
bool
arc_tag_value(const char *v, const char *end, const char *name, char *out,
              size_t outlen)
{
	size_t nl = strlen(name);

	while (v < end) {
		const char *semi = memchr(v, ';', (size_t)(end - v));
		const char *tend = semi ? semi : end, *p = v, *q;

		while (p < tend && is_fws(*p))
			p++;
		if ((size_t)(tend - p) > nl && memcmp(p, name, nl) == 0) {
			for (q = p + nl; q < tend && is_fws(*q); q++)
				;
			if (q < tend && *q == '=') {
				size_t o = 0;

				for (q++; q < tend && is_fws(*q); q++)
					;
				while (tend > q && is_fws(tend[-1]))
					tend--;
				if ((size_t)(tend - q) >= outlen)
					return false;
				while (q < tend)
					out[o++] = *q++;
				out[o] = '\0';
				return true;
			}
		}
		v = semi ? semi + 1 : end;
	}
	return false;
}

/* 1..50, digits only; 0 when it is not a valid instance. */
static int
instance_of(const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	char v[8];
	size_t l;

	if (colon == NULL ||
	    !arc_tag_value(colon + 1, f + n, "i", v, sizeof(v)))
		return 0;
	l = strlen(v);
	if (l == 0 || l > 2 || strspn(v, "0123456789") != l)
		return 0;
	return atoi(v) <= ARC_MAX_INSTANCE ? atoi(v) : 0;
}

struct collect {
	struct arc_chain *c;
	const char *why;
};

static int
collect_cb(void *arg, const char *f, size_t n)
{
	struct collect *co = arg;
	struct arc_field *slot;
	int i;

	if (n < 4 || strncasecmp(f, "ARC-", 4) != 0)
		return 0;
	if (!dkim_field_is(f, n, "arc-seal") &&
	    !dkim_field_is(f, n, "arc-message-signature") &&
	    !dkim_field_is(f, n, "arc-authentication-results"))
		return 0;
	if ((i = instance_of(f, n)) == 0) {
		co->why = "bad instance";
		return 1;
	}
	if (dkim_field_is(f, n, "arc-seal"))
		slot = &co->c->set[i].as;
	else if (dkim_field_is(f, n, "arc-message-signature"))
		slot = &co->c->set[i].ams;
	else
		slot = &co->c->set[i].aar;
	if (slot->f != NULL) {
		co->why = "duplicate ARC set";
		return 1;
	}
	slot->f = f;
	slot->n = n;
	if (i > co->c->n)
		co->c->n = i;
	return 0;
}

/* The cv= of an ARC-Seal, or -1. */
static int
cv_of(const struct arc_field *as)
{
	const char *colon = memchr(as->f, ':', as->n);
	char v[16];

	if (colon == NULL ||
	    !arc_tag_value(colon + 1, as->f + as->n, "cv", v, sizeof(v)))
		return -1;
	if (strcasecmp(v, "none") == 0)
		return ARC_CV_NONE;
	if (strcasecmp(v, "pass") == 0)
		return ARC_CV_PASS;
	if (strcasecmp(v, "fail") == 0)
		return ARC_CV_FAIL;
	return -1;
}

int
arc_chain_parse(const char *msg, size_t len, struct arc_chain *c,
                const char **why)
{
	struct collect co = {c, NULL};
	int i;

	memset(c, 0, sizeof(*c));
	dkim_each_field(msg, len, collect_cb, &co);
	if ((*why = co.why) != NULL)
		return -1;
	for (i = 1; i <= c->n; i++)
		if (!c->set[i].aar.f || !c->set[i].ams.f || !c->set[i].as.f) {
			*why = "missing ARC set";
			return -1;
		}
	if (c->n > 0 && cv_of(&c->set[c->n].as) == ARC_CV_FAIL) {
		*why = "chain already failed";
		return -1;
	}
	for (i = 1; i <= c->n; i++)
		if (cv_of(&c->set[i].as) !=
		    (i == 1 ? ARC_CV_NONE : ARC_CV_PASS)) {
			*why = "bad cv";
			return -1;
		}
	return 0;
}

/* ARC fields are hashed relaxed (RFC 8617 s5.1.1). */
static int
hash_field(EVP_MD_CTX *md, const char *f, size_t n, bool crlf)
{
	return dkim_hash_field(md, f, n, crlf, true);
}

int
arc_seal_digest(const struct arc_chain *c, int inst,
                const struct arc_field *aar, const struct arc_field *ams,
                const char *as_unsigned, unsigned char *dg, unsigned *dglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int i, rc = -1;

	if (md == NULL)
		abort();
	if (inst < 1 || inst - 1 > c->n ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 1; i < inst; i++) {
		const struct arc_set *s = &c->set[i];

		if (hash_field(md, s->aar.f, s->aar.n, true) < 0 ||
		    hash_field(md, s->ams.f, s->ams.n, true) < 0 ||
		    hash_field(md, s->as.f, s->as.n, true) < 0)
			goto out;
	}
	if (hash_field(md, aar->f, aar->n, true) == 0 &&
	    hash_field(md, ams->f, ams->n, true) == 0 &&
	    hash_field(md, as_unsigned, strlen(as_unsigned), false) == 0 &&
	    EVP_DigestFinal_ex(md, dg, dglen) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}
