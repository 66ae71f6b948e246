/*
 * test_sts.c — MTA-STS policy files, TXT records and MX patterns
 * (RFC 8461 s3.1, s3.2, s4.1), as tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sts/sts.h"

static void
test_parse(void **state)
{
	static const struct {
		const char *text;
		int ok;
		enum sts_mode mode;
		size_t nmx;
		long max_age;
	} cases[] = {
	        {"version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\n"
	         "max_age: 86400\r\n",
	         0, STS_MODE_ENFORCE, 1, 86400},
	        {"version: STSv1\nmode: testing\nmx: a.example\nmx: "
	         "*.b.example\nmax_age: 604800",
	         0, STS_MODE_TESTING, 2, 604800},
	        {"version: STSv1\nmode: none\nmax_age: 0\n", 0, STS_MODE_NONE,
	         0, 0},
	        {"version: STSv1\nmode: enforce\nmx: a\nmax_age: 1\nfoo: bar\n",
	         0, STS_MODE_ENFORCE, 1, 1},
	        {"version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", -1, 0, 0,
	         0},
	        {"mode: enforce\nmx: a\nmax_age: 1\n", -1, 0, 0, 0},
	        {"version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", -1, 0, 0,
	         0},
	        {"version: STSv1\nmode: enforce\nmax_age: 1\n", -1, 0, 0, 0},
	        {"version: STSv1\nmode: enforce\nmx: a\n", -1, 0, 0, 0},
	        {"version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n",
	         -1, 0, 0, 0},
	        {"version: STSv1\nmode: enforce\nmx: a\nmax_age: -5\n", -1, 0,
	         0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sts_policy p;
		char err[64];
		int rc = sts_policy_parse(cases[i].text, strlen(cases[i].text),
		                          &p, err, sizeof(err));

		assert_int_equal(rc, cases[i].ok);
		if (rc < 0)
			continue;
		assert_int_equal(p.mode, cases[i].mode);
		assert_int_equal(p.nmx, cases[i].nmx);
		assert_int_equal(p.max_age, cases[i].max_age);
		sts_policy_clear(&p);
	}
}

static void
test_mx_patterns(void **state)
{
	static const char text[] = "version: STSv1\nmode: enforce\n"
	                           "mx: mail.example.com\nmx: *.example.net\n"
	                           "max_age: 1\n";
	static const struct {
		const char *host;
		bool match;
	} cases[] = {
	        {"mail.example.com", true},       {"MAIL.Example.COM.", true},
	        {"mx.example.com", false},        {"mx1.example.net", true},
	        {"a.b.example.net", false},       {"example.net", false},
	        {"mail.example.com.evil", false},
	};
	struct sts_policy p;
	char err[64];
	size_t i;

	assert_int_equal(
	        sts_policy_parse(text, strlen(text), &p, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sts_mx_matches(&p, cases[i].host),
		                 cases[i].match);
	sts_policy_clear(&p);
}

static void
test_txt(void **state)
{
	static const struct {
		const char *txt;
		const char *id; /* NULL: not a record */
	} cases[] = {
	        {"v=STSv1; id=20160831085700Z;", "20160831085700Z"},
	        {"v=STSv1;id=abc", "abc"},
	        {"v=STSv1; id=", NULL},
	        {"v=STSv2; id=abc", NULL},
	        {"v=spf1 -all", NULL},
	        {"v=STSv1; xid=abc", NULL},
	        {"v=STSv1; id=0123456789012345678901234567890123", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char id[33];
		int rc = sts_txt_id(cases[i].txt, id, sizeof(id));

		if (cases[i].id == NULL) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(id, cases[i].id);
		}
	}
}

/* The TXT answer is kept for its TTL, within bounds. */
static void
test_txt_reuse(void **state)
{
	assert_int_equal(sts_txt_reuse(0), 5);
	assert_int_equal(sts_txt_reuse(3), 5);
	assert_int_equal(sts_txt_reuse(5), 5);
	assert_int_equal(sts_txt_reuse(300), 300);
	assert_int_equal(sts_txt_reuse(3600), 3600);
	assert_int_equal(sts_txt_reuse(86400), 3600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_mx_patterns),
	        cmocka_unit_test(test_txt),
	        cmocka_unit_test(test_txt_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
