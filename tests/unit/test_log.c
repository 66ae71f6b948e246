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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json_escapes),
	        cmocka_unit_test(test_json_cut),
	        cmocka_unit_test(test_json_random),
	        cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
