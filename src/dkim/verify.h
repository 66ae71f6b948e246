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
	int alg;                                      /* enum dkim_alg */
	bool relaxed_h, relaxed_b;
	char *unsigned_field; /* the field with the b= value emptied */
};

int dkim_sig_parse(const char *field, size_t n, struct dkim_sig *s,
                   const char **why);
void dkim_sig_free(struct dkim_sig *s);
enum dkim_result dkim_sig_verify(const struct dkim_sig *s, const char *record,
                                 const char *msg, size_t len, const char **why);
/* h (a colon-separated list) names the field. */
bool dkim_h_has(const char *h, const char *name);

#endif
