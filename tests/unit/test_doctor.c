/*
 * test_doctor.c — the pure parts of `ferry doctor`: generic host names,
 * the clock verdict, the provider replies it quotes (each must be a seed
 * reply and explain to the reason the check is about), and SPF against
 * local DNS data: the record's shape (terms, the 10-lookup limit over
 * every branch, errors) and the server's check_host() answer for an
 * address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include <cmocka.h>
#include <event2/event.h>

#include "dns/resolver_int.h"
#include "doctor/doctor_int.h"
#include "explain/explain.h"

static void
test_generic_names(void **state)
{
	static const struct {
		const char *name, *ip;
		bool generic;
	} cases[] = {
	        {"mx.example.org", "192.0.2.10", false},
	        {"mail2.example.org", "192.0.2.10", false},
	        {"dsl-198-51-100-7.dyn.example.net", "198.51.100.7", true},
	        {"7.100.51.198.example.net", "198.51.100.7", true},
	        {"ip-192-0-2-10.example.com", "192.0.2.10", true},
	        {"host10.pool.isp.example", "192.0.2.10", true},
	        {"cpe-1.cable.isp.example", "192.0.2.10", true},
	        {"dhcp-22.isp.example", "192.0.2.10", true},
	        {"example.org", "192.0.2.10", false},
	        {"localhost", "127.0.0.1", false},
	        {"smtp1.dynamo.example", "192.0.2.10", false},
	        {"static.192.0.2.10.clients.example", "192.0.2.10", true},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (doctor_name_generic(cases[i].name, cases[i].ip) !=
		    cases[i].generic)
			fail_msg("%s: expected %s", cases[i].name,
			         cases[i].generic ? "generic" : "not generic");
}

static void
test_clock_verdict(void **state)
{
	const char *why;

	assert_int_equal(doctor_clock_verdict(TIME_OK, 0, 20000, &why),
	                 DOCTOR_PASS);
	assert_int_equal(doctor_clock_verdict(TIME_OK, STA_UNSYNC, 0, &why),
	                 DOCTOR_WARN);
	assert_non_null(strstr(why, "not synchronised"));
	assert_int_equal(doctor_clock_verdict(TIME_ERROR, 0, 0, &why),
	                 DOCTOR_WARN);
	assert_int_equal(doctor_clock_verdict(TIME_OK, 0, 16000000, &why),
	                 DOCTOR_WARN);
	assert_non_null(strstr(why, "maximum error"));
	assert_int_equal(doctor_clock_verdict(-1, 0, 0, &why), DOCTOR_WARN);
}

/* Is reply the start of a row of tests/data/seed-replies.tsv? */
static bool
in_seeds(const char *reply)
{
	const char *dir = getenv("FERRY_SRCDIR");
	char path[512], line[2048];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/seed-replies.tsv",
	         dir ? dir : ".");
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t');

		tab = tab ? strchr(tab + 1, '\t') : NULL;
		found = tab && strncmp(tab + 1, reply, strlen(reply)) == 0;
	}
	fclose(f);
	return found;
}

static void
test_samples_are_seed_replies(void **state)
{
	static const struct {
		const char *key;
		enum explain_reason reason;
	} want[] = {
	        {"no-ptr", REASON_REQUIREPTR},
	        {"generic-ip", REASON_BLOCKED},
	        {"helo", REASON_BLOCKED},
	        {"dnsbl", REASON_BLOCKED},
	        {"spf-fail", REASON_AUTHFAILURE},
	        {"unauthenticated", REASON_AUTHFAILURE},
	        {"dmarc", REASON_AUTHFAILURE},
	        {"tls-required", REASON_SECURITYERROR},
	        {"spam-wave", REASON_BADREPUTATION},
	};
	struct explain_result r;
	size_t i, n;

	for (n = 0; explain_sample_key(n) != NULL; n++)
		;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		const char *reply = explain_sample(want[i].key);

		assert_non_null(reply);
		if (!in_seeds(reply))
			fail_msg("%s is not a seed reply: %s", want[i].key,
			         reply);
		explain_reply(reply, (size_t)-1, &r);
		if (r.reason != want[i].reason)
			fail_msg("%s explains as %s", want[i].key,
			         explain_reason_name(r.reason));
	}
	assert_null(explain_sample("nonsense"));
	assert_null(explain_sample(NULL));
}

