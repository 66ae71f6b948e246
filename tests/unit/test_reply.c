/*
 * test_reply.c — checks every row of the reply registry (replies.def) against
 * the RFCs and the IANA enhanced status code registry, and checks the one
 * rendering routine (reply_format, reply_write, reply_write_lines).
 *
 * The registry data comes from $FERRY_REFERENCE (set by `make unit` to
 * ../shared/reference): enhanced-status-codes.tsv and basic-reply-codes.tsv.
 * Without it the registry checks are skipped with a message; the rendering
 * checks always run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "reply/reply.h"
#include "reply/status.h"

/*
 * Which basic codes may answer which command.  From RFC 5321 s4.3.2
 * ("Command-Reply Sequences"), RFC 3207 s4 (STARTTLS), RFC 4954 s4 and s6
 * (AUTH) and RFC 3030 s2-s4 (BDAT).  A code in allowed_any may answer every
 * command:
 *   421  RFC 5321 s3.8 and s4.3.2: service shutting down, at any time;
 *   500, 501  RFC 5321 s4.3.2: unrecognized / syntax error for any command;
 *   502  RFC 5321 s4.2.4: recognized but not implemented;
 *   503  RFC 5321 s4.1.4 and s4.3.2: command out of sequence.
 */
struct ctx_codes {
	unsigned ctx;
	const char *name;
	int codes[16]; /* zero-terminated */
};

static const int allowed_any[] = {421, 500, 501, 502, 503, 0};

/*
 * The one deliberate departure from the s4.3.2 lists: relaying refused at
 * RCPT is "554 5.7.1 ... Relay access denied", the reply the project's
 * specification and the reply-code seeds name, and the one Postfix has sent
 * for decades (relay_domains_reject_code); clients treat any 5yz alike.
 */
static const struct {
	enum reply_id id;
	int code;
} allowed_exceptions[] = {
        {R_RCPT_RELAY_DENIED, 554},
        /* Gmail's answer, named by the specification, to a client that
         * keeps sending commands on a submission port without
         * authenticating; the connection is closed right after it. */
        {R_TOO_MANY_UNAUTH, 554},
        /* The seed provider's Postfix refuses a blocked sender at RCPT
         * time (smtpd_delay_reject) with 554 5.7.1, like relaying. */
        {R_SENDER_ACCESS, 554},
        /* The same Postfix answers a client on a DNS block list at RCPT
         * with 554 5.7.1 (seed 004, zen.spamhaus.org). */
        {R_DNSBL_LISTED, 554},
};

static int
is_exception(enum reply_id id, int code)
{
	size_t i;

	for (i = 0;
	     i < sizeof(allowed_exceptions) / sizeof(allowed_exceptions[0]);
	     i++)
		if (allowed_exceptions[i].id == id &&
		    allowed_exceptions[i].code == code)
			return 1;
	return 0;
}

static const struct ctx_codes allowed[] = {
        /* Connection opening: S 220, E 554; 421 per s3.8. */
        {CTX_CONN, "connection", {220, 554, 421, 0}},
        /* EHLO/HELO: S 250; E 504, 550, 502. */
        {CTX_HELO, "EHLO/HELO", {250, 504, 550, 502, 0}},
        /* MAIL: S 250; E 552 451 452 550 553 503 455 555; 530 RFC 3207/4954. */
        {CTX_MAIL,
         "MAIL",
         {250, 552, 451, 452, 550, 553, 503, 455, 555, 530, 0}},
        /* RCPT: S 250 251; E 550 551 552 553 450 451 452 503 455 555; 530. */
        {CTX_RCPT,
         "RCPT",
         {250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555, 530, 0}},
        /* The DATA command itself: I 354; E 503 554; 530. */
        {CTX_DATA, "DATA", {354, 503, 554, 530, 0}},
        /* End of mail data: S 250; E 552 554 451 452, policy 450 550. */
        {CTX_DOT, "end of DATA", {250, 552, 554, 451, 452, 450, 550, 0}},
        /* A BDAT chunk is answered like the end of DATA (RFC 3030 s2), plus
         * 503 for a bad sequence and 554 for no valid recipients, as DATA. */
        {CTX_BDAT, "BDAT", {250, 552, 554, 451, 452, 450, 550, 503, 530, 0}},
        /* RSET: S 250 (530 while TLS is required, RFC 3207 s4). */
        {CTX_RSET, "RSET", {250, 530, 0}},
        /* NOOP: S 250. */
        {CTX_NOOP, "NOOP", {250, 0}},
        /* QUIT: S 221. */
        {CTX_QUIT, "QUIT", {221, 0}},
        /* VRFY (S 250 251 252; E 550 551 553 502 504) or EXPN (S 250 252;
         * E 550 500 502 504): the bit covers both, so either list counts. */
        {CTX_VRFY,
         "VRFY/EXPN",
         {250, 251, 252, 550, 551, 553, 502, 504, 530, 0}},
        /* HELP: S 211 214; E 502 504. */
        {CTX_HELP, "HELP", {211, 214, 502, 504, 530, 0}},
        /* STARTTLS, RFC 3207 s4: 220 ready, 501 syntax, 454 not available. */
        {CTX_STARTTLS, "STARTTLS", {220, 501, 454, 0}},
        /* AUTH, RFC 4954 s4 and s6: 235 334 432 454 500 501 503 504 534 535
         * 538; 530 before STARTTLS where TLS is required (RFC 3207 s4). */
        {CTX_AUTH,
         "AUTH",
         {235, 334, 432, 454, 500, 501, 503, 504, 530, 534, 535, 538, 0}},
        /* Any command: only the codes every command may get. */
        {CTX_ANY, "any command", {0}},
};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

