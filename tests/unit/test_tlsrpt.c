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
	assert_int_equal(tlsrpt_report(f, dir, "example.org", "1971-01-01",
	                               "mx.test", "tlsrpt@mx.test"),
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
	assert_non_null(strstr(out, "\"contact-info\": \"tlsrpt@mx.test\""));
	assert_non_null(strstr(out, "\"report-id\": "
	                            "\"1971-01-01_example.org@mx.test\""));
	assert_null(strstr(out, "other.example"));
	free(out);
	snprintf(day, sizeof(day), "1971-01-01");
	snprintf(path, sizeof(path), "%s/%s", dir, day);
	unlink(path);
	rmdir(dir);
}

/* RFC 8460 s3 records, and what may not pass into an envelope. */
static void
test_rua(void **state)
{
	struct tlsrpt_rua r;

	assert_int_equal(
	        tlsrpt_rua_parse("v=TLSRPTv1; rua=mailto:a@b.example", &r), 0);
	assert_int_equal(r.nmailto, 1);
	assert_string_equal(r.mailto[0], "a@b.example");
	tlsrpt_rua_clear(&r);
	assert_int_equal(
	        tlsrpt_rua_parse("v=TLSRPTv1;rua=mailto:x%2By@b.example?"
	                         "subject=hi , https://r.example:8443/in;"
	                         "ext=1;",
	                         &r),
	        0);
	assert_string_equal(r.mailto[0], "x+y@b.example");
	assert_int_equal(r.nhttps, 1);
	assert_string_equal(r.https[0], "https://r.example:8443/in");
	tlsrpt_rua_clear(&r);
	/* not a record, no rua, a CRLF or a space smuggled in, http */
	assert_int_equal(tlsrpt_rua_parse("v=TLSRPTv2; rua=mailto:a@b", &r),
	                 -1);
	assert_int_equal(tlsrpt_rua_parse("v=TLSRPTv1; ruf=mailto:a@b", &r),
	                 -1);
	assert_int_equal(
	        tlsrpt_rua_parse("v=TLSRPTv1; rua=mailto:a%0D%0ABcc:@b", &r),
	        -1);
	assert_int_equal(tlsrpt_rua_parse("v=TLSRPTv1; rua=mailto:a%20b@c", &r),
	                 -1);
	assert_int_equal(
	        tlsrpt_rua_parse("v=TLSRPTv1; rua=http://r.example/", &r), -1);
	assert_int_equal(tlsrpt_rua_parse("v=TLSRPTv1; rua=mailto:@b", &r), -1);
}

static void
test_rua_pick(void **state)
{
	const char *one[] = {"something else", "v=TLSRPTv1; rua=mailto:a@b"};
	const char *two[] = {"v=TLSRPTv1; rua=mailto:a@b",
	                     "v=TLSRPTv1; rua=mailto:c@d"};
	struct tlsrpt_rua r;

	assert_int_equal(tlsrpt_rua_pick(one, 2, &r), 0);
	assert_string_equal(r.mailto[0], "a@b");
	tlsrpt_rua_clear(&r);
	assert_int_equal(tlsrpt_rua_pick(two, 2, &r), -1); /* s3: not one */
	assert_int_equal(tlsrpt_rua_pick(one, 1, &r), -1);
}

static void
test_mail(void **state)
{
	const char *to[] = {"a@b.example", "c@d.example"};
	struct tlsrpt_mail m = {
	        .from = "postmaster@mx.test",
	        .to = to,
	        .nto = 2,
	        .domain = "example.org",
	        .submitter = "mx.test",
	        .report_id = "1971-01-01_example.org@mx.test",
	        .day = "1971-01-01",
	        .begin = 31536000,
	        .end = 31536000 + 86399,
	        .json = "{}",
	        .jsonlen = 2,
	        .now = 31536000 + 90000,
	};
	char name[256], *text;
	unsigned char *gz;
	size_t len;

	tlsrpt_filename(&m, name, sizeof(name));
	assert_string_equal(name,
	                    "mx.test!example.org!31536000!31622399.json.gz");
	text = tlsrpt_mail_build(&m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text,
	                       "\r\nSubject: Report Domain: example.org\r\n"
	                       " Submitter: mx.test\r\n Report-ID: "
	                       "<1971-01-01_example.org@mx.test>\r\n"));
	assert_non_null(strstr(text, "TLS-Report-Domain: example.org\r\n"));
	assert_non_null(strstr(text, "TLS-Report-Submitter: mx.test\r\n"));
	assert_non_null(strstr(text, "report-type=\"tlsrpt\""));
	assert_non_null(strstr(text, "Content-Type: application/tlsrpt+gzip"));
	assert_non_null(strstr(text, "To: <a@b.example>,\r\n <c@d.example>"));
	assert_null(strstr(text, "\n\n")); /* CRLF only */
	free(text);
	gz = tlsrpt_gzip("{}", 2, &len);
	assert_non_null(gz);
	assert_true(len > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	free(gz);
}

static void
test_store(void **state)
{
	char dir[] = "/tmp/ferry-tlsrpt-XXXXXX", path[128], **v;
	struct tlsrpt_event e = {
	        TLSRPT_POLICY_TLSA, "a.example", "", "mx.a", NULL,
	        TLSRPT_SUCCESS,     NULL,        0};
	size_t n;

	assert_non_null(mkdtemp(dir));
	e.when = 86400L * 10; /* 1970-01-11 */
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	e.domain = "b.example";
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	e.when = 86400L * 12; /* 1970-01-13 */
	assert_int_equal(tlsrpt_record(dir, &e), 0);
	n = tlsrpt_domains(dir, "1970-01-11", &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "a.example");
	assert_string_equal(v[1], "b.example");
	tlsrpt_domains_free(v, n);
	n = tlsrpt_days(dir, "1970-01-01", "1970-01-12", &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "1970-01-11");
	tlsrpt_domains_free(v, n);
	assert_false(tlsrpt_sent(dir, "1970-01-11", "b.example"));
	assert_int_equal(tlsrpt_mark_sent(dir, "1970-01-11", "b.example"), 0);
	assert_true(tlsrpt_sent(dir, "1970-01-11", "B.example"));
	assert_false(tlsrpt_sent(dir, "1970-01-11", "a.example"));
	assert_int_equal(tlsrpt_prune(dir, "1970-01-12"), 2); /* day + .sent */
	n = tlsrpt_days(dir, "1970-01-01", "1970-12-31", &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "1970-01-13");
	tlsrpt_domains_free(v, n);
	snprintf(path, sizeof(path), "%s/1970-01-13", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_day_report),
	        cmocka_unit_test(test_rua),
	        cmocka_unit_test(test_rua_pick),
	        cmocka_unit_test(test_mail),
	        cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
