/*
 * test_explain.c — the reply classifier: parsing what people paste, the
 * reason/actor decision, the relay's action, and the JSON writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain/explain.h"
#include "explain/json.h"

struct parse_case {
	const char *input;
	int basic;
	const char *enhanced;
	const char *text_start; /* the text must start with this */
};

static const struct parse_case parse_cases[] = {
        {"550", 550, "", ""},
        {"5.1.1", 0, "5.1.1", ""},
        {"550 5.1.1", 550, "5.1.1", ""},
        {"550 5.1.1 User unknown", 550, "5.1.1", "User unknown"},
        {"550-5.7.26 This mail has been blocked\r\n550-5.7.26 because the "
         "sender is\r\n550 5.7.26 unauthenticated. - gsmtp",
         550, "5.7.26", "This mail has been blocked because the sender"},
        {"421, \"4.7.0\", Try again later, closing connection.", 421, "4.7.0",
         "Try again later"},
        {"421, \xc2\xab"
         "4.7.0\xc2\xbb, Try again later",
         421, "4.7.0", "Try again later"},
        {"smtp; 552 5.2.2 Mailbox full", 552, "5.2.2", "Mailbox full"},
        {"Diagnostic-Code: smtp;550 5.1.1 <a@b.example>... User unknown", 550,
         "5.1.1", "<a@b.example>"},
        {"Nov 23 10:00:01 mx postfix/smtp[1234]: 3F2A: to=<a@b.example>, "
         "relay=mx.b.example[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, "
         "dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.1] said: 550 "
         "5.1.1 No such user (in reply to RCPT TO command))",
         550, "5.1.1", "No such user"},
        {"<mx.example #4.5.3 smtp;452 4.5.3 Error: too many recipients>", 452,
         "4.5.3", "Error: too many recipients"},
        {"Sorry, no mailbox here by that name. (#5.1.1)", 0, "5.1.1",
         "Sorry, no mailbox"},
        {"connected to 192.0.2.44 at 10:00:01", 0, "", "connected"},
        {"250 2.0.0 Ok: queued as 4Q2X1", 250, "2.0.0", "Ok: queued"},
};

static void
test_parse(void **state)
{
	struct explain_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		explain_reply(c->input, (size_t)-1, &r);
		if (r.basic != c->basic ||
		    strcmp(r.enhanced, c->enhanced) != 0 ||
		    strncmp(r.text, c->text_start, strlen(c->text_start)) != 0)
			fail_msg("case %zu: got %d '%s' '%s'", i, r.basic,
			         r.enhanced, r.text);
	}
}

struct class_case {
	const char *input;
	enum explain_reason reason;
	enum explain_actor actor;
	enum explain_permanence perm;
	const char *provider; /* substring of r.provider, or NULL */
};

