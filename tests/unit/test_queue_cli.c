/*
 * test_queue_cli.c — the pure parts of `ferry sendmail` and `ferry queue`:
 * sendmail options, reading the message, header scanning for -t, the
 * maildrop file header, and the mailq layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "cli/queue_int.h"
#include "cli/sendmail_int.h"
#include "control/maildrop.h"

/* ---- sendmail options ---- */

static int
parse(struct sendmail_opts *o, const char *line)
{
	static char buf[512];
	static char *argv[32];
	char *p;
	char err[128];
	int argc = 0;

	snprintf(buf, sizeof(buf), "sendmail %s", line);
	for (p = strtok(buf, " "); p && argc < 31; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	return sendmail_parse_args(argc, argv, o, err, sizeof(err));
}

static void
test_args(void **state)
{
	struct sendmail_opts o;

	assert_int_equal(parse(&o, "-t -i -f a@b.example -F Name x y"), 0);
	assert_true(o.from_headers);
	assert_true(o.ignore_dots);
	assert_string_equal(o.sender, "a@b.example");
	assert_string_equal(o.fullname, "Name");
	assert_int_equal(o.nrcpts, 2);
	assert_string_equal(o.rcpts[1], "y");
	assert_int_equal(o.mode, SM_SEND);

	assert_int_equal(parse(&o, "-oi -oem -odb -fme@x.example -- -dash"), 0);
	assert_true(o.ignore_dots);
	assert_string_equal(o.sender, "me@x.example");
	assert_int_equal(o.nrcpts, 1);
	assert_string_equal(o.rcpts[0], "-dash");

	assert_int_equal(parse(&o, "-r r@x.example -C /etc/f.conf z"), 0);
	assert_string_equal(o.sender, "r@x.example");
	assert_string_equal(o.config, "/etc/f.conf");

	assert_int_equal(parse(&o, "-bp"), 0);
	assert_int_equal(o.mode, SM_MAILQ);
	assert_int_equal(parse(&o, "-q"), 0);
	assert_int_equal(o.mode, SM_FLUSH);
	assert_int_equal(parse(&o, "-q30m"), 0);
	assert_int_equal(o.mode, SM_FLUSH);
	assert_int_equal(parse(&o, "-bi"), 0);
	assert_int_equal(o.mode, SM_NEWALIASES);
	assert_int_equal(parse(&o, "-bs"), 0);
	assert_int_equal(o.mode, SM_SMTP);
	/* Options stop at the first recipient. */
	assert_int_equal(parse(&o, "a@b.example -t"), 0);
	assert_false(o.from_headers);
	assert_int_equal(o.nrcpts, 2);

	assert_int_equal(parse(&o, "-bd"), EX_USAGE);
	assert_int_equal(parse(&o, "-X"), EX_USAGE);
	assert_int_equal(parse(&o, "-f"), EX_USAGE);
	assert_int_equal(parse(&o, "-tx"), EX_USAGE);
}

/* ---- reading the message ---- */

static int
read_str(const char *in, bool dots, size_t max, char **out, size_t *len)
{
	FILE *f = fmemopen((void *)in, strlen(in), "r");
	int rc = sendmail_read(f, dots, max, out, len);

	fclose(f);
	return rc;
}

static void
test_read(void **state)
{
	char *m;
	size_t len;

	assert_int_equal(read_str("a\nb\r\n.\nc\n", false, 1000, &m, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(m, "a\r\nb\r\n", 6);
	free(m);
	assert_int_equal(read_str("a\n.\nc", true, 1000, &m, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(m, "a\r\n.\r\nc\r\n", 9);
	free(m);
	/* ".." stays as it is: no SMTP dot-stuffing here. */
	assert_int_equal(read_str("..\n", false, 1000, &m, &len), 0);
	assert_memory_equal(m, "..\r\n", 4);
	free(m);
	assert_int_equal(read_str("", false, 1000, &m, &len), 0);
	assert_int_equal(len, 0);
	free(m);
	assert_int_equal(read_str("0123456789\n", false, 8, &m, &len),
	                 EX_DATAERR);
	assert_null(m);
}

/* ---- headers ---- */

struct addrs {
	char list[16][128];
	int n;
};

static int
collect(void *arg, const char *addr)
{
	struct addrs *a = arg;

	snprintf(a->list[a->n++], sizeof(a->list[0]), "%s", addr);
	return a->n >= 16;
}

static void
split(struct addrs *a, const char *v)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(sendmail_split_addresses(v, strlen(v), collect, a), 0);
}

static void
test_split(void **state)
{
	struct addrs a;

	split(&a, "a@x.example");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.list[0], "a@x.example");

	split(&a, " Al Ice <al@x.example> , \"Doe, John\" <jd@x.example>, "
	          "plain@x.example (comment, with comma)");
	assert_int_equal(a.n, 3);
	assert_string_equal(a.list[0], "al@x.example");
	assert_string_equal(a.list[1], "jd@x.example");
	assert_string_equal(a.list[2], "plain@x.example");

	/* Groups: the display name goes, members stay; empty groups add
	 * nothing. */
	split(&a, "Team: b@x.example, c@x.example;, undisclosed-recipients:;");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.list[0], "b@x.example");
	assert_string_equal(a.list[1], "c@x.example");

	/* Quoted local parts keep their quotes; nested comments go. */
	split(&a, "\"john q\"@x.example (a (nested) comment)");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.list[0], "\"john q\"@x.example");

	/* A comma inside angle brackets (source route) does not split. */
	split(&a, "<@r1,@r2:d@x.example>");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.list[0], "@r1,@r2:d@x.example");
}

