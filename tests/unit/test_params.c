/*
 * test_params.c — ESMTP parameter meaning (src/smtp/params.c).
 *
 * Each row is the parameter part of a MAIL or RCPT line, run through
 * command_parse_path and then params_mail/params_rcpt.  Sources: RFC 1870
 * (SIZE), RFC 6152 (BODY), RFC 6531 s3.4 (SMTPUTF8), RFC 3461 s4 (RET,
 * ENVID, NOTIFY, ORCPT and xtext; decoded values must be printable
 * US-ASCII), and RFC 1869 s6 (an unknown parameter is 555).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/params.h"

/* command_parse_path keeps pointers into the line; this keeps it alive. */
static char line_store[1024];

static void
parse_kept(const char *params, bool is_mail, struct path_command *pc)
{
	int n = snprintf(line_store, sizeof(line_store), "%s<a@b> %s",
	                 is_mail ? "FROM:" : "TO:", params);

	assert_true(n > 0 && (size_t)n < sizeof(line_store));
	memset(pc, 0, sizeof(*pc));
	assert_int_equal(command_parse_path(line_store, (size_t)n, is_mail, pc),
	                 CMD_OK);
}

struct mail_case {
	const char *params;
	enum param_status st;
	const char *bad; /* keyword of the offending parameter, or NULL */
	int bad_index;   /* which parameter is reported */
	bool has_size;
	size_t size;
	enum body_type body;
	bool smtputf8;
	enum dsn_ret ret;
	const char *envid;
};

#define OK_ PARAM_OK
#define SYN PARAM_SYNTAX
#define UNK PARAM_UNKNOWN
#define B7 BODY_7BIT
#define B8 BODY_8BITMIME
#define RNONE DSN_RET_UNSPEC
/* A refused row: the other fields are not looked at. */
#define MBAD(p, st, kw, i)                                                     \
	{                                                                      \
		p, st, kw, i, false, 0, B7, false, RNONE, ""                   \
	}

