/*
 * test_dsn.c — delivery status notifications: message structure per case
 * (ENVID, ORCPT, RET, delays, mixed actions), header injection through
 * replies and addresses, line limits and CRLF, and the helpers (xtext,
 * folding, dates).  With FERRY_DSN_OUT set, every report built by a case
 * is also written there as <case>.eml for tests/integration/test_dsn_format.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsn/dsn.h"
#include "dsn/dsn_int.h"

#define NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 +0000 */

static const char orig_msg[] = "From: Alice <alice@example.org>\r\n"
                               "To: bob@example.com\r\n"
                               "Subject: lunch\r\n"
                               "Message-ID: <m1@example.org>\r\n"
                               "\r\n"
                               "See you at noon.\r\n";

struct built {
	char *p;
	size_t len;
	char boundary[128];
};

/* Every line ends in CRLF, is at most 998 octets, and holds no NUL. */
static void
assert_wire(const struct built *m)
{
	size_t i, col = 0;

	for (i = 0; i < m->len; i++) {
		if (m->p[i] == '\0')
			fail_msg("NUL at %zu", i);
		if (m->p[i] == '\r') {
			if (i + 1 >= m->len || m->p[i + 1] != '\n')
				fail_msg("bare CR at %zu", i);
			i++;
			col = 0;
			continue;
		}
		if (m->p[i] == '\n')
			fail_msg("bare LF at %zu", i);
		if (++col > DSN_LINE_MAX)
			fail_msg("line longer than 998 at %zu", i);
	}
	assert_true(m->len >= 2 && memcmp(m->p + m->len - 2, "\r\n", 2) == 0);
}

/* Header lines are "Name:" or a continuation; all 7-bit here. */
static void
assert_header_lines(const char *h, size_t n)
{
	const char *line = h, *end = h + n, *eol;
	size_t k;

	while (line < end) {
		eol = memchr(line, '\r', (size_t)(end - line));
		assert_non_null(eol);
		if (eol == line)
			return;
		if (*line != ' ' && *line != '\t') {
			k = strspn(line,
			           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
			           "opqrstuvwxyz0123456789-");
			if (k == 0 || line[k] != ':')
				fail_msg("bad header line: %.40s", line);
		}
		line = eol + 2;
	}
}

static void
dump(const char *name, const struct built *m)
{
	const char *dir = getenv("FERRY_DSN_OUT");
	char path[4096];
	FILE *f;

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s.eml", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(m->p, 1, m->len, f), m->len);
	assert_int_equal(fclose(f), 0);
}