static void
test_header_rcpts(void **state)
{
	static const char msg[] = "From: me@x.example\r\n"
	                          "To: a@x.example,\r\n"
	                          "\tB <b@x.example>\r\n"
	                          "cc: c@x.example\r\n"
	                          "Subject: To: not@x.example\r\n"
	                          "BCC: (hidden) d@x.example\r\n"
	                          "Reply-To: r@x.example\r\n"
	                          "\r\n"
	                          "To: body@x.example\r\n";
	struct addrs a = {0};
	size_t hlen = sendmail_header_len(msg, sizeof(msg) - 1);

	assert_int_equal(hlen, strstr(msg, "\r\n\r\n") + 4 - msg);
	assert_int_equal(sendmail_header_rcpts(msg, hlen, collect, &a), 0);
	assert_int_equal(a.n, 4);
	assert_string_equal(a.list[0], "a@x.example");
	assert_string_equal(a.list[1], "b@x.example");
	assert_string_equal(a.list[2], "c@x.example");
	assert_string_equal(a.list[3], "d@x.example");
	assert_true(sendmail_has_header(msg, hlen, "from"));
	assert_false(sendmail_has_header(msg, hlen, "Date"));
	assert_false(sendmail_has_header(msg, hlen, "Message-ID"));
}

static void
test_header_len_and_remove(void **state)
{
	char msg[] = "Subject: s\r\nBcc: a@x.example,\r\n b@x.example\r\n"
	             "To: t@x.example\r\nbcc: c@x.example\r\n\r\nbody\r\n";
	size_t len = strlen(msg), hlen = sendmail_header_len(msg, len);

	len = sendmail_remove_header(msg, len, &hlen, "Bcc");
	assert_int_equal(len, strlen("Subject: s\r\nTo: t@x.example\r\n\r\n"
	                             "body\r\n"));
	assert_memory_equal(
	        msg, "Subject: s\r\nTo: t@x.example\r\n\r\nbody\r\n", len);
	assert_int_equal(hlen, len - 6);
	/* No header at all: the first line is body text. */
	assert_int_equal(sendmail_header_len("hello there\r\n", 13), 0);
	assert_int_equal(sendmail_header_len("not a: header\r\n", 15), 0);
	/* A header without the empty line ends where the body starts. */
	assert_int_equal(sendmail_header_len("A: b\r\nbody text\r\n", 17), 6);
}

/* ---- maildrop file header ---- */

static struct mailaddr
addr(const char *path)
{
	struct mailaddr a;
	size_t used;

	assert_int_equal(
	        addr_parse_path(path, strlen(path), true, true, &a, &used),
	        ADDR_OK);
	return a;
}

static void
test_maildrop_roundtrip(void **state)
{
	struct maildrop_hdr h = {0}, back;
	struct mailaddr a;
	const char *err;
	char *text, *file;
	size_t len, off;

	h.uid = 1000;
	h.sender = addr("<>");
	a = addr("<bob@x.example>");
	assert_int_equal(maildrop_add_rcpt(&h, &a), 0);
	a = addr("<\"j q\"@x.example>");
	assert_int_equal(maildrop_add_rcpt(&h, &a), 0);
	text = maildrop_serialize(&h, &len);
	assert_non_null(text);
	assert_string_equal(text, "ferry-maildrop 1\nuid 1000\nsender <>\n"
	                          "rcpt <bob@x.example>\n"
	                          "rcpt <\"j q\"@x.example>\ndata\n");
	file = malloc(len + 8);
	memcpy(file, text, len);
	memcpy(file + len, "Hi\r\n", 4);
	assert_int_equal(maildrop_parse(file, len + 4, &back, &off, &err), 0);
	assert_int_equal(off, len);
	assert_int_equal(back.uid, 1000);
	assert_true(back.sender.is_null);
	assert_int_equal(back.nrcpts, 2);
	assert_string_equal(back.rcpts[1].local, "j q");
	maildrop_hdr_free(&back);
	maildrop_hdr_free(&h);
	free(text);
	free(file);
}