static const struct mail_case mail_cases[] = {
        {"", OK_, NULL, 0, false, 0, B7, false, RNONE, ""},
        /* RFC 1870: size-value ::= 1*20DIGIT */
        {"SIZE=1000", OK_, NULL, 0, true, 1000, B7, false, RNONE, ""},
        {"size=0", OK_, NULL, 0, true, 0, B7, false, RNONE, ""},
        {"SIZE=0000000000000000012", OK_, NULL, 0, true, 12, B7, false, RNONE,
         ""},
        {"SIZE=4294967296", OK_, NULL, 0, true, (size_t)4294967296ull, B7,
         false, RNONE, ""},
        {"SIZE=99999999999999999999", OK_, NULL, 0, true, SIZE_MAX, B7, false,
         RNONE, ""},
        {"SIZE=18446744073709551616", OK_, NULL, 0, true, SIZE_MAX, B7, false,
         RNONE, ""},
        MBAD("SIZE=123456789012345678901", SYN, "SIZE", 0),
        MBAD("SIZE", SYN, "SIZE", 0),
        MBAD("SIZE=12a", SYN, "SIZE", 0),
        MBAD("SIZE=-1", SYN, "SIZE", 0),
        MBAD("SIZE=+1", SYN, "SIZE", 0),
        MBAD("SIZE=1.5", SYN, "SIZE", 0),
        MBAD("SIZE=1 SIZE=2", SYN, "SIZE", 1),
        /* RFC 6152 BODY; BINARYMIME is not offered. */
        {"BODY=7BIT", OK_, NULL, 0, false, 0, B7, false, RNONE, ""},
        {"BODY=8BITMIME", OK_, NULL, 0, false, 0, B8, false, RNONE, ""},
        {"body=8bitmime", OK_, NULL, 0, false, 0, B8, false, RNONE, ""},
        MBAD("BODY=BINARYMIME", SYN, "BODY", 0),
        MBAD("BODY=8BIT", SYN, "BODY", 0),
        MBAD("BODY=8BITMIMEX", SYN, "BODY", 0),
        MBAD("BODY", SYN, "BODY", 0),
        MBAD("BODY=7BIT BODY=7BIT", SYN, "BODY", 1),
        /* RFC 6531 s3.4: SMTPUTF8 takes no value. */
        {"SMTPUTF8", OK_, NULL, 0, false, 0, B7, true, RNONE, ""},
        {"smtputf8", OK_, NULL, 0, false, 0, B7, true, RNONE, ""},
        MBAD("SMTPUTF8=yes", SYN, "SMTPUTF8", 0),
        MBAD("SMTPUTF8 SMTPUTF8", SYN, "SMTPUTF8", 1),
        /* RFC 3461 s4.3 RET */
        {"RET=FULL", OK_, NULL, 0, false, 0, B7, false, DSN_RET_FULL, ""},
        {"RET=HDRS", OK_, NULL, 0, false, 0, B7, false, DSN_RET_HDRS, ""},
        {"ret=hdrs", OK_, NULL, 0, false, 0, B7, false, DSN_RET_HDRS, ""},
        MBAD("RET=NONE", SYN, "RET", 0),
        MBAD("RET=HDR", SYN, "RET", 0),
        MBAD("RET", SYN, "RET", 0),
        MBAD("RET=FULL RET=HDRS", SYN, "RET", 1),
        /* RFC 3461 s4.4 ENVID=xtext */
        {"ENVID=QQ314159", OK_, NULL, 0, false, 0, B7, false, RNONE,
         "QQ314159"},
        {"ENVID=a+2Bb", OK_, NULL, 0, false, 0, B7, false, RNONE, "a+b"},
        {"ENVID=a+3Db", OK_, NULL, 0, false, 0, B7, false, RNONE, "a=b"},
        {"ENVID=+41+42", OK_, NULL, 0, false, 0, B7, false, RNONE, "AB"},
        {"ENVID=a+20b", OK_, NULL, 0, false, 0, B7, false, RNONE, "a b"},
        {"ENVID=<1@x>", OK_, NULL, 0, false, 0, B7, false, RNONE, "<1@x>"},
        MBAD("ENVID=a+2bb", SYN, "ENVID", 0),
        MBAD("ENVID=a+2", SYN, "ENVID", 0),
        MBAD("ENVID=a+", SYN, "ENVID", 0),
        MBAD("ENVID=a+GG", SYN, "ENVID", 0),
        MBAD("ENVID=+00", SYN, "ENVID", 0),
        MBAD("ENVID=a+0D+0AX-Injected:+20yes", SYN, "ENVID", 0),
        MBAD("ENVID=a+09b", SYN, "ENVID", 0),
        MBAD("ENVID=+7F", SYN, "ENVID", 0),
        MBAD("ENVID=+C3+A9", SYN, "ENVID", 0),
        MBAD("ENVID=\xc3\xa9", SYN, "ENVID", 0),
        MBAD("ENVID", SYN, "ENVID", 0),
        MBAD("ENVID=a ENVID=b", SYN, "ENVID", 1),
        /* Everything together, any order. */
        {"SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc", OK_, NULL, 0,
         true, 100, B8, true, DSN_RET_HDRS, "abc"},
        {"ENVID=x RET=FULL SMTPUTF8 BODY=7BIT SIZE=9", OK_, NULL, 0, true, 9,
         B7, true, DSN_RET_FULL, "x"},
        /* RFC 1869 s6: unknown parameters. */
        MBAD("NOTIFY=NEVER", UNK, "NOTIFY", 0),
        MBAD("ORCPT=rfc822;a@b", UNK, "ORCPT", 0),
        MBAD("X-FOO=1", UNK, "X-FOO", 0),
        MBAD("SIZES=1", UNK, "SIZES", 0),
        MBAD("FOO=1 SIZE=x", UNK, "FOO", 0),
        MBAD("SIZE=1 FOO", UNK, "FOO", 1),
};

static void
test_mail_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++) {
		const struct mail_case *c = &mail_cases[i];
		struct path_command pc;
		struct mail_options o;
		const struct esmtp_param *bad = NULL;
		enum param_status st;

		parse_kept(c->params, true, &pc);
		st = params_mail(&pc, &o, &bad);
		if (st != c->st)
			fail_msg("\"%s\": status %d, want %d", c->params, st,
			         c->st);
		if (st != PARAM_OK) {
			assert_ptr_equal(bad, &pc.params[c->bad_index]);
			assert_true(esmtp_param_is(bad, c->bad));
			continue;
		}
		if (o.has_size != c->has_size || o.size != c->size ||
		    o.body != c->body || o.smtputf8 != c->smtputf8 ||
		    o.ret != c->ret || strcmp(o.envid, c->envid) != 0)
			fail_msg("\"%s\": size %d/%zu body %d utf8 %d ret %d "
			         "envid \"%s\"",
			         c->params, o.has_size, o.size, o.body,
			         o.smtputf8, o.ret, o.envid);
	}
}

