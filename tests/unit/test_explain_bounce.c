/*
 * test_explain_bounce.c — the bounce parser over tests/data/bounces: every
 * row of expected.tsv must come out of its message, with LF, CRLF and
 * CR-only line ends alike; a message that is not a bounce gives nothing.
 * Also prints the parse rate over the corpus (bounces/s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "explain/bounce.h"
#include "explain/charset.h"

#define MAX_FILES 64

static struct bounce_report report;

static char *
slurp(const char *name, size_t *len)
{
	const char *dir = getenv("FERRY_SRCDIR");
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/bounces/%s",
	         dir ? dir : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* LF -> CRLF (mode 1) or CR (mode 2); caller frees. */
static char *
convert(const char *in, size_t len, int mode, size_t *outlen)
{
	char *out = malloc(len * 2 + 1);
	size_t i, o = 0;

	assert_non_null(out);
	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && mode == 1)
			out[o++] = '\r';
		out[o++] = (in[i] == '\n' && mode == 2) ? '\r' : in[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static const struct bounce_entry *
find(const char *rcpt)
{
	int i;

	for (i = 0; i < report.nentries; i++)
		if (strcmp(report.entries[i].recipient, rcpt) == 0)
			return &report.entries[i];
	return NULL;
}

static int
check_row(char **f, const char *variant)
{
	const struct bounce_entry *e = find(f[1]);
	const char *status, *mta;

	if (e == NULL) {
		print_error("%s (%s): recipient %s not found\n", f[0], variant,
		            f[1]);
		return 1;
	}
	status = e->status[0] ? e->status : "-";
	mta = e->reporting_mta[0] ? e->reporting_mta : "-";
	if (strcmp(status, f[2]) != 0 || e->reply_code != atoi(f[3]) ||
	    strcmp(explain_reason_name(e->reason), f[4]) != 0 ||
	    e->hard != atoi(f[5]) || strcmp(mta, f[6]) != 0) {
		print_error("%s (%s) %s: got %s %d %s %d %s\n", f[0], variant,
		            f[1], status, e->reply_code,
		            explain_reason_name(e->reason), e->hard, mta);
		return 1;
	}
	return 0;
}

static int
check_file(char **f)
{
	static const char *const names[] = {"LF", "CRLF", "CR"};
	size_t len, clen;
	char *msg = slurp(f[0], &len), *conv;
	int mode, bad = 0;

	for (mode = 0; mode < 3; mode++) {
		conv = convert(msg, len, mode, &clen);
		bounce_parse(conv, clen, &report);
		bad += check_row(f, names[mode]);
		free(conv);
	}
	free(msg);
	return bad;
}

static void
test_corpus(void **state)
{
	const char *dir = getenv("FERRY_SRCDIR");
	char path[512], line[1024], *f[7];
	int bad = 0, rows = 0, i;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/data/bounces/expected.tsv",
	         dir ? dir : ".");
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (i = 0; i < 7; i++)
			f[i] = strtok(i ? NULL : line, "\t");
		if (f[6] == NULL)
			fail_msg("bad expected.tsv row");
		bad += check_file(f);
		rows++;
	}
	fclose(fp);
	assert_true(rows >= 15);
	assert_int_equal(bad, 0);
}

static void
test_not_a_bounce(void **state)
{
	size_t len;
	char *msg = slurp("not-a-bounce.eml", &len);

	(void)state;
	assert_int_equal(bounce_parse(msg, len, &report), 0);
	assert_int_equal(bounce_parse("", 0, &report), 0);
	assert_int_equal(bounce_parse("\n\n\n--", 4, &report), 0);
	free(msg);
}

/* The reporting software is recognised, and recipients come out in the
 * order the message lists them. */
static void
test_families(void **state)
{
	static const struct {
		const char *file, *format, *first, *second;
	} cases[] = {
	        {"dragonfly.eml", "dragonfly", "anna@example.net", NULL},
	        {"opensmtpd.eml", "opensmtpd", "dave@example.com",
	         "erin@nonexistent.example"},
	        {"zoho.eml", "zoho", "gina@example.net", "hugo@example.net"},
	        {"googlegroups.eml", "googlegroups",
	         "team-announce@googlegroups.com", NULL},
	        {"sendmail-transcript.eml", "sendmail", "kim@nowhere.example",
	         "lee@example.com"},
	        {"imail.eml", "imailserver", "nick@mail.example.jp", NULL},
	        {"exchange2003.eml", "exchange", "pat@corp.example.com", NULL},
	        {"workmail-embedded.eml", "amazonworkmail", "rosa@example.net",
	         NULL},
	        {"exim-pipe.eml", "exim", "tom@host.example.net", NULL},
	        {"qmail-sender.eml", "qmail", "victor@example.org", NULL},
	        {"arf-two.eml", "arf", "amy@fbl.example.net",
	         "ben@fbl.example.net"},
	        {"ses-notification.eml", "amazonses", "ivy@example.net",
	         "jon@example.org"},
	        {"ses-delivery.eml", "amazonses", "kay@example.com", NULL},
	        {"apple-unsubscribe.eml", "feedback", "liam@example.me", NULL},
	        {"james.eml", "apachejames", "5550100@gateway.example.net",
	         NULL},
	        {"fml-loop.eml", "fml", "team@lists.example.jp", NULL},
	        {"interscan.eml", "trendmicro", "tara@example.net", NULL},
	        {"ezweb.eml", "ezweb", "vera@ezweb.ne.jp", NULL},
	};
	size_t i, len;
	char *msg;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = slurp(cases[i].file, &len);
		assert_int_equal(bounce_parse(msg, len, &report),
		                 cases[i].second ? 2 : 1);
		assert_string_equal(report.format, cases[i].format);
		assert_string_equal(report.entries[0].recipient,
		                    cases[i].first);
		if (cases[i].second)
			assert_string_equal(report.entries[1].recipient,
			                    cases[i].second);
		free(msg);
	}
}

