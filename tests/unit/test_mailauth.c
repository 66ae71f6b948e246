/*
 * test_mailauth.c — DMARC (RFC 7489) as tables: the organizational domain
 * from Debian's Public Suffix List, strict and relaxed alignment, p=,
 * sp= and pct=, record parsing; the Authentication-Results field and the
 * removal of fields that claim ferry's name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dkim/verify.h"
#include "mailauth/mailauth.h"
#include "spf/spf.h"

#define PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static struct mailauth_psl *psl;

static int
setup(void **state)
{
	psl = mailauth_psl_load(PSL);
	return psl == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	mailauth_psl_free(psl);
	return 0;
}

static void
test_org_domain(void **state)
{
	static const char *const cases[][2] = {
	        {"example.com", "example.com"},
	        {"mail.example.com", "example.com"},
	        {"a.b.example.co.uk", "example.co.uk"},
	        {"co.uk", "co.uk"},
	        {"Mail.Example.COM.", "example.com"},
	        {"foo.bar.ck", "foo.bar.ck"},             /* *.ck */
	        {"x.www.ck", "www.ck"},                   /* !www.ck */
	        {"a.b.unlisted-tld", "b.unlisted-tld"},   /* rule "*" */
	        {"sub.user.github.io", "user.github.io"}, /* private part */
	};
	char out[MAILAUTH_NAME];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailauth_org_domain(psl, cases[i][0], out, sizeof(out));
		if (strcmp(out, cases[i][1]) != 0)
			fail_msg("%s: got %s, want %s", cases[i][0], out,
			         cases[i][1]);
	}
}

static void
test_alignment(void **state)
{
	static const struct {
		const char *id, *from;
		bool strict, aligned;
	} cases[] = {
	        {"example.com", "example.com", true, true},
	        {"mail.example.com", "example.com", true, false},
	        {"mail.example.com", "example.com", false, true},
	        {"example.com", "news.example.com", false, true},
	        {"a.example.com", "b.example.com", false, true},
	        {"a.example.com", "b.example.com", true, false},
	        {"example.co.uk", "other.co.uk", false, false},
	        {"evil.com", "example.com", false, false},
	        {"", "example.com", false, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mailauth_aligned(psl, cases[i].id, cases[i].from,
		                     cases[i].strict) != cases[i].aligned)
			fail_msg("%s vs %s (%s)", cases[i].id, cases[i].from,
			         cases[i].strict ? "strict" : "relaxed");
}

/* One message: SPF and DKIM results, a record, who it is from. */
struct eval_case {
	const char *record;
	bool at_org;
	int spf;
	const char *mailfrom, *dkim_d, *from;
	unsigned roll;
	enum dmarc_result want;
	enum dmarc_policy disposition;
};

static void
test_evaluation(void **state)
{
	static const struct eval_case cases[] = {
	        /* relaxed (default): SPF or DKIM of a subdomain aligns */
	        {"v=DMARC1; p=reject", false, SPF_PASS, "bounce.example.com",
	         NULL, "example.com", 0, DMARC_PASS, DMARC_P_NONE},
	        {"v=DMARC1; p=reject", false, SPF_FAIL, "example.com",
	         "mail.example.com", "example.com", 0, DMARC_PASS,
	         DMARC_P_NONE},
	        /* strict: it does not */
	        {"v=DMARC1; p=reject; aspf=s", false, SPF_PASS,
	         "bounce.example.com", NULL, "example.com", 0, DMARC_FAIL,
	         DMARC_P_REJECT},
	        {"v=DMARC1; p=quarantine; adkim=s", false, SPF_NONE, "x.org",
	         "mail.example.com", "example.com", 0, DMARC_FAIL,
	         DMARC_P_QUARANTINE},
	        /* an unaligned pass is no pass */
	        {"v=DMARC1; p=reject", false, SPF_PASS, "evil.com", "evil.com",
	         "example.com", 0, DMARC_FAIL, DMARC_P_REJECT},
	        /* sp= for a subdomain whose record is the org's */
	        {"v=DMARC1; p=reject; sp=none", true, SPF_FAIL, "x.org", NULL,
	         "sub.example.com", 0, DMARC_FAIL, DMARC_P_NONE},
	        {"v=DMARC1; p=none; sp=reject", true, SPF_FAIL, "x.org", NULL,
	         "sub.example.com", 0, DMARC_FAIL, DMARC_P_REJECT},
	        /* without sp=, p= applies to subdomains too */
	        {"v=DMARC1; p=quarantine", true, SPF_FAIL, "x.org", NULL,
	         "sub.example.com", 0, DMARC_FAIL, DMARC_P_QUARANTINE},
	        /* pct=: inside the sample the policy, outside one lower */
	        {"v=DMARC1; p=reject; pct=30", false, SPF_FAIL, "x.org", NULL,
	         "example.com", 29, DMARC_FAIL, DMARC_P_REJECT},
	        {"v=DMARC1; p=reject; pct=30", false, SPF_FAIL, "x.org", NULL,
	         "example.com", 30, DMARC_FAIL, DMARC_P_QUARANTINE},
	        {"v=DMARC1; p=quarantine; pct=0", false, SPF_FAIL, "x.org",
	         NULL, "example.com", 0, DMARC_FAIL, DMARC_P_NONE},
	};
	struct mailauth_results res;
	struct dmarc_record rec;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct eval_case *c = &cases[i];

		mailauth_results_init(&res);
		res.spf = c->spf;
		snprintf(res.spf_domain, sizeof(res.spf_domain), "%s",
		         c->mailfrom);
		if (c->dkim_d) {
			res.ndkim = 1;
			res.dkim[0].result = DKIM_PASS;
			snprintf(res.dkim[0].d, sizeof(res.dkim[0].d), "%s",
			         c->dkim_d);
		}
		snprintf(res.from_domain, sizeof(res.from_domain), "%s",
		         c->from);
		assert_int_equal(dmarc_record_parse(c->record, &rec), 0);
		mailauth_dmarc_evaluate(psl, &rec, c->at_org, c->roll, &res);
		if (res.dmarc != c->want ||
		    mailauth_disposition(&res) != c->disposition)
			fail_msg("case %zu (%s): result %d disposition %d", i,
			         c->record, res.dmarc,
			         mailauth_disposition(&res));
	}
}

