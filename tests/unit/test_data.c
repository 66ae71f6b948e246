/*
 * test_data.c — the DATA/BDAT content scanner (src/smtp/data.c).
 *
 * One table of {input, expected content, used, flags, ...}.  Every row is
 * run whole, octet by octet, split in two at every offset and in seeded
 * random pieces; each run must give the same content, flags and octets
 * used.  Output buffers are allocated at exactly the size of the piece fed,
 * as data.h promises, so the sanitizer build catches any overrun.
 *
 * Sources: RFC 5321 s4.1.1.4 and s4.5.2 (end of data, dot-stuffing),
 * s2.3.8 (CRLF only), RFC 5322 s2.1.1 (998), RFC 3030 (BDAT takes octets
 * as they are), and the SMTP smuggling reports (CVE-2023-51764 class):
 * only CRLF "." CRLF may end DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/data.h"

#define S(lit) lit, sizeof(lit) - 1

enum { DATA = 1, BDAT = 0 };

#define CR DATA_BARE_CR
#define LF DATA_BARE_LF
#define NUL DATA_NUL
#define BIG DATA_TOO_BIG
#define LONG DATA_HEADER_TOO_LONG

/* used == ALL: the whole input is consumed. */
#define ALL ((size_t)-1)

struct scan_case {
	const char *name;
	int mode;
	const char *in;
	size_t inlen;
	const char *out;
	size_t outlen;
	size_t used;
	unsigned flags;
	bool done;
	unsigned received;
	size_t max_size;
};

