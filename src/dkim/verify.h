/*
 * verify — one DKIM-Signature field checked against its key record
 * (RFC 6376 s6.1).  Parse with dkim_sig_parse() (-1: the signature is
 * unusable, a permerror, *why says why), fetch the TXT record at
 * S._domainkey.D, then dkim_sig_verify().  Pure computation: any thread.
 */
#ifndef FERRY_DKIM_VERIFY_H
#define FERRY_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

enum dkim_result {
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_PERMERROR,
	DKIM_TEMPERROR,
};

struct dkim_sig {
	char *v, *a, *b, *bh, *c, *d, *h, *i, *l, *s; /* raw tag values */
	char *cv;                                     /* ARC-Seal only */
	int alg;                                      /* enum dkim_alg */
	bool relaxed_h, relaxed_b;
	char *unsigned_field; /* the field with the b= value emptied */
};

int dkim_sig_parse(const char *field, size_t n, struct dkim_sig *s,
                   const char **why);
void dkim_sig_free(struct dkim_sig *s);
/* An ARC-Message-Signature (seal false) or ARC-Seal (true), RFC 8617
 * s4.1.2, s4.1.3: i= an instance 1..50, no v=; an AMS never signs an
 * ARC-Seal; an AS has cv= and neither h= nor c=.  -1 as above. */
int dkim_sig_parse_arc(const char *field, size_t n, bool seal,
                       struct dkim_sig *s, const char **why);
enum dkim_result dkim_sig_verify(const struct dkim_sig *s, const char *record,
                                 const char *msg, size_t len, const char **why);
/* The signature of s (its a=, b=) over the digest dg, with the key of
 * record: what dkim_sig_verify() does after hashing, for the ARC-Seal,
 * whose hash covers the ARC sets (dkim/arc.h). */
enum dkim_result dkim_sig_check_digest(const struct dkim_sig *s,
                                       const char *record,
                                       const unsigned char *dg, unsigned dgl,
                                       const char **why);
/* Calls fn(name, value) for each tag of a tag list (RFC 6376 s3.2), white
 * space around names and values trimmed; the value may hold folding.
 * -1 on a malformed list or when fn returns < 0. */
int dkim_each_tag(const char *p, const char *end,
                  int (*fn)(void *arg, const char *n, size_t nl, const char *v,
                            size_t vl),
                  void *arg);
/* h (a colon-separated list) names the field. */
bool dkim_h_has(const char *h, const char *name);

#endif