/* RFC 4954 s5: AUTH=xtext, decoding to an addr-spec or "<>".  want is
 * the stored mailbox ("" for <>), or NULL when the row is refused (501). */
static const struct {
	const char *params;
	const char *want;
} auth_cases[] = {
        {"AUTH=<>", ""},
        {"AUTH=+3C+3E", ""},
        {"AUTH=tester@example.test", "tester@example.test"},
        {"AUTH=<tester@example.test>", "tester@example.test"},
        {"auth=a+2Bb@example.test", "a+b@example.test"},
        {"AUTH=+3Ca@example.test+3E", "a@example.test"},
        {"SIZE=10 AUTH=<> BODY=8BITMIME", ""},
        {"AUTH=a@[192.0.2.1]", "a@[192.0.2.1]"},
        {"AUTH", NULL},
        {"AUTH=<", NULL},
        {"AUTH=<a@b", NULL},
        {"AUTH=a@b>", NULL},
        {"AUTH=<a@b>x", NULL},
        {"AUTH=nodomain", NULL},
        {"AUTH=<@r.example:a@b>", NULL},
        {"AUTH=a+20b@example.test", NULL},
        {"AUTH=a@b+0D+0AX:y", NULL},
        {"AUTH=a+2@b", NULL},
        {"AUTH=\xc3\xa9@example.test", NULL},
        {"AUTH=<> AUTH=<>", NULL},
};

static void
test_mail_auth(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
		struct path_command pc;
		struct mail_options o;
		const struct esmtp_param *bad = NULL;
		enum param_status st;

		parse_kept(auth_cases[i].params, true, &pc);
		st = params_mail(&pc, &o, &bad);
		if (auth_cases[i].want == NULL) {
			if (st != PARAM_SYNTAX || !esmtp_param_is(bad, "AUTH"))
				fail_msg("\"%s\": status %d, want 501",
				         auth_cases[i].params, st);
			continue;
		}
		if (st != PARAM_OK || !o.has_auth ||
		    strcmp(o.auth, auth_cases[i].want) != 0)
			fail_msg("\"%s\": status %d auth %d \"%s\"",
			         auth_cases[i].params, st, o.has_auth, o.auth);
	}
}

struct rcpt_case {
	const char *params;
	enum param_status st;
	const char *bad;
	int bad_index;
	unsigned notify;
	const char *orcpt;
};

#define N_NEVER DSN_NOTIFY_NEVER
#define N_SUCC DSN_NOTIFY_SUCCESS
#define N_FAIL DSN_NOTIFY_FAILURE
#define N_DELAY DSN_NOTIFY_DELAY
#define RBAD(p, st, kw, i)                                                     \
	{                                                                      \
		p, st, kw, i, 0, ""                                            \
	}