static const struct scan_case cases[] = {
        /* Plain messages and the end marker. */
        {"simple", DATA, S("Subject: hi\r\n\r\nHello\r\n.\r\n"),
         S("Subject: hi\r\n\r\nHello\r\n"), ALL, 0, true, 0, 0},
        {"empty message", DATA, S(".\r\n"), S(""), ALL, 0, true, 0, 0},
        {"only a blank line", DATA, S("\r\n.\r\n"), S("\r\n"), ALL, 0, true, 0,
         0},
        {"two blank lines", DATA, S("\r\n\r\n.\r\n"), S("\r\n\r\n"), ALL, 0,
         true, 0, 0},
        {"no end yet", DATA, S("a\r\nb\r\n"), S("a\r\nb\r\n"), ALL, 0, false, 0,
         0},
        {"end marker incomplete", DATA, S("a\r\n.\r"), S("a\r\n"), ALL, 0,
         false, 0, 0},
        {"pipelined QUIT not consumed", DATA, S("x\r\n.\r\nQUIT\r\n"),
         S("x\r\n"), 6, 0, true, 0, 0},
        {"pipelined after empty", DATA, S(".\r\nRSET\r\nMAIL FROM:<>\r\n"),
         S(""), 3, 0, true, 0, 0},
        {"second end marker is the next data", DATA, S("a\r\n.\r\n.\r\n"),
         S("a\r\n"), 6, 0, true, 0, 0},

        /* Dot-stuffing, RFC 5321 s4.5.2. */
        {"stuffed at start", DATA, S("..hidden\r\n.\r\n"), S(".hidden\r\n"),
         ALL, 0, true, 0, 0},
        {"stuffed lone dot", DATA, S("a\r\n..\r\n.\r\n"), S("a\r\n.\r\n"), ALL,
         0, true, 0, 0},
        {"leading dot removed", DATA, S("a\r\n.x\r\n.\r\n"), S("a\r\nx\r\n"),
         ALL, 0, true, 0, 0},
        {"three dots", DATA, S("...\r\n.\r\n"), S("..\r\n"), ALL, 0, true, 0,
         0},
        {"dot space", DATA, S(". \r\n.\r\n"), S(" \r\n"), ALL, 0, true, 0, 0},
        {"dot inside line kept", DATA, S("a.b\r\n.\r\n"), S("a.b\r\n"), ALL, 0,
         true, 0, 0},
        {"dot at end of line kept", DATA, S("ab.\r\n.\r\n"), S("ab.\r\n"), ALL,
         0, true, 0, 0},
        {"not unstuffed after bare LF", DATA, S("a\n..\r\n.\r\n"),
         S("a\n..\r\n"), ALL, LF, true, 0, 0},
        {"not unstuffed after bare CR", DATA, S("a\r..\r\n.\r\n"),
         S("a\r..\r\n"), ALL, CR, true, 0, 0},

        /* Smuggling: nothing but CRLF . CRLF ends DATA. */
        {"LF.LF", DATA, S("a\n.\nMAIL FROM:<x@y>\r\n.\r\n"),
         S("a\n.\nMAIL FROM:<x@y>\r\n"), ALL, LF, true, 0, 0},
        {"CRLF.LF", DATA, S("a\r\n.\nRCPT TO:<v@w>\r\n.\r\n"),
         S("a\r\n\nRCPT TO:<v@w>\r\n"), ALL, LF, true, 0, 0},
        {"LF.CRLF", DATA, S("a\n.\r\nDATA\r\n.\r\n"), S("a\n.\r\nDATA\r\n"),
         ALL, LF, true, 0, 0},
        {"CR.CR", DATA, S("a\r.\rQUIT\r\n.\r\n"), S("a\r.\rQUIT\r\n"), ALL, CR,
         true, 0, 0},
        {"CR.CRLF", DATA, S("a\r.\r\nx\r\n.\r\n"), S("a\r.\r\nx\r\n"), ALL, CR,
         true, 0, 0},
        {"CRLF.CR", DATA, S("a\r\n.\rb\r\n.\r\n"), S("a\r\nb\r\n"), ALL, CR,
         true, 0, 0},
        {"CRLF.CR CRLF", DATA, S("a\r\n.\r\r\n.\r\n"), S("a\r\n\r\n"), ALL, CR,
         true, 0, 0},
        {"dot CR CR LF at start", DATA, S(".\r\r\n.\r\n"), S("\r\n"), ALL, CR,
         true, 0, 0},
        {"CR CR LF", DATA, S("a\r\r\n.\r\n"), S("a\r\r\n"), ALL, CR, true, 0,
         0},
        {"CR CR LF before dot", DATA, S("a\r\r\n.\r\nX"), S("a\r\r\n"), 7, CR,
         true, 0, 0},
        {"LF CR LF . CR LF", DATA, S("a\n\r\n.\r\n"), S("a\n\r\n"), ALL, LF,
         true, 0, 0},
        {"CRLF LF . CRLF", DATA, S("a\r\n\n.\r\n.\r\n"), S("a\r\n\n.\r\n"), ALL,
         LF, true, 0, 0},
        {"LF.LF never ends", DATA, S("a\n.\n"), S("a\n.\n"), ALL, LF, false, 0,
         0},
        {"CR.CR never ends", DATA, S("a\r.\r"), S("a\r.\r"), ALL, CR, false, 0,
         0},
        {"CRLF.LF never ends", DATA, S("a\r\n.\n"), S("a\r\n\n"), ALL, LF,
         false, 0, 0},
        {"LF.CRLF never ends", DATA, S("\n.\r\n"), S("\n.\r\n"), ALL, LF, false,
         0, 0},
        {"dot LF at very start", DATA, S(".\nx\r\n.\r\n"), S("\nx\r\n"), ALL,
         LF, true, 0, 0},
        {"LF CR . CR LF", DATA, S("a\n\r.\r\n.\r\n"), S("a\n\r.\r\n"), ALL,
         LF | CR, true, 0, 0},
        {"CR LF CR . LF", DATA, S("a\r\n\r.\n.\r\n"), S("a\r\n\r.\n.\r\n"), ALL,
         LF | CR, false, 0, 0},
        {"NUL", DATA, S("a\0b\r\n.\r\n"), S("a\0b\r\n"), ALL, NUL, true, 0, 0},
        {"NUL in the end marker", DATA, S("a\r\n.\0\r\n.\r\n"),
         S("a\r\n\0\r\n"), ALL, NUL, true, 0, 0},

        /* Received: fields, counted in the header section only. */
        {"received count", DATA,
         S("Received: from a\r\nreceived: from b\r\nRECEIVED:x\r\n"
           "X-Received: no\r\nReceived-SPF: pass\r\nReceived\r\n"
           "Subject: s\r\n\r\nReceived: in body\r\n.\r\n"),
         S("Received: from a\r\nreceived: from b\r\nRECEIVED:x\r\n"
           "X-Received: no\r\nReceived-SPF: pass\r\nReceived\r\n"
           "Subject: s\r\n\r\nReceived: in body\r\n"),
         ALL, 0, true, 3, 0},
        {"received folded", DATA,
         S("Received: from a\r\n by b\r\n\tfor c\r\nReceived:\r\n (x)\r\n"
           "Subject: x\r\n Received: fake\r\n\r\n.\r\n"),
         S("Received: from a\r\n by b\r\n\tfor c\r\nReceived:\r\n (x)\r\n"
           "Subject: x\r\n Received: fake\r\n\r\n"),
         ALL, 0, true, 2, 0},
        {"received after bare LF", DATA, S("X: y\nReceived: z\r\n\r\n.\r\n"),
         S("X: y\nReceived: z\r\n\r\n"), ALL, LF, true, 0, 0},
        {"received stuffed", DATA, S(".Received: a\r\n\r\n.\r\n"),
         S("Received: a\r\n\r\n"), ALL, 0, true, 1, 0},
        {"received doubly stuffed", DATA, S("..Received: a\r\n\r\n.\r\n"),
         S(".Received: a\r\n\r\n"), ALL, 0, true, 0, 0},
        {"received after blank line", DATA,
         S("\r\nReceived: a\r\nReceived: b\r\n.\r\n"),
         S("\r\nReceived: a\r\nReceived: b\r\n"), ALL, 0, true, 0, 0},
        {"received no end of line", DATA, S("Received: a"), S("Received: a"),
         ALL, 0, false, 0, 0},

        /* Size limit: content octets after unstuffing. */
        {"size exact", DATA, S("12345\r\n.\r\n"), S("12345\r\n"), ALL, 0, true,
         0, 7},
        {"size one over", DATA, S("12345\r\n.\r\n"), S("12345\r"), ALL, BIG,
         true, 0, 6},
        {"size over, end still found", DATA, S("123456\r\n.\r\nQUIT\r\n"),
         S("123"), 11, BIG, true, 0, 3},
        {"size counts unstuffed", DATA, S("..\r\n.\r\n"), S(".\r\n"), ALL, 0,
         true, 0, 3},
        {"size bdat", BDAT, S("abcdef"), S("abcd"), ALL, BIG, false, 0, 4},

        /* BDAT: octets as they are, no end marker. */
        {"bdat plain", BDAT, S("a\r\n.\r\nb"), S("a\r\n.\r\nb"), ALL, 0, false,
         0, 0},
        {"bdat dots kept", BDAT, S("..x\r\n.\r\n"), S("..x\r\n.\r\n"), ALL, 0,
         false, 0, 0},
        {"bdat bare LF", BDAT, S("a\nb"), S("a\nb"), ALL, LF, false, 0, 0},
        {"bdat bare CR", BDAT, S("a\rb"), S("a\rb"), ALL, CR, false, 0, 0},
        {"bdat trailing CR", BDAT, S("abc\r"), S("abc\r"), ALL, CR, false, 0,
         0},
        {"bdat CRLF at end", BDAT, S("abc\r\n"), S("abc\r\n"), ALL, 0, false, 0,
         0},
        {"bdat received", BDAT, S("Received: a\r\nreceived: b\r\n\r\nx"),
         S("Received: a\r\nreceived: b\r\n\r\nx"), ALL, 0, false, 2, 0},
        {"bdat NUL", BDAT, S("\0"), S("\0"), ALL, NUL, false, 0, 0},
};

