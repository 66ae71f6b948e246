/*
 * test_log.c — the log line formats: logfmt as before, and JSON that is
 * valid whatever the bytes (control bytes, quotes, invalid UTF-8) and
 * whatever the length (a line cut at the limit still parses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fuzz/json_check.h"
#include "base/log.h"

static const char *
escaped(const char *in, size_t cap)
{
	static char out[4096];
	size_t pos = 0;

	log_json_string(out, cap, &pos, in, 0);
	out[pos] = '\0';
	return out;
}

static void
test_json_escapes(void **state)
{
	assert_string_equal(escaped("plain <a@b.example>", 100),
	                    "plain <a@b.example>");
	assert_string_equal(escaped("say \"hi\" \\o/", 100),
	                    "say \\\"hi\\\" \\\\o/");
	assert_string_equal(escaped("a\r\nb\tc\x7f", 100),
	                    "a\\u000d\\u000ab\\u0009c\\u007f");
	/* valid UTF-8 stays as it is */
	assert_string_equal(escaped("caf\xc3\xa9 \xf0\x9f\x93\xa8", 100),
	                    "caf\xc3\xa9 \xf0\x9f\x93\xa8");
	/* invalid bytes become the text \xNN: a stray byte, an overlong
	 * NUL, a surrogate, a sequence cut short, beyond U+10FFFF */
	assert_string_equal(escaped("\xff", 100), "\\\\xff");
	assert_string_equal(escaped("\xc0\x80", 100), "\\\\xc0\\\\x80");
	assert_string_equal(escaped("\xed\xa0\x80", 100),
	                    "\\\\xed\\\\xa0\\\\x80");
	assert_string_equal(escaped("\xe2\x82z", 100), "\\\\xe2\\\\x82z");
	assert_string_equal(escaped("\xf4\x90\x80\x80", 100),
	                    "\\\\xf4\\\\x90\\\\x80\\\\x80");
}

/* Room runs out between escapes and sequences, never inside one. */
static void
test_json_cut(void **state)
{
	assert_string_equal(escaped("ab\"cd", 3), "ab");
	assert_string_equal(escaped("ab\"cd", 4), "ab\\\"");
	assert_string_equal(escaped("a\xc3\xa9", 2), "a");
	assert_string_equal(escaped("a\x01", 6), "a");
	assert_string_equal(escaped("a\x01", 7), "a\\u0001");
}

/* Random bytes at random room: always a valid JSON string. */
static void
test_json_random(void **state)
{
	char in[300], out[2100];
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % (sizeof(in) - 1)), i;
		size_t cap = 8 + (size_t)(rand_r(&seed) % 2048), pos = 6;

		for (i = 0; i < n; i++) {
			int c = rand_r(&seed) % 256;

			in[i] = (char)(c == 0 ? 'x' : c);
		}
		in[n] = '\0';
		memcpy(out, "{\"k\":\"", 6);
		log_json_string(out, cap, &pos, in, 2);
		assert_true(pos + 2 <= cap);
		memcpy(out + pos, "\"}", 2);
		assert_true(json_check_object(out, pos + 2));
	}
}

/* Reads the log file's last line back. */
static char *
last_line(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	char *line = NULL;

	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(buf, sizeof(buf), f) != NULL)
		line = buf;
	fclose(f);
	assert_non_null(line);
	assert_non_null(strchr(line, '\n'));
	*strchr(line, '\n') = '\0';
	return line;
}

static void
test_lines(void **state)
{
	char path[] = "/tmp/ferry-log-XXXXXX", big[5000], *line;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_init_file(path), 0);
	log_event(LOG_LVL_INFO, "rcpt", "id", "66204b5bf0e20000", "to",
	          "a b@example.org", "skipped", NULL, NULL);
	line = last_line(path);
	assert_non_null(strstr(line, " level=info event=rcpt "
	                             "id=66204b5bf0e20000 "
	                             "to=\"a b@example.org\""));
	log_set_format(LOG_FORMAT_JSON);
	log_event(LOG_LVL_WARN, "helo", "session", "7", "helo",
	          "evil\r\n{\"x\xff", NULL);
	line = last_line(path);
	assert_true(json_check_object(line, strlen(line)));
	assert_non_null(strstr(line, ",\"level\":\"warn\",\"event\":\"helo\","
	                             "\"session\":\"7\",\"helo\":\"evil"
	                             "\\u000d\\u000a{\\\"x\\\\xff\"}"));
	assert_memory_equal(line, "{\"ts\":\"", 7);
	/* a line too long for the limit is cut and still parses */
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_event(LOG_LVL_INFO, "long", "a", big, "b", "after", NULL);
	line = last_line(path);
	assert_true(strlen(line) < 2100);
	assert_true(json_check_object(line, strlen(line)));
	assert_null(strstr(line, "after"));
	log_set_format(LOG_FORMAT_LOGFMT);
	unlink(path);
}

static int wakes;

static void
count_wake(void *arg)
{
	wakes++;
}

/* Lines in the file at path with "event=NAME "; every line whole. */
static int
count_lines(const char *path, const char *name)
{
	char buf[4096], want[64];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	snprintf(want, sizeof(want), "event=%s ", name);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		assert_non_null(strchr(buf, '\n'));
		assert_memory_equal(buf, "ts=", 3);
		n += strstr(buf, want) != NULL;
	}
	fclose(f);
	return n;
}

/* The loop's lines wait for log_flush(), the first one wakes the loop,
 * a full buffer goes out by itself, and a fork writes them once. */
static void
test_batch(void **state)
{
	char path[] = "/tmp/ferry-log-XXXXXX", pad[300];
	int fd = mkstemp(path), i, st;
	pid_t pid;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_init_file(path), 0);
	log_batch_start(count_wake, NULL);
	log_event(LOG_LVL_INFO, "first", "k", "v", NULL);
	log_event(LOG_LVL_INFO, "second", "k", "v", NULL);
	assert_int_equal(wakes, 1);
	assert_int_equal(count_lines(path, "first"), 0);
	log_flush();
	assert_int_equal(count_lines(path, "first"), 1);
	assert_int_equal(count_lines(path, "second"), 1);
	/* more than one buffer's worth: whole lines, none lost */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (i = 0; i < 100; i++)
		log_event(LOG_LVL_INFO, "many", "pad", pad, NULL);
	assert_true(count_lines(path, "many") > 0);
	log_flush();
	assert_int_equal(count_lines(path, "many"), 100);
	/* gathered before a fork: written once, by the parent */
	log_event(LOG_LVL_INFO, "forked", "k", "v", NULL);
	if ((pid = fork()) == 0)
		exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	log_flush();
	assert_int_equal(count_lines(path, "forked"), 1);
	/* stopped: each line written at once */
	log_batch_stop();
	log_event(LOG_LVL_INFO, "after", "k", "v", NULL);
	assert_int_equal(count_lines(path, "after"), 1);
	/* held (a delivery batch): written on release, nobody woken */
	wakes = 0;
	log_hold();
	log_event(LOG_LVL_INFO, "held", "k", "v", NULL);
	log_event(LOG_LVL_INFO, "held", "k", "w", NULL);
	assert_int_equal(count_lines(path, "held"), 0);
	log_release();
	assert_int_equal(count_lines(path, "held"), 2);
	assert_int_equal(wakes, 0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json_escapes),
	        cmocka_unit_test(test_json_cut),
	        cmocka_unit_test(test_json_random),
	        cmocka_unit_test(test_lines),
	        cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