static const struct rcpt_case rcpt_cases[] = {
        {"", OK_, NULL, 0, 0, ""},
        /* RFC 3461 s4.1 NOTIFY */
        {"NOTIFY=NEVER", OK_, NULL, 0, N_NEVER, ""},
        {"NOTIFY=SUCCESS", OK_, NULL, 0, N_SUCC, ""},
        {"NOTIFY=FAILURE", OK_, NULL, 0, N_FAIL, ""},
        {"NOTIFY=DELAY", OK_, NULL, 0, N_DELAY, ""},
        {"NOTIFY=SUCCESS,FAILURE,DELAY", OK_, NULL, 0,
         N_SUCC | N_FAIL | N_DELAY, ""},
        {"notify=failure,delay", OK_, NULL, 0, N_FAIL | N_DELAY, ""},
        {"NOTIFY=DELAY,SUCCESS", OK_, NULL, 0, N_DELAY | N_SUCC, ""},
        RBAD("NOTIFY=NEVER,SUCCESS", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=SUCCESS,NEVER", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=NEVER,NEVER,FAILURE", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=,", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=SUCCESS,", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=,SUCCESS", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=SUCCESS,,DELAY", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=ALWAYS", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=SUCCES", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=SUCCESSFAILURE", SYN, "NOTIFY", 0),
        RBAD("NOTIFY", SYN, "NOTIFY", 0),
        RBAD("NOTIFY=NEVER NOTIFY=NEVER", SYN, "NOTIFY", 1),
        /* RFC 3461 s4.2 ORCPT = addr-type ";" xtext */
        {"ORCPT=rfc822;user@example.org", OK_, NULL, 0, 0,
         "rfc822;user@example.org"},
        {"ORCPT=rfc822;a+2Bb@x", OK_, NULL, 0, 0, "rfc822;a+b@x"},
        {"ORCPT=RFC822;+22a+20b+22@x", OK_, NULL, 0, 0, "RFC822;\"a b\"@x"},
        {"ORCPT=utf-8;j\\x{00F6}@x", OK_, NULL, 0, 0, "utf-8;j\\x{00F6}@x"},
        {"ORCPT=x-type;a;b", OK_, NULL, 0, 0, "x-type;a;b"},
        RBAD("ORCPT=rfc822;", SYN, "ORCPT", 0),
        RBAD("ORCPT=;a@b", SYN, "ORCPT", 0),
        RBAD("ORCPT=a@b", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822;a+2", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822;a+0D+0Ab", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822;a+00b", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822;j\xc3\xb6@x", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc\xc3\xa9;a@b", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc(822);a@b", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822@x;a@b", SYN, "ORCPT", 0),
        RBAD("ORCPT", SYN, "ORCPT", 0),
        RBAD("ORCPT=rfc822;a@b ORCPT=rfc822;c@d", SYN, "ORCPT", 1),
        /* Together; and what RCPT does not know. */
        {"NOTIFY=FAILURE ORCPT=rfc822;a@b", OK_, NULL, 0, N_FAIL, "rfc822;a@b"},
        {"ORCPT=rfc822;a@b NOTIFY=SUCCESS,DELAY", OK_, NULL, 0,
         N_SUCC | N_DELAY, "rfc822;a@b"},
        RBAD("SIZE=1", UNK, "SIZE", 0),
        RBAD("RET=FULL", UNK, "RET", 0),
        RBAD("NOTIFY=NEVER X=1", UNK, "X", 1),
};

static void
test_rcpt_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];
		struct path_command pc;
		struct rcpt_options o;
		const struct esmtp_param *bad = NULL;
		enum param_status st;

		parse_kept(c->params, false, &pc);
		st = params_rcpt(&pc, &o, &bad);
		if (st != c->st)
			fail_msg("\"%s\": status %d, want %d", c->params, st,
			         c->st);
		if (st != PARAM_OK) {
			assert_ptr_equal(bad, &pc.params[c->bad_index]);
			assert_true(esmtp_param_is(bad, c->bad));
			continue;
		}
		if (o.notify != c->notify || strcmp(o.orcpt, c->orcpt) != 0)
			fail_msg("\"%s\": notify %#x orcpt \"%s\"", c->params,
			         o.notify, o.orcpt);
	}
}

/* A value of n octets built from a repeated pattern. */
static void
fill(char *buf, size_t n, const char *unit)
{
	size_t k, u = strlen(unit);

	for (k = 0; k < n; k++)
		buf[k] = unit[k % u];
	buf[n] = '\0';
}

/* ENVID: at most 100 decoded characters; ORCPT: at most 500 octets. */
static void
test_length_limits(void **state)
{
	char p[700];
	struct path_command pc;
	struct mail_options mo;
	struct rcpt_options ro;
	const struct esmtp_param *bad;

	memcpy(p, "ENVID=", 6);
	fill(p + 6, ENVID_MAX, "e");
	parse_kept(p, true, &pc);
	assert_int_equal(params_mail(&pc, &mo, &bad), PARAM_OK);
	assert_int_equal(strlen(mo.envid), ENVID_MAX);
	fill(p + 6, ENVID_MAX + 1, "e");
	parse_kept(p, true, &pc);
	assert_int_equal(params_mail(&pc, &mo, &bad), PARAM_SYNTAX);

	memcpy(p, "ORCPT=rfc822;", 13);
	fill(p + 13, ORCPT_MAX - 7, "o");
	parse_kept(p, false, &pc);
	assert_int_equal(params_rcpt(&pc, &ro, &bad), PARAM_OK);
	assert_int_equal(strlen(ro.orcpt), ORCPT_MAX);
	fill(p + 13, ORCPT_MAX - 6, "o");
	parse_kept(p, false, &pc);
	assert_int_equal(params_rcpt(&pc, &ro, &bad), PARAM_SYNTAX);
}

