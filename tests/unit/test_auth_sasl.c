/*
 * test_auth_sasl.c — the pure layers of src/auth: strict base64, the PLAIN,
 * LOGIN and SCRAM-SHA-256 state machines (sasl.c), Dovecot's SCRAM stored
 * form, and the RFC 7677 s3 example exchange byte for byte.
 */
#include "test_auth_util.h"

#include "auth/auth_int.h"

/* --- base64 ------------------------------------------------------------ */

static void
test_b64_valid(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	        {"", ""},        {"Zg==", "f"},        {"Zm8=", "fo"},
	        {"Zm9v", "foo"}, {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"},
	        {"Kw==", "+"},   {"Pz8/", "???"},
	};
	unsigned char *out;
	size_t i, n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
		        auth_b64_decode(ok[i].in, strlen(ok[i].in), &out, &n),
		        0);
		assert_int_equal(n, strlen(ok[i].out));
		assert_memory_equal(out, ok[i].out, n);
		assert_int_equal(out[n], '\0');
		free(out);
	}
}

static void
test_b64_invalid(void **state)
{
	static const char *const bad[] = {
	        "Zg",       /* no padding */
	        "Zg=",      /* short padding */
	        "Zg===",    /* too much */
	        "=Zg=",     /* misplaced */
	        "Z===",     /* three pad chars */
	        "Zm9v\n",   /* whitespace */
	        " Zm9v",    /* leading space */
	        "Zm 9v",    /* inner space */
	        "Zm9v!A==", /* outside the alphabet */
	        "Zh==",     /* non-zero pad bits */
	        "Zm9=",     /* non-zero pad bits */
	        "Zm-_",     /* base64url is not base64 */
	        "Zg==Zg==", /* padding in the middle */
	        "*",
	};
	unsigned char *out;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        auth_b64_decode(bad[i], strlen(bad[i]), &out, &n), -1);
		assert_null(out);
	}
	/* An embedded NUL is not part of the alphabet either. */
	assert_int_equal(auth_b64_decode("Zm\0v", 4, &out, &n), -1);
}

static void
test_b64_roundtrip(void **state)
{
	unsigned char raw[256], *out;
	size_t len, n;
	char *enc;

	for (len = 0; len < sizeof(raw); len++) {
		raw[len] = (unsigned char)(len * 37 + 11);
		enc = auth_b64_encode(raw, len);
		assert_non_null(enc);
		assert_int_equal(auth_b64_decode(enc, strlen(enc), &out, &n),
		                 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, raw, len);
		free(out);
		free(enc);
	}
}

/* --- PLAIN and LOGIN ----------------------------------------------------- */

static void rfc_keys(struct scram_keys *k);

/* A step; a SASL_PROVE is answered at once, as the key process answers it
 * with the stored keys of the RFC 7677 example user. */
static enum sasl_step
feed(struct sasl *s, const char *msg, size_t len)
{
	enum sasl_step st = sasl_step(s, (const unsigned char *)msg, len);
	unsigned char sig[SCRAM_KEY_LEN];
	struct scram_keys k;
	int ok;

	if (st != SASL_PROVE)
		return st;
	/* The daemon's side never holds the keys, only the salt. */
	rfc_keys(&k);
	assert_memory_not_equal(s->keys.stored_key, k.stored_key,
	                        SCRAM_KEY_LEN);
	ok = scram_check_proof(&k, s->auth_msg, strlen(s->auth_msg), s->proof,
	                       sig);
	assert_true(ok >= 0);
	return sasl_scram_proved(s, ok == 1, sig);
}

static void
test_plain(void **state)
{
	struct sasl s;

	sasl_init(&s, SASL_PLAIN);
	assert_int_equal(feed(&s, "\0alice\0secret", 13), SASL_VERIFY);
	assert_string_equal(s.user, "alice");
	assert_string_equal(s.password, "secret");
	sasl_clear(&s);

	/* authzid equal to authcid is fine; another identity is not. */
	sasl_init(&s, SASL_PLAIN);
	assert_int_equal(feed(&s, "alice\0alice\0pw", 14), SASL_VERIFY);
	sasl_clear(&s);
	sasl_init(&s, SASL_PLAIN);
	assert_int_equal(feed(&s, "root\0alice\0pw", 13), SASL_FAIL);
	assert_null(s.password);
	sasl_clear(&s);

	/* No initial response: an empty challenge first. */
	sasl_init(&s, SASL_PLAIN);
	assert_int_equal(sasl_step(&s, NULL, 0), SASL_CHALLENGE);
	assert_int_equal(s.outlen, 0);
	assert_int_equal(feed(&s, "\0bob\0pw", 7), SASL_VERIFY);
	assert_string_equal(s.user, "bob");
	sasl_clear(&s);
}

