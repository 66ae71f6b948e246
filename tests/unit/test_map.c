/*
 * test_map.c — lookup tables: the text format, text, CDB and LMDB lookups
 * that agree, `map build`, and a changed file taking effect without a restart
 * while a broken one leaves the loaded table in force.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "map/map.h"

static char dir[] = "/tmp/ferry-test-map-XXXXXX";

static void
write_file(const char *path, const char *text)
{
	char tmp[512];
	FILE *f;

	/* Replaced as an admin's editor or `map build` would: renamed in. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static char *
in_dir(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

static const char sample[] =
        "# relay recipients of example.net\n"
        "\n"
        "Alice@Example.NET   ok\n"
        "bob@example.net\tdelivered to bob, carol  \n"
        "   # an indented comment\n"
        "@catchall.example  any\n"
        "alice@example.net  second (ignored: the first wins)\n"
        "empty@example.net\n";

static void
test_spec(void **state)
{
	static const struct {
		const char *spec;
		int rc;
		enum map_kind kind;
		const char *path;
	} cases[] = {
	        {"text:/etc/ferry/r", 0, MAP_TEXT, "/etc/ferry/r"},
	        {"cdb:/etc/ferry/r.cdb", 0, MAP_CDB, "/etc/ferry/r.cdb"},
	        {"/etc/ferry/r.cdb", 0, MAP_CDB, "/etc/ferry/r.cdb"},
	        {"/etc/ferry/r", 0, MAP_TEXT, "/etc/ferry/r"},
	        {"lmdb:/etc/ferry/r", 0, MAP_LMDB, "/etc/ferry/r"},
	        {"/etc/ferry/r.lmdb", 0, MAP_LMDB, "/etc/ferry/r.lmdb"},
	        {"hash:/etc/ferry/r", -1, MAP_TEXT, NULL},
	        {"cdb:", -1, MAP_TEXT, NULL},
	        {"", -1, MAP_TEXT, NULL},
	};
	enum map_kind kind;
	const char *path;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(map_spec_parse(cases[i].spec, &kind, &path),
		                 cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(kind, cases[i].kind);
			assert_string_equal(path, cases[i].path);
		}
	}
}

struct seen {
	int n;
	char keys[8][64];
	char values[8][64];
};

static int
remember(void *arg, const char *key, size_t klen, const char *value,
         size_t vlen)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->keys[s->n], 64, "%.*s", (int)klen, key);
	snprintf(s->values[s->n], 64, "%.*s", (int)vlen, value);
	s->n++;
	return 0;
}

static void
test_text_parse(void **state)
{
	static const char *const bad[] = {
	        "ok 1\nbad\x01key value\n", /* control character in a key */
	        "ok 1\nkey val\0ue\n",      /* NUL in a value */
	};
	struct seen s = {0};
	char longkey[700];
	int line = 0;

	assert_int_equal(
	        map_text_parse(sample, strlen(sample), remember, &s, &line), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.keys[0], "alice@example.net");
	assert_string_equal(s.values[0], "ok");
	assert_string_equal(s.values[1], "delivered to bob, carol");
	assert_string_equal(s.keys[2], "@catchall.example");
	assert_string_equal(s.keys[4], "empty@example.net");
	assert_string_equal(s.values[4], "");
	assert_int_equal(
	        map_text_parse(bad[0], strlen(bad[0]), remember, &s, &line),
	        -1);
	assert_int_equal(line, 2);
	assert_int_equal(map_text_parse(bad[1], 15, remember, &s, &line), -1);
	assert_int_equal(line, 2);
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	line = 0;
	assert_int_equal(
	        map_text_parse(longkey, strlen(longkey), remember, &s, &line),
	        -1);
	assert_int_equal(line, 1);
}

static void
expect(struct map *m, const char *key, int rc, const char *value)
{
	char v[MAP_VALUE_MAX];

	assert_int_equal(map_lookup(m, key, v, sizeof(v)), rc);
	if (rc == 1)
		assert_string_equal(v, value);
}

static void
check_sample(struct map *m)
{
	char small[4];

	expect(m, "alice@example.net", 1, "ok");
	expect(m, "ALICE@example.net", 1, "ok");
	expect(m, "bob@example.net", 1, "delivered to bob, carol");
	expect(m, "@catchall.example", 1, "any");
	expect(m, "empty@example.net", 1, "");
	expect(m, "nobody@example.net", 0, NULL);
	expect(m, "# relay", 0, NULL);
	assert_int_equal(map_lookup(m, "bob@example.net", small, sizeof(small)),
	                 -1);
}