static void
test_records(void **state)
{
	struct dmarc_record rec;

	assert_int_equal(dmarc_record_parse("v=DMARC1;p=reject;pct=50;"
	                                    " adkim=s ; aspf=s",
	                                    &rec),
	                 0);
	assert_int_equal(rec.p, DMARC_P_REJECT);
	assert_int_equal(rec.sp, DMARC_P_REJECT);
	assert_int_equal(rec.pct, 50);
	assert_true(rec.adkim_strict && rec.aspf_strict);
	assert_int_equal(dmarc_record_parse("v=DMARC1", &rec), -1);
	assert_int_equal(dmarc_record_parse("p=reject; v=DMARC1", &rec), -1);
	assert_int_equal(dmarc_record_parse("v=spf1 -all", &rec), -1);
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=bogus", &rec), -1);
	/* s6.6.3: a bad p= with rua= counts as p=none */
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=bogus; "
	                                    "rua=mailto:d@example.com",
	                                    &rec),
	                 0);
	assert_int_equal(rec.p, DMARC_P_NONE);
}

static void
test_field_and_strip(void **state)
{
	struct mailauth_results res;
	char out[2048];
	char msg[] = "Authentication-Results: mx.example.org; dkim=pass\r\n"
	             " header.d=evil.test\r\n"
	             "Authentication-Results: (c) MX.Example.Org;\r\n"
	             " spf=pass\r\n"
	             "Authentication-Results: mx.example.org.evil; spf=pass\r\n"
	             "Subject: x\r\n"
	             "\r\n"
	             "Authentication-Results: mx.example.org; in the body\r\n";
	size_t len;
	const char *want =
	        "Authentication-Results: mx.example.org.evil; spf=pass\r\n"
	        "Subject: x\r\n"
	        "\r\n"
	        "Authentication-Results: mx.example.org; in the body\r\n";

	mailauth_results_init(&res);
	res.spf = SPF_PASS;
	strcpy(res.spf_domain, "example.com");
	res.ndkim = 1;
	res.dkim[0].result = DKIM_PASS;
	strcpy(res.dkim[0].d, "example.com");
	strcpy(res.dkim[0].s, "s1");
	strcpy(res.dkim[0].a, "rsa-sha256");
	res.dmarc = DMARC_PASS;
	res.dmarc_policy = DMARC_P_REJECT;
	strcpy(res.from_domain, "example.com");
	len = mailauth_field("mx.example.org", &res, out, sizeof(out));
	assert_true(len > 0);
	assert_string_equal(
	        out, "Authentication-Results: mx.example.org; spf=pass "
	             "smtp.mailfrom=example.com;\r\n"
	             "\tdkim=pass header.d=example.com header.s=s1 "
	             "header.a=rsa-sha256;\r\n"
	             "\tdmarc=pass (p=reject) header.from=example.com\r\n");
	len = mailauth_strip_ours(msg, strlen(msg), "mx.example.org");
	assert_int_equal(len, strlen(want));
	assert_memory_equal(msg, want, len);
	/* HELO's SPF beside MAIL FROM's; ARC with the client's address; a
	 * DMARC fail a trusted sealer set aside. */
	res.spf = SPF_NONE;
	res.helo_spf = SPF_PASS;
	strcpy(res.helo_domain, "mail.example.com");
	res.ndkim = 0;
	res.arc = ARC_RESULT_PASS;
	res.arc_sets = 2;
	strcpy(res.arc_sealer, "lists.example.net");
	strcpy(res.remote_ip, "192.0.2.1");
	res.dmarc = DMARC_FAIL;
	res.dmarc_arc_override = true;
	len = mailauth_field("mx.example.org", &res, out, sizeof(out));
	assert_string_equal(
	        out,
	        "Authentication-Results: mx.example.org; spf=none "
	        "smtp.mailfrom=example.com;\r\n"
	        "\tspf=pass smtp.helo=mail.example.com; dkim=none; "
	        "arc=pass\r\n"
	        "\t(i=2 sealer=lists.example.net) smtp.remote-ip=192.0.2.1; "
	        "dmarc=fail\r\n"
	        "\t(p=reject overridden by ARC sealer lists.example.net)\r\n"
	        "\theader.from=example.com\r\n");
	assert_int_equal(mailauth_disposition(&res), DMARC_P_NONE);
	res.arc_oldest_pass = 2;
	mailauth_field("mx.example.org", &res, out, sizeof(out));
	assert_non_null(strstr(out, "header.oldest-pass=2;"));
	res.dmarc_arc_override = false;
	assert_int_equal(mailauth_disposition(&res), DMARC_P_REJECT);
	res.arc = ARC_RESULT_FAIL;
	strcpy(res.arc_reason, "AS i=2: signature did not verify");
	res.remote_ip[0] = '\0';
	len = mailauth_field("mx.example.org", &res, out, sizeof(out));
	assert_non_null(strstr(out, "arc=fail"));
	assert_non_null(strstr(out, "(AS i=2: signature did not verify);"));
}