/* Every bit enum reply_ctx defines; a row with another bit set is wrong. */
#define CTX_ALL                                                                \
	(CTX_CONN | CTX_HELO | CTX_MAIL | CTX_RCPT | CTX_DATA | CTX_DOT |      \
	 CTX_BDAT | CTX_RSET | CTX_NOOP | CTX_QUIT | CTX_VRFY | CTX_HELP |     \
	 CTX_STARTTLS | CTX_AUTH | CTX_ANY)

/* ---- reference data ------------------------------------------------- */

#define MAX_CODES 512

struct refdata {
	char enhanced[MAX_CODES][16]; /* "X.1.1" */
	int nenhanced;
	int basic[MAX_CODES];
	int nbasic;
};

static struct refdata ref;
static int ref_loaded;

/* Read the first column of every data row of a TSV file into cb. */
static int
read_first_column(const char *dir, const char *file,
                  void (*cb)(const char *field))
{
	char path[4096], line[4096];
	FILE *fp;
	int header = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\t\r\n")] = '\0';
		if (header) {
			header = 0;
			continue;
		}
		if (line[0] != '\0')
			cb(line);
	}
	fclose(fp);
	return 0;
}

static void
add_enhanced(const char *field)
{
	if (ref.nenhanced < MAX_CODES)
		snprintf(ref.enhanced[ref.nenhanced++], sizeof(ref.enhanced[0]),
		         "%s", field);
}

static void
add_basic(const char *field)
{
	if (ref.nbasic < MAX_CODES)
		ref.basic[ref.nbasic++] = atoi(field);
}

static int
setup_reference(void **state)
{
	const char *dir = getenv("FERRY_REFERENCE");

	(void)state;
	if (dir == NULL || *dir == '\0') {
		print_message("FERRY_REFERENCE is not set: registry checks "
		              "against the IANA/RFC data are skipped\n");
		return 0;
	}
	if (read_first_column(dir, "enhanced-status-codes.tsv", add_enhanced) !=
	            0 ||
	    read_first_column(dir, "basic-reply-codes.tsv", add_basic) != 0) {
		print_message("reference data not found in %s: registry "
		              "checks are skipped\n",
		              dir);
		return 0;
	}
	ref_loaded = ref.nenhanced > 0 && ref.nbasic > 0;
	return 0;
}

#define NEED_REFERENCE()                                                       \
	do {                                                                   \
		if (!ref_loaded) {                                             \
			print_message("skipped: no reference data\n");         \
			skip();                                                \
		}                                                              \
	} while (0)

static int
enhanced_known(const char *enh)
{
	char key[16];
	int i;

	snprintf(key, sizeof(key), "X%s", enh + 1);
	for (i = 0; i < ref.nenhanced; i++)
		if (strcmp(ref.enhanced[i], key) == 0)
			return 1;
	return 0;
}

static int
basic_known(int code)
{
	int i;

	for (i = 0; i < ref.nbasic; i++)
		if (ref.basic[i] == code)
			return 1;
	return 0;
}