static void
test_text_and_cdb_agree(void **state)
{
	char err[512], spec[600];
	struct map *m;

	write_file(in_dir("rcpt"), sample);
	m = map_open(in_dir("rcpt"), err, sizeof(err));
	assert_non_null(m);
	check_sample(m);
	map_free(m);

	assert_int_equal(
	        map_build(in_dir("rcpt"), in_dir("rcpt.cdb"), err, sizeof(err)),
	        0);
	snprintf(spec, sizeof(spec), "cdb:%s", in_dir("rcpt.cdb"));
	m = map_open(spec, err, sizeof(err));
	assert_non_null(m);
	check_sample(m);
	map_free(m);

	assert_int_equal(map_build(in_dir("rcpt"), in_dir("rcpt.lmdb"), err,
	                           sizeof(err)),
	                 0);
	m = map_open(in_dir("rcpt.lmdb"), err, sizeof(err));
	assert_non_null(m);
	check_sample(m);
	map_free(m);
}

static void
test_errors(void **state)
{
	char err[512];

	assert_null(map_open(in_dir("missing"), err, sizeof(err)));
	assert_non_null(strstr(err, "missing"));
	assert_null(map_open("hash:/etc/aliases", err, sizeof(err)));
	assert_non_null(strstr(err, "is not a map"));
	write_file(in_dir("broken"), "a 1\nb\x02 2\n");
	assert_null(map_open(in_dir("broken"), err, sizeof(err)));
	assert_non_null(strstr(err, "broken:2:"));
	assert_int_equal(map_build(in_dir("broken"), in_dir("broken.cdb"), err,
	                           sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "broken:2:"));
	assert_int_equal(access(in_dir("broken.cdb"), F_OK), -1);
	write_file(in_dir("not.cdb"), "plain text, not a CDB\n");
	assert_null(map_open(in_dir("not.cdb"), err, sizeof(err)));
}

/* Up to 5 s for a lookup to give want (the change check runs once a
 * second; a text file loads on a thread). */
static void
wait_value(struct map *m, const char *key, int rc, const char *want)
{
	const struct timespec step = {0, 50 * 1000 * 1000};
	char v[MAP_VALUE_MAX];
	int i, got = -2;

	for (i = 0; i < 100; i++) {
		got = map_lookup(m, key, v, sizeof(v));
		if (got == rc && (rc != 1 || strcmp(v, want) == 0))
			return;
		nanosleep(&step, NULL);
	}
	fail_msg("%s: still %d, want %d %s", key, got, rc, want ? want : "");
}

static void
check_reload(const char *path_arg, const char *spec_arg, bool built)
{
	char err[512], path[512], spec[600];
	struct map *m;

	/* in_dir() reuses its buffers */
	snprintf(path, sizeof(path), "%s", path_arg);
	snprintf(spec, sizeof(spec), "%s", spec_arg);

	write_file(built ? in_dir("src") : path, "old@example.net 1\n");
	if (built)
		assert_int_equal(
		        map_build(in_dir("src"), path, err, sizeof(err)), 0);
	m = map_open(spec, err, sizeof(err));
	assert_non_null(m);
	expect(m, "old@example.net", 1, "1");
	expect(m, "new@example.net", 0, NULL);

	write_file(built ? in_dir("src") : path, "new@example.net 2\n");
	if (built)
		assert_int_equal(
		        map_build(in_dir("src"), path, err, sizeof(err)), 0);
	wait_value(m, "new@example.net", 1, "2");
	expect(m, "old@example.net", 0, NULL);

	/* A broken version keeps the loaded one in force. */
	write_file(path, built ? "not a database" : "bad\x03 line\n");
	sleep(2);
	expect(m, "new@example.net", 1, "2");
	map_free(m);
}

static void
test_reload_text(void **state)
{
	char spec[600];

	snprintf(spec, sizeof(spec), "text:%s", in_dir("live"));
	check_reload(in_dir("live"), spec, false);
}

static void
test_reload_cdb(void **state)
{
	check_reload(in_dir("live.cdb"), in_dir("live.cdb"), true);
}

static void
test_reload_lmdb(void **state)
{
	check_reload(in_dir("live.lmdb"), in_dir("live.lmdb"), true);
}

/* map_get() hands out one handle per spec. */
static void
test_registry(void **state)
{
	write_file(in_dir("shared"), "k v\n");
	assert_ptr_equal(map_get(in_dir("shared")), map_get(in_dir("shared")));
	assert_null(map_get(in_dir("absent")));
}

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spec),
	        cmocka_unit_test(test_text_parse),
	        cmocka_unit_test(test_text_and_cdb_agree),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_reload_text),
	        cmocka_unit_test(test_reload_cdb),
	        cmocka_unit_test(test_reload_lmdb),
	        cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