/* ---- SPF against local data ------------------------------------------ */

static const char *const spf_zone[] = {
        "a.test. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
        "inc.test. 300 IN TXT \"v=spf1 include:a.test ~all\"",
        "soft.test. 300 IN TXT \"v=spf1 ip4:198.51.100.1 ~all\"",
        "neutral.test. 300 IN TXT \"v=spf1 ip4:198.51.100.1\"",
        "redir.test. 300 IN TXT \"v=spf1 redirect=a.test\"",
        "amx.test. 300 IN TXT \"v=spf1 a mx:mxhost.test -all\"",
        "amx.test. 300 IN A 203.0.113.5",
        "mxhost.test. 300 IN MX 10 out.mxhost.test.",
        "out.mxhost.test. 300 IN A 198.51.100.20",
        "cidr.test. 300 IN TXT \"v=spf1 a:out.mxhost.test/24 -all\"",
        "two.test. 300 IN TXT \"v=spf1 -all\"",
        "two.test. 300 IN TXT \"v=spf1 +all\"",
        "bad.test. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 foo:bar -all\"",
        "broken-inc.test. 300 IN TXT \"v=spf1 include:nothing.test -all\"",
        "nothing.test. 300 IN TXT \"some other text\"",
        "deep.test. 300 IN TXT \"v=spf1 include:l1.test include:l2.test "
        "include:l3.test include:l4.test include:l5.test include:l6.test "
        "-all\"",
        "l1.test. 300 IN TXT \"v=spf1 a mx -all\"",
        "l1.test. 300 IN A 203.0.113.1",
        "l1.test. 300 IN MX 10 l1.test.",
        "l2.test. 300 IN TXT \"v=spf1 a mx -all\"",
        "l2.test. 300 IN A 203.0.113.2",
        "l2.test. 300 IN MX 10 l2.test.",
        "l3.test. 300 IN TXT \"v=spf1 -all\"",
        "l4.test. 300 IN TXT \"v=spf1 -all\"",
        "l5.test. 300 IN TXT \"v=spf1 -all\"",
        "l6.test. 300 IN TXT \"v=spf1 ip4:192.0.2.1 -all\"",
        "_25._tcp.mx.test. 300 IN TLSA 3 1 1 "
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
        "over.test. 300 IN TXT \"v=spf1 ip4:192.0.2.1 include:deep.test "
        "include:l3.test -all\"",
};

struct spf_fixture {
	struct event_base *base;
	struct dns_resolver *r;
	struct doctor_report rep;
	struct doctor_opts opts;
	struct doctor d;
};

static int
spf_setup(void **state)
{
	struct spf_fixture *f = calloc(1, sizeof(*f));
	size_t i;

	f->base = event_base_new();
	f->r = dns_resolver_new(f->base, "");
	assert_int_equal(dns_resolver_add_local_zone(f->r, "test.", "static"),
	                 0);
	assert_int_equal(
	        dns_resolver_add_local_zone(f->r, "fail.test.", "refuse"), 0);
	for (i = 0; i < sizeof(spf_zone) / sizeof(spf_zone[0]); i++)
		assert_int_equal(dns_resolver_add_local(f->r, spf_zone[i]), 0);
	f->opts.timeout_ms = 2000;
	f->d.opts = &f->opts;
	f->d.rep = &f->rep;
	f->d.base = f->base;
	f->d.dns = f->r;
	*state = f;
	return 0;
}