static size_t
count(const struct built *m, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	const char *p = m->p, *end = m->p + m->len, *q;

	while ((q = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
		n++;
		p = q + nl;
	}
	return n;
}

static bool
has(const struct built *m, const char *needle)
{
	return count(m, needle) > 0;
}

/* Build, check the invariants every report has, and dump. */
static struct built
build(const char *name, const struct dsn_report *r, const char *orig,
      size_t origlen)
{
	struct built m;
	const char *b, *q, *hend;
	char delim[160];

	memset(&m, 0, sizeof(m));
	m.p = dsn_build(r, orig, origlen, &m.len);
	assert_non_null(m.p);
	assert_wire(&m);
	hend = memmem(m.p, m.len, "\r\n\r\n", 4);
	assert_non_null(hend);
	assert_header_lines(m.p, (size_t)(hend - m.p) + 2);
	b = strstr(m.p, "boundary=\"");
	assert_non_null(b);
	b += 10;
	q = strchr(b, '"');
	assert_non_null(q);
	assert_true(q - b > 8 && (size_t)(q - b) < sizeof(m.boundary));
	memcpy(m.boundary, b, (size_t)(q - b));
	/* The boundary occurs once in Content-Type, three times as a part
	 * delimiter and once as the close delimiter, nowhere else. */
	assert_int_equal(count(&m, m.boundary), 5);
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", m.boundary);
	assert_int_equal(count(&m, delim), 3);
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", m.boundary);
	assert_int_equal(count(&m, delim), 1);
	assert_true(memcmp(m.p + m.len - strlen(delim), delim, strlen(delim)) ==
	            0);
	dump(name, &m);
	return m;
}

/* Part k (1-based) from its headers to the next delimiter, as a copy. */
static char *
part(const struct built *m, int k)
{
	char delim[160];
	const char *p = m->p, *end;
	char *out;
	int i;

	snprintf(delim, sizeof(delim), "\r\n--%s", m->boundary);
	for (i = 0; i < k; i++) {
		p = strstr(p, delim);
		assert_non_null(p);
		p += strlen(delim) + 2;
	}
	end = strstr(p, delim);
	assert_non_null(end);
	out = strndup(p, (size_t)(end - p));
	assert_non_null(out);
	return out;
}

static struct dsn_report
report(const struct dsn_recipient *rc, size_t n)
{
	struct dsn_report r;

	memset(&r, 0, sizeof(r));
	r.reporting_mta = "mx.example.org";
	r.arrival = NOW - 3600;
	r.queue_id = "0123456789abcdef";
	r.original_sender = "alice@example.org";
	r.ret = DSN_RET_UNSPEC;
	r.rcpts = rc;
	r.nrcpts = n;
	r.now = NOW;
	return r;
}

static const struct dsn_recipient bob_unknown = {
        .final_recipient = "bob@example.com",
        .action = DSN_ACTION_FAILED,
        .status = "5.1.1",
        .remote_mta = "mx.example.com",
        .diagnostic = "550 5.1.1 <bob@example.com>: Recipient address "
                      "rejected: User unknown in virtual mailbox table",
        .reason = "userunknown",
        .last_attempt = NOW - 60,
};

static void
test_failed_headers_only(void **state)
{
	struct dsn_report r = report(&bob_unknown, 1);
	struct built m = build("failed_hdrs", &r, orig_msg, strlen(orig_msg));
	char *p1 = part(&m, 1), *p2 = part(&m, 2), *p3 = part(&m, 3);

	assert_true(strncmp(m.p,
	                    "From: Mail Delivery System "
	                    "<MAILER-DAEMON@mx.example.org>\r\n",
	                    58) == 0);
	assert_true(has(&m, "\r\nTo: <alice@example.org>\r\n"));
	assert_true(
	        has(&m, "Subject: Undelivered Mail Returned to Sender\r\n"));
	assert_true(has(&m, "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_true(has(&m, "\r\nMessage-ID: <0123456789abcdef.1700000000."));
	assert_true(has(&m, "@mx.example.org>\r\n"));
	assert_true(has(&m, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_true(has(&m, "\r\nMIME-Version: 1.0\r\n"));
	assert_true(has(&m, "Content-Type: multipart/report; "
	                    "report-type=delivery-status;\r\n boundary=\""));
	assert_false(has(&m, "Content-Transfer-Encoding"));

	assert_non_null(strstr(p1, "Content-Type: text/plain; "
	                           "charset=us-ascii\r\n\r\n"));
	assert_non_null(strstr(p1, "This is the mail system at "
	                           "mx.example.org."));
	assert_non_null(strstr(p1, "<bob@example.com>: delivery failed\r\n"));
	assert_non_null(strstr(p1, "    Remote server: mx.example.com\r\n"));
	assert_non_null(strstr(p1,
	                       "    It replied: 550 5.1.1 <bob@example.com>: "
	                       "Recipient address rejected:\r\n"
	                       "        User unknown in virtual mailbox "
	                       "table\r\n"));
	assert_non_null(strstr(p1, "    Meaning: The recipient mailbox does "
	                           "not exist at the destination.\r\n"));
	assert_non_null(strstr(p1, "    What to do: Check the recipient "
	                           "address for typos;"));
	assert_non_null(strstr(p1, "The headers of the original message are "
	                           "attached."));

	assert_non_null(strstr(p2,
	                       "Content-Type: message/delivery-status\r\n"
	                       "\r\n"
	                       "Reporting-MTA: dns; mx.example.org\r\n"
	                       "X-Ferry-Queue-ID: 0123456789abcdef\r\n"
	                       "Arrival-Date: Tue, 14 Nov 2023 21:13:20 "
	                       "+0000\r\n"
	                       "\r\n"
	                       "Final-Recipient: rfc822; bob@example.com\r\n"
	                       "Action: failed\r\n"
	                       "Status: 5.1.1\r\n"
	                       "Remote-MTA: dns; mx.example.com\r\n"
	                       "Diagnostic-Code: smtp; 550 5.1.1 "
	                       "<bob@example.com>: Recipient address\r\n"
	                       " rejected: User unknown in virtual mailbox "
	                       "table\r\n"
	                       "Last-Attempt-Date: Tue, 14 Nov 2023 "
	                       "22:12:20 +0000"));
	assert_null(strstr(p2, "Original-Envelope-Id"));
	assert_null(strstr(p2, "Original-Recipient"));
	assert_null(strstr(p2, "Will-Retry-Until"));

	assert_non_null(strstr(p3, "Content-Type: text/rfc822-headers\r\n\r\n"
	                           "From: Alice <alice@example.org>\r\n"));
	assert_non_null(strstr(p3, "Message-ID: <m1@example.org>"));
	assert_null(strstr(p3, "See you at noon"));
	free(p1);
	free(p2);
	free(p3);
	free(m.p);
}

static void
test_full_envid_orcpt(void **state)
{
	struct dsn_recipient rc = bob_unknown;
	struct dsn_report r;
	struct built m;
	char *p2, *p3;

	rc.orcpt = "rfc822;Bob+lists=x@Example.COM";
	r = report(&rc, 1);
	r.envid = "QQ314159 id=1+2";
	r.ret = DSN_RET_FULL;
	m = build("full_envid_orcpt", &r, orig_msg, strlen(orig_msg));
	p2 = part(&m, 2);
	p3 = part(&m, 3);
	assert_non_null(strstr(p2, "\r\nOriginal-Envelope-Id: "
	                           "QQ314159+20id+3D1+2B2\r\n"));
	assert_non_null(strstr(p2,
	                       "\r\n\r\nOriginal-Recipient: "
	                       "rfc822;Bob+2Blists+3Dx@Example.COM\r\n"
	                       "Final-Recipient: rfc822; bob@example.com\r\n"));
	assert_non_null(strstr(p3,
	                       "Content-Description: Undelivered message\r\n"
	                       "Content-Type: message/rfc822\r\n\r\n"
	                       "From: Alice"));
	assert_non_null(strstr(p3, "\r\n\r\nSee you at noon.\r\n"));
	assert_true(has(&m, "The original message is attached."));
	free(p2);
	free(p3);
	free(m.p);
}

static void
test_delayed(void **state)
{
	struct dsn_recipient rc = {
	        .final_recipient = "carol@example.net",
	        .action = DSN_ACTION_DELAYED,
	        .status = "4.4.1",
	        .remote_mta = "mx.example.net",
	        .diagnostic = "421 4.4.1 Connection timed out",
	        .reason = "networkerror",
	        .last_attempt = NOW - 30,
	        .will_retry_until = NOW + 4 * 86400,
	};
	struct dsn_report r = report(&rc, 1);
	struct built m;
	char *p2;

	r.ret = DSN_RET_FULL; /* full only in failure reports */
	m = build("delayed", &r, orig_msg, strlen(orig_msg));
	p2 = part(&m, 2);
	assert_true(has(&m, "Subject: Delayed Mail (still being retried)\r\n"));
	assert_non_null(strstr(p2, "Action: delayed\r\nStatus: 4.4.1\r\n"));
	assert_non_null(strstr(p2, "\r\nWill-Retry-Until: Sat, 18 Nov 2023 "
	                           "22:13:20 +0000\r\n"));
	assert_true(has(&m, "<carol@example.net>: delivery delayed, still "
	                    "trying\r\n"));
	assert_true(has(&m, "    Trying until: Sat, 18 Nov 2023 22:13:20 "
	                    "+0000\r\n"));
	assert_true(has(&m, "Content-Type: text/rfc822-headers\r\n"));
	assert_false(has(&m, "message/rfc822"));
	assert_false(has(&m, "See you at noon"));
	free(p2);
	free(m.p);
}

static void
test_several_recipients(void **state)
{
	static const struct dsn_recipient rc[] = {
	        {.final_recipient = "a@example.com",
	         .action = DSN_ACTION_DELIVERED,
	         .status = "2.0.0",
	         .remote_mta = "mx.example.com",
	         .diagnostic = "250 2.0.0 Ok: queued as 4F2"},
	        {.final_recipient = "b@example.com",
	         .action = DSN_ACTION_FAILED,
	         .status = "5.2.2",
	         .diagnostic = "552 5.2.2 Mailbox full",
	         .reason = "mailboxfull"},
	        {.final_recipient = "c@example.com",
	         .action = DSN_ACTION_DELAYED,
	         .status = "4.7.0",
	         .will_retry_until = NOW + 86400,
	         .reason = "no-such-reason"},
	        {.final_recipient = "d@example.com",
	         .action = DSN_ACTION_RELAYED,
	         .status = "2.0.0"},
	        {.final_recipient = "e@example.com",
	         .action = DSN_ACTION_EXPANDED,
	         .status = "2.0.0"},
	};
	struct dsn_report r = report(rc, 5);
	struct built m = build("several", &r, orig_msg, strlen(orig_msg));
	char *p2 = part(&m, 2);
	const char *a, *b, *c, *d, *e;

	assert_true(
	        has(&m, "Subject: Undelivered Mail Returned to Sender\r\n"));
	a = strstr(p2, "\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\n"
	               "Action: delivered\r\nStatus: 2.0.0\r\n");
	b = strstr(p2, "\r\n\r\nFinal-Recipient: rfc822; b@example.com\r\n"
	               "Action: failed\r\nStatus: 5.2.2\r\n");
	c = strstr(p2, "\r\n\r\nFinal-Recipient: rfc822; c@example.com\r\n"
	               "Action: delayed\r\nStatus: 4.7.0\r\n"
	               "Will-Retry-Until: ");
	d = strstr(p2, "\r\n\r\nFinal-Recipient: rfc822; d@example.com\r\n"
	               "Action: relayed\r\nStatus: 2.0.0\r\n");
	e = strstr(p2, "\r\n\r\nFinal-Recipient: rfc822; e@example.com\r\n"
	               "Action: expanded\r\nStatus: 2.0.0");
	assert_true(a && b && c && d && e);
	assert_true(a < b && b < c && c < d && d < e);
	assert_int_equal(count(&m, "Will-Retry-Until"), 1);
	/* Unknown reason names fall back to the generic advice. */
	assert_true(has(&m, "    Meaning: The reply does not say clearly why "
	                    "the mail failed.\r\n"));
	assert_true(has(&m, "    Meaning: The recipient mailbox is over its "
	                    "storage quota.\r\n"));
	assert_true(has(&m, "<d@example.com>: relayed to a server that does "
	                    "not send delivery reports\r\n"));
	free(p2);
	free(m.p);
}

static void
test_success(void **state)
{
	struct dsn_recipient rc = {
	        .final_recipient = "bob@example.com",
	        .action = DSN_ACTION_DELIVERED,
	        .status = "2.0.0",
	        .remote_mta = "mx.example.com",
	        .diagnostic = "250 2.0.0 Ok",
	        .reason = "delivered",
	        .will_retry_until = NOW, /* ignored: not a delay */
	};
	struct dsn_report r = report(&rc, 1);
	struct built m;

	r.envid = "ENV-1";
	r.ret = DSN_RET_HDRS;
	m = build("success", &r, orig_msg, strlen(orig_msg));
	assert_true(has(&m, "Subject: Successful Mail Delivery Report\r\n"));
	assert_true(has(&m, "\r\nOriginal-Envelope-Id: ENV-1\r\n"));
	assert_false(has(&m, "Will-Retry-Until"));
	assert_false(has(&m, "What to do"));
	assert_true(has(&m, "<bob@example.com>: delivered\r\n"));
	free(m.p);
}

static bool
line_starts_with(const struct built *m, const char *prefix)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "\r\n%s", prefix);
	return has(m, needle) || strncmp(m->p, prefix, strlen(prefix)) == 0;
}

/* RFC 3464 s2.3.5, "dns" type: a host name; the relay's "name [address]"
 * never reaches the field, and a bare address becomes an address literal. */
static void
test_remote_mta_names(void **state)
{
	static const char *const cases[][2] = {
	        {"mx.example.net [192.0.2.1]",
	         "Remote-MTA: dns; mx.example.net\r\n"},
	        {"127.0.0.1 [127.0.0.1]", "Remote-MTA: dns; [127.0.0.1]\r\n"},
	        {"::1 [::1]", "Remote-MTA: dns; [IPv6:::1]\r\n"},
	        {" [2001:db8::25]", "Remote-MTA: dns; [IPv6:2001:db8::25]\r\n"},
	        {"192.0.2.7", "Remote-MTA: dns; [192.0.2.7]\r\n"},
	        {"mx.example.com", "Remote-MTA: dns; mx.example.com\r\n"},
	};
	struct dsn_recipient rc = bob_unknown;
	struct dsn_report r;
	struct built m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc.remote_mta = cases[i][0];
		r = report(&rc, 1);
		m = build("remote_mta", &r, orig_msg, strlen(orig_msg));
		if (!has(&m, cases[i][1]))
			fail_msg("\"%s\": no \"%s\"", cases[i][0], cases[i][1]);
		assert_false(has(&m, "Remote-MTA: dns; 127.0.0.1"));
		free(m.p);
	}
	/* Neither name nor address: no field (nothing true to say). */
	rc.remote_mta = "[not an address]";
	r = report(&rc, 1);
	m = build("remote_mta", &r, orig_msg, strlen(orig_msg));
	assert_false(has(&m, "Remote-MTA:"));
	free(m.p);
}

static void
test_injection(void **state)
{
	struct dsn_recipient rc = {
	        .final_recipient = "bob@example.com\r\nBcc: x@evil.test",
	        .orcpt = "rfc822;bob@example.com\r\nX-Orcpt: 1",
	        .action = DSN_ACTION_FAILED,
	        .status = "5.0.0\r\nX-Status: 1",
	        .remote_mta = "mx.example.com\nX-Remote: 1",
	        .diagnostic = "550 no\r\nX-Injected: yes\r\n\r\n--fake\r\n"
	                      "Content-Type: text/html\r\n\x01\x7f\x1b[31m",
	        .reason = "undefined",
	};
	struct dsn_report r = report(&rc, 1);
	struct built m;

	r.original_sender = "alice@example.org>\r\nBcc: all@evil.test";
	r.reporting_mta = "mx.example.org\r\nX-Host: 1";
	r.queue_id = "ABC\r\nX-Q: 1";
	r.envid = "e\r\nX-Env: 1";
	m = build("injection", &r, orig_msg, strlen(orig_msg));
	assert_false(line_starts_with(&m, "Bcc:"));
	assert_false(line_starts_with(&m, "X-Injected:"));
	assert_false(line_starts_with(&m, "X-Orcpt:"));
	assert_false(line_starts_with(&m, "X-Status:"));
	assert_false(line_starts_with(&m, "X-Remote:"));
	assert_false(line_starts_with(&m, "X-Host:"));
	assert_false(line_starts_with(&m, "X-Q:"));
	assert_false(line_starts_with(&m, "X-Env:"));
	assert_false(line_starts_with(&m, "--fake"));
	assert_false(has(&m, "\x1b"));
	assert_false(has(&m, "\x01"));
	assert_true(has(&m, "Status: 5.0.0\r\n"));
	assert_true(has(&m, "Diagnostic-Code: smtp; 550 no X-Injected: yes "
	                    "--fake Content-Type: text/html\r\n [31m\r\n"));
	assert_true(has(&m, "Final-Recipient: rfc822; bob@example.com Bcc: "
	                    "x@evil.test\r\n"));
	assert_true(
	        has(&m, "\r\nTo: <alice@example.orgBcc:all@evil.test>\r\n"));
	free(m.p);
}

/* Drop the spaces of s in place. */
static char *
squeeze(char *s)
{
	char *o = s, *p;

	for (p = s; *p != '\0'; p++)
		if (*p != ' ')
			*o++ = *p;
	*o = '\0';
	return s;
}

static void
test_long_values(void **state)
{
	struct dsn_recipient rc = bob_unknown;
	struct dsn_report r;
	struct built m;
	char *diag, *orig, *p2, *p3, *v, *o, want[2508];
	size_t i, n = 5000;

	diag = malloc(n + 1);
	assert_non_null(diag);
	for (i = 0; i < n; i++)
		diag[i] = (i % 7 == 6 && i < 2000) ? ' ' : (char)('a' + i % 26);
	diag[n] = '\0';
	rc.diagnostic = diag;
	r = report(&rc, 1);
	orig = malloc(3 * 2000 + 64);
	assert_non_null(orig);
	memset(orig, 'h', 3000);
	memcpy(orig, "X-Long: ", 8);
	memcpy(orig + 3000, "\r\n\r\n", 4);
	memset(orig + 3004, 'b', 2500);
	memcpy(orig + 5504, "\r\n", 2);
	r.ret = DSN_RET_FULL;
	m = build("long", &r, orig, 5506);

	/* Unfolding (dropping each CRLF) restores the text; the forced
	 * breaks inside the unbroken tail each add one space. */
	p2 = part(&m, 2);
	v = strstr(p2, "Diagnostic-Code: smtp; ");
	assert_non_null(v);
	v += strlen("Diagnostic-Code: smtp; ");
	for (o = v, i = 0; v[i] != '\0' && strncmp(v + i, "\r\nL", 3); i++)
		if (strncmp(v + i, "\r\n", 2) == 0)
			i++;
		else
			*o++ = v[i];
	*o = '\0';
	assert_memory_equal(v, diag, 2000);
	assert_string_equal(squeeze(v), squeeze(diag));
	/* The original's long lines are split, not dropped: a header line
	 * as a fold, a body line with plain CRLFs. */
	p3 = part(&m, 3);
	assert_non_null(strstr(p3, "\r\n hhhhhhhhhh"));
	memset(want, 'b', sizeof(want));
	memcpy(want, "\r\n", 2);
	memcpy(want + 902, "\r\n", 2);
	memcpy(want + 1804, "\r\n", 2);
	memcpy(want + 2506, "\r\n", 2);
	assert_non_null(memmem(p3, strlen(p3), want, sizeof(want)));
	free(p3);
	free(p2);
	free(m.p);
	free(orig);
	free(diag);
}

static void
test_bare_lf_and_cr(void **state)
{
	static const char orig[] = "Subject: hi\nFrom: a@b\r\rX-Mixed: 1\r\n"
	                           "\nbody line\n.\nend";
	struct dsn_report r = report(&bob_unknown, 1);
	struct built m;
	char *p3;

	r.ret = DSN_RET_FULL;
	m = build("bare_lf", &r, orig, sizeof(orig) - 1);
	p3 = part(&m, 3);
	assert_non_null(strstr(p3, "\r\n\r\nSubject: hi\r\nFrom: a@b\r\n"));
	assert_non_null(strstr(p3, "\r\n\r\nX-Mixed: 1\r\n\r\nbody line\r\n"
	                           ".\r\nend\r\n"));
	free(p3);
	free(m.p);

	r.ret = DSN_RET_HDRS;
	m = build("bare_lf_hdrs", &r, orig, sizeof(orig) - 1);
	p3 = part(&m, 3);
	/* "\r\r" is an empty line: the header section ends there. */
	assert_non_null(strstr(p3, "\r\n\r\nSubject: hi\r\nFrom: a@b\r\n"));
	assert_null(strstr(p3, "X-Mixed"));
	free(p3);
	free(m.p);
}

static void
test_empty_original(void **state)
{
	struct dsn_report r = report(&bob_unknown, 1);
	struct built m = build("empty", &r, "", 0);

	assert_true(has(&m, "Content-Type: text/rfc822-headers\r\n\r\n\r\n--"));
	assert_false(
	        has(&m, "Content-Type: text/rfc822-headers\r\n\r\n\r\n\r\n"));
	free(m.p);
	r.ret = DSN_RET_FULL;
	m = build("empty_null", &r, NULL, 1234);
	assert_true(has(&m, "Content-Type: message/rfc822\r\n\r\n\r\n--"));
	free(m.p);
}

static void
test_utf8_addresses(void **state)
{
	struct dsn_recipient rc = bob_unknown;
	struct dsn_report r;
	struct built m;
	char *p1, *p2;

	rc.final_recipient = "jos\xc3\xa9@exampl\xc3\xa9.com";
	rc.orcpt = "utf-8;jos\xc3\xa9+x@exampl\xc3\xa9.com";
	rc.diagnostic = "550 5.1.1 bad \xff byte";
	r = report(&rc, 1);
	r.original_sender = "\xe7\x94\xb0\xe4\xb8\xad@example.jp";
	m = build("utf8", &r, orig_msg, strlen(orig_msg));
	p1 = part(&m, 1);
	p2 = part(&m, 2);
	assert_true(has(&m, "\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThis"));
	assert_non_null(strstr(p1, "Content-Type: text/plain; charset=utf-8\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n"));
	assert_non_null(strstr(p1, "<jos\xc3\xa9@exampl\xc3\xa9.com>: delivery "
	                           "failed"));
	assert_non_null(strstr(p1, "It replied: 550 5.1.1 bad ? byte"));
	assert_non_null(strstr(p2, "Final-Recipient: utf-8; "
	                           "jos\\x{E9}@exampl\\x{E9}.com\r\n"));
	assert_non_null(strstr(p2,
	                       "Original-Recipient: "
	                       "utf-8;jos\\x{E9}\\x{2B}x@exampl\\x{E9}.com"));
	assert_non_null(strstr(p2, "Diagnostic-Code: smtp; 550 5.1.1 bad ? "
	                           "byte\r\n"));
	assert_false(dsn_has_8bit(p2, strlen(p2)));
	assert_true(
	        has(&m, "\r\nTo: <\xe7\x94\xb0\xe4\xb8\xad@example.jp>\r\n"));
	free(p1);
	free(p2);
	free(m.p);
}

static void
test_8bit_original_full(void **state)
{
	static const char orig[] = "Subject: caf\xc3\xa9\r\n\r\nna\xefve\r\n";
	struct dsn_report r = report(&bob_unknown, 1);
	struct built m;
	char *p3;

	r.ret = DSN_RET_FULL;
	m = build("eightbit_full", &r, orig, sizeof(orig) - 1);
	p3 = part(&m, 3);
	assert_non_null(strstr(p3, "Content-Type: message/rfc822\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                           "Subject: caf\xc3\xa9\r\n\r\nna\xefve\r\n"));
	assert_true(has(&m, "MIME-Version: 1.0\r\n"));
	free(p3);
	free(m.p);
}

static void
test_full_too_big_or_binary(void **state)
{
	struct dsn_report r = report(&bob_unknown, 1);
	size_t n = DSN_FULL_MAX + 100;
	char *big = malloc(n);
	struct built m;

	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big, "Subject: big\r\n\r\n", 16);
	for (size_t i = 100; i + 1 < n; i += 80)
		memcpy(big + i - 2, "\r\n", 2);
	r.ret = DSN_RET_FULL;
	m = build("too_big", &r, big, n);
	assert_true(m.len < 10000);
	assert_true(has(&m, "text/rfc822-headers\r\n\r\nSubject: big\r\n"));
	assert_true(has(&m, "larger than 10485760 octets"));
	free(m.p);
	free(big);

	m = build("binary", &r, "Subject: b\r\n\r\na\0b\r\n", 19);
	assert_true(has(&m, "contains binary data"));
	assert_true(has(&m, "text/rfc822-headers\r\n\r\nSubject: b\r\n"));
	free(m.p);
}

static void
test_bad_status_and_nulls(void **state)
{
	static const char *const bad[] = {
	        "", "5.1", "3.1.1", "5.1.1.1", "5.1234.1", "x.y.z", "5..1"};
	struct dsn_recipient rc = {.action = DSN_ACTION_DELAYED};
	struct dsn_report r;
	struct built m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc.status = bad[i];
		r = report(&rc, 1);
		m = build("bad_status", &r, orig_msg, strlen(orig_msg));
		assert_true(has(&m, "\r\nStatus: 4.0.0\r\n"));
		free(m.p);
	}
	/* Every optional pointer NULL and times 0. */
	memset(&r, 0, sizeof(r));
	rc.status = NULL;
	r.rcpts = &rc;
	r.nrcpts = 1;
	m = build("nulls", &r, NULL, 0);
	assert_true(has(&m, "MAILER-DAEMON@localhost>"));
	assert_true(has(&m, "\r\nTo: undisclosed-recipients:;\r\n"));
	assert_true(has(&m, "\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	assert_true(has(&m, "Message-ID: <dsn.0."));
	assert_true(has(&m, "Final-Recipient: rfc822;\r\n"));
	assert_false(has(&m, "Arrival-Date"));
	free(m.p);
}

static void
test_boundary_unique(void **state)
{
	struct dsn_report r = report(&bob_unknown, 1);
	struct built a, b;

	a = build("boundary_a", &r, orig_msg, strlen(orig_msg));
	b = build("boundary_b", &r, orig_msg, strlen(orig_msg));
	assert_string_not_equal(a.boundary, b.boundary);
	assert_int_equal(strncmp(a.boundary, "=_ferry_", 8), 0);
	free(a.p);
	free(b.p);
}

static void
test_xtext(void **state)
{
	char *v;

	v = dsn_xtext("a+b=c d\x01\xc3");
	assert_string_equal(v, "a+2Bb+3Dc+20d+01+C3");
	free(v);
	v = dsn_utf8_addr_xtext("\xe2\x82\xac\\+=a\xff");
	assert_string_equal(v, "\\x{20AC}\\x{5C}\\x{2B}\\x{3D}a\\x{FFFD}");
	free(v);
	v = dsn_orcpt_value("x400; a b");
	assert_string_equal(v, "x400;a+20b");
	free(v);
	v = dsn_orcpt_value("no-type@example.com");
	assert_string_equal(v, "rfc822;no-type@example.com");
	free(v);
}

static void
test_clean(void **state)
{
	char *v;

	v = dsn_clean_text("  a\r\n\tb \x7f c\xc2\x85 d\xe9 \xc3\xa9  ", false);
	assert_string_equal(v, "a b c? d? \xc3\xa9");
	free(v);
	v = dsn_clean_text("\xc3\xa9", true);
	assert_string_equal(v, "??");
	free(v);
	v = dsn_clean_text("\xed\xa0\x80\xe0\x80\x80", false); /* surrogate */
	assert_string_equal(v, "??????");
	free(v);
}

static void
test_fold_and_wrap(void **state)
{
	struct dsn_buf b = {0};
	char word[2000];

	dsn_field(&b, "Subject", "one two");
	assert_string_equal(b.p, "Subject: one two\r\n");
	b.len = 0;
	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	dsn_field(&b, "X", word);
	assert_int_equal(b.len, 3 + 1999 + 2 * 3 + 2);
	assert_int_equal(strcspn(b.p, "\r"), DSN_CHUNK_MAX);
	b.len = 0;
	dsn_wrap(&b, "aaa bbb", 2, 4);
	assert_string_equal(b.p, "  aaa bbb\r\n");
	dsn_buf_free(&b);
}

static void
test_dates(void **state)
{
	char d[DSN_DATE_LEN];

	rfc5322_date(NOW, d);
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	rfc5322_date(951782400, d); /* leap day */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 +0000");
	rfc5322_date((time_t)-1, d);
	assert_string_equal(d, "Wed, 31 Dec 1969 23:59:59 +0000");
	rfc5322_date((time_t)-2300000000LL, d); /* before 1900 */
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	rfc5322_date((time_t)INT64_MAX, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_failed_headers_only),
	        cmocka_unit_test(test_full_envid_orcpt),
	        cmocka_unit_test(test_delayed),
	        cmocka_unit_test(test_several_recipients),
	        cmocka_unit_test(test_success),
	        cmocka_unit_test(test_remote_mta_names),
	        cmocka_unit_test(test_injection),
	        cmocka_unit_test(test_long_values),
	        cmocka_unit_test(test_bare_lf_and_cr),
	        cmocka_unit_test(test_empty_original),
	        cmocka_unit_test(test_utf8_addresses),
	        cmocka_unit_test(test_8bit_original_full),
	        cmocka_unit_test(test_full_too_big_or_binary),
	        cmocka_unit_test(test_bad_status_and_nulls),
	        cmocka_unit_test(test_boundary_unique),
	        cmocka_unit_test(test_xtext),
	        cmocka_unit_test(test_clean),
	        cmocka_unit_test(test_fold_and_wrap),
	        cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
