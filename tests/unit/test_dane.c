/*
 * test_dane.c — what DANE makes of a TLSA answer (RFC 7672 s2.2, s3.1).
 * Matching records against certificates is OpenSSL's, exercised end to
 * end by tests/integration/test_dane.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dane/dane.h"

static void
test_usable_combinations(void **state)
{
	static const struct {
		uint8_t usage, selector, mtype;
		bool usable;
	} cases[] = {
	        {3, 1, 1, true},    {3, 0, 1, true},  {3, 1, 2, true},
	        {3, 0, 0, true},    {2, 0, 1, true},  {2, 1, 1, true},
	        {2, 0, 0, true},    {0, 0, 1, false}, {1, 1, 1, false},
	        {4, 1, 1, false},   {3, 2, 1, false}, {3, 1, 3, false},
	        {2, 0, 255, false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(dane_rr_usable(cases[i].usage,
		                                cases[i].selector,
		                                cases[i].mtype),
		                 cases[i].usable);
}

static const unsigned char digest[32] = {1, 2, 3};

static void
test_policy_from_answers(void **state)
{
	const struct dns_tlsa_rr ee = {3, 1, 1, digest, 32};
	const struct dns_tlsa_rr pkix = {1, 1, 1, digest, 32};
	const struct dns_tlsa_rr mixed[] = {pkix, ee};
	static const struct {
		enum dns_tlsa_status status;
		int which; /* 0 none, 1 ee, 2 pkix only, 3 mixed */
		enum dane_mode mode;
		size_t n;
	} cases[] = {
	        {DNS_TLSA_SECURE, 1, DANE_VERIFY, 1},
	        {DNS_TLSA_SECURE, 3, DANE_VERIFY, 1},
	        {DNS_TLSA_SECURE, 2, DANE_ENCRYPT, 0},
	        {DNS_TLSA_SECURE, 0, DANE_OFF, 0},
	        {DNS_TLSA_INSECURE, 1, DANE_OFF, 0},
	        {DNS_TLSA_BOGUS, 0, DANE_DEFER, 0},
	        {DNS_TLSA_TEMPFAIL, 0, DANE_DEFER, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_tlsa_result r = {cases[i].status, NULL, 0, "why"};
		struct dane_policy p, copy;

		if (cases[i].which == 1)
			r.rrs = &ee, r.n = 1;
		else if (cases[i].which == 2)
			r.rrs = &pkix, r.n = 1;
		else if (cases[i].which == 3)
			r.rrs = mixed, r.n = 2;
		dane_policy_set(&p, &r);
		assert_int_equal(p.mode, cases[i].mode);
		assert_int_equal(p.n, cases[i].n);
		if (p.mode == DANE_DEFER)
			assert_string_equal(p.reason, "why");
		if (p.n > 0)
			assert_memory_equal(p.rrs[0].data, digest, 32);
		dane_policy_copy(&copy, &p);
		assert_true(dane_policy_same(&p, &copy));
		dane_policy_clear(&copy);
		dane_policy_clear(&p);
	}
}

static void
test_same_compares_records(void **state)
{
	unsigned char other[32] = {9};
	const struct dns_tlsa_rr a = {3, 1, 1, digest, 32};
	const struct dns_tlsa_rr b = {3, 1, 1, other, 32};
	struct dns_tlsa_result ra = {DNS_TLSA_SECURE, &a, 1, NULL};
	struct dns_tlsa_result rb = {DNS_TLSA_SECURE, &b, 1, NULL};
	struct dane_policy pa, pb;

	dane_policy_set(&pa, &ra);
	dane_policy_set(&pb, &rb);
	assert_false(dane_policy_same(&pa, &pb));
	dane_policy_clear(&pa);
	dane_policy_clear(&pb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_usable_combinations),
	        cmocka_unit_test(test_policy_from_answers),
	        cmocka_unit_test(test_same_compares_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