static int
spf_teardown(void **state)
{
	struct spf_fixture *f = *state;

	dns_resolver_free(f->r);
	dns_lookup_cache_clear();
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
test_spf_results(void **state)
{
	static const struct {
		const char *domain, *ip;
		enum doctor_spf_result want;
		int lookups;
	} cases[] = {
	        {"a.test", "192.0.2.7", DSPF_PASS, 0},
	        {"a.test", "198.51.100.7", DSPF_FAIL, 0},
	        {"inc.test", "192.0.2.7", DSPF_PASS, 1},
	        {"inc.test", "198.51.100.7", DSPF_SOFTFAIL, 1},
	        {"soft.test", "192.0.2.7", DSPF_SOFTFAIL, 0},
	        {"neutral.test", "192.0.2.7", DSPF_NEUTRAL, 0},
	        {"redir.test", "192.0.2.7", DSPF_PASS, 1},
	        {"amx.test", "203.0.113.5", DSPF_PASS, 2},
	        {"amx.test", "198.51.100.20", DSPF_PASS, 2},
	        {"amx.test", "198.51.100.21", DSPF_FAIL, 2},
	        {"cidr.test", "198.51.100.99", DSPF_PASS, 1},
	        {"none.test", "192.0.2.7", DSPF_NONE, 0},
	        {"two.test", "192.0.2.7", DSPF_PERMERROR, 0},
	        {"bad.test", "198.51.100.7", DSPF_PERMERROR, 0},
	        {"broken-inc.test", "192.0.2.7", DSPF_PERMERROR, 1},
	        {"deep.test", "192.0.2.1", DSPF_PASS, 10},
	        {"over.test", "192.0.2.1", DSPF_PERMERROR, 11},
	        {"fail.test", "192.0.2.1", DSPF_TEMPERROR, 0},
	};
	struct spf_fixture *f = *state;
	struct doctor_spf_eval ev;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doctor_spf_eval(&f->d, cases[i].domain, cases[i].ip, &ev);
		if (ev.result != cases[i].want ||
		    ev.lookups != cases[i].lookups)
			fail_msg("%s for %s: %s with %d lookups (%s), expected "
			         "%s with %d",
			         cases[i].domain, cases[i].ip,
			         doctor_spf_name(ev.result), ev.lookups, ev.why,
			         doctor_spf_name(cases[i].want),
			         cases[i].lookups);
	}
	doctor_spf_eval(&f->d, "over.test", "192.0.2.1", &ev);
	assert_non_null(strstr(ev.why, "more than 10 DNS lookups"));
	doctor_spf_eval(&f->d, "bad.test", NULL, &ev);
	assert_non_null(strstr(ev.why, "unknown term foo:bar"));
	doctor_spf_eval(&f->d, "deep.test", "192.0.2.1", &ev);
	assert_int_equal(ev.terms, 7);
}

/* TLSA answers come from dns_lookup() as "USAGE SELECTOR MTYPE HEX". */
static void
test_tlsa_text(void **state)
{
	struct spf_fixture *f = *state;
	struct doctor_answers ans;

	doctor_lookup(&f->d, "_25._tcp.mx.test", DNS_RR_TLSA, &ans);
	assert_int_equal(ans.status, DNS_LOOKUP_OK);
	assert_int_equal(ans.n, 1);
	assert_string_equal(ans.a[0], "3 1 1 0102030405060708090a0b0c0d0e0f10"
	                              "1112131415161718191a1b1c1d1e1f20");
	doctor_answers_free(&ans);
	doctor_lookup(&f->d, "_25._tcp.none.test", DNS_RR_TLSA, &ans);
	assert_int_equal(ans.status, DNS_LOOKUP_NXDOMAIN);
	doctor_answers_free(&ans);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_generic_names),
	        cmocka_unit_test(test_clock_verdict),
	        cmocka_unit_test(test_samples_are_seed_replies),
	        cmocka_unit_test_setup_teardown(test_spf_results, spf_setup,
	                                        spf_teardown),
	        cmocka_unit_test_setup_teardown(test_tlsa_text, spf_setup,
	                                        spf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