static void
test_plain_malformed(void **state)
{
	static const struct {
		const char *msg;
		size_t len;
	} bad[] = {
	        {"", 0},               /* empty ("=") */
	        {"alice", 5},          /* no NUL */
	        {"\0alice", 6},        /* one NUL */
	        {"\0alice\0", 7},      /* empty password */
	        {"\0\0pw", 4},         /* empty authcid */
	        {"\0alice\0p\0w", 10}, /* third NUL */
	        {"\0al\nice\0pw", 10}, /* control char in name */
	};
	struct sasl s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sasl_init(&s, SASL_PLAIN);
		assert_int_equal(feed(&s, bad[i].msg, bad[i].len),
		                 SASL_MALFORMED);
		/* Finished: anything more fails. */
		assert_int_equal(feed(&s, "\0a\0b", 4), SASL_FAIL);
		sasl_clear(&s);
	}
}

static void
test_login(void **state)
{
	struct sasl s;

	sasl_init(&s, SASL_LOGIN);
	assert_int_equal(sasl_step(&s, NULL, 0), SASL_CHALLENGE);
	assert_int_equal(s.outlen, 9);
	assert_memory_equal(s.out, "Username:", 9);
	assert_int_equal(feed(&s, "carol", 5), SASL_CHALLENGE);
	assert_memory_equal(s.out, "Password:", 9);
	assert_int_equal(feed(&s, "pw pw", 5), SASL_VERIFY);
	assert_string_equal(s.user, "carol");
	assert_string_equal(s.password, "pw pw");
	sasl_clear(&s);

	/* The user name as the initial response (AUTH LOGIN dXNlcg==). */
	sasl_init(&s, SASL_LOGIN);
	assert_int_equal(feed(&s, "dave", 4), SASL_CHALLENGE);
	assert_memory_equal(s.out, "Password:", 9);
	assert_int_equal(feed(&s, "x", 1), SASL_VERIFY);
	sasl_clear(&s);

	/* Empty user, empty password, NUL in the password. */
	sasl_init(&s, SASL_LOGIN);
	assert_int_equal(sasl_step(&s, NULL, 0), SASL_CHALLENGE);
	assert_int_equal(feed(&s, "", 0), SASL_MALFORMED);
	sasl_clear(&s);
	sasl_init(&s, SASL_LOGIN);
	assert_int_equal(feed(&s, "eve", 3), SASL_CHALLENGE);
	assert_int_equal(feed(&s, "", 0), SASL_MALFORMED);
	sasl_clear(&s);
	sasl_init(&s, SASL_LOGIN);
	assert_int_equal(feed(&s, "eve", 3), SASL_CHALLENGE);
	assert_int_equal(feed(&s, "a\0b", 3), SASL_MALFORMED);
	sasl_clear(&s);
}

static void
test_mech_lookup(void **state)
{
	enum sasl_mech m;

	assert_int_equal(sasl_mech_lookup("plain", &m), 0);
	assert_int_equal(m, SASL_PLAIN);
	assert_int_equal(sasl_mech_lookup("Scram-Sha-256", &m), 0);
	assert_int_equal(m, SASL_SCRAM_SHA_256);
	assert_int_equal(sasl_mech_lookup("CRAM-MD5", &m), -1);
	assert_int_equal(sasl_mech_lookup("SCRAM-SHA-256-PLUS", &m), -1);
}

/* --- SCRAM-SHA-256 ------------------------------------------------------- */

/* RFC 7677 s3: user "user", password "pencil". */
#define RFC_CFIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SFIRST                                                             \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"                \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC_CFINAL                                                             \
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"         \
	"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void
rfc_keys(struct scram_keys *k)
{
	unsigned char *salt;
	size_t n;

	assert_int_equal(
	        auth_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, &salt, &n), 0);
	assert_int_equal(scram_derive("pencil", 6, salt, n, 4096, k), 0);
	free(salt);
}

/* Run the machine to the server-first message with the RFC's data. */
static void
scram_to_final(struct sasl *s, const char *cfirst)
{
	struct scram_keys k;
	unsigned char fake[16] = {0};

	rfc_keys(&k);
	auth_test_server_nonce = RFC_SNONCE;
	sasl_init(s, SASL_SCRAM_SHA_256);
	assert_int_equal(feed(s, cfirst, strlen(cfirst)), SASL_LOOKUP);
	assert_string_equal(s->user, "user");
	assert_int_equal(sasl_scram_keys(s, &k, fake), SASL_CHALLENGE);
	auth_test_server_nonce = NULL;
}