static int
in_list(const int *list, int code)
{
	for (; *list != 0; list++)
		if (*list == code)
			return 1;
	return 0;
}

/* "C.S.D": class 2, 4 or 5, subject and detail of 1 to 3 digits. */
static int
enhanced_syntax_ok(const char *e)
{
	int part, n;

	if (e[0] != '2' && e[0] != '4' && e[0] != '5')
		return 0;
	if (e[1] != '.')
		return 0;
	e += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; *e >= '0' && *e <= '9'; e++)
			n++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0 && *e++ != '.')
			return 0;
	}
	return *e == '\0';
}

/* ---- registry checks ------------------------------------------------ */

static void
test_table_complete(void **state)
{
	int i;

	(void)state;
	assert_true(R__COUNT > 0);
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		assert_non_null(r->name);
		assert_non_null(r->text);
		assert_memory_equal(r->name, "R_", 2);
		if (r->ctx == 0 || (r->ctx & ~(unsigned)CTX_ALL) != 0)
			fail_msg("%s: bad ctx bits 0x%x", r->name, r->ctx);
	}
}

static void
test_enhanced_in_registry(void **state)
{
	int i, bad = 0;

	(void)state;
	NEED_REFERENCE();
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		if (r->enh == NULL)
			continue;
		if (!enhanced_syntax_ok(r->enh)) {
			print_error("%s: enhanced code '%s' is not C.S.D\n",
			            r->name, r->enh);
			bad++;
		} else if (!enhanced_known(r->enh)) {
			print_error("%s: enhanced code %s is not in the IANA "
			            "registry\n",
			            r->name, r->enh);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_enhanced_class_matches(void **state)
{
	int i, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		if (r->enh != NULL && r->enh[0] - '0' != r->code / 100) {
			print_error("%s: %d with class %c enhanced code %s\n",
			            r->name, r->code, r->enh[0], r->enh);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_enhanced_null_only_where_allowed(void **state)
{
	int i, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);
		int ok;

		if (r->enh != NULL)
			continue;
		/* RFC 2034 s3: none on the greeting or the EHLO/HELO reply;
		 * 334 and 354 carry protocol data, not a status. */
		ok = r->code == 220 || r->code == 334 || r->code == 354 ||
		     (r->code == 250 && r->ctx == CTX_HELO);
		if (!ok) {
			print_error("%s: %d has no enhanced code\n", r->name,
			            r->code);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_basic_code_known(void **state)
{
	int i, bad = 0;

	(void)state;
	NEED_REFERENCE();
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		if (!basic_known(r->code)) {
			print_error("%s: basic code %d is not a listed reply "
			            "code\n",
			            r->name, r->code);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_basic_code_allowed_for_ctx(void **state)
{
	size_t k;
	int i, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		for (k = 0; k < NALLOWED; k++) {
			if (!(r->ctx & allowed[k].ctx))
				continue;
			if (in_list(allowed_any, r->code) ||
			    in_list(allowed[k].codes, r->code) ||
			    is_exception((enum reply_id)i, r->code))
				continue;
			print_error("%s: %d may not answer %s\n", r->name,
			            r->code, allowed[k].name);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static int
printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
test_text_printable(void **state)
{
	int i, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);
		const char *p;

		if (!printable_ascii(r->text) || r->text[0] == '\0') {
			print_error("%s: text is empty or not printable "
			            "ASCII\n",
			            r->name);
			bad++;
		}
		/* Only "%s" and "%%" are conversions the renderer knows. */
		for (p = strchr(r->text, '%'); p != NULL;
		     p = strchr(p + 2, '%')) {
			if (p[1] != 's' && p[1] != '%') {
				print_error("%s: unknown conversion %%%c\n",
				            r->name, p[1]);
				bad++;
				break;
			}
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_no_duplicate_rows(void **state)
{
	int i, j, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *a = reply_def((enum reply_id)i);

		for (j = i + 1; j < R__COUNT; j++) {
			const struct reply_def *b = reply_def((enum reply_id)j);
			int same_enh =
			        (a->enh == NULL && b->enh == NULL) ||
			        (a->enh && b->enh && !strcmp(a->enh, b->enh));

			if (a->code == b->code && same_enh &&
			    strcmp(a->text, b->text) == 0) {
				print_error("%s and %s are the same reply\n",
				            a->name, b->name);
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
}

static size_t
format_with(char *buf, size_t len, enum reply_id id, const char *arg)
{
	/* Up to 4 placeholders; extra arguments are ignored. */
	return reply_format(buf, len, id, arg, arg, arg, arg);
}

static void
test_nargs_consistent(void **state)
{
	char buf[2048];
	int i;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);
		int n = reply_nargs((enum reply_id)i), seen = 0;
		const char *p;

		assert_in_range(n, 0, 4);
		/* Count "%s" by hand, skipping "%%". */
		for (p = r->text; *p; p++) {
			if (p[0] == '%' && p[1] == 's')
				seen++;
			if (p[0] == '%' && p[1] != '\0')
				p++;
		}
		if (seen != n)
			fail_msg("%s: reply_nargs %d, text has %d", r->name, n,
			         seen);
		/* Each placeholder is filled in: the marker shows up n
		 * times and no "%s" is left over. */
		format_with(buf, sizeof(buf), (enum reply_id)i, "QZQ");
		seen = 0;
		for (p = strstr(buf, "QZQ"); p; p = strstr(p + 3, "QZQ"))
			seen++;
		if (seen != n)
			fail_msg("%s: rendered with %d of %d arguments: %s",
			         r->name, seen, n, buf);
		assert_null(strstr(buf, "%s"));
	}
}

static void
test_rendered_line_capped(void **state)
{
	char buf[4096], *longarg;
	int i;

	(void)state;
	longarg = malloc(2001);
	assert_non_null(longarg);
	memset(longarg, 'a', 2000);
	longarg[2000] = '\0';
	for (i = 0; i < R__COUNT; i++) {
		struct evbuffer *out = evbuffer_new();
		size_t n, len;
		char *wire;

		n = format_with(buf, sizeof(buf), (enum reply_id)i, longarg);
		assert_int_equal(n, strlen(buf));
		/* With CRLF the line must fit RFC 5321's 512 octets. */
		assert_true(n + 2 <= REPLY_LINE_MAX);
		assert_true(printable_ascii(buf));

		reply_write(out, (enum reply_id)i, longarg, longarg, longarg,
		            longarg);
		len = evbuffer_get_length(out);
		assert_true(len <= REPLY_LINE_MAX);
		wire = (char *)evbuffer_pullup(out, -1);
		assert_memory_equal(wire + len - 2, "\r\n", 2);
		assert_null(memchr(wire, '\r', len - 2));
		assert_null(memchr(wire, '\n', len - 2));
		evbuffer_free(out);
	}
	free(longarg);
}

/* ---- rendering ------------------------------------------------------ */

static void
test_format_exact(void **state)
{
	char buf[REPLY_LINE_MAX];
	size_t n;

	(void)state;
	n = reply_format(buf, sizeof(buf), R_RCPT_TOO_MANY);
	assert_string_equal(buf, "452 4.5.3 Error: too many recipients");
	assert_int_equal(n, strlen(buf));

	reply_format(buf, sizeof(buf), R_GREETING, "mx.example.org");
	assert_string_equal(buf, "220 mx.example.org ESMTP ferry");

	reply_format(buf, sizeof(buf), R_RCPT_USER_UNKNOWN, "bob@example.org");
	assert_string_equal(buf, "550 5.1.1 <bob@example.org>: Recipient "
	                         "address rejected: User unknown in local "
	                         "recipient table");

	/* "%%" renders as one percent sign. */
	reply_format(buf, sizeof(buf), R_RCPT_ROUTE_DENIED, "a%b@c");
	assert_string_equal(buf, "550 5.7.1 <a%b@c>: Source routes and % "
	                         "addressing are not accepted");

	/* A NULL argument renders as nothing rather than crashing. */
	reply_format(buf, sizeof(buf), R_QUEUED, (const char *)NULL);
	assert_string_equal(buf, "250 2.0.0 Ok: queued as ");
}

static void
test_format_sanitises_arguments(void **state)
{
	char buf[REPLY_LINE_MAX];

	(void)state;
	/* CR/LF in an argument must not end the line (reply injection). */
	reply_format(buf, sizeof(buf), R_QUEUED, "X\r\n250 fake\r\n");
	assert_string_equal(buf, "250 2.0.0 Ok: queued as X??250 fake??");

	/* Non-ASCII and control octets become '?', one per octet. */
	reply_format(buf, sizeof(buf), R_GREETING, "h\xc3\xa9\t\x7f.x");
	assert_string_equal(buf, "220 h????.x ESMTP ferry");
}

static void
test_format_small_buffer(void **state)
{
	char buf[12];
	size_t n;

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	n = reply_format(buf, sizeof(buf), R_RCPT_TOO_MANY);
	assert_true(n < sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_memory_equal(buf, "452 4.5.3 Error: too many recipients", n);
}

static char *
drain(struct evbuffer *out)
{
	size_t len = evbuffer_get_length(out);
	char *s = malloc(len + 1);

	assert_non_null(s);
	evbuffer_remove(out, s, len);
	s[len] = '\0';
	return s;
}

static void
test_write_single(void **state)
{
	struct evbuffer *out = evbuffer_new();
	char *s;

	(void)state;
	reply_write(out, R_CLOSING);
	reply_write(out, R_QUEUED, "4Zx1");
	s = drain(out);
	assert_string_equal(s, "221 2.0.0 Bye\r\n"
	                       "250 2.0.0 Ok: queued as 4Zx1\r\n");
	free(s);
	evbuffer_free(out);
}

static void
test_write_lines_ehlo(void **state)
{
	static const char *const kw[] = {"PIPELINING", "SIZE 10240000",
	                                 "8BITMIME"};
	struct evbuffer *out = evbuffer_new();
	char *s;

	(void)state;
	reply_write_lines(out, R_HELO_OK, kw, 3, "mx.example.org");
	s = drain(out);
	assert_string_equal(s, "250-mx.example.org\r\n"
	                       "250-PIPELINING\r\n"
	                       "250-SIZE 10240000\r\n"
	                       "250 8BITMIME\r\n");
	free(s);

	/* No extra lines: exactly reply_write's output. */
	reply_write_lines(out, R_HELO_OK, NULL, 0, "mx.example.org");
	s = drain(out);
	assert_string_equal(s, "250 mx.example.org\r\n");
	free(s);
	evbuffer_free(out);
}

static void
test_write_lines_enhanced(void **state)
{
	static const char *const more[] = {"see RFC 5321"};
	struct evbuffer *out = evbuffer_new();
	char *s;

	(void)state;
	/* Every line of a multi-line reply repeats the enhanced code
	 * (RFC 2034 s3). */
	reply_write_lines(out, R_CLOSING, more, 1);
	s = drain(out);
	assert_string_equal(s, "221-2.0.0 Bye\r\n"
	                       "221 2.0.0 see RFC 5321\r\n");
	free(s);
	evbuffer_free(out);
}

/* Each CRLF-terminated line of buf: at most 512 octets, no bare CR/LF,
 * "CODE-" on all but the last, "CODE " on the last. */
static void
check_multiline(const char *s, size_t len, int code, size_t want_lines)
{
	char prefix[8];
	size_t pos = 0, nlines = 0;

	while (pos < len) {
		const char *crlf = strstr(s + pos, "\r\n");
		size_t linelen;

		assert_non_null(crlf);
		linelen = (size_t)(crlf - (s + pos));
		if (linelen + 2 > REPLY_LINE_MAX)
			fail_msg("line %zu is %zu octets", nlines, linelen + 2);
		if (memchr(s + pos, '\n', linelen) != NULL ||
		    memchr(s + pos, '\r', linelen) != NULL)
			fail_msg("line %zu holds a bare CR or LF", nlines);
		nlines++;
		pos += linelen + 2;
		snprintf(prefix, sizeof(prefix), "%03d%c", code,
		         pos < len ? '-' : ' ');
		assert_memory_equal(crlf - linelen, prefix, 4);
	}
	assert_int_equal(nlines, want_lines);
}

static void
test_write_lines_capped(void **state)
{
	const char *lines[2];
	struct evbuffer *out = evbuffer_new();
	char *longline, *s;
	size_t len;

	(void)state;
	longline = malloc(3001);
	assert_non_null(longline);
	memset(longline, 'k', 3000);
	longline[3000] = '\0';
	lines[0] = longline;
	lines[1] = "LAST";
	reply_write_lines(out, R_HELO_OK, lines, 2, longline);
	len = evbuffer_get_length(out);
	s = drain(out);
	check_multiline(s, len, 250, 3);
	free(s);
	free(longline);
	evbuffer_free(out);
}

static void
test_write_lines_sanitises_lines(void **state)
{
	static const char *const bad[] = {"AUTH PLAIN\r\n250 injected",
	                                  "X-\xc3\xa9"};
	struct evbuffer *out = evbuffer_new();
	char *s;
	size_t len;

	(void)state;
	/* Continuation lines pass through the same chokepoint as
	 * arguments: they may not split the reply or carry 8-bit octets. */
	reply_write_lines(out, R_HELO_OK, bad, 2, "mx.example.org");
	len = evbuffer_get_length(out);
	s = drain(out);
	check_multiline(s, len, 250, 3);
	assert_non_null(strstr(s, "X-??\r\n"));
	free(s);
	evbuffer_free(out);
}

/* A client's protocol mistake is answered with a permanent 50x/53x/555:
 * the rows that count toward max_errors are 5yz, and no policy refusal
 * (550-554) counts. */
static void
test_protocol_errors_are_5yz(void **state)
{
	int i, bad = 0;

	(void)state;
	for (i = 0; i < R__COUNT; i++) {
		const struct reply_def *r = reply_def((enum reply_id)i);

		if (r->err == ERR_PROTOCOL &&
		    (r->code / 100 != 5 ||
		     (r->code >= 550 && r->code <= 554))) {
			print_error("%s: %d counted as a protocol error\n",
			            r->name, r->code);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ---- the client-side status table (statuses.def) ---------------------- */

static void
test_status_rows(void **state)
{
	int i, bad = 0;

	(void)state;
	NEED_REFERENCE();
	for (i = 0; i < ST__COUNT; i++) {
		const struct status_def *st = status_def((enum status_id)i);

		assert_memory_equal(st->name, "ST_", 3);
		assert_non_null(status_cat_name(st->cat));
		if (st->text == NULL || st->text[0] == '\0' ||
		    strchr(st->text, '%') != NULL) {
			print_error("%s: text empty or with %%\n", st->name);
			bad++;
		}
		if (st->enh == NULL || !enhanced_syntax_ok(st->enh) ||
		    !enhanced_known(st->enh)) {
			print_error("%s: enhanced code %s is not in the IANA "
			            "registry\n",
			            st->name, st->enh ? st->enh : "(null)");
			bad++;
		}
		if (st->code != 0 &&
		    (!basic_known(st->code) ||
		     (st->enh && st->enh[0] - '0' != st->code / 100))) {
			print_error("%s: basic code %d unknown or of another "
			            "class than %s\n",
			            st->name, st->code, st->enh);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_status_markdown_lists_every_row(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	(void)state;
	assert_non_null(f);
	status_print_markdown(f);
	fclose(f);
	for (i = 0; i < ST__COUNT; i++) {
		char cell[64];

		snprintf(cell, sizeof(cell), "| `%s` |",
		         status_def((enum status_id)i)->name);
		assert_non_null(strstr(buf, cell));
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest registry[] = {
	        cmocka_unit_test(test_table_complete),
	        cmocka_unit_test(test_enhanced_in_registry),
	        cmocka_unit_test(test_enhanced_class_matches),
	        cmocka_unit_test(test_enhanced_null_only_where_allowed),
	        cmocka_unit_test(test_protocol_errors_are_5yz),
	        cmocka_unit_test(test_status_rows),
	        cmocka_unit_test(test_status_markdown_lists_every_row),
	        cmocka_unit_test(test_basic_code_known),
	        cmocka_unit_test(test_basic_code_allowed_for_ctx),
	        cmocka_unit_test(test_text_printable),
	        cmocka_unit_test(test_no_duplicate_rows),
	        cmocka_unit_test(test_nargs_consistent),
	        cmocka_unit_test(test_rendered_line_capped),
	};
	const struct CMUnitTest render[] = {
	        cmocka_unit_test(test_format_exact),
	        cmocka_unit_test(test_format_sanitises_arguments),
	        cmocka_unit_test(test_format_small_buffer),
	        cmocka_unit_test(test_write_single),
	        cmocka_unit_test(test_write_lines_ehlo),
	        cmocka_unit_test(test_write_lines_enhanced),
	        cmocka_unit_test(test_write_lines_capped),
	        cmocka_unit_test(test_write_lines_sanitises_lines),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("reply registry", registry,
	                                      setup_reference, NULL);
	failed += cmocka_run_group_tests_name("reply rendering", render, NULL,
	                                      NULL);
	return failed ? 1 : 0;
}