/* Where a family's own sentence, the SMTP command and the code disagree
 * with a generic word, the reason follows the stronger evidence. */
static void
test_reason_evidence(void **state)
{
	size_t len;
	char *msg;

	(void)state;
	/* "user unknown" after DATA is a filter's answer */
	msg = slurp("postfix-data-filter.eml", &len);
	bounce_parse(msg, len, &report);
	assert_int_equal(report.entries[0].reason, REASON_FILTERED);
	assert_int_equal(report.entries[0].hard, 0);
	free(msg);
	/* "blocked" in the text, 5.7.26 in the code: authentication */
	msg = slurp("gmail-unauthenticated.eml", &len);
	bounce_parse(msg, len, &report);
	assert_int_equal(report.entries[0].reason, REASON_AUTHFAILURE);
	free(msg);
	/* receiving providers' documented codes: Orange's OFR_5xx is spam,
	 * Spectrum's AUP#In-13xx connection limits, docomo's "Unknown user"
	 * after DATA its sender filter */
	msg = slurp("provider-codes.eml", &len);
	assert_int_equal(bounce_parse(msg, len, &report), 3);
	assert_int_equal(report.entries[0].reason, REASON_SPAMDETECTED);
	assert_int_equal(report.entries[1].reason, REASON_TOOMANYCONN);
	assert_int_equal(report.entries[2].reason, REASON_REJECTED);
	assert_int_equal(report.entries[2].hard, 0);
	free(msg);
	/* a refusal of MAIL FROM is about the sender */
	msg = slurp("qmail-sender.eml", &len);
	bounce_parse(msg, len, &report);
	assert_int_equal(report.entries[0].reason, REASON_REJECTED);
	assert_int_equal(report.entries[0].command, BOUNCE_CMD_MAIL);
	free(msg);
}

/* Text in other charsets reaches the classifiers as UTF-8 (iconv), and
 * encoded words in headers are decoded. */
static void
test_charsets(void **state)
{
	static const char jis[] = "\x1b$B$3$s$K$A$O\x1b(B";
	char out[128], *u;
	size_t n;

	(void)state;
	u = charset_to_utf8("ISO-2022-JP", jis, sizeof(jis) - 1, &n);
	assert_non_null(u);
	assert_string_equal(u, "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab"
	                       "\xe3\x81\xa1\xe3\x81\xaf");
	free(u);
	assert_null(charset_to_utf8("us-ascii", "abc", 3, &n));
	assert_null(charset_to_utf8("ISO-8859-1", "plain", 5, &n));
	assert_null(charset_to_utf8("no-such-charset", "\xe9", 1, &n));
	charset_decode_words("=?ISO-8859-1?Q?Abwesend:_M=FCller?=", out,
	                     sizeof(out));
	assert_string_equal(out, "Abwesend: M\xc3\xbcller");
	charset_decode_words("=?UTF-8?B?QXV0byByZXBseQ==?= "
	                     "=?UTF-8?B?OiBoZWxsbw==?= (away)",
	                     out, sizeof(out));
	assert_string_equal(out, "Auto reply: hello (away)");
	charset_decode_words("=?broken", out, sizeof(out));
	assert_string_equal(out, "=?broken");
}

static const char *const corpus[] = {
        "dsn-postfix.eml",   "dsn-two-recipients.eml",
        "dsn-base64.eml",    "dsn-qp.eml",
        "dsn-forwarded.eml", "dsn-gmail.eml",
        "qmail.eml",         "exim.eml",
        "postfix-nodsn.eml", "sendmail.eml",
        "exchange-text.eml", "exchange-old.eml",
        "gmail-text.eml",    "yahoo.eml",
        "arf.eml",           "vacation.eml",
};
#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

static void
test_speed(void **state)
{
	char *msgs[NCORPUS];
	size_t lens[NCORPUS], i;
	struct timespec a, b;
	long rounds = 0, n = 0;
	double secs;

	(void)state;
	for (i = 0; i < NCORPUS; i++)
		msgs[i] = slurp(corpus[i], &lens[i]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (i = 0; i < NCORPUS; i++)
			n += bounce_parse(msgs[i], lens[i], &report) > 0;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &b);
		secs = (double)(b.tv_sec - a.tv_sec) +
		       (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	} while (secs < 1.0);
	printf("bounce parse: %ld messages in %.2f s = %.0f bounces/s\n",
	       rounds * (long)NCORPUS, secs, (double)rounds * NCORPUS / secs);
	assert_int_equal(n, rounds * (long)NCORPUS);
	for (i = 0; i < NCORPUS; i++)
		free(msgs[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_corpus),
	        cmocka_unit_test(test_not_a_bounce),
	        cmocka_unit_test(test_families),
	        cmocka_unit_test(test_reason_evidence),
	        cmocka_unit_test(test_charsets),
	        cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
