/*
 * test_envelope.c — envelope serialisation round trips, hostile values, and
 * a table of malformed files the parser must reject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <zlib.h>

#include "queue/envelope.h"

static void
fill(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	memcpy(env->id, "0123456789abcdef", QUEUE_ID_LEN + 1);
	env->arrival = 1700000000;
	env->sender = strdup("alice@example.org");
	env->helo = strdup("client.example.org");
	env->client_addr = strdup("127.0.0.1");
	env->protocol = strdup("ESMTP");
	env->ret = DSN_RET_HDRS;
	env->body = BODY_8BITMIME;
	env->size = 4096;
	env->msg_crc = 0x89abcdefu;
	env->has_crc = true;
}

static void
assert_same(const struct envelope *a, const struct envelope *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_int_equal(a->arrival, b->arrival);
	assert_string_equal(a->sender, b->sender);
	assert_int_equal(a->ret, b->ret);
	assert_int_equal(a->body, b->body);
	assert_int_equal(a->smtputf8, b->smtputf8);
	assert_int_equal(a->requiretls, b->requiretls);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->msg_crc, b->msg_crc);
	assert_true(b->has_crc);
	if (a->auth == NULL)
		assert_null(b->auth);
	else
		assert_string_equal(a->auth, b->auth);
	assert_int_equal(a->nrcpts, b->nrcpts);
	for (i = 0; i < a->nrcpts; i++) {
		assert_string_equal(a->rcpts[i].address, b->rcpts[i].address);
		assert_string_equal(a->rcpts[i].original, b->rcpts[i].original);
		assert_int_equal(a->rcpts[i].notify, b->rcpts[i].notify);
		assert_int_equal(a->rcpts[i].state, b->rcpts[i].state);
		if (a->rcpts[i].orcpt == NULL)
			assert_null(b->rcpts[i].orcpt);
		else
			assert_string_equal(a->rcpts[i].orcpt,
			                    b->rcpts[i].orcpt);
	}
}

static void
roundtrip(const struct envelope *env)
{
	struct envelope back;
	const char *err = NULL;
	size_t len;
	char *text = envelope_serialize(env, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	if (envelope_parse(text, len, &back, &err) != 0)
		fail_msg("parse: %s\n%s", err, text);
	assert_same(env, &back);
	envelope_free(&back);
	free(text);
}

static void
test_roundtrip(void **state)
{
	struct envelope env;

	fill(&env);
	envelope_add_rcpt(&env, "bob@example.org", "Bob@Example.org",
	                  "rfc822;bob@example.org",
	                  DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY);
	envelope_add_rcpt(&env, "carol@example.org", NULL, NULL, 0);
	env.rcpts[1].state = RCPT_BOUNCED;
	env.rcpts[1].last_reply = strdup("550 5.1.1 no such user");
	env.smtputf8 = true;
	roundtrip(&env);
	env.auth = strdup("");
	roundtrip(&env);
	free(env.auth);
	env.auth = strdup("alice@example.org");
	roundtrip(&env);
	envelope_free(&env);
}

/* Values that would break a naive line format must come back unchanged,
 * and must not produce an extra line or token in the file. */
static void
test_hostile_values(void **state)
{
	static const char *const values[] = {
	        "",
	        "-",
	        ".",
	        "%",
	        "%41",
	        "a b",
	        "x\nrcpt pending 0 0 evil@x - - -\nend",
	        "\r\n\t\x7f",
	        "caf\xc3\xa9@\xc3\xa9xample.org",
	        "--",
	        ".."};
	struct envelope env;
	size_t i, j, len, lines;
	char *text;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		fill(&env);
		free(env.sender);
		env.sender = strdup(values[i]);
		env.auth = strdup(values[i]);
		envelope_add_rcpt(&env, values[i], values[i], values[i], 0);
		text = envelope_serialize(&env, &len);
		/* 14 fixed lines + magic + 1 rcpt + end */
		for (j = lines = 0; j < len; j++)
			lines += text[j] == '\n';
		assert_int_equal(lines, 16);
		free(text);
		roundtrip(&env);
		envelope_free(&env);
	}
}

#define HDR "ferry-envelope 1\nid 0123456789abcdef\narrival 1\nsender .\n"
#define RCPT "rcpt pending 0 0 a@b - - -\n"