/* Result of one run of the scanner over a case. */
struct run {
	char *out;
	size_t outlen;
	size_t used;
	struct data_scanner sc;
};

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Feed c->in in pieces: cut[] holds piece lengths (ncut of them; the last
 * piece takes the rest).  Each piece gets an output buffer of exactly its
 * own size.
 */
static void
run_pieces(const struct scan_case *c, const size_t *cut, size_t ncut,
           struct run *r)
{
	size_t pos = 0, k = 0;

	data_scanner_init(&r->sc, c->mode == DATA, c->max_size);
	r->out = malloc(c->inlen + 1);
	assert_non_null(r->out);
	r->outlen = 0;
	while (pos < c->inlen && !r->sc.done) {
		size_t want = k < ncut ? cut[k] : c->inlen - pos;
		size_t got, used;
		char *buf;

		k++;
		if (want > c->inlen - pos)
			want = c->inlen - pos;
		if (want == 0) {
			/* An empty piece must change nothing. */
			char dummy;

			used = data_scan(&r->sc, c->in + pos, 0, &dummy, &got);
			assert_int_equal(used, 0);
			assert_int_equal(got, 0);
			continue;
		}
		buf = malloc(want);
		assert_non_null(buf);
		used = data_scan(&r->sc, c->in + pos, want, buf, &got);
		assert_true(used <= want);
		assert_true(got <= want);
		if (used < want)
			assert_true(r->sc.done);
		memcpy(r->out + r->outlen, buf, got);
		free(buf);
		r->outlen += got;
		pos += used;
	}
	r->used = pos;
	if (c->mode == BDAT)
		data_scanner_finish(&r->sc);
}

