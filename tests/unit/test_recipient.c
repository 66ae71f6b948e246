/*
 * test_recipient.c — recipient verdicts and alias expansion over one
 * configuration, as a table of {local part, domain, verdict, targets}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/config_int.h"
#include "policy/recipient.h"

static const char conf[] =
        "[server]\n"
        "hostname = mx.example.org\n"
        "host_names = mail.example.org,old-name\n"
        "[domain example.org]\n"
        "maildir_root = /mail/org\n"
        "mailbox = alice, bob, carol\n"
        "disabled = carol, dave\n"
        "alias = postmaster: alice\n"
        "alias = team: alice, bob, carol, friend@Elsewhere.example\n"
        "alias = all: team, bob, sub@example.net\n"
        "alias = gone: carol, dave\n"
        "alias = deep1: deep2\n"
        "alias = deep2: deep3\n"
        "alias = deep3: x@example.net\n"
        "alias = cross: z@two.example\n"
        "[domain two.example]\n"
        "maildir_root = rel/two\n"
        "mailbox = z, catcher, list+x\n"
        "alias = postmaster: alice@example.org\n"
        "catch_all = catcher\n";

static struct config *cfg;

static int
setup(void **state)
{
	FILE *in = fmemopen((void *)conf, sizeof(conf) - 1, "r");

	cfg = config_load_stream(in, "r.conf", "/etc/ferry", stderr);
	fclose(in);
	return cfg == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	config_free(cfg);
	return 0;
}

static const struct {
	const char *local, *domain;
	enum recipient_verdict verdict;
	const char *targets; /* space-separated, in order */
} cases[] = {
        {"alice", "example.org", RCPT_LOCAL, "alice@example.org"},
        {"ALICE", "Example.ORG.", RCPT_LOCAL, "alice@example.org"},
        {"carol", "example.org", RCPT_DISABLED, ""},
        {"dave", "example.org", RCPT_DISABLED, ""},
        {"nobody", "example.org", RCPT_UNKNOWN, ""},
        {"alice", "example.net", RCPT_FOREIGN, ""},
        {"alice", "[127.0.0.1]", RCPT_FOREIGN, ""},
        {"alice%other.example", "example.org", RCPT_ROUTING, ""},
        {"other!alice", "example.org", RCPT_ROUTING, ""},
        {"a%b", "example.net", RCPT_ROUTING, ""},
        {"PostMaster", "example.org", RCPT_LOCAL, "alice@example.org"},
        {"postmaster", NULL, RCPT_LOCAL, "alice@example.org"},
        {"postmaster", "", RCPT_LOCAL, "alice@example.org"},
        /* unqualified, and the host's own names: the origin domain */
        {"alice", NULL, RCPT_LOCAL, "alice@example.org"},
        {"bob", "mx.example.org", RCPT_LOCAL, "bob@example.org"},
        {"bob", "MAIL.example.org.", RCPT_LOCAL, "bob@example.org"},
        {"bob", "old-name", RCPT_LOCAL, "bob@example.org"},
        {"bob", "localhost", RCPT_LOCAL, "bob@example.org"},
        {"bob", "other.example.org", RCPT_FOREIGN, ""},
        /* root without a mailbox of its own: postmaster, before a
         * catch_all */
        {"root", "example.org", RCPT_LOCAL, "alice@example.org"},
        {"ROOT", "mx.example.org", RCPT_LOCAL, "alice@example.org"},
        {"root", "two.example", RCPT_LOCAL, "alice@example.org"},
        /* extensions: the address itself first, then without, then the
         * catch_all */
        {"alice+tag", "example.org", RCPT_LOCAL, "alice@example.org"},
        {"Team+x", "example.org", RCPT_LOCAL,
         "alice@example.org bob@example.org friend@elsewhere.example"},
        {"carol+x", "example.org", RCPT_DISABLED, ""},
        {"+tag", "example.org", RCPT_UNKNOWN, ""},
        {"nobody+x", "example.org", RCPT_UNKNOWN, ""},
        {"list+x", "two.example", RCPT_LOCAL, "list+x@two.example"},
        {"z+x", "two.example", RCPT_LOCAL, "z@two.example"},
        {"nobody+x", "two.example", RCPT_LOCAL, "catcher@two.example"},
        {"postmaster", "two.example", RCPT_LOCAL, "alice@example.org"},
        {"team", "example.org", RCPT_LOCAL,
         "alice@example.org bob@example.org friend@elsewhere.example"},
        {"all", "example.org", RCPT_LOCAL,
         "alice@example.org bob@example.org friend@elsewhere.example "
         "sub@example.net"},
        {"gone", "example.org", RCPT_DISABLED, ""},
        {"deep1", "example.org", RCPT_LOCAL, "x@example.net"},
        {"cross", "example.org", RCPT_LOCAL, "z@two.example"},
        {"whoever", "two.example", RCPT_LOCAL, "catcher@two.example"},
        {"Z", "TWO.example", RCPT_LOCAL, "z@two.example"},
};

static char *
join_targets(const struct recipient_result *res)
{
	char *s = strdup(""), *next;
	size_t i;

	for (i = 0; i < res->ntargets; i++) {
		assert_true(asprintf(&next, "%s%s%s", s, i ? " " : "",
		                     res->targets[i]) >= 0);
		free(s);
		s = next;
	}
	return s;
}

static void
test_verdicts(void **state)
{
	struct recipient_result res;
	char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		recipient_resolve(cfg, cases[i].local, cases[i].domain, &res);
		got = join_targets(&res);
		if (res.verdict != cases[i].verdict ||
		    strcmp(got, cases[i].targets) != 0)
			print_error("case %zu: %s@%s -> %d [%s]\n", i,
			            cases[i].local,
			            cases[i].domain ? cases[i].domain
			                            : "(none)",
			            res.verdict, got);
		assert_int_equal(res.verdict, cases[i].verdict);
		assert_string_equal(got, cases[i].targets);
		free(got);
		recipient_result_free(&res);
		assert_int_equal(res.ntargets, 0);
	}
}

static void
test_maildir(void **state)
{
	char *p;

	p = recipient_maildir(cfg, "Alice@EXAMPLE.org");
	assert_string_equal(p, "/mail/org/alice");
	free(p);
	p = recipient_maildir(cfg, "z@two.example");
	assert_string_equal(p, "/etc/ferry/rel/two/z");
	free(p);
	assert_null(recipient_maildir(cfg, "carol@example.org"));
	assert_null(recipient_maildir(cfg, "team@example.org"));
	assert_null(recipient_maildir(cfg, "alice@example.net"));
	assert_null(recipient_maildir(cfg, "alice"));
}

/* The embedded demo: the disabled mailbox and the aliases it promises. */
static void
test_demo(void **state)
{
	struct config *demo = config_load(NULL, stderr);
	struct recipient_result res;

	assert_non_null(demo);
	recipient_resolve(demo, "carol", "example.test", &res);
	assert_int_equal(res.verdict, RCPT_DISABLED);
	recipient_resolve(demo, "info", "example.test", &res);
	assert_int_equal(res.verdict, RCPT_LOCAL);
	assert_int_equal(res.ntargets, 2);
	recipient_result_free(&res);
	recipient_resolve(demo, "postmaster", "example.test", &res);
	assert_string_equal(res.targets[0], "demo@example.test");
	recipient_result_free(&res);
	config_free(demo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_verdicts),
	        cmocka_unit_test(test_maildir),
	        cmocka_unit_test(test_demo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