static void
test_rejects(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
	        {"", "empty"},
	        {"ferry-envelope 5\n", "future version"},
	        {HDR "size 1\ncrc 00000000\n" RCPT "end\n", "crc in version 1"},
	        {HDR "size 1\n" RCPT "end 00000000\n", "checksum in version 1"},
	        {"ferry-envelope 22\n", "future version"},
	        {HDR "auth .\nsize 1\n" RCPT "end\n", "auth in version 1"},
	        {HDR "size 1\n" RCPT, "no end"},
	        {HDR "size 1\n" RCPT "end", "end without newline"},
	        {HDR "size 1\n" RCPT "end\nx\n", "data after end"},
	        {HDR "size 1\nend\n", "no recipient"},
	        {HDR RCPT "end\n", "no size"},
	        {HDR "size 1\nsize 2\n" RCPT "end\n", "duplicate"},
	        {HDR "size 1\nfoo bar\n" RCPT "end\n", "unknown key"},
	        {HDR "size -1\n" RCPT "end\n", "negative"},
	        {HDR "size 99999999999999999999\n" RCPT "end\n", "overflow"},
	        {HDR "size 1\nhelo a%0\n" RCPT "end\n", "short escape"},
	        {HDR "size 1\nhelo a%00b\n" RCPT "end\n", "NUL escape"},
	        {HDR "size 1\nhelo a%zz\n" RCPT "end\n", "bad hex"},
	        {HDR "size 1\nhelo a b\n" RCPT "end\n", "space in value"},
	        {HDR "size 1\nrcpt pending 0 0 - - - -\nend\n", "NULL rcpt"},
	        {HDR "size 1\nrcpt gone 0 0 a - - -\nend\n", "bad state"},
	        {HDR "size 1\nrcpt pending 0 16 a - - -\nend\n", "bad notify"},
	        {HDR "size 1\nrcpt pending 0 0 a - -\nend\n", "short rcpt"},
	        {HDR "size 1\nret sometimes\n" RCPT "end\n", "bad ret"},
	        {"ferry-envelope 1\nid 0123456789ABCDEF\narrival 1\nsender "
	         ".\nsize 1\n" RCPT "end\n",
	         "upper-case id"},
	};
	struct envelope env;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		if (envelope_parse(cases[i].text, strlen(cases[i].text), &env,
		                   &err) == 0)
			fail_msg("accepted: %s", cases[i].why);
		assert_non_null(err);
		assert_int_equal(env.nrcpts, 0);
	}
	assert_int_equal(envelope_parse(HDR "size 1\n" RCPT "end\n",
	                                strlen(HDR "size 1\n" RCPT "end\n"),
	                                &env, &err),
	                 0);
	assert_string_equal(env.sender, "");
	assert_null(env.auth);
	envelope_free(&env);
}

/* Version 2 adds "auth"; a version 2 file without it is also valid. */
static void
test_version2_auth(void **state)
{
	static const char with[] =
	        "ferry-envelope 2\nid 0123456789abcdef\n"
	        "arrival 1\nsender .\nauth a@b\nsize 1\n" RCPT "end\n";
	static const char without[] =
	        "ferry-envelope 2\nid 0123456789abcdef\n"
	        "arrival 1\nsender .\nsize 1\n" RCPT "end\n";
	static const char twice[] = "ferry-envelope 2\nid 0123456789abcdef\n"
	                            "arrival 1\nsender .\nauth .\nauth .\n"
	                            "size 1\n" RCPT "end\n";
	struct envelope env;
	const char *err = NULL;

	assert_int_equal(envelope_parse(with, strlen(with), &env, &err), 0);
	assert_string_equal(env.auth, "a@b");
	envelope_free(&env);
	assert_int_equal(envelope_parse(without, strlen(without), &env, &err),
	                 0);
	assert_null(env.auth);
	envelope_free(&env);
	assert_int_equal(envelope_parse(twice, strlen(twice), &env, &err), -1);
}

/* REQUIRETLS: version 3 (as written before version 4) and 4, and only
 * there. */
static void
test_requiretls(void **state)
{
	static const char v2[] =
	        "ferry-envelope 2\nid 0123456789abcdef\n"
	        "arrival 1\nsender .\nsize 1\nrequiretls 1\n" RCPT "end\n";
	static const char v3[] =
	        "ferry-envelope 3\nid 0123456789abcdef\n"
	        "arrival 1\nsender .\nsize 1\nrequiretls 1\n" RCPT "end\n";
	struct envelope env, back;
	const char *err = NULL;
	size_t len;
	char *text;

	fill(&env);
	envelope_add_rcpt(&env, "bob@example.org", NULL, NULL, 0);
	text = envelope_serialize(&env, &len);
	assert_non_null(strstr(text, "ferry-envelope 4\n"));
	assert_null(strstr(text, "requiretls"));
	free(text);
	env.requiretls = true;
	text = envelope_serialize(&env, &len);
	assert_non_null(strstr(text, "ferry-envelope 4\n"));
	assert_non_null(strstr(text, "\nrequiretls 1\n"));
	assert_int_equal(envelope_parse(text, len, &back, &err), 0);
	assert_true(back.requiretls);
	envelope_free(&back);
	free(text);
	envelope_free(&env);
	assert_int_equal(envelope_parse(v3, strlen(v3), &back, &err), 0);
	assert_true(back.requiretls);
	assert_false(back.has_crc); /* nothing to check the message by */
	envelope_free(&back);
	assert_int_equal(envelope_parse(v2, strlen(v2), &back, &err), -1);
	assert_string_equal(err, "unknown key");
}