static void
test_maildrop_reject(void **state)
{
	static const char *const bad[] = {
	        "",
	        "ferry-maildrop 2\nuid 1\nsender <>\nrcpt <a@b.c>\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\ndata\n",
	        "ferry-maildrop 1\nsender <>\nrcpt <a@b.c>\ndata\n",
	        "ferry-maildrop 1\nuid 1\nrcpt <a@b.c>\ndata\n",
	        "ferry-maildrop 1\nuid 1\nuid 2\nsender <>\nrcpt <a@b.c>\n"
	        "data\n",
	        "ferry-maildrop 1\nuid -1\nsender <>\nrcpt <a@b.c>\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <>\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt a@b.c\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <a@b.c> x\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <a@b.c>\r\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <a@b.c>\nx y\ndata\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <a@b.c>\n",
	        "ferry-maildrop 1\nuid 1\nsender <>\nrcpt <a@b.c>\ndat",
	};
	struct maildrop_hdr h;
	const char *err;
	size_t i, off;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_int_equal(
		        maildrop_parse(bad[i], strlen(bad[i]), &h, &off, &err),
		        -1);
		assert_non_null(err);
		assert_int_equal(h.nrcpts, 0);
	}
	assert_true(maildrop_name_valid("0123456789abcdef0123456789abcdef"));
	assert_false(maildrop_name_valid("0123456789abcdef0123456789abcde"));
	assert_false(maildrop_name_valid(".t0123456789abcdef0123456789abcd"));
	assert_false(maildrop_name_valid("0123456789ABCDEF0123456789abcdef"));
	assert_false(maildrop_name_valid("../123456789abcdef0123456789abcd"));
}

/* ---- mailq layout ---- */

static char *
print_entry(const struct envelope *env, bool held, struct queue_totals *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	queue_print_entry(f, env, held, t);
	fclose(f);
	return buf;
}

static void
test_mailq_entry(void **state)
{
	struct envelope env = {0};
	struct queue_totals t = {0};
	char *out, *line, expect[256];
	size_t i;

	memcpy(env.id, "0123456789abcdef", QUEUE_ID_LEN + 1);
	env.arrival = 1700000000;
	env.sender = "";
	env.size = 2000;
	i = envelope_add_rcpt(&env, "done@x.example", "done@x.example", NULL,
	                      0);
	env.rcpts[i].state = RCPT_DELIVERED;
	i = envelope_add_rcpt(&env, "later@y.example", "later@y.example", NULL,
	                      0);
	env.rcpts[i].state = RCPT_DEFERRED;
	env.rcpts[i].last_reply = strdup("452 4.2.2 Mailbox full");
	envelope_add_rcpt(&env, "new@y.example", "new@y.example", NULL, 0);
	env.sender = strdup("");

	out = print_entry(&env, true, &t);
	line = strtok(out, "\n");
	assert_int_equal(strncmp(line, "0123456789abcdef!     2000 ", 27), 0);
	assert_non_null(strstr(line, " MAILER-DAEMON"));
	snprintf(expect, sizeof(expect), "%*s(452 4.2.2 Mailbox full)",
	         QUEUE_LIST_INDENT, "");
	assert_string_equal(strtok(NULL, "\n"), expect);
	snprintf(expect, sizeof(expect), "%*slater@y.example",
	         QUEUE_LIST_INDENT, "");
	assert_string_equal(strtok(NULL, "\n"), expect);
	snprintf(expect, sizeof(expect), "%*snew@y.example", QUEUE_LIST_INDENT,
	         "");
	assert_string_equal(strtok(NULL, "\n"), expect);
	assert_null(strtok(NULL, "\n")); /* delivered ones are not listed */
	free(out);
	assert_string_equal(queue_rcpt_reason(&env.rcpts[1]), "mailboxfull");
	assert_null(queue_rcpt_reason(&env.rcpts[2]));

	out = print_entry(&env, false, &t);
	assert_int_equal(strncmp(out, "0123456789abcdef      2000 ", 27), 0);
	free(out);
	assert_int_equal(t.requests, 2);
	assert_int_equal(t.bytes, 4000);
	envelope_free(&env);
}

static void
test_mailq_totals_and_json(void **state)
{
	struct queue_totals t = {4000, 2}, one = {10, 1}, none = {0, 0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	queue_print_totals(f, &t);
	queue_print_totals(f, &one);
	queue_print_totals(f, &none);
	queue_json_string(f, "a\"b\\c\n\x01");
	queue_json_string(f, NULL);
	fclose(f);
	assert_string_equal(buf, "-- 4 Kbytes in 2 Requests.\n"
	                         "-- 1 Kbytes in 1 Request.\n"
	                         "Mail queue is empty\n"
	                         "\"a\\\"b\\\\c\\n\\u0001\"null");
	free(buf);
	assert_int_equal(queue_header_len("A: b\r\n\r\nbody", 12), 8);
	assert_int_equal(queue_header_len("A: b\n\nbody", 10), 6);
	assert_int_equal(queue_header_len("A: b\r\n", 6), 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_args),
	        cmocka_unit_test(test_read),
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_header_rcpts),
	        cmocka_unit_test(test_header_len_and_remove),
	        cmocka_unit_test(test_maildrop_roundtrip),
	        cmocka_unit_test(test_maildrop_reject),
	        cmocka_unit_test(test_mailq_entry),
	        cmocka_unit_test(test_mailq_totals_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
