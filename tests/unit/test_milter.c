/*
 * test_milter.c — the milter codec and the message edits: packets cut at
 * every length, the fields of replies, and header/body changes on a
 * message that otherwise comes out byte for byte.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "milter/codec.h"
#include "milter/message.h"

static size_t
packet(uint8_t *buf, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(buf, &n, 4);
	buf[4] = (uint8_t)cmd;
	memcpy(buf + 5, data, len);
	return len + 5;
}

static void
test_reply_parse_lengths(void **state)
{
	uint8_t buf[64];
	struct milter_reply r;
	const char *err;
	size_t n = packet(buf, SMFIR_ADDHEADER, "X-A\0v\0", 6), i;

	for (i = 0; i < n; i++)
		assert_int_equal(milter_reply_parse(buf, i, &r, &err),
		                 MILTER_PARSE_MORE);
	assert_int_equal(milter_reply_parse(buf, n, &r, &err), MILTER_PARSE_OK);
	assert_int_equal(r.cmd, 'h');
	assert_int_equal(r.len, 6);
	assert_int_equal(r.consumed, n);
	memset(buf, 0, 5);
	assert_int_equal(milter_reply_parse(buf, 5, &r, &err),
	                 MILTER_PARSE_ERROR);
	assert_string_equal(err, "empty packet");
	buf[0] = 0x7f;
	assert_int_equal(milter_reply_parse(buf, 5, &r, &err),
	                 MILTER_PARSE_ERROR);
	assert_string_equal(err, "packet too large");
}

static void
test_reply_fields(void **state)
{
	uint8_t buf[128];
	uint32_t v[3] = {htonl(6), htonl(0x13), htonl(0x1000)}, idx;
	struct milter_reply r;
	struct milter_optneg o;
	const char *err, *name, *value, *s;
	int code;

	milter_reply_parse(buf, packet(buf, 'O', v, sizeof(v)), &r, &err);
	assert_int_equal(milter_parse_optneg(&r, &o), 0);
	assert_int_equal(o.version, 6);
	assert_int_equal(o.actions, 0x13);
	assert_int_equal(o.steps, 0x1000);

	memcpy(v, (uint32_t[]){htonl(2)}, 4);
	memcpy(buf + 100, v, 4);
	memcpy(buf + 104, "X-B\0new\0", 8);
	milter_reply_parse(buf, packet(buf, 'm', buf + 100, 12), &r, &err);
	assert_int_equal(milter_parse_header(&r, true, &idx, &name, &value), 0);
	assert_int_equal(idx, 2);
	assert_string_equal(name, "X-B");
	assert_string_equal(value, "new");
	/* No NUL at the end, or a name with a colon: refused. */
	milter_reply_parse(buf, packet(buf, 'h', "X-C\0v", 5), &r, &err);
	assert_int_equal(milter_parse_header(&r, false, &idx, &name, &value),
	                 -1);
	milter_reply_parse(buf, packet(buf, 'h', "X:C\0v\0", 6), &r, &err);
	assert_int_equal(milter_parse_header(&r, false, &idx, &name, &value),
	                 -1);

	milter_reply_parse(buf, packet(buf, 'y', "554 5.7.1 no\0", 13), &r,
	                   &err);
	assert_int_equal(milter_parse_string(&r, &s), 0);
	assert_int_equal(milter_parse_replycode(s, &code), 0);
	assert_int_equal(code, 554);
	assert_int_equal(milter_parse_replycode("250 ok", &code), -1);
	assert_int_equal(milter_parse_replycode("55 x", &code), -1);
	assert_int_equal(milter_parse_replycode("451", &code), 0);
	assert_int_equal(milter_parse_replycode("550 a\r\nb", &code), -1);
}

static char *
written(const struct milter_message *m)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	milter_message_write(m, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static const char MSG[] = "Subject: hi\r\nX-A: 1\r\n\tmore\r\nX-A: 2\r\n"
                          "\r\nbody\r\n.line\r\n";

static void
test_message_round_trip(void **state)
{
	struct milter_message m;
	char *out, *v;

	milter_message_parse(&m, MSG, sizeof(MSG) - 1);
	assert_int_equal(m.nh, 3);
	v = milter_header_value(&m.h[1]);
	assert_string_equal(v, "1\n\tmore"); /* as milters see it */
	free(v);
	out = written(&m);
	assert_string_equal(out, MSG);
	assert_false(m.changed);
	free(out);
	milter_message_free(&m);
}

static void
test_message_edits(void **state)
{
	struct milter_message m;
	char *out;

	milter_message_parse(&m, MSG, sizeof(MSG) - 1);
	milter_message_insert(&m, 0, "DKIM-Signature", "v=1;\n\tb=x");
	milter_message_change(&m, 2, "x-a", ""); /* deletes the second */
	milter_message_change(&m, 1, "Subject", "new");
	milter_message_change(&m, 5, "X-New", "added"); /* not there: adds */
	milter_message_add(&m, "X-Bad", "a\nb\x01");
	milter_message_body_chunk(&m, "new ", 4);
	milter_message_body_chunk(&m, "body\r\n", 6);
	milter_message_body_done(&m);
	out = written(&m);
	assert_string_equal(out, "DKIM-Signature: v=1;\r\n\tb=x\r\n"
	                         "Subject: new\r\nX-A: 1\r\n\tmore\r\n"
	                         "X-New: added\r\nX-Bad: a\r\n\tb?\r\n"
	                         "\r\nnew body\r\n");
	assert_true(m.changed);
	free(out);
	milter_message_free(&m);
}

static void
test_message_without_header(void **state)
{
	struct milter_message m;
	char *out;

	milter_message_parse(&m, "no header line\r\n", 16);
	assert_int_equal(m.nh, 0);
	assert_int_equal(m.bodylen, 16);
	out = written(&m);
	assert_string_equal(out, "\r\nno header line\r\n");
	free(out);
	milter_message_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reply_parse_lengths),
	        cmocka_unit_test(test_reply_fields),
	        cmocka_unit_test(test_message_round_trip),
	        cmocka_unit_test(test_message_edits),
	        cmocka_unit_test(test_message_without_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