/* body (lines after the header) as a version 4 file, with the checksum
 * of everything before the end line. */
static char *
v4(const char *body)
{
	char *pre, *text;

	if (asprintf(&pre, "ferry-envelope 4\n%s", body) < 0 ||
	    asprintf(&text, "%send %08lx\n", pre,
	             crc32(0, (const Bytef *)pre, (uInt)strlen(pre))) < 0)
		abort();
	free(pre);
	return text;
}

static const char *
parse_error(const char *text, size_t len)
{
	struct envelope env;
	const char *err = NULL;

	if (envelope_parse(text, len, &env, &err) == 0) {
		envelope_free(&env);
		return NULL;
	}
	assert_int_equal(env.nrcpts, 0);
	return err;
}

/* Version 4: the message's CRC-32 is required, and the end line carries
 * the file's own; any byte changed, or a file made of two envelopes
 * (a recycled file that a crash left half rewritten), fails it. */
static void
test_version4_checksums(void **state)
{
	struct envelope a, b;
	char *ta, *tb, *text;
	size_t la, lb, i, flips = 0;

	fill(&a);
	envelope_add_rcpt(&a, "bob@example.org", NULL, NULL, 0);
	fill(&b);
	memcpy(b.id, "0123456789abcde0", QUEUE_ID_LEN + 1);
	b.msg_crc = 0x01234567u;
	envelope_add_rcpt(&b, "bob@example.net", NULL, NULL, 0);
	ta = envelope_serialize(&a, &la);
	tb = envelope_serialize(&b, &lb);
	assert_int_equal(la, lb);
	assert_non_null(strstr(ta, "\ncrc 89abcdef\n"));
	assert_null(parse_error(ta, la));
	/* Every byte before the end line is covered. */
	for (i = 0; i + 14 < la; i++) {
		ta[i] ^= 0x01;
		flips += parse_error(ta, la) != NULL;
		ta[i] ^= 0x01;
	}
	assert_int_equal(flips, la - 14);
	/* The first half of one, the rest of the other: each line parses,
	 * the checksum does not match. */
	text = malloc(la);
	memcpy(text, ta, la / 2);
	memcpy(text + la / 2, tb + la / 2, la - la / 2);
	assert_string_equal(parse_error(text, la), "checksum mismatch");
	memcpy(text, tb, la / 2);
	memcpy(text + la / 2, ta + la / 2, la - la / 2);
	assert_string_equal(parse_error(text, la), "checksum mismatch");
	/* Cut short, or another file's tail after a whole one. */
	assert_non_null(parse_error(ta, la - 1));
	assert_non_null(parse_error(ta, la / 2));
	free(text);
	free(ta);
	free(tb);
	envelope_free(&a);
	envelope_free(&b);
	/* Checksum and crc line both required, in their form. */
	text = v4("id 0123456789abcdef\narrival 1\nsender .\nsize 1\n"
	          "crc 0000abcd\n" RCPT);
	assert_null(parse_error(text, strlen(text)));
	free(text);
	text = v4("id 0123456789abcdef\narrival 1\nsender .\nsize 1\n" RCPT);
	assert_string_equal(parse_error(text, strlen(text)),
	                    "required key missing");
	free(text);
	text = v4("id 0123456789abcdef\narrival 1\nsender .\nsize 1\n"
	          "crc 0000ABCD\n" RCPT);
	assert_string_equal(parse_error(text, strlen(text)), "malformed value");
	free(text);
	text = "ferry-envelope 4\nid 0123456789abcdef\narrival 1\nsender .\n"
	       "size 1\ncrc 0000abcd\n" RCPT "end\n";
	assert_string_equal(parse_error(text, strlen(text)), "malformed value");
}

static void
test_state_names(void **state)
{
	enum rcpt_state st;

	assert_string_equal(envelope_state_name(RCPT_DELIVERED), "delivered");
	assert_int_equal(envelope_state_from_name("bounced", 7, &st), 0);
	assert_int_equal(st, RCPT_BOUNCED);
	assert_int_equal(envelope_state_from_name("bounce", 6, &st), -1);
	assert_int_equal(envelope_state_from_name("bouncing", 8, &st), 0);
	assert_int_equal(st, RCPT_BOUNCING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_hostile_values),
	        cmocka_unit_test(test_rejects),
	        cmocka_unit_test(test_version2_auth),
	        cmocka_unit_test(test_requiretls),
	        cmocka_unit_test(test_version4_checksums),
	        cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