static void
check_run(const struct scan_case *c, const struct run *r, const char *how)
{
	size_t used = c->used == ALL ? c->inlen : c->used;

	if (r->outlen != c->outlen || memcmp(r->out, c->out, c->outlen) != 0 ||
	    r->used != used || r->sc.flags != c->flags ||
	    (c->mode == DATA && r->sc.done != c->done) ||
	    r->sc.received != c->received) {
		print_error("case \"%s\" fed %s: outlen %zu (want %zu), used "
		            "%zu (want %zu), flags %#x (want %#x), done %d, "
		            "received %u (want %u)\n",
		            c->name, how, r->outlen, c->outlen, r->used, used,
		            r->sc.flags, c->flags, r->sc.done, r->sc.received,
		            c->received);
		fail();
	}
}

static void
test_table_whole(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_pieces(&cases[i], NULL, 0, &r);
		check_run(&cases[i], &r, "whole");
		free(r.out);
	}
}

static void
test_table_octet_by_octet(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scan_case *c = &cases[i];
		size_t *cut = malloc((c->inlen + 1) * sizeof(*cut));
		struct run r;

		assert_non_null(cut);
		for (k = 0; k <= c->inlen; k++)
			cut[k] = 1;
		run_pieces(c, cut, c->inlen + 1, &r);
		check_run(c, &r, "octet by octet");
		free(r.out);
		free(cut);
	}
}

/* Every split point, so the end marker straddles each possible boundary. */
static void
test_table_every_split(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k <= cases[i].inlen; k++) {
			struct run r;
			char how[32];

			run_pieces(&cases[i], &k, 1, &r);
			snprintf(how, sizeof(how), "split at %zu", k);
			check_run(&cases[i], &r, how);
			free(r.out);
		}
	}
}

static void
test_table_random_pieces(void **state)
{
	size_t i, k, round;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scan_case *c = &cases[i];
		uint32_t seed = 0x9e3779b9u ^ (uint32_t)(i * 2654435761u);
		size_t *cut = malloc((c->inlen + 1) * sizeof(*cut));

		assert_non_null(cut);
		for (round = 0; round < 64; round++) {
			struct run r;
			char how[48];

			for (k = 0; k <= c->inlen; k++)
				cut[k] = xorshift(&seed) % 5; /* 0..4 */
			run_pieces(c, cut, c->inlen + 1, &r);
			snprintf(how, sizeof(how), "random round %zu", round);
			check_run(c, &r, how);
			free(r.out);
		}
		free(cut);
	}
}

/* A header line of n octets, then a blank line and the end marker. */
static char *
long_header(size_t n, bool stuffed, size_t *len_r)
{
	char *m = malloc(n + 16);
	size_t k = 0;

	assert_non_null(m);
	if (stuffed)
		m[k++] = '.';
	memcpy(m + k, "X-Long: ", 8);
	k += 8;
	while (k < n + (stuffed ? 1 : 0))
		m[k++] = 'v';
	memcpy(m + k, "\r\n\r\n.\r\n", 7);
	*len_r = k + 7;
	return m;
}

static unsigned
scan_flags(const char *m, size_t len, bool dot_mode)
{
	struct data_scanner sc;
	char *out = malloc(len);
	size_t outlen;

	assert_non_null(out);
	data_scanner_init(&sc, dot_mode, 0);
	assert_int_equal(data_scan(&sc, m, len, out, &outlen), len);
	free(out);
	return sc.flags;
}

/* RFC 5322 s2.1.1: 998 octets excluding CRLF. */
static void
test_header_line_limit(void **state)
{
	static const struct {
		size_t n;
		bool stuffed;
		unsigned want;
	} rows[] = {
	        {997, false, 0},     {998, false, 0}, {999, false, LONG},
	        {5000, false, LONG}, {998, true, 0},  {999, true, LONG},
	};
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *m = long_header(rows[i].n, rows[i].stuffed, &len);

		if (scan_flags(m, len, true) != rows[i].want)
			fail_msg("header of %zu octets (stuffed %d)", rows[i].n,
			         rows[i].stuffed);
		free(m);
	}
}

