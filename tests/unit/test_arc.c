/*
 * test_arc.c — the ARC chain parser's edge cases (missing, duplicate and
 * out-of-range instances, cv= rules), the order of the ARC-Seal hash, and
 * a seal made by arc_seal_message() checked by ferry's own verifier
 * pieces.  dkimpy's verdicts on real chains are in
 * tests/integration/test_arc.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "dkim/keys_int.h"
#include "dkim/verify.h"

#define BODY "From: a@example.test\r\nSubject: s\r\n\r\nHello.\r\n"

/* One set with the given i= and cv= (the parser reads only those). */
#define SET(i, cv)                                                             \
	"ARC-Seal: i=" i "; a=rsa-sha256; cv=" cv "; d=x.test; s=s; b=AA\r\n"  \
	"ARC-Message-Signature: i=" i "; a=rsa-sha256; d=x.test; s=s;\r\n"     \
	"\th=from; bh=AA; b=AA\r\n"                                            \
	"ARC-Authentication-Results: i=" i "; x.test; dkim=pass "              \
	"header.i=@x.test\r\n"

static int
parse(const char *msg, struct arc_chain *c, const char **why)
{
	*why = NULL;
	return arc_chain_parse(msg, strlen(msg), c, why);
}

static void
test_no_chain(void **state)
{
	struct arc_chain c;
	const char *why;

	assert_int_equal(parse(BODY, &c, &why), 0);
	assert_int_equal(c.n, 0);
	/* A field that only starts like one is not an ARC field. */
	assert_int_equal(parse("ARC-Sealed: i=1\r\n" BODY, &c, &why), 0);
	assert_int_equal(c.n, 0);
}

static void
test_well_formed(void **state)
{
	static const char msg[] = SET("2", "pass") SET("1", "none") BODY;
	struct arc_chain c;
	const char *why;

	assert_int_equal(parse(msg, &c, &why), 0);
	assert_int_equal(c.n, 2);
	assert_true(strncmp(c.set[2].as.f, "ARC-Seal: i=2", 13) == 0);
	assert_true(strncmp(c.set[1].aar.f, "ARC-Authentication-Results: i=1",
	                    31) == 0);
	/* The field runs to the end of its folded lines, CRLF excluded. */
	assert_memory_equal(c.set[2].ams.f + c.set[2].ams.n - 4, "b=AA", 4);
	/* Names are case-insensitive, sets may come in any order. */
	static const char mixed[] = "arc-seal: i=1; cv=none; b=A\r\n"
	                            "ARC-MESSAGE-SIGNATURE: i=1; b=A\r\n"
	                            "Arc-Authentication-Results: i = 1 ; x\r\n"
	                            "Received: x\r\n" BODY;
	assert_int_equal(parse(mixed, &c, &why), 0);
	assert_int_equal(c.n, 1);
}

static void
test_structure_failures(void **state)
{
	static const struct {
		const char *msg, *why;
		int n;
	} cases[] = {
	        /* RFC 8617 s5.2 step 1: every instance up to the newest. */
	        {SET("3", "pass") SET("1", "none") BODY, "missing ARC set", 3},
	        {SET("2", "pass") BODY, "missing ARC set", 2},
	        {"ARC-Seal: i=1; cv=none; b=A\r\n"
	         "ARC-Authentication-Results: i=1; x\r\n" BODY,
	         "missing ARC set", 1},
	        /* Each field once per instance. */
	        {SET("1", "none") "ARC-Message-Signature: i=1; b=B\r\n" BODY,
	         "duplicate ARC set", 1},
	        /* i= is 1..50, digits, present. */
	        {SET("51", "pass") BODY, "bad instance", 0},
	        {SET("0", "none") BODY, "bad instance", 0},
	        {SET("1x", "none") BODY, "bad instance", 0},
	        {SET("100", "pass") BODY, "bad instance", 0},
	        {"ARC-Seal: a=rsa-sha256; cv=none\r\n" BODY, "bad instance", 0},
	        /* Step 2: the newest seal says the chain failed before. */
	        {SET("2", "fail") SET("1", "none") BODY, "chain already failed",
	         2},
	        /* cv=fail below the top propagates: the chain is broken. */
	        {SET("3", "pass") SET("2", "fail") SET("1", "none") BODY,
	         "bad cv", 3},
	        /* Step 3: i=1 says none, every later one pass. */
	        {SET("1", "pass") BODY, "bad cv", 1},
	        {SET("2", "none") SET("1", "none") BODY, "bad cv", 2},
	        {SET("1", "maybe") BODY, "bad cv", 1},
	};
	struct arc_chain c;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].msg, &c, &why), -1);
		if (strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: %s, want %s", i, why, cases[i].why);
		assert_int_equal(c.n, cases[i].n);
	}
}