static const struct class_case class_cases[] = {
        {"550 5.0.0 mailbox full", REASON_MAILBOXFULL, ACTOR_RECIPIENT_ADMIN,
         PERM_PERMANENT, NULL},
        {"550 5.1.1 The email account that you tried to reach does not exist."
         " - gsmtp",
         REASON_USERUNKNOWN, ACTOR_SENDER, PERM_PERMANENT, "Gmail"},
        {"450 4.2.1 The user you are trying to contact is receiving mail too "
         "quickly.",
         REASON_RATELIMITED, ACTOR_NOBODY, PERM_TRANSIENT, "Gmail"},
        {"451 4.7.1 Greylisting in action, please come back in 00:02:00",
         REASON_ONHOLD, ACTOR_NOBODY, PERM_TRANSIENT, "greylisting"},
        {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "zen.spamhaus.org",
         REASON_BLOCKED, ACTOR_SENDER_ADMIN, PERM_PERMANENT, "Spamhaus"},
        {"550 5.7.26 This mail has been blocked because the sender is "
         "unauthenticated. DMARC policy reject",
         REASON_AUTHFAILURE, ACTOR_SENDER_ADMIN, PERM_PERMANENT, NULL},
        {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
         "SMTP "
         "address lookup",
         REASON_USERUNKNOWN, ACTOR_SENDER, PERM_PERMANENT, "Exchange"},
        {"421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to "
         "user complaints",
         REASON_BADREPUTATION, ACTOR_SENDER_ADMIN, PERM_TRANSIENT, "Yahoo"},
        {"450 4.7.1 Client host rejected: cannot find your reverse hostname, "
         "[192.0.2.1]",
         REASON_REQUIREPTR, ACTOR_SENDER_ADMIN, PERM_TRANSIENT, "Postfix"},
        {"554 5.7.1 <x@y.example>: Relay access denied", REASON_NORELAYING,
         ACTOR_SENDER_ADMIN, PERM_PERMANENT, "Postfix"},
        {"250 2.7.0 Authentication succeeded", REASON_DELIVERED, ACTOR_NOBODY,
         PERM_SUCCESS, NULL},
        {"5.2.2", REASON_MAILBOXFULL, ACTOR_RECIPIENT_ADMIN, PERM_PERMANENT,
         NULL},
        {"556 5.1.10 Recipient address has null MX", REASON_NOTACCEPT,
         ACTOR_SENDER, PERM_PERMANENT, NULL},
        {"4.4.7", REASON_EXPIRED, ACTOR_SENDER_ADMIN, PERM_TRANSIENT, NULL},
        {"452 4.3.1 Insufficient system storage", REASON_SYSTEMFULL,
         ACTOR_NOBODY, PERM_TRANSIENT, NULL},
        {"550 Requested action not taken: mailbox unavailable",
         REASON_USERUNKNOWN, ACTOR_SENDER, PERM_PERMANENT, NULL},
};

static void
test_classify(void **state)
{
	struct explain_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
		const struct class_case *c = &class_cases[i];

		explain_reply(c->input, (size_t)-1, &r);
		if (r.reason != c->reason || r.actor != c->actor ||
		    r.permanence != c->perm ||
		    (c->provider && !strstr(r.provider, c->provider)))
			fail_msg("case %zu '%s': got %s/%s/%s/'%s'", i,
			         c->input, explain_reason_name(r.reason),
			         explain_actor_name(r.actor),
			         explain_permanence_name(r.permanence),
			         r.provider);
		assert_non_null(r.advice);
	}
}

struct action_case {
	int basic;
	const char *enhanced;
	const char *text;
	enum explain_stage stage;
	enum explain_action action;
};

static const struct action_case action_cases[] = {
        {250, "2.0.0", "Ok", STAGE_DATA, ACT_DELIVERED},
        {452, "4.5.3", "Too many recipients", STAGE_RCPT,
         ACT_SPLIT_TRANSACTION},
        {452, NULL, "Too many recipients", STAGE_RCPT, ACT_SPLIT_TRANSACTION},
        {552, "5.5.3", "Too many recipients", STAGE_RCPT,
         ACT_SPLIT_TRANSACTION},
        {452, "4.3.1", "Insufficient system storage", STAGE_DATA, ACT_RETRY},
        {421, "4.7.0", "Try again later, closing connection", STAGE_CONNECT,
         ACT_BACKOFF_DESTINATION},
        {421, NULL, "Service not available", STAGE_MAIL,
         ACT_BACKOFF_DESTINATION},
        {450, "4.2.1",
         "The user you are trying to contact is receiving mail too "
         "quickly",
         STAGE_RCPT, ACT_BACKOFF_DESTINATION},
        {451, "4.7.1", "Please try again later: rate limit exceeded",
         STAGE_RCPT, ACT_BACKOFF_DESTINATION},
        {451, "4.7.1", "You are sending too quickly", STAGE_DATA,
         ACT_BACKOFF_DESTINATION},
        {451, "4.7.1", "Greylisting in action", STAGE_RCPT, ACT_RETRY},
        {451, "4.3.0",
         "Multiple destination domains per transaction is "
         "unsupported",
         STAGE_RCPT, ACT_SPLIT_TRANSACTION},
        {550, "5.1.1", "User unknown", STAGE_RCPT, ACT_BOUNCE},
        {554, "5.7.1", "Relay access denied", STAGE_RCPT, ACT_BOUNCE},
        {0, NULL, "connection reset", STAGE_UNKNOWN, ACT_RETRY},
};