/* Values from the session and the message cannot add results of their
 * own: anything but domain and address characters is quoted. */
static void
test_field_quotes_foreign_values(void **state)
{
	struct mailauth_results res;
	char out[2048];

	mailauth_results_init(&res);
	res.helo_spf = SPF_NONE;
	strcpy(res.helo_domain, "x;dkim=pass");
	res.ndkim = 1;
	res.dkim[0].result = DKIM_FAIL;
	strcpy(res.dkim[0].d, "bank.example(ok)");
	strcpy(res.dkim[0].s, "s\"1");
	res.dmarc = DMARC_NONE;
	strcpy(res.from_domain, "a\001b.example");
	assert_true(mailauth_field("mx.example.org", &res, out, sizeof(out)) >
	            0);
	assert_non_null(strstr(out, "smtp.helo=\"x;dkim=pass\""));
	assert_non_null(strstr(out, "header.d=\"bank.example(ok)\""));
	assert_non_null(strstr(out, "header.s=\"s\\\"1\""));
	assert_non_null(strstr(out, "header.from=\"a?b.example\""));
	/* the only results are ferry's: spf, dkim, dmarc */
	assert_null(strstr(out, "; dkim=pass"));
}

static void
test_in_list(void **state)
{
	assert_true(mailauth_in_list("a.example, lists.example.org",
	                             "Lists.Example.Org"));
	assert_true(mailauth_in_list(" a.example ,b.example", "a.example"));
	assert_false(mailauth_in_list("a.example", "example"));
	assert_false(mailauth_in_list("sub.a.example", "a.example"));
	assert_false(mailauth_in_list(NULL, "a.example"));
	assert_false(mailauth_in_list("a.example", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_org_domain),
	        cmocka_unit_test(test_alignment),
	        cmocka_unit_test(test_evaluation),
	        cmocka_unit_test(test_records),
	        cmocka_unit_test(test_field_and_strip),
	        cmocka_unit_test(test_field_quotes_foreign_values),
	        cmocka_unit_test(test_in_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
