/*
 * test_dkim.c — DKIM signing pieces: relaxed canonicalization, the body
 * hash, the From domain, and the RFC 8463 appendix A example, whose
 * Ed25519 signature is deterministic and must come out byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "dkim/dkim.h"
#include "dkim/sign_int.h"
#include "dkim/verify.h"

/* RFC 8463 appendix A: the message, its signature field and the key. */
#define RFC8463_BODY                                                           \
	"From: Joe SixPack <joe@football.example.com>\r\n"                     \
	"To: Suzie Q <suzie@shopping.example.net>\r\n"                         \
	"Subject: Is dinner ready?\r\n"                                        \
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"                      \
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"     \
	"\r\n"                                                                 \
	"Hi.\r\n"                                                              \
	"\r\n"                                                                 \
	"We lost the game.  Are you hungry yet?\r\n"                           \
	"\r\n"                                                                 \
	"Joe.\r\n"

static const char rfc8463_field[] =
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
        " d=football.example.com; i=@football.example.com;\r\n"
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
        " subject : date : message-id : from : subject : date;\r\n"
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
        " b=";
static const char rfc8463_b[] = "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehS"
                                "whEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
static const char rfc8463_priv[] =
        "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
static const char rfc8463_pub[] =
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static EVP_PKEY *
rfc8463_key(void)
{
	unsigned char raw[48];
	int n = EVP_DecodeBlock(raw, (const unsigned char *)rfc8463_priv,
	                        (int)strlen(rfc8463_priv));

	assert_int_equal(n, 33); /* 32 bytes and one of base64 padding */
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
}

static void
test_rfc8463_vector(void **state)
{
	const char msg[] = RFC8463_BODY;
	EVP_PKEY *key = rfc8463_key();
	char bh[64], b[1400], *txt;
	const char *err = NULL;

	assert_non_null(key);
	assert_int_equal(dkim_body_hash(msg, strlen(msg), bh), 0);
	assert_string_equal(bh, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	assert_int_equal(dkim_sign_field(key, rfc8463_field,
	                                 "from : to : subject : date : "
	                                 "message-id : from : subject : date",
	                                 msg, strlen(msg), b, sizeof(b), &err),
	                 0);
	assert_string_equal(b, rfc8463_b);
	txt = dkim_public_txt(key);
	assert_string_equal(txt, rfc8463_pub);
	free(txt);
	EVP_PKEY_free(key);
}

/* The RFC 8463 example verifies; a changed header or body does not. */
static void
test_verify_rfc8463(void **state)
{
	static const char field[] =
	        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	        " d=football.example.com; i=@football.example.com;\r\n"
	        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	        " subject : date : message-id : from : subject : date;\r\n"
	        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	        " b=/"
	        "gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
	const char msg[] = RFC8463_BODY;
	char bad[sizeof(msg)];
	struct dkim_sig sig;
	const char *why = NULL;

	assert_int_equal(dkim_sig_parse(field, strlen(field), &sig, &why), 0);
	assert_string_equal(sig.d, "football.example.com");
	assert_string_equal(sig.s, "brisbane");
	assert_int_equal(
	        dkim_sig_verify(&sig, rfc8463_pub, msg, strlen(msg), &why),
	        DKIM_PASS);
	memcpy(bad, msg, sizeof(msg));
	bad[strlen("From: Joe")] = 'X'; /* a signed header */
	assert_int_equal(
	        dkim_sig_verify(&sig, rfc8463_pub, bad, strlen(bad), &why),
	        DKIM_FAIL);
	memcpy(bad, msg, sizeof(msg));
	bad[strlen(msg) - 4] = 'X'; /* the body */
	assert_int_equal(
	        dkim_sig_verify(&sig, rfc8463_pub, bad, strlen(bad), &why),
	        DKIM_FAIL);
	assert_string_equal(why, "body hash did not verify");
	/* Another key, a revoked one, one of the wrong type. */
	assert_int_equal(
	        dkim_sig_verify(
	                &sig,
	                "v=DKIM1; k=ed25519; "
	                "p=AQjyqW1YqRZpkoU5jFliaC6vkQ7zEOuknjiEuqEJeaQ=",
	                msg, strlen(msg), &why),
	        DKIM_FAIL);
	assert_int_equal(dkim_sig_verify(&sig, "v=DKIM1; k=ed25519; p=", msg,
	                                 strlen(msg), &why),
	                 DKIM_PERMERROR);
	assert_int_equal(dkim_sig_verify(&sig, "v=DKIM1; p=MIIBIj", msg,
	                                 strlen(msg), &why),
	                 DKIM_PERMERROR);
	dkim_sig_free(&sig);
	/* Unusable signatures. */
	static const char sha1[] = "DKIM-Signature: v=1; a=rsa-sha1; d=a; s=b; "
	                           "h=from; bh=x; b=y";
	static const char nofrom[] = "DKIM-Signature: v=1; a=rsa-sha256; d=a; "
	                             "s=b; h=to; bh=x; b=y";
	assert_int_equal(dkim_sig_parse(sha1, strlen(sha1), &sig, &why), -1);
	assert_string_equal(why, "unsupported algorithm");
	dkim_sig_free(&sig);
	assert_int_equal(dkim_sig_parse(nofrom, strlen(nofrom), &sig, &why),
	                 -1);
	assert_string_equal(why, "From is not signed");
	dkim_sig_free(&sig);
}

static void
test_canon_header(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"Subject: Is dinner ready?", "subject:Is dinner ready?"},
	        {"SUBJECT \t:  a \t b  ", "subject:a b"},
	        {"To: a,\r\n\tb,\r\n  c", "to:a, b, c"},
	        {"X-Empty:", "x-empty:"},
	        {"H: a : b :\r\n c", "h:a : b : c"},
	        {"X-Empty:   \r\n ", "x-empty:"},
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = dkim_canon_header(cases[i].in, strlen(cases[i].in),
		                           out, sizeof(out));
		assert_true(n >= 0);
		out[n] = '\0';
		assert_string_equal(out, cases[i].out);
	}
	assert_true(dkim_canon_header("no colon", 8, out, sizeof(out)) < 0);
	assert_true(dkim_canon_header("Subject: long", 13, out, 6) < 0);
}

