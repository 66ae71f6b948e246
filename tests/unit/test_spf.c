/*
 * test_spf.c — the parts of SPF that need no DNS: the macro examples of
 * RFC 7208 s7.4 and record syntax (RFC 7208 s4.6, s5, s6) as tables.
 * The evaluator itself runs against the RFC 7208 test suite
 * (tests/integration/test_spf.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spf/spf.h"
#include "spf/spf_int.h"

/* RFC 7208 s7.4: strong-bad@email.example.com from 192.0.2.3. */
static const struct spf_macro_vars v4 = {
        .sender = "strong-bad@email.example.com",
        .local = "strong-bad",
        .sender_domain = "email.example.com",
        .domain = "email.example.com",
        .ip_dotted = "192.0.2.3",
        .ip_text = "192.0.2.3",
        .validated = "unknown",
        .helo = "mx.example.org",
};

static void
test_rfc_examples(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"%{s}", "strong-bad@email.example.com"},
	        {"%{o}", "email.example.com"},
	        {"%{d}", "email.example.com"},
	        {"%{d4}", "email.example.com"},
	        {"%{d3}", "email.example.com"},
	        {"%{d2}", "example.com"},
	        {"%{d1}", "com"},
	        {"%{dr}", "com.example.email"},
	        {"%{d2r}", "example.email"},
	        {"%{l}", "strong-bad"},
	        {"%{l-}", "strong.bad"},
	        {"%{lr}", "strong-bad"},
	        {"%{lr-}", "bad.strong"},
	        {"%{l1r-}", "strong"},
	        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
	         "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
	         "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	        {"%{d2}.trusted-domains.example.net",
	         "example.com.trusted-domains.example.net"},
	        {"%%%_%-", "% %20"},
	        {"%{S}", "strong-bad%40email.example.com"},
	};
	char out[SPF_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		        spf_macro_expand(cases[i].in, &v4, out, sizeof(out)),
		        0);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, out,
			         cases[i].out);
	}
}

static void
test_bad_macros(void **state)
{
	static const char *const bad[] = {
	        "%",    "%x",  "%{",       "%{x}",        "%{d0}",
	        "%{c}", "%{d", "%{d2r+x}", "caf\xc3\xa9",
	};
	char out[SPF_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (spf_macro_expand(bad[i], &v4, out, sizeof(out)) == 0)
			fail_msg("%s expanded to %s", bad[i], out);
}

static void
test_records(void **state)
{
	static const struct {
		const char *rec;
		bool ok;
		size_t nterms;
	} cases[] = {
	        {"v=spf1", true, 0},
	        {"v=spf1 -all", true, 1},
	        {"v=spf1  a  mx/24//64 ~all ", true, 3},
	        {"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", true, 3},
	        {"v=spf1 include:_spf.example.com ?all", true, 2},
	        {"v=spf1 redirect=_spf.example.com", true, 0},
	        {"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", true, 2},
	        {"v=spf1 foo=bar -all", true, 1},
	        {"v=spf1 ip4:192.0.2.0/33", false, 0},
	        {"v=spf1 ip6:::1/129", false, 0},
	        {"v=spf1 ip4:1.2.3", false, 0},
	        {"v=spf1 a:111.222.33.44", false, 0},
	        {"v=spf1 a/024", false, 0},
	        {"v=spf1 -all/8", false, 0},
	        {"v=spf1 include", false, 0},
	        {"v=spf1 redirect=a.example redirect=b.example", false, 0},
	        {"v=spf1 exp=a.example exp=b.example", false, 0},
	        {"v=spf1 frob:example.com", false, 0},
	        {"v=spf1 foo=%abc", false, 0},
	};
	struct spf_record rec;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = spf_record_parse(cases[i].rec, &rec, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: parse gave %d", cases[i].rec, rc);
		if (rc == 0 && rec.n != cases[i].nterms)
			fail_msg("%s: %zu terms", cases[i].rec, rec.n);
		spf_record_free(&rec);
	}
	assert_true(spf_record_is_spf1("v=spf1 -all"));
	assert_false(spf_record_is_spf1("v=spf10 -all"));
	assert_string_equal(spf_result_name(SPF_SOFTFAIL), "softfail");
}

static void
test_long_names_shortened(void **state)
{
	char name[600];
	size_t i;

	name[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(name, "abcdefghi.");
	strcat(name, "example.com");
	assert_true(spf_target_name(name));
	assert_true(strlen(name) <= 253);
	assert_string_equal(name + strlen(name) - 11, "example.com");
	strcpy(name, "a..b.example");
	assert_false(spf_target_name(name));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc_examples),
	        cmocka_unit_test(test_bad_macros),
	        cmocka_unit_test(test_records),
	        cmocka_unit_test(test_long_names_shortened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