/* Long lines in the body are not header lines. */
static void
test_body_line_not_header(void **state)
{
	size_t n = 3000, len;
	char *m = malloc(n + 32);

	assert_non_null(m);
	memcpy(m, "A: b\r\n\r\n", 8);
	memset(m + 8, 'x', n);
	memcpy(m + 8 + n, "\r\n.\r\n", 5);
	len = 8 + n + 5;
	assert_int_equal(scan_flags(m, len, true), 0);
	/* Without the blank line the long line is still a header line. */
	memcpy(m, "A: b\r\nC: ", 8);
	assert_int_equal(scan_flags(m, len, true), LONG);
	free(m);
}

/* The header section ends at the first empty line, whatever follows. */
static void
test_header_end(void **state)
{
	static const struct {
		const char *in;
		bool in_header;
	} rows[] = {
	        {"A: b\r\n", true},    {"A: b\r\n\r\n", false},
	        {"\r\n", false},       {"A: b\r\n \r\n", true},
	        {"A: b\n\n", true},    {"A: b\r\r\n", true},
	        {"A: b\r\n\r", true},  {"A: b\r\n\r\nC: d\r\n", false},
	        {"..\r\n\r\n", false}, {"A: b\r\n.\r\r\n", true},
	};
	size_t i, outlen;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct data_scanner sc;
		size_t len = strlen(rows[i].in);
		char *out = malloc(len);

		assert_non_null(out);
		data_scanner_init(&sc, true, 0);
		data_scan(&sc, rows[i].in, len, out, &outlen);
		if (sc.in_header != rows[i].in_header)
			fail_msg("row %zu: in_header %d", i, sc.in_header);
		free(out);
	}
}

/* A large message in 16 KiB pieces, as the session feeds it. */
static void
test_large_message_pieces(void **state)
{
	size_t n = 200000, len, outlen, pos = 0, total = 0, i;
	char *m = malloc(n + 8), *out = malloc(16384);
	struct data_scanner sc;

	assert_non_null(m);
	assert_non_null(out);
	for (i = 0; i < n; i++)
		m[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' : 'm';
	memcpy(m + n, ".\r\nQUIT", 7);
	len = n + 7;
	data_scanner_init(&sc, true, 0);
	while (!sc.done && pos < len) {
		size_t chunk = len - pos < 16384 ? len - pos : 16384;

		pos += data_scan(&sc, m + pos, chunk, out, &outlen);
		assert_true(outlen <= chunk);
		total += outlen;
	}
	assert_true(sc.done);
	assert_int_equal(pos, n + 3);
	assert_int_equal(total, n);
	assert_int_equal(sc.size, n);
	assert_int_equal(sc.flags, 0);
	free(m);
	free(out);
}

/* The last octet of one read is CR and the next read starts with LF: the
 * output for the second read must fit in a buffer of its own length. */
static void
test_cr_at_read_boundary(void **state)
{
	struct data_scanner sc;
	char out1[8], out2[8], all[16];
	size_t n1, n2;

	data_scanner_init(&sc, true, 0);
	assert_int_equal(data_scan(&sc, "a\r", 2, out1, &n1), 2);
	assert_true(n1 <= 2);
	assert_int_equal(data_scan(&sc, "\n", 1, out2, &n2), 1);
	assert_true(n2 <= 1);
	memcpy(all, out1, n1);
	memcpy(all + n1, out2, n2);
	assert_int_equal(n1 + n2, 3);
	assert_memory_equal(all, "a\r\n", 3);
	assert_int_equal(sc.flags, 0);

	/* "." CR at the start of a line, then a read of one other octet. */
	data_scanner_init(&sc, true, 0);
	assert_int_equal(data_scan(&sc, ".\r", 2, out1, &n1), 2);
	assert_int_equal(n1, 0);
	assert_int_equal(data_scan(&sc, "x", 1, out2, &n2), 1);
	assert_true(n2 <= 1);
	assert_int_equal(sc.flags, CR);
	assert_false(sc.done);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_whole),
	        cmocka_unit_test(test_table_octet_by_octet),
	        cmocka_unit_test(test_table_every_split),
	        cmocka_unit_test(test_table_random_pieces),
	        cmocka_unit_test(test_header_line_limit),
	        cmocka_unit_test(test_body_line_not_header),
	        cmocka_unit_test(test_header_end),
	        cmocka_unit_test(test_large_message_pieces),
	        cmocka_unit_test(test_cr_at_read_boundary),
	};

	return cmocka_run_group_tests_name("data scanner", tests, NULL, NULL);
}