static void
test_scram_rfc7677(void **state)
{
	struct sasl s;

	scram_to_final(&s, RFC_CFIRST);
	assert_int_equal(s.outlen, strlen(RFC_SFIRST));
	assert_memory_equal(s.out, RFC_SFIRST, s.outlen);
	assert_int_equal(feed(&s, RFC_CFINAL, strlen(RFC_CFINAL)),
	                 SASL_CHALLENGE);
	assert_int_equal(s.outlen, strlen(RFC_SFINAL));
	assert_memory_equal(s.out, RFC_SFINAL, s.outlen);
	/* RFC 4954: the client acknowledges with an empty response. */
	assert_int_equal(feed(&s, "", 0), SASL_OK);
	assert_string_equal(s.user, "user");
	sasl_clear(&s);
}

static void
test_scram_stored_form(void **state)
{
	struct scram_keys k, back;
	char *text;

	rfc_keys(&k);
	text = scram_format_stored(&k);
	assert_non_null(text);
	assert_int_equal(strncmp(text, "4096,W22ZaJ0SNY7soEsUEjb6gQ==,", 30),
	                 0);
	assert_int_equal(scram_parse_stored(text, &back), 0);
	assert_int_equal(back.iter, 4096);
	assert_int_equal(back.salt_len, 16);
	assert_memory_equal(back.stored_key, k.stored_key, 32);
	assert_memory_equal(back.server_key, k.server_key, 32);
	free(text);

	assert_int_equal(scram_parse_stored("", &back), -1);
	assert_int_equal(scram_parse_stored("4096,c2FsdA==,AAAA,AAAA", &back),
	                 -1); /* keys too short */
	assert_int_equal(scram_parse_stored("0x10,c2FsdA==,a,b", &back), -1);
	assert_int_equal(scram_parse_stored("4096,c2FsdA==", &back), -1);
}

static void
test_scram_wrong_proof(void **state)
{
	static const char *const finals[] = {
	        /* proof of another password */
	        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	        "p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	        /* another nonce */
	        "c=biws,r=rOprNGfwEbeRWgbNEkqOx,"
	        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	};
	struct sasl s;
	size_t i;

	for (i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		scram_to_final(&s, RFC_CFIRST);
		assert_int_equal(feed(&s, finals[i], strlen(finals[i])),
		                 SASL_FAIL);
		sasl_clear(&s);
	}
}

static void
test_scram_no_keys(void **state)
{
	unsigned char fake[16] = {1, 2, 3};
	struct sasl s;

	/* A user without SCRAM keys gets a normal-looking exchange that
	 * fails at the proof, even a proof that would be right. */
	auth_test_server_nonce = RFC_SNONCE;
	sasl_init(&s, SASL_SCRAM_SHA_256);
	assert_int_equal(feed(&s, RFC_CFIRST, strlen(RFC_CFIRST)), SASL_LOOKUP);
	assert_int_equal(sasl_scram_keys(&s, NULL, fake), SASL_CHALLENGE);
	auth_test_server_nonce = NULL;
	assert_non_null(strstr((char *)s.out, ",s=AQIDAAAAAAAAAAAAAAAAAA==,"));
	assert_int_equal(feed(&s, RFC_CFINAL, strlen(RFC_CFINAL)), SASL_FAIL);
	sasl_clear(&s);
}

static void
test_scram_client_first(void **state)
{
	static const struct {
		const char *msg;
		enum sasl_step want;
	} cases[] = {
	        {"y,,n=user,r=abc", SASL_LOOKUP},
	        {"n,a=user,n=user,r=abc", SASL_LOOKUP},
	        {"n,,n=user,r=abc,x=ext", SASL_LOOKUP},
	        {"n,,n=us=2Cer,r=abc", SASL_LOOKUP},
	        {"p=tls-unique,,n=user,r=abc", SASL_FAIL},
	        {"n,a=admin,n=user,r=abc", SASL_FAIL},
	        {"n,,m=ext,n=user,r=abc", SASL_FAIL},
	        {"", SASL_MALFORMED},
	        {"x,,n=user,r=abc", SASL_MALFORMED},
	        {"n,n=user,r=abc", SASL_MALFORMED},
	        {"n,,r=abc,n=user", SASL_MALFORMED},
	        {"n,,n=user", SASL_MALFORMED},
	        {"n,,n=user,r=", SASL_MALFORMED},
	        {"n,,n=,r=abc", SASL_MALFORMED},
	        {"n,,n=us=er,r=abc", SASL_MALFORMED},
	        {"n,,n=user=2,r=abc", SASL_MALFORMED},
	        {"n,,n=user,r=abc,", SASL_MALFORMED},
	        {"n,,n=user,r=ab c", SASL_MALFORMED},
	        {"n,,n=user,r=abc,,x=1", SASL_MALFORMED},
	        {"n,,n=user,r=abc,1=x", SASL_MALFORMED},
	        {"n,a=,n=user,r=abc", SASL_MALFORMED},
	        {"n,,", SASL_MALFORMED},
	        {"n", SASL_MALFORMED},
	};
	struct sasl s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sasl_init(&s, SASL_SCRAM_SHA_256);
		if (feed(&s, cases[i].msg, strlen(cases[i].msg)) !=
		    cases[i].want)
			fail_msg("client-first \"%s\"", cases[i].msg);
		sasl_clear(&s);
	}
	sasl_init(&s, SASL_SCRAM_SHA_256);
	assert_int_equal(feed(&s, "n,,n=us=2Cer=3D,r=abc", 21), SASL_LOOKUP);
	assert_string_equal(s.user, "us,er=");
	sasl_clear(&s);
	sasl_init(&s, SASL_SCRAM_SHA_256);
	assert_int_equal(feed(&s, "n,,n=user\0,r=abc", 16), SASL_MALFORMED);
	sasl_clear(&s);
}

