/*
 * test_addr.c — the RFC 5321 path parser (src/smtp/addr.c).
 *
 * Tables of {input, flags, expected status, octets used, local, domain}
 * built from the grammar of RFC 5321 s4.1.2 (Path, Mailbox, Dot-string,
 * Quoted-string, address-literal, A-d-l), the limits of s4.5.3.1, and
 * RFC 6531 s3.3 (UTF-8 in both parts).  Every accepted row is also formatted
 * and parsed again, which must give the same local part and domain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/addr.h"

#define S(lit) lit, sizeof(lit) - 1

/* Which of the booleans of struct mailaddr a row expects set. */
enum {
	F_NULL = 1 << 0,
	F_PM = 1 << 1,
	F_LIT = 1 << 2,
	F_ROUTE = 1 << 3,
	F_UTF8 = 1 << 4,
	F_QUOTED = 1 << 5,
};

/* Parser options for a row. */
enum { NONE = 0, NUL_OK = 1, PM_OK = 2, BOTH = 3 };

#define ALL ((size_t)-1)

struct addr_case {
	const char *in;
	size_t inlen;
	int allow;
	enum addr_status st;
	size_t used; /* ALL: the whole input */
	const char *local;
	const char *domain;
	unsigned flags;
};

static const struct addr_case cases[] = {
        /* Mailbox = Local-part "@" ( Domain / address-literal ) */
        {S("<user@example.org>"), NONE, ADDR_OK, ALL, "user", "example.org", 0},
        {S("<a@b>"), NONE, ADDR_OK, ALL, "a", "b", 0},
        {S("<1@2.3>"), NONE, ADDR_OK, ALL, "1", "2.3", 0},
        {S("<User.Name+tag@Sub.Example.ORG>"), NONE, ADDR_OK, ALL,
         "User.Name+tag", "Sub.Example.ORG", 0},
        {S("<!#$%&'*+-/=?^_`{|}~@x.y>"), NONE, ADDR_OK, ALL,
         "!#$%&'*+-/=?^_`{|}~", "x.y", 0},
        {S("<a-b@x-y.z>"), NONE, ADDR_OK, ALL, "a-b", "x-y.z", 0},
        {S("<a@b--c.d>"), NONE, ADDR_OK, ALL, "a", "b--c.d", 0},
        {S("<a@0.example>"), NONE, ADDR_OK, ALL, "a", "0.example", 0},
        {S("<user@example.org> SIZE=10"), NONE, ADDR_OK, 18, "user",
         "example.org", 0},
        {S("<user@example.org>>"), NONE, ADDR_OK, 18, "user", "example.org", 0},
        /* Null path and <postmaster>. */
        {S("<>"), NUL_OK, ADDR_OK, 2, "", "", F_NULL},
        {S("<> BODY=8BITMIME"), BOTH, ADDR_OK, 2, "", "", F_NULL},
        {S("<>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<>"), PM_OK, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<postmaster>"), PM_OK, ADDR_OK, ALL, "postmaster", "", F_PM},
        {S("<PostMaster>"), PM_OK, ADDR_OK, ALL, "PostMaster", "", F_PM},
        {S("<POSTMASTER> NOTIFY=NEVER"), BOTH, ADDR_OK, 12, "POSTMASTER", "",
         F_PM},
        {S("<postmaster>"), NUL_OK, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<postmaster>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<postmaster@example.org>"), PM_OK, ADDR_OK, ALL, "postmaster",
         "example.org", 0},
        {S("<postmaste>"), PM_OK, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<postmaster >"), PM_OK, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<postmaster"), PM_OK, ADDR_SYNTAX, 0, NULL, NULL, 0},
        /* Quoted-string = DQUOTE *QcontentSMTP DQUOTE */
        {S("<\"john doe\"@example.org>"), NONE, ADDR_OK, ALL, "john doe",
         "example.org", F_QUOTED},
        {S("<\"a\\\"b\"@x>"), NONE, ADDR_OK, ALL, "a\"b", "x", F_QUOTED},
        {S("<\"a\\\\b\"@x>"), NONE, ADDR_OK, ALL, "a\\b", "x", F_QUOTED},
        {S("<\"\\a\\b\"@x>"), NONE, ADDR_OK, ALL, "ab", "x", F_QUOTED},
        {S("<\"\"@x>"), NONE, ADDR_OK, ALL, "", "x", F_QUOTED},
        {S("<\"abc\"@x>"), NONE, ADDR_OK, ALL, "abc", "x", F_QUOTED},
        {S("<\"a..b\"@x>"), NONE, ADDR_OK, ALL, "a..b", "x", F_QUOTED},
        {S("<\"@\"@x>"), NONE, ADDR_OK, ALL, "@", "x", F_QUOTED},
        {S("<\"<>\"@x>"), NONE, ADDR_OK, ALL, "<>", "x", F_QUOTED},
        {S("<\"a b\\ c\"@x>"), NONE, ADDR_OK, ALL, "a b c", "x", F_QUOTED},
        {S("<\"unterminated@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\rb\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\tb\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\\\x01\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\x7f\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\\"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"a\"b@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a\"b\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        /* address-literal */
        {S("<user@[192.0.2.1]>"), NONE, ADDR_OK, ALL, "user", "[192.0.2.1]",
         F_LIT},
        {S("<user@[IPv6:2001:db8::1]>"), NONE, ADDR_OK, ALL, "user",
         "[IPv6:2001:db8::1]", F_LIT},
        {S("<user@[x-tag:content]>"), NONE, ADDR_OK, ALL, "user",
         "[x-tag:content]", F_LIT},
        {S("<user@[]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[300.1.1.1]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[1.2.3]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[IPv6:1.2.3.4]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[IPv6:2001:db8::1::2]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL,
         0},
        {S("<user@[x-tag:]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[tag-:x]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[:x]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[IPv6:::ffff:192.0.2.1]>"), NONE, ADDR_OK, ALL, "user",
         "[IPv6:::ffff:192.0.2.1]", F_LIT},
        {S("<user@[1.2.3.4>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[a[b]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[a\\b]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[a b]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@[1.2.3.4]x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x.[1.2.3.4]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        /* Source routes: parsed, flagged, dropped (s3.3, appendix C). */
        {S("<@relay.example,@b.example:user@d.example>"), NONE, ADDR_OK, ALL,
         "user", "d.example", F_ROUTE},
        {S("<@relay:user@d>"), NONE, ADDR_OK, ALL, "user", "d", F_ROUTE},
        {S("<@a,user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@a:>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@:user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@a,:user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@a:@b:user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@[1.2.3.4]:user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        /* RFC 6531: UTF-8 in local part and domain. */
        {S("<j\xc3\xb6ran@b\xc3\xbc"
           "cher.de>"),
         NONE, ADDR_OK, ALL, "j\xc3\xb6ran",
         "b\xc3\xbc"
         "cher.de",
         F_UTF8},
        {S("<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
           "\xe5\x91\x8a>"),
         NONE, ADDR_OK, ALL, "\xe7\x94\xa8\xe6\x88\xb7",
         "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", F_UTF8},
        {S("<\"j\xc3\xb6 ran\"@x>"), NONE, ADDR_OK, ALL, "j\xc3\xb6 ran", "x",
         F_UTF8 | F_QUOTED},
        {S("<a@\xf0\x9f\x93\xa7.example>"), NONE, ADDR_OK, ALL, "a",
         "\xf0\x9f\x93\xa7.example", F_UTF8},
        {S("<@r\xc3\xa9lay:a@b>"), NONE, ADDR_OK, ALL, "a", "b",
         F_UTF8 | F_ROUTE},
        {S("<\xff@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\xc0\xaf@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\xe0\x80\xaf@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\xed\xa0\x80@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\xf4\x90\x80\x80@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\xc3@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a@\xe2\x82>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\x80@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<\"\xff\"@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a@[\xc3\xa9]>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        /* Malformed paths and mailboxes. */
        {S(""), BOTH, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<"), BOTH, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("user@example.org"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@example.org"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<@example.org>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@@example.org>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a@b@c>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<.user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user.@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<us..er@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@.x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x.>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x..y>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@-x.y>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x-.y>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x_y>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<us er@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@ex ample>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("< user@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<user@x >"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<<a@b>>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a(comment)@b>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a,b@c>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a\\b@c>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a\0b@x>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a@b\0c>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("<a@b>"), NONE, ADDR_OK, ALL, "a", "b", 0},
        {S("<a@b\r\n>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
        {S("Name <a@b>"), NONE, ADDR_SYNTAX, 0, NULL, NULL, 0},
};

static unsigned
flags_of(const struct mailaddr *a)
{
	return (a->is_null ? F_NULL : 0) | (a->is_bare_postmaster ? F_PM : 0) |
	       (a->is_literal ? F_LIT : 0) | (a->has_route ? F_ROUTE : 0) |
	       (a->is_utf8 ? F_UTF8 : 0) | (a->was_quoted ? F_QUOTED : 0);
}

/* Format a, wrap it in <>, parse again: same local part and domain. */
static void
check_round_trip(const struct mailaddr *a, int allow)
{
	char buf[ADDR_PATH_MAX + 3], path[ADDR_PATH_MAX + 8];
	struct mailaddr b;
	size_t n, used;

	n = addr_format(a, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	snprintf(path, sizeof(path), "<%s>", buf);
	assert_int_equal(addr_parse_path(path, n + 2, allow & NUL_OK,
	                                 allow & PM_OK, &b, &used),
	                 ADDR_OK);
	assert_int_equal(used, n + 2);
	assert_string_equal(b.local, a->local);
	assert_string_equal(b.domain, a->domain);
	assert_int_equal(b.is_null, a->is_null);
	assert_int_equal(b.is_bare_postmaster, a->is_bare_postmaster);
	assert_int_equal(b.is_literal, a->is_literal);
	assert_int_equal(b.is_utf8 && !a->has_route,
	                 a->is_utf8 && !a->has_route);
}

static void
test_parse_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];
		struct mailaddr a;
		size_t used = 12345;
		enum addr_status st;

		st = addr_parse_path(c->in, c->inlen, c->allow & NUL_OK,
		                     c->allow & PM_OK, &a, &used);
		if (st != c->st)
			fail_msg("row %zu: status %d, want %d", i, st, c->st);
		if (st != ADDR_OK) {
			assert_int_equal(used, 0);
			continue;
		}
		if (used != (c->used == ALL ? c->inlen : c->used))
			fail_msg("row %zu: used %zu", i, used);
		if (strcmp(a.local, c->local) != 0 ||
		    strcmp(a.domain, c->domain) != 0)
			fail_msg("row %zu: local \"%s\" domain \"%s\"", i,
			         a.local, a.domain);
		if (flags_of(&a) != c->flags)
			fail_msg("row %zu: flags %#x, want %#x", i,
			         flags_of(&a), c->flags);
		check_round_trip(&a, c->allow);
	}
}

/* Builds "<" local "@" domain ">" from repeated octets. */
static size_t
make_path(char *buf, size_t llen, char lch, size_t dlen)
{
	size_t n = 0, k;

	buf[n++] = '<';
	for (k = 0; k < llen; k++)
		buf[n++] = lch;
	buf[n++] = '@';
	for (k = 0; k < dlen; k++)
		buf[n++] = (k % 10 == 9 && k + 1 < dlen) ? '.' : 'd';
	buf[n++] = '>';
	return n;
}

/* RFC 5321 s4.5.3.1.1-3: 64 for the local part, 255 for the domain, 256
 * for the whole path including the angle brackets. */
static void
test_length_limits(void **state)
{
	static const struct {
		size_t llen, dlen;
		enum addr_status st;
	} rows[] = {
	        {64, 10, ADDR_OK},        {65, 10, ADDR_TOO_LONG},
	        {1, 250, ADDR_OK},        {64, 189, ADDR_OK},
	        {64, 190, ADDR_TOO_LONG}, {1, 253, ADDR_TOO_LONG},
	        {1, 252, ADDR_OK},        {1, 254, ADDR_TOO_LONG},
	        {1, 255, ADDR_TOO_LONG},  {1, 256, ADDR_TOO_LONG},
	        {1, 1000, ADDR_TOO_LONG}, {200, 1, ADDR_TOO_LONG},
	};
	char buf[2048];
	size_t i, used;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mailaddr a;
		size_t n = make_path(buf, rows[i].llen, 'l', rows[i].dlen);
		enum addr_status st =
		        addr_parse_path(buf, n, false, false, &a, &used);

		if (st != rows[i].st)
			fail_msg("local %zu domain %zu: status %d",
			         rows[i].llen, rows[i].dlen, st);
		if (st == ADDR_OK) {
			assert_int_equal(strlen(a.local), rows[i].llen);
			assert_int_equal(strlen(a.domain), rows[i].dlen);
			check_round_trip(&a, NONE);
		}
	}
}

/* The limits count octets, not characters, and a quoted local part counts
 * as sent, quotes and backslashes included. */
static void
test_length_limits_octets(void **state)
{
	char buf[512];
	struct mailaddr a;
	size_t n, used, k;

	/* 32 two-octet characters: 64 octets. */
	n = 0;
	buf[n++] = '<';
	for (k = 0; k < 32; k++) {
		buf[n++] = '\xc3';
		buf[n++] = '\xa9';
	}
	memcpy(buf + n, "@x>", 3);
	assert_int_equal(addr_parse_path(buf, n + 3, false, false, &a, &used),
	                 ADDR_OK);
	assert_true(a.is_utf8);
	assert_int_equal(strlen(a.local), 64);
	/* One more: 66 octets. */
	memmove(buf + 3, buf + 1, n + 2);
	buf[1] = '\xc3';
	buf[2] = '\xa9';
	assert_int_equal(addr_parse_path(buf, n + 5, false, false, &a, &used),
	                 ADDR_TOO_LONG);

	/* Quoted: 62 octets between the quotes is 64 as sent. */
	n = 0;
	buf[n++] = '<';
	buf[n++] = '"';
	for (k = 0; k < 62; k++)
		buf[n++] = k % 7 == 3 ? ' ' : 'q';
	buf[n++] = '"';
	memcpy(buf + n, "@x>", 3);
	assert_int_equal(addr_parse_path(buf, n + 3, false, false, &a, &used),
	                 ADDR_OK);
	assert_int_equal(strlen(a.local), 62);
	check_round_trip(&a, NONE);
	/* 63 between the quotes: 65 as sent. */
	memmove(buf + 3, buf + 2, n + 1);
	buf[2] = 'q';
	assert_int_equal(addr_parse_path(buf, n + 4, false, false, &a, &used),
	                 ADDR_TOO_LONG);
	/* 31 escaped quotes: 62 octets inside, 31 in the local part. */
	n = 0;
	buf[n++] = '<';
	buf[n++] = '"';
	for (k = 0; k < 31; k++) {
		buf[n++] = '\\';
		buf[n++] = '"';
	}
	buf[n++] = '"';
	memcpy(buf + n, "@x>", 3);
	assert_int_equal(addr_parse_path(buf, n + 3, false, false, &a, &used),
	                 ADDR_OK);
	assert_int_equal(strlen(a.local), 31);
	check_round_trip(&a, NONE);
	/* A long source route counts toward the path. */
	n = 0;
	buf[n++] = '<';
	for (k = 0; k < 30; k++) {
		memcpy(buf + n, "@relay.one,", 11);
		n += 11;
	}
	memcpy(buf + n, "@r:a@b>", 7);
	assert_int_equal(addr_parse_path(buf, n + 7, false, false, &a, &used),
	                 ADDR_TOO_LONG);
}

static void
test_format(void **state)
{
	static const struct {
		const char *in;
		int allow;
		const char *want;
	} rows[] = {
	        {"<user@example.org>", NONE, "user@example.org"},
	        {"<\"abc\"@x>", NONE, "abc@x"},
	        {"<\"a.b\"@x>", NONE, "a.b@x"},
	        {"<\"john doe\"@x>", NONE, "\"john doe\"@x"},
	        {"<\"a\\\"b\"@x>", NONE, "\"a\\\"b\"@x"},
	        {"<\"a\\\\b\"@x>", NONE, "\"a\\\\b\"@x"},
	        {"<\"\\a\\b\"@x>", NONE, "ab@x"},
	        {"<\"a..b\"@x>", NONE, "\"a..b\"@x"},
	        {"<\".a\"@x>", NONE, "\".a\"@x"},
	        {"<\"a.\"@x>", NONE, "\"a.\"@x"},
	        {"<\".\"@x>", NONE, "\".\"@x"},
	        {"<\"\"@x>", NONE, "\"\"@x"},
	        {"<\"a@b\"@x>", NONE, "\"a@b\"@x"},
	        {"<\"j\xc3\xb6\"@x>", NONE, "j\xc3\xb6@x"},
	        {"<>", NUL_OK, ""},
	        {"<postmaster>", PM_OK, "postmaster"},
	        {"<@r,@s:u@d>", NONE, "u@d"},
	        {"<u@[1.2.3.4]>", NONE, "u@[1.2.3.4]"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mailaddr a;
		char buf[ADDR_PATH_MAX + 3];
		size_t used, n;

		assert_int_equal(addr_parse_path(rows[i].in, strlen(rows[i].in),
		                                 rows[i].allow & NUL_OK,
		                                 rows[i].allow & PM_OK, &a,
		                                 &used),
		                 ADDR_OK);
		n = addr_format(&a, buf, sizeof(buf));
		if (strcmp(buf, rows[i].want) != 0 || n != strlen(buf))
			fail_msg("row %zu: \"%s\" (%zu)", i, buf, n);
		check_round_trip(&a, rows[i].allow);
	}
}

static void
test_is_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool want;
	} rows[] = {
	        {S(""), false},
	        {S("abc"), false},
	        {S("\xc3\xa9"), true},
	        {S("a\xc3\xa9z"), true},
	        {S("\xc2\x80"), true},          /* U+0080 */
	        {S("\xdf\xbf"), true},          /* U+07FF */
	        {S("\xe0\xa0\x80"), true},      /* U+0800 */
	        {S("\xef\xbf\xbf"), true},      /* U+FFFF */
	        {S("\xf0\x90\x80\x80"), true},  /* U+10000 */
	        {S("\xf4\x8f\xbf\xbf"), true},  /* U+10FFFF */
	        {S("\xf4\x90\x80\x80"), false}, /* past U+10FFFF */
	        {S("\xf5\x80\x80\x80"), false},
	        {S("\xc0\x80"), false},         /* overlong NUL */
	        {S("\xc1\xbf"), false},         /* overlong */
	        {S("\xe0\x9f\xbf"), false},     /* overlong */
	        {S("\xf0\x8f\xbf\xbf"), false}, /* overlong */
	        {S("\xed\xa0\x80"), false},     /* surrogate */
	        {S("\xed\xbf\xbf"), false},     /* surrogate */
	        {S("\xed\x9f\xbf"), true},      /* U+D7FF */
	        {S("\x80"), false},             /* lone continuation */
	        {S("\xc3"), false},             /* truncated */
	        {S("\xe2\x82"), false},         /* truncated */
	        {S("a\xc3"), false},
	        {S("\xc3\xa9\xff"), false},
	        {S("\xc3\x28"), false},
	        {S("\xfe\xff"), false},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (addr_is_utf8(rows[i].s, rows[i].len) != rows[i].want)
			fail_msg("row %zu", i);
}

/* Only len octets are looked at. */
static void
test_length_bound(void **state)
{
	struct mailaddr a;
	size_t used;

	assert_int_equal(addr_parse_path("<a@b>", 4, false, false, &a, &used),
	                 ADDR_SYNTAX);
	assert_int_equal(addr_parse_path("<>", 1, true, false, &a, &used),
	                 ADDR_SYNTAX);
	assert_int_equal(
	        addr_parse_path("<postmaster>", 11, false, true, &a, &used),
	        ADDR_SYNTAX);
	assert_int_equal(
	        addr_parse_path("<\"a\"@b>", 3, false, false, &a, &used),
	        ADDR_SYNTAX);
	assert_false(addr_is_utf8("\xc3\xa9", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_length_limits),
	        cmocka_unit_test(test_length_limits_octets),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_is_utf8),
	        cmocka_unit_test(test_length_bound),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