static void
test_fifty_sets(void **state)
{
	char *msg = malloc(50 * 300 + 100), *p = msg;
	struct arc_chain c;
	const char *why;
	int i;

	for (i = 50; i >= 1; i--)
		p += sprintf(p,
		             "ARC-Seal: i=%d; cv=%s; b=A\r\n"
		             "ARC-Message-Signature: i=%d; b=A\r\n"
		             "ARC-Authentication-Results: i=%d; x\r\n",
		             i, i == 1 ? "none" : "pass", i, i);
	strcpy(p, BODY);
	assert_int_equal(parse(msg, &c, &why), 0);
	assert_int_equal(c.n, 50);
	free(msg);
}

static void
test_tag_value(void **state)
{
	static const char v[] = " i=2; x.test; dkim=pass header.i=@x; "
	                        "arc = pass (i=1) ;cv=none";
	char out[64];

	assert_true(arc_tag_value(v, v + strlen(v), "i", out, sizeof(out)));
	assert_string_equal(out, "2");
	assert_true(arc_tag_value(v, v + strlen(v), "arc", out, sizeof(out)));
	assert_string_equal(out, "pass (i=1)");
	assert_true(arc_tag_value(v, v + strlen(v), "cv", out, sizeof(out)));
	assert_string_equal(out, "none");
	assert_false(arc_tag_value(v, v + strlen(v), "d", out, sizeof(out)));
	assert_false(arc_tag_value(v, v + strlen(v), "arc", out, 4));
}

/* RFC 8617 s5.1.1: sets in increasing instance order, AAR, AMS, AS
 * each, relaxed, the AS being signed last without its CRLF. */
static void
test_seal_digest_order(void **state)
{
	static const char msg[] = SET("1", "none") BODY;
	static const char want[] =
	        "arc-authentication-results:i=1; x.test; dkim=pass "
	        "header.i=@x.test\r\n"
	        "arc-message-signature:i=1; a=rsa-sha256; d=x.test; s=s; "
	        "h=from; bh=AA; b=AA\r\n"
	        "arc-seal:i=1; a=rsa-sha256; cv=none; d=x.test; s=s; b=AA\r\n"
	        "arc-authentication-results:i=2; y\r\n"
	        "arc-message-signature:i=2; b=BB\r\n"
	        "arc-seal:i=2; cv=pass; b=";
	static const char aar[] = "ARC-Authentication-Results: i=2;  y";
	static const char ams[] = "ARC-Message-Signature:  i=2;\r\n\tb=BB";
	struct arc_field a = {aar, sizeof(aar) - 1}, m = {ams, sizeof(ams) - 1};
	unsigned char dg[EVP_MAX_MD_SIZE], exp[EVP_MAX_MD_SIZE];
	unsigned dgl = 0, expl = 0;
	struct arc_chain c;
	const char *why;

	assert_int_equal(parse(msg, &c, &why), 0);
	assert_int_equal(arc_seal_digest(&c, 2, &a, &m,
	                                 "ARC-Seal: i=2; cv=pass; b=", dg,
	                                 &dgl),
	                 0);
	EVP_Digest(want, strlen(want), exp, &expl, EVP_sha256(), NULL);
	assert_int_equal(dgl, expl);
	assert_memory_equal(dg, exp, dgl);
	/* An instance beyond the chain plus one is refused. */
	assert_int_equal(arc_seal_digest(&c, 3, &a, &m, "x: y", dg, &dgl), -1);
}

static struct dkim_keys *
one_rsa_key(void)
{
	struct dkim_keys *ks = calloc(1, sizeof(*ks));

	ks->k = calloc(1, sizeof(*ks->k));
	ks->n = 1;
	ks->k[0].domain = strdup("fwd.test");
	ks->k[0].selector = strdup("arc");
	ks->k[0].pkey = EVP_RSA_gen(2048);
	ks->k[0].alg = DKIM_RSA_SHA256;
	assert_non_null(ks->k[0].pkey);
	return ks;
}

/* What the sealer wrote passes ferry's verifier: structure, AMS, AS. */
static void
check_sealed(const char *sealed, const char *record, int n)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dgl = 0;
	struct arc_chain c;
	struct dkim_sig ams, as;
	const char *why;

	assert_int_equal(parse(sealed, &c, &why), 0);
	assert_int_equal(c.n, n);
	assert_int_equal(dkim_sig_parse_arc(c.set[n].ams.f, c.set[n].ams.n,
	                                    false, &ams, &why),
	                 0);
	assert_int_equal(
	        dkim_sig_verify(&ams, record, sealed, strlen(sealed), &why),
	        DKIM_PASS);
	assert_int_equal(dkim_sig_parse_arc(c.set[n].as.f, c.set[n].as.n, true,
	                                    &as, &why),
	                 0);
	assert_int_equal(arc_seal_digest(&c, n, &c.set[n].aar, &c.set[n].ams,
	                                 as.unsigned_field, dg, &dgl),
	                 0);
	assert_int_equal(dkim_sig_check_digest(&as, record, dg, dgl, &why),
	                 DKIM_PASS);
	dkim_sig_free(&ams);
	dkim_sig_free(&as);
}