/* xtext = *( xchar / hexchar ), RFC 3461 s4. */
static void
test_xtext(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
		int rc;
		const char *out;
	} rows[] = {
	        {"", 8, 0, ""},
	        {"abc", 8, 0, "abc"},
	        {"abc", 4, 0, "abc"},
	        {"abc", 3, -1, NULL},
	        {"+41", 8, 0, "A"},
	        {"+41", 2, 0, "A"},
	        {"+41+42", 8, 0, "AB"},
	        {"+2B", 8, 0, "+"},
	        {"+3D", 8, 0, "="},
	        {"a+20b", 8, 0, "a b"},
	        {"+7E", 8, 0, "~"},
	        {"!\"#$%&'()*,-./:;<>?@[\\]^_`{|}~", 64, 0,
	         "!\"#$%&'()*,-./:;<>?@[\\]^_`{|}~"},
	        {"+", 8, -1, NULL},
	        {"+4", 8, -1, NULL},
	        {"a+", 8, -1, NULL},
	        {"+4g", 8, -1, NULL},
	        {"+4a", 8, -1, NULL},
	        {"+g4", 8, -1, NULL},
	        {"++41", 8, -1, NULL},
	        {"a=b", 8, -1, NULL},
	        {"a b", 8, -1, NULL},
	        {"a\tb", 8, -1, NULL},
	        {"\x7f", 8, -1, NULL},
	        {"\xc3\xa9", 8, -1, NULL},
	        /* Decoded values must be printable US-ASCII. */
	        {"+00", 8, -1, NULL},
	        {"+0D+0A", 8, -1, NULL},
	        {"+1F", 8, -1, NULL},
	        {"+7F", 8, -1, NULL},
	        {"+80", 8, -1, NULL},
	        {"+FF", 8, -1, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[80];
		int rc;

		memset(out, 'Z', sizeof(out));
		rc = xtext_decode(rows[i].in, strlen(rows[i].in), out,
		                  rows[i].cap);
		if (rc != rows[i].rc)
			fail_msg("row %zu \"%s\": rc %d", i, rows[i].in, rc);
		if (rc == 0)
			assert_string_equal(out, rows[i].out);
		/* Never writes past cap. */
		assert_int_equal(out[rows[i].cap], 'Z');
	}
	/* Only len octets are read. */
	{
		char out[8];

		assert_int_equal(xtext_decode("+41", 2, out, sizeof(out)), -1);
		assert_int_equal(xtext_decode("ab=", 2, out, sizeof(out)), 0);
		assert_string_equal(out, "ab");
	}
}

/* Options are reset on every call, so a failed MAIL leaves nothing. */
static void
test_options_reset(void **state)
{
	struct path_command pc;
	struct mail_options mo;
	struct rcpt_options ro;
	const struct esmtp_param *bad;

	parse_kept("SIZE=5 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=x", true, &pc);
	assert_int_equal(params_mail(&pc, &mo, &bad), PARAM_OK);
	parse_kept("", true, &pc);
	assert_int_equal(params_mail(&pc, &mo, &bad), PARAM_OK);
	assert_false(mo.has_size);
	assert_int_equal(mo.body, BODY_7BIT);
	assert_false(mo.smtputf8);
	assert_int_equal(mo.ret, DSN_RET_UNSPEC);
	assert_string_equal(mo.envid, "");

	parse_kept("NOTIFY=NEVER ORCPT=rfc822;a@b", false, &pc);
	assert_int_equal(params_rcpt(&pc, &ro, &bad), PARAM_OK);
	parse_kept("", false, &pc);
	assert_int_equal(params_rcpt(&pc, &ro, &bad), PARAM_OK);
	assert_int_equal(ro.notify, 0);
	assert_string_equal(ro.orcpt, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mail_table),
	        cmocka_unit_test(test_mail_auth),
	        cmocka_unit_test(test_rcpt_table),
	        cmocka_unit_test(test_length_limits),
	        cmocka_unit_test(test_xtext),
	        cmocka_unit_test(test_options_reset),
	};

	return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