static void
test_scram_client_final(void **state)
{
	static const struct {
		const char *msg;
		enum sasl_step want;
	} cases[] = {
	        {"", SASL_MALFORMED},
	        /* channel binding data must be the gs2 header: "n,," */
	        {"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	         SASL_MALFORMED},
	        {"c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	         SASL_MALFORMED},
	        {"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,c=biws,"
	         "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	         SASL_MALFORMED},
	        /* no proof, short proof, proof not base64, proof not last */
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
	         SASL_MALFORMED},
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "p=AAAA",
	         SASL_MALFORMED},
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "p=!!!",
	         SASL_MALFORMED},
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",
	         SASL_MALFORMED},
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,",
	         SASL_MALFORMED},
	        /* an extension before the proof is part of AuthMessage, so
	         * the RFC's proof no longer matches */
	        {"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	         "x=1,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	         SASL_FAIL},
	};
	struct sasl s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scram_to_final(&s, RFC_CFIRST);
		if (feed(&s, cases[i].msg, strlen(cases[i].msg)) !=
		    cases[i].want)
			fail_msg("client-final \"%s\"", cases[i].msg);
		sasl_clear(&s);
	}
	/* With "y,," the c= value must be "eSws", not "biws". */
	scram_to_final(&s, "y,,n=user,r=rOprNGfwEbeRWgbNEkqO");
	assert_int_equal(feed(&s, RFC_CFINAL, strlen(RFC_CFINAL)),
	                 SASL_MALFORMED);
	sasl_clear(&s);
	/* The acknowledgement must be empty. */
	scram_to_final(&s, RFC_CFIRST);
	assert_int_equal(feed(&s, RFC_CFINAL, strlen(RFC_CFINAL)),
	                 SASL_CHALLENGE);
	assert_int_equal(feed(&s, "x", 1), SASL_MALFORMED);
	sasl_clear(&s);
}

static void
test_scram_random_nonce(void **state)
{
	unsigned char fake[16] = {0};
	struct scram_keys k;
	struct sasl a, b;

	rfc_keys(&k);
	sasl_init(&a, SASL_SCRAM_SHA_256);
	sasl_init(&b, SASL_SCRAM_SHA_256);
	assert_int_equal(feed(&a, RFC_CFIRST, strlen(RFC_CFIRST)), SASL_LOOKUP);
	assert_int_equal(feed(&b, RFC_CFIRST, strlen(RFC_CFIRST)), SASL_LOOKUP);
	assert_int_equal(sasl_scram_keys(&a, &k, fake), SASL_CHALLENGE);
	assert_int_equal(sasl_scram_keys(&b, &k, fake), SASL_CHALLENGE);
	/* Same client nonce, different server nonces. */
	assert_string_not_equal(a.nonce, b.nonce);
	assert_true(strlen(a.nonce) >= strlen("rOprNGfwEbeRWgbNEkqO") + 16);
	sasl_clear(&a);
	sasl_clear(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_b64_valid),
	        cmocka_unit_test(test_b64_invalid),
	        cmocka_unit_test(test_b64_roundtrip),
	        cmocka_unit_test(test_plain),
	        cmocka_unit_test(test_plain_malformed),
	        cmocka_unit_test(test_login),
	        cmocka_unit_test(test_mech_lookup),
	        cmocka_unit_test(test_scram_rfc7677),
	        cmocka_unit_test(test_scram_stored_form),
	        cmocka_unit_test(test_scram_wrong_proof),
	        cmocka_unit_test(test_scram_no_keys),
	        cmocka_unit_test(test_scram_client_first),
	        cmocka_unit_test(test_scram_client_final),
	        cmocka_unit_test(test_scram_random_nonce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