static char *
seal(const struct dkim_keys *ks, const char *msg, const char **why)
{
	char *fields = arc_seal_message(ks, "fwd.test", "mx.fwd.test", msg,
	                                strlen(msg), 1700000000, why);
	char *all;

	if (fields == NULL)
		return NULL;
	all = malloc(strlen(fields) + strlen(msg) + 1);
	strcpy(all, fields);
	strcat(all, msg);
	free(fields);
	return all;
}

static void
test_seal_round_trip(void **state)
{
	struct dkim_keys *ks = one_rsa_key();
	char *record = dkim_public_txt(ks->k[0].pkey), *one, *two, *again;
	const char *why;

	one = seal(ks,
	           "Authentication-Results: other.test; arc=fail\r\n"
	           "Authentication-Results: mx.fwd.test; spf=pass\r\n"
	           "\tsmtp.mailfrom=a.test; arc=none; dmarc=none\r\n" BODY,
	           &why);
	assert_non_null(one);
	assert_non_null(strstr(one, "ARC-Seal: i=1; a=rsa-sha256; "
	                            "t=1700000000; cv=none;"));
	assert_non_null(strstr(one, "ARC-Authentication-Results: i=1; "
	                            "mx.fwd.test; spf=pass\r\n"
	                            "\tsmtp.mailfrom=a.test; arc=none"));
	check_sealed(one, record, 1);
	/* The next hop (here the same server) found the chain passing. */
	again = malloc(strlen(one) + 256);
	/* The result as ferry writes it, with a long comment and properties
	 * folded onto the next line. */
	sprintf(again,
	        "Authentication-Results: mx.fwd.test; arc=pass\r\n"
	        "\t(i=1 sealer=a-rather-long-name-of-a-sealer.example.org)\r\n"
	        "\tsmtp.remote-ip=2001:db8::1234:5678 "
	        "header.oldest-pass=0\r\n%s",
	        one);
	two = seal(ks, again, &why);
	assert_non_null(two);
	assert_non_null(
	        strstr(two, "i=2; a=rsa-sha256; t=1700000000; cv=pass"));
	check_sealed(two, record, 2);
	free(two);
	free(again);
	free(one);
	free(record);
	dkim_keys_free(ks);
}

static void
test_not_sealed(void **state)
{
	static const struct {
		const char *msg, *why;
	} cases[] = {
	        {BODY, "no arc= result of ours: not verified"},
	        {"Authentication-Results: other.test; arc=none\r\n" BODY,
	         "no arc= result of ours: not verified"},
	        {"Authentication-Results: mx.fwd.test; arc=fail (x)\r\n" BODY,
	         "the ARC chain did not pass"},
	        {"Authentication-Results: mx.fwd.test; arc=temperror\r\n" BODY,
	         "the ARC chain did not pass"},
	        {"Authentication-Results: mx.fwd.test; arc=pass\r\n" BODY,
	         "the ARC chain changed after it was verified"},
	        {"Authentication-Results: mx.fwd.test; arc=none\r\n" SET(
	                 "1", "none") BODY,
	         "the ARC chain changed after it was verified"},
	};
	struct dkim_keys *ks = one_rsa_key();
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(seal(ks, cases[i].msg, &why));
		assert_string_equal(why, cases[i].why);
	}
	/* An Ed25519 key alone cannot seal: ARC is rsa-sha256. */
	EVP_PKEY_free(ks->k[0].pkey);
	ks->k[0].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ks->k[0].alg = DKIM_ED25519_SHA256;
	assert_null(seal(
	        ks, "Authentication-Results: mx.fwd.test; arc=none\r\n" BODY,
	        &why));
	assert_string_equal(why, "no RSA key for the sealing domain");
	dkim_keys_free(ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_chain),
	        cmocka_unit_test(test_well_formed),
	        cmocka_unit_test(test_structure_failures),
	        cmocka_unit_test(test_fifty_sets),
	        cmocka_unit_test(test_tag_value),
	        cmocka_unit_test(test_seal_digest_order),
	        cmocka_unit_test(test_seal_round_trip),
	        cmocka_unit_test(test_not_sealed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
