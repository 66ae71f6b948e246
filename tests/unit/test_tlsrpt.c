/*
 * test_tlsrpt.c — RFC 8460 result types from session errors, and a day
 * of recorded sessions (with hostile bytes in the fields) read back into
 * the report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlsrpt/tlsrpt.h"

static void
test_classify(void **state)
{
	static const struct {
		const char *error;
		enum tlsrpt_result r;
	} cases[] = {
	        {"TLS required but the remote does not offer it",
	         TLSRPT_STARTTLS_NOT_SUPPORTED},
	        {"TLS required but STARTTLS was refused",
	         TLSRPT_STARTTLS_NOT_SUPPORTED},
	        {"certificate verification failed for mx.a: hostname mismatch",
	         TLSRPT_CERT_HOST_MISMATCH},
	        {"certificate verification failed for mx.a: certificate has "
	         "expired",
	         TLSRPT_CERT_EXPIRED},
	        {"certificate verification failed for mx.a: unable to get "
	         "local issuer certificate",
	         TLSRPT_CERT_NOT_TRUSTED},
	        {"DNSSEC validation failed for TLSA of _25._tcp.mx.a.: x",
	         TLSRPT_DNSSEC_INVALID},
	        {"DANE verification failed for mx.a: no matching DANE TLSA "
	         "records",
	         TLSRPT_VALIDATION_FAILURE},
	        {NULL, TLSRPT_VALIDATION_FAILURE},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(tlsrpt_classify(cases[i].error), cases[i].r);
}

static void
test_day_report(void **state)
{
	char dir[] = "/tmp/ferry-tlsrpt-XXXXXX", day[16], path[64];
	struct tlsrpt_event e = {TLSRPT_POLICY_STS,
	                         "example.org",
	                         "version: STSv1\nmode: enforce\nmx: mx.a",
	                         "mx.a",
	                         "192.0.2.1",
	                         TLSRPT_SUCCESS,
	                         NULL,
	                         86400 * 365};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	e.result = TLSRPT_CERT_HOST_MISMATCH;
	e.reason = "bad\tname \"x\"\n%";
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	e.domain = "other.example";
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	f = open_memstream(&out, &len);
	assert_int_equal(
	        tlsrpt_report(f, dir, "example.org", "1971-01-01", "mx.test"),
	        0);
	fclose(f);
	assert_non_null(strstr(out, "\"total-successful-session-count\": 2, "
	                            "\"total-failure-session-count\": 1"));
	assert_non_null(strstr(out, "\"policy-string\": [\"version: STSv1\", "
	                            "\"mode: enforce\", \"mx: mx.a\"]"));
	assert_non_null(strstr(out, "\"result-type\": "
	                            "\"certificate-host-mismatch\""));
	assert_non_null(strstr(out, "\"failure-reason-code\": "
	                            "\"bad\\u0009name \\\"x\\\"\\u000a%\""));
	assert_non_null(strstr(out, "\"start-datetime\": "
	                            "\"1971-01-01T00:00:00Z\""));
	assert_null(strstr(out, "other.example"));
	free(out);
	snprintf(day, sizeof(day), "1971-01-01");
	snprintf(path, sizeof(path), "%s/%s", dir, day);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_day_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