static void
test_action(void **state)
{
	enum explain_reason reason;
	enum explain_action a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++) {
		const struct action_case *c = &action_cases[i];

		a = explain_decide(c->basic, c->enhanced, c->text, c->stage,
		                   &reason);
		if (a != c->action)
			fail_msg("case %zu (%d %s): got %s want %s", i,
			         c->basic, c->text, explain_action_name(a),
			         explain_action_name(c->action));
	}
}

/* Malformed input never crashes and still says something. */
static void
test_malformed(void **state)
{
	static const char *const inputs[] = {
	        "",        "hello",        "999 9.9.9 what", "5.9.99 something",
	        "599",     "4.",           "550-",           "\xff\xfe\x00\x01",
	        "1.2.3.4", "12345 67.8.9",
	};
	struct explain_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		explain_reply(inputs[i], strlen(inputs[i]), &r);
		assert_non_null(r.advice);
	}
	assert_int_equal(explain_reply("hello", 5, &r), -1);
	assert_true(r.nwarnings > 0);
	explain_reply("599 something odd", (size_t)-1, &r);
	assert_int_equal(r.permanence, PERM_PERMANENT);
	assert_true(r.flags & EXPLAIN_F_NONSTANDARD);
	explain_reply("5.9.99", (size_t)-1, &r);
	assert_true(r.flags & EXPLAIN_F_UNREGISTERED);
	assert_int_equal(r.permanence, PERM_PERMANENT);
	explain_reply("454 5.5.1 STARTTLS may not be repeated", (size_t)-1, &r);
	assert_true(r.flags & EXPLAIN_F_CLASS_MISMATCH);
	assert_int_equal(r.permanence, PERM_TRANSIENT);
}

static void
test_reason_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < REASON_COUNT; i++) {
		const char *n = explain_reason_name((enum explain_reason)i);
		assert_int_equal(explain_reason_from_name(n), i);
		assert_true(strlen(explain_reason_meaning(i)) > 10);
	}
	assert_int_equal(explain_reason_from_name("speeding"),
	                 REASON_RATELIMITED);
	assert_true((int)explain_reason_from_name("nonsense") == -1);
}

static void
test_json_string(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	json_string(f, "a\"b\\c\n\x01\xff\xc3\xa9");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"");
	free(buf);
}

/* A generic word in the text does not outweigh a specific enhanced code,
 * and advice follows the wording when the wording says more. */
static void
test_specific_code_and_advice(void **state)
{
	struct explain_result r;
	char blocked_advice[512];

	(void)state;
	explain_reply("550 5.7.26 This mail has been blocked because the "
	              "sender is unauthenticated. gsmtp",
	              (size_t)-1, &r);
	assert_int_equal(r.reason, REASON_AUTHFAILURE);
	assert_string_equal(r.advice,
	                    explain_reason_advice(REASON_AUTHFAILURE));
	explain_reply("550 5.7.1 Access blocked", (size_t)-1, &r);
	assert_int_equal(r.reason, REASON_BLOCKED);
	snprintf(blocked_advice, sizeof(blocked_advice), "%s", r.advice);
	explain_reply("550 5.7.1 Helo command rejected: You aren't localhost",
	              (size_t)-1, &r);
	assert_int_equal(r.reason, REASON_BLOCKED);
	assert_string_not_equal(r.advice, blocked_advice);
	assert_non_null(strstr(r.advice, "HELO"));
	assert_int_equal(explain_is_hard(&r), 0);
	explain_reply("450 4.1.1 User unknown", (size_t)-1, &r);
	assert_int_equal(explain_is_hard(&r), 1);
	/* an empty enhanced code is no code (the relay passes "") */
	explain_parts(550, "", "mailbox unavailable", &r);
	assert_false(r.flags & EXPLAIN_F_ENHANCED);
	assert_string_equal(r.enhanced, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse),
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_action),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_reason_names),
	        cmocka_unit_test(test_json_string),
	        cmocka_unit_test(test_specific_code_and_advice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
