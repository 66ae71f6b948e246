/*
 * test_explain_seeds.c — every reply listed in the seed documents
 * (tests/data/seed-replies.tsv, extracted by scripts/extract-seed-replies.py)
 * must have a reviewed expectation (tests/data/seed-expected.tsv) and be
 * classified to it.  Prints the share classified into a specific category.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain/explain.h"

#define MAX_ROWS 1024

struct row {
	char id[16];
	char reason[32];
	char actor[32];
	char reply[1024];
};

static struct row replies[MAX_ROWS], expected[MAX_ROWS];
static int nreplies, nexpected;

/* Reads "a\tb\tc..." rows, skipping comments and the header line. */
static int
load(const char *name, struct row *rows, int is_expected)
{
	const char *dir = getenv("FERRY_SRCDIR");
	char path[512], line[2048];
	int n = 0, header = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", dir ? dir : ".", name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL && n < MAX_ROWS) {
		char *id, *a, *b, *c;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (header) {
			header = 0;
			continue;
		}
		id = strtok(line, "\t");
		a = strtok(NULL, "\t");
		b = strtok(NULL, "\t");
		c = strtok(NULL, "");
		if (id == NULL || a == NULL || b == NULL)
			continue;
		snprintf(rows[n].id, sizeof(rows[n].id), "%s", id);
		if (is_expected) {
			snprintf(rows[n].reason, sizeof(rows[n].reason), "%s",
			         a);
			snprintf(rows[n].actor, sizeof(rows[n].actor), "%s", b);
		} else {
			snprintf(rows[n].reply, sizeof(rows[n].reply), "%s", b);
		}
		(void)c;
		n++;
	}
	fclose(f);
	return n;
}

static const struct row *
expectation(const char *id)
{
	int i;

	for (i = 0; i < nexpected; i++)
		if (strcmp(expected[i].id, id) == 0)
			return &expected[i];
	return NULL;
}

static void
test_seed_replies(void **state)
{
	struct explain_result r;
	const struct row *e;
	int i, specific = 0, bad = 0;

	(void)state;
	nreplies = load("seed-replies.tsv", replies, 0);
	nexpected = load("seed-expected.tsv", expected, 1);
	assert_true(nreplies > 300);
	for (i = 0; i < nreplies; i++) {
		e = expectation(replies[i].id);
		if (e == NULL) {
			print_error("no expectation for %s: %s\n",
			            replies[i].id, replies[i].reply);
			bad++;
			continue;
		}
		explain_reply(replies[i].reply, (size_t)-1, &r);
		if (r.reason != REASON_UNDEFINED)
			specific++;
		if (strcmp(explain_reason_name(r.reason), e->reason) != 0 ||
		    strcmp(explain_actor_name(r.actor), e->actor) != 0) {
			print_error("%s: got %s/%s, want %s/%s: %s\n",
			            replies[i].id,
			            explain_reason_name(r.reason),
			            explain_actor_name(r.actor), e->reason,
			            e->actor, replies[i].reply);
			bad++;
		}
	}
	printf("seed replies: %d, classified specifically: %d (%.1f%%)\n",
	       nreplies, specific, 100.0 * specific / nreplies);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seed_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
