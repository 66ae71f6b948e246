/*
 * test_explain_iana.c — the compiled-in registries (src/explain/
 * iana_codes.c, generated) must match the reference TSV files when
 * FERRY_REFERENCE points at them; otherwise the test only checks the
 * table's internal sanity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain/iana.h"

static FILE *
open_ref(const char *name)
{
	const char *dir = getenv("FERRY_REFERENCE");
	char path[512];

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "r");
}

/* Splits a TSV line in place into at most n fields. */
static int
split(char *line, char **f, int n)
{
	int i = 0;

	line[strcspn(line, "\r\n")] = '\0';
	f[i++] = line;
	while (i < n && (line = strchr(line, '\t')) != NULL) {
		*line++ = '\0';
		f[i++] = line;
	}
	return i;
}

static void
test_enhanced_matches_tsv(void **state)
{
	char line[4096], *f[5];
	size_t rows = 0;
	FILE *fp = open_ref("enhanced-status-codes.tsv");
	int s, d;

	(void)state;
	if (fp == NULL)
		skip();
	fgets(line, sizeof(line), fp); /* header */
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct iana_enhanced *e;

		assert_int_equal(split(line, f, 5), 5);
		assert_int_equal(sscanf(f[0], "X.%d.%d", &s, &d), 2);
		e = iana_enhanced_find(s, d);
		if (e == NULL)
			fail_msg("X.%d.%d missing from the table", s, d);
		assert_string_equal(e->sample_text, f[1]);
		assert_string_equal(e->basic_codes, f[2]);
		assert_string_equal(e->description, f[3]);
		assert_string_equal(e->reference, f[4]);
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, iana_enhanced_count);
}

static void
test_basic_matches_tsv(void **state)
{
	char line[4096], *f[3];
	size_t rows = 0;
	FILE *fp = open_ref("basic-reply-codes.tsv");

	(void)state;
	if (fp == NULL)
		skip();
	fgets(line, sizeof(line), fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct iana_basic *b;

		assert_int_equal(split(line, f, 3), 3);
		b = iana_basic_find(atoi(f[0]));
		assert_non_null(b);
		assert_string_equal(b->meaning, f[1]);
		assert_string_equal(b->reference, f[2]);
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, iana_basic_count);
}

static void
test_classes_match_tsv(void **state)
{
	char line[4096], *f[4];
	size_t rows = 0, i;
	FILE *fp = open_ref("enhanced-status-classes.tsv");

	(void)state;
	if (fp == NULL)
		skip();
	fgets(line, sizeof(line), fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_int_equal(split(line, f, 4), 4);
		for (i = 0; i < iana_class_count; i++)
			if (strcmp(iana_classes[i].code, f[0]) == 0)
				break;
		assert_true(i < iana_class_count);
		assert_string_equal(iana_classes[i].summary, f[1]);
		assert_string_equal(iana_classes[i].description, f[2]);
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, iana_class_count);
}

static void
test_table_sane(void **state)
{
	size_t i, j;

	(void)state;
	assert_true(iana_enhanced_count > 70);
	for (i = 0; i < iana_enhanced_count; i++)
		for (j = i + 1; j < iana_enhanced_count; j++)
			assert_false(iana_enhanced_codes[i].subject ==
			                     iana_enhanced_codes[j].subject &&
			             iana_enhanced_codes[i].detail ==
			                     iana_enhanced_codes[j].detail);
	assert_non_null(iana_enhanced_find(7, 26));
	assert_non_null(iana_class_find(5));
	assert_non_null(iana_subject_find(7));
	assert_non_null(iana_basic_find(556));
	assert_null(iana_basic_find(599));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_enhanced_matches_tsv),
	        cmocka_unit_test(test_basic_matches_tsv),
	        cmocka_unit_test(test_classes_match_tsv),
	        cmocka_unit_test(test_table_sane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
