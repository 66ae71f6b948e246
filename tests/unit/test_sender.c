/*
 * test_sender.c — MAIL FROM ownership for authenticated users, as a table
 * of {login, sender, owned}.
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
#include "policy/sender.h"

static const char conf[] =
        "[auth]\n"
        "sender = alice: alice@alice.example, *@shop.example\n"
        "sender = root: *\n"
        "[domain example.org]\n"
        "maildir_root = /mail/org\n"
        "mailbox = alice, bob\n"
        "alias = postmaster: alice\n"
        "alias = sales: alice\n"
        "alias = team: alice, bob\n"
        "[domain two.example]\n"
        "maildir_root = /mail/two\n"
        "mailbox = alice\n"
        "alias = postmaster: alice\n";

static struct config *cfg;

static int
setup(void **state)
{
	FILE *in = fmemopen((void *)conf, sizeof(conf) - 1, "r");

	cfg = config_load_stream(in, "s.conf", "/etc/ferry", stderr);
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
	const char *login, *sender;
	bool owned;
} cases[] = {
        {"alice", "", true},                  /* null sender */
        {"alice", "alice@example.org", true}, /* own mailbox */
        {"alice", "ALICE@Example.ORG", true}, /* any case */
        {"alice", "alice@two.example", true}, /* same name, other domain */
        {"alice", "sales@example.org", true}, /* alias only to her */
        {"alice", "postmaster@example.org", true},
        {"alice", "team@example.org", false},   /* alias shared with bob */
        {"alice", "bob@example.org", false},    /* someone else */
        {"alice", "alice@alice.example", true}, /* sender rule */
        {"alice", "news@shop.example", true},   /* wildcard rule */
        {"alice", "news@shop.example.evil", false},
        {"alice", "someone@elsewhere.example", false},
        {"bob", "bob@example.org", true},
        {"bob", "bob@two.example", false},   /* no such mailbox there */
        {"bob", "news@shop.example", false}, /* rule is alice's */
        {"bob@example.org", "bob@example.org", true},
        {"bob@example.org", "alice@example.org", false},
        {"root", "anything@anywhere.example", true},
        {"mallory", "mallory@example.org", false},
};

static void
test_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = sender_owned(cfg, cases[i].login, cases[i].sender);

		if (got != cases[i].owned)
			fail_msg("%s sending as <%s>: expected %s",
			         cases[i].login, cases[i].sender,
			         cases[i].owned ? "owned" : "refused");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