/* Bodies that relax to the same octets have the same hash. */
static void
test_body_hash(void **state)
{
	static const struct {
		const char *a, *b;
	} same[] = {
	        {"A: b\r\n\r\nx  y \t\r\n", "A: b\r\n\r\nx y\r\n"},
	        {"A: b\r\n\r\nx\r\n\r\n\r\n  \r\n", "A: b\r\n\r\nx\r\n"},
	        {"A: b\r\n\r\nx", "A: b\r\n\r\nx\r\n"},
	        {"A: b\r\n\r\n", "A: b\r\n\r\n\r\n\r\n"},
	        {"A: b\r\n\r\n\r\nx\r\n", "A: c\r\n\r\n \r\nx\r\n"},
	};
	char h1[64], h2[64];
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		dkim_body_hash(same[i].a, strlen(same[i].a), h1);
		dkim_body_hash(same[i].b, strlen(same[i].b), h2);
		assert_string_equal(h1, h2);
	}
	/* The empty body is the empty string (RFC 6376 s3.4.4): SHA-256 of
	 * nothing. */
	dkim_body_hash("A: b\r\n\r\n", 8, h1);
	assert_string_equal(h1, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	dkim_body_hash("A: b\r\n\r\nx\r\n", 11, h1);
	dkim_body_hash("A: b\r\n\r\nxx\r\n", 12, h2);
	assert_string_not_equal(h1, h2);
}

/* Relaxed body lines around the canonicalizer's 1024-octet buffer: the
 * hash is SHA-256 of the line and its CRLF (a line of 1023 octets once
 * wrote the CRLF past the buffer; ASan builds catch that). */
static void
test_body_hash_long_lines(void **state)
{
	static const size_t lens[] = {1021, 1022, 1023, 1024, 1025, 2046, 2047};
	char *msg = malloc(8 + 2048 + 2), got[64], want[64];
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dglen;
	size_t i;

	assert_non_null(msg);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = lens[i];

		memcpy(msg, "A: b\r\n\r\n", 8);
		memset(msg + 8, 'x', n);
		memcpy(msg + 8 + n, "\r\n", 2);
		dkim_body_hash(msg, 8 + n + 2, got);
		assert_int_equal(EVP_Digest(msg + 8, n + 2, dg, &dglen,
		                            EVP_sha256(), NULL),
		                 1);
		EVP_EncodeBlock((unsigned char *)want, dg, (int)dglen);
		assert_string_equal(got, want);
	}
	free(msg);
}

static void
test_from_address(void **state)
{
	static const struct {
		const char *msg, *address;
	} cases[] = {
	        {"From: Joe <Joe@Football.Example.COM>\r\n\r\n",
	         "Joe@football.example.com"},
	        {"from: a@b.example\r\nTo: x@y\r\n\r\n", "a@b.example"},
	        {"From: \"a@evil.example\" <a@good.example>\r\n\r\n",
	         "a@good.example"},
	        {"From:\r\n\tJoe <joe@folded.example>\r\n\r\n",
	         "joe@folded.example"},
	        {"From: a@b.example (Joe)\r\n\r\n", "a@b.example"},
	        {"From: <@b.example>\r\n\r\n", NULL},
	        {"From: Joe <joe@good.example> <x@evil.example>\r\n\r\n", NULL},
	        {"From: a@one.example\r\nFrom: b@two.example\r\n\r\n", NULL},
	        {"From: a@one.example, b@two.example\r\n\r\n", NULL},
	        {"To: x@y\r\n\r\nFrom: a@b.example\r\n", NULL},
	        {"From: nobody\r\n\r\n", NULL},
	};
	char dom[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = dkim_from_address(cases[i].msg, strlen(cases[i].msg),
		                            dom, sizeof(dom));
		if (cases[i].address == NULL) {
			assert_false(ok);
			continue;
		}
		assert_true(ok);
		assert_string_equal(dom, cases[i].address);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc8463_vector),
	        cmocka_unit_test(test_verify_rfc8463),
	        cmocka_unit_test(test_canon_header),
	        cmocka_unit_test(test_body_hash),
	        cmocka_unit_test(test_body_hash_long_lines),
	        cmocka_unit_test(test_from_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
