/*
 * test_command.c — the command line grammar (src/smtp/command.c).
 *
 * Tables for verb lookup (RFC 5321 s4.1.1: verbs are case-insensitive and
 * end at SP), for "FROM:"/"TO:" with a path and esmtp-params (s4.1.2,
 * RFC 1869 s4), and for the BDAT arguments (RFC 3030 s2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/command.h"

#define S(lit) lit, sizeof(lit) - 1

static void
test_split(void **state)
{
	static const struct {
		const char *line;
		size_t len;
		enum smtp_verb verb;
		const char *args;
	} rows[] = {
	        {S("MAIL FROM:<a@b>"), VERB_MAIL, "FROM:<a@b>"},
	        {S("mail from:<a@b>"), VERB_MAIL, "from:<a@b>"},
	        {S("MaIl FROM:<>"), VERB_MAIL, "FROM:<>"},
	        {S("RCPT TO:<a@b> NOTIFY=NEVER"), VERB_RCPT,
	         "TO:<a@b> NOTIFY=NEVER"},
	        {S("EHLO client.example"), VERB_EHLO, "client.example"},
	        {S("HELO client.example"), VERB_HELO, "client.example"},
	        {S("HELO"), VERB_HELO, ""},
	        {S("DATA"), VERB_DATA, ""},
	        {S("data x"), VERB_DATA, "x"},
	        {S("BDAT 100 LAST"), VERB_BDAT, "100 LAST"},
	        {S("RSET"), VERB_RSET, ""},
	        {S("NOOP hi there"), VERB_NOOP, "hi there"},
	        {S("QUIT"), VERB_QUIT, ""},
	        {S("quit"), VERB_QUIT, ""},
	        {S("VRFY user"), VERB_VRFY, "user"},
	        {S("EXPN list"), VERB_EXPN, "list"},
	        {S("HELP"), VERB_HELP, ""},
	        {S("HELP MAIL"), VERB_HELP, "MAIL"},
	        {S("STARTTLS"), VERB_STARTTLS, ""},
	        {S("starttls"), VERB_STARTTLS, ""},
	        {S("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q="), VERB_AUTH,
	         "PLAIN dGVzdAB0ZXN0AHRlc3Q="},
	        {S("TURN"), VERB_NOT_IMPLEMENTED, ""},
	        {S("ETRN example.org"), VERB_NOT_IMPLEMENTED, "example.org"},
	        {S("ATRN"), VERB_NOT_IMPLEMENTED, ""},
	        {S("SEND FROM:<a@b>"), VERB_NOT_IMPLEMENTED, "FROM:<a@b>"},
	        {S("SOML FROM:<a@b>"), VERB_NOT_IMPLEMENTED, "FROM:<a@b>"},
	        {S("SAML FROM:<a@b>"), VERB_NOT_IMPLEMENTED, "FROM:<a@b>"},
	        /* One SP ends the verb; what follows is the argument. */
	        {S("MAIL "), VERB_MAIL, ""},
	        {S("MAIL  FROM:<a@b>"), VERB_MAIL, " FROM:<a@b>"},
	        {S("NOOP "), VERB_NOOP, ""},
	        /* Not verbs. */
	        {S(""), VERB_UNKNOWN, ""},
	        {S(" MAIL FROM:<a@b>"), VERB_UNKNOWN, "MAIL FROM:<a@b>"},
	        {S("MAILFROM:<a@b>"), VERB_UNKNOWN, ""},
	        {S("MAIL\tFROM:<a@b>"), VERB_UNKNOWN, ""},
	        {S("MAI"), VERB_UNKNOWN, ""},
	        {S("MAILX"), VERB_UNKNOWN, ""},
	        {S("HEL"), VERB_UNKNOWN, ""},
	        {S("STARTTLSX"), VERB_UNKNOWN, ""},
	        {S("START TLS"), VERB_UNKNOWN, "TLS"},
	        {S("MA\0L FROM:<a@b>"), VERB_UNKNOWN, "FROM:<a@b>"},
	        {S("MAIL\0"), VERB_UNKNOWN, ""},
	        {S("GET / HTTP/1.1"), VERB_UNKNOWN, "/ HTTP/1.1"},
	        {S("\xc3\xa9HLO x"), VERB_UNKNOWN, "x"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct smtp_command cmd;

		command_split(rows[i].line, rows[i].len, &cmd);
		if (cmd.verb != rows[i].verb ||
		    cmd.argslen != strlen(rows[i].args) ||
		    memcmp(cmd.args, rows[i].args, cmd.argslen) != 0)
			fail_msg("row %zu: verb %d args \"%.*s\"", i, cmd.verb,
			         (int)cmd.argslen, cmd.args);
		/* args always points into the line. */
		assert_true(cmd.args >= rows[i].line &&
		            cmd.args + cmd.argslen ==
		                    rows[i].line + rows[i].len);
	}
}

/* Parameters rendered back as "K=V K2 ..." for comparison. */
static void
render_params(const struct path_command *pc, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < pc->nparams; i++) {
		const struct esmtp_param *p = &pc->params[i];

		n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", i ? " " : "",
		                      (int)p->keywordlen, p->keyword);
		if (p->value)
			n += (size_t)snprintf(buf + n, cap - n, "=%.*s",
			                      (int)p->valuelen, p->value);
		assert_true(n < cap);
	}
}

struct path_case {
	const char *args;
	size_t len;
	bool is_mail;
	enum command_status st;
	const char *local;  /* on CMD_OK */
	const char *domain; /* on CMD_OK */
	const char *params; /* on CMD_OK */
};

enum { RCPT = 0, MAIL = 1 };

static const struct path_case path_cases[] = {
        {S("FROM:<a@b>"), MAIL, CMD_OK, "a", "b", ""},
        {S("from:<a@b>"), MAIL, CMD_OK, "a", "b", ""},
        {S("From:<User@Example.ORG>"), MAIL, CMD_OK, "User", "Example.ORG", ""},
        {S("FROM:<>"), MAIL, CMD_OK, "", "", ""},
        {S("FROM:<> SIZE=0"), MAIL, CMD_OK, "", "", "SIZE=0"},
        {S("TO:<a@b>"), RCPT, CMD_OK, "a", "b", ""},
        {S("to:<postmaster>"), RCPT, CMD_OK, "postmaster", "", ""},
        {S("TO:<Postmaster> NOTIFY=NEVER"), RCPT, CMD_OK, "Postmaster", "",
         "NOTIFY=NEVER"},
        {S("TO:<postmaster@example.org>"), RCPT, CMD_OK, "postmaster",
         "example.org", ""},
        {S("TO:<@r1,@r2:a@b>"), RCPT, CMD_OK, "a", "b", ""},
        {S("FROM:<\"a b\"@x> SIZE=1"), MAIL, CMD_OK, "a b", "x", "SIZE=1"},
        {S("TO:<u@[192.0.2.1]>"), RCPT, CMD_OK, "u", "[192.0.2.1]", ""},
        /* Null path only in MAIL, <postmaster> only in RCPT. */
        {S("TO:<>"), RCPT, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<postmaster>"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        /* A space after the colon is tolerated (common in the wild). */
        {S("FROM: <a@b>"), MAIL, CMD_OK, "a", "b", ""},
        {S("TO:   <a@b>"), RCPT, CMD_OK, "a", "b", ""},
        /* Prefix and path. */
        {S("FROM:"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FROM: "), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S(""), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FROM"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FROM <a@b>"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FRM:<a@b>"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S(" FROM:<a@b>"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("TO:<a@b>"), MAIL, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b>"), RCPT, CMD_SYNTAX, NULL, NULL, NULL},
        {S("TO :<a@b>"), RCPT, CMD_SYNTAX, NULL, NULL, NULL},
        {S("FROM:a@b"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:\"A\" <a@b>"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b>x"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b>SIZE=1"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b>>"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b>\t"), MAIL, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        {S("TO:<a b@c>"), RCPT, CMD_ADDR_SYNTAX, NULL, NULL, NULL},
        /* esmtp-param = esmtp-keyword ["=" esmtp-value] */
        {S("FROM:<a@b> SIZE=1000 BODY=8BITMIME"), MAIL, CMD_OK, "a", "b",
         "SIZE=1000 BODY=8BITMIME"},
        {S("FROM:<a@b>  SIZE=1000"), MAIL, CMD_OK, "a", "b", "SIZE=1000"},
        {S("FROM:<a@b> SIZE=1000 "), MAIL, CMD_OK, "a", "b", "SIZE=1000"},
        {S("FROM:<a@b> "), MAIL, CMD_OK, "a", "b", ""},
        {S("FROM:<a@b> SMTPUTF8"), MAIL, CMD_OK, "a", "b", "SMTPUTF8"},
        {S("FROM:<a@b> BODY=8BITMIME SMTPUTF8 ENVID=QQ+2BB RET=HDRS "
           "SIZE=123"),
         MAIL, CMD_OK, "a", "b",
         "BODY=8BITMIME SMTPUTF8 ENVID=QQ+2BB RET=HDRS SIZE=123"},
        {S("TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b"), RCPT, CMD_OK,
         "a", "b", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b"},
        {S("TO:<a@b> ORCPT=utf-8;j\xc3\xb6@x"), RCPT, CMD_OK, "a", "b",
         "ORCPT=utf-8;j\xc3\xb6@x"},
        {S("FROM:<a@b> X-Y=1 x9"), MAIL, CMD_OK, "a", "b", "X-Y=1 x9"},
        {S("FROM:<a@b> 8BIT=x"), MAIL, CMD_OK, "a", "b", "8BIT=x"},
        {S("FROM:<a@b> K=~!\"#"), MAIL, CMD_OK, "a", "b", "K=~!\"#"},
        {S("FROM:<a@b> SIZE="), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> =1"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> -X=1"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> X_Y=1"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> A=B=C"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> SIZE=10\t"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> K=v\x01"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> K=v\x7f"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> K=v\0"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> SIZE =1"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> SIZE= 1"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        {S("FROM:<a@b> <c@d>"), MAIL, CMD_PARAM_SYNTAX, NULL, NULL, NULL},
        /* Path limits reach the caller as their own status. */
        {S("TO:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
           "aa@b>"),
         RCPT, CMD_ADDR_TOO_LONG, NULL, NULL, NULL},
};

static void
test_parse_path(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		struct path_command pc;
		enum command_status st;
		char buf[1024];

		memset(&pc, 0, sizeof(pc));
		st = command_parse_path(c->args, c->len, c->is_mail, &pc);
		if (st != c->st)
			fail_msg("row %zu \"%s\": status %d, want %d", i,
			         c->args, st, c->st);
		if (st != CMD_OK)
			continue;
		render_params(&pc, buf, sizeof(buf));
		if (strcmp(pc.addr.local, c->local) != 0 ||
		    strcmp(pc.addr.domain, c->domain) != 0 ||
		    strcmp(buf, c->params) != 0)
			fail_msg("row %zu: <%s@%s> params \"%s\"", i,
			         pc.addr.local, pc.addr.domain, buf);
	}
}

/* ESMTP_PARAMS_MAX parameters fit; one more is refused. */
static void
test_params_max(void **state)
{
	char line[512];
	struct path_command pc;
	size_t n, k;

	n = (size_t)snprintf(line, sizeof(line), "FROM:<a@b>");
	for (k = 0; k < ESMTP_PARAMS_MAX; k++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " P%zu=%zu",
		                      k, k);
	assert_int_equal(command_parse_path(line, n, true, &pc), CMD_OK);
	assert_int_equal(pc.nparams, ESMTP_PARAMS_MAX);
	assert_int_equal(pc.params[ESMTP_PARAMS_MAX - 1].valuelen, 2);
	assert_memory_equal(pc.params[ESMTP_PARAMS_MAX - 1].value, "15", 2);
	n += (size_t)snprintf(line + n, sizeof(line) - n, " EXTRA");
	assert_int_equal(command_parse_path(line, n, true, &pc),
	                 CMD_PARAM_SYNTAX);
	/* Only len octets count: the extra parameter is outside. */
	assert_int_equal(command_parse_path(line, n - 6, true, &pc), CMD_OK);
}

static void
test_param_is(void **state)
{
	static const struct {
		const char *kw;
		const char *want;
		bool same;
	} rows[] = {
	        {"SIZE", "SIZE", true},         {"size", "SIZE", true},
	        {"SiZe", "SIZE", true},         {"SIZ", "SIZE", false},
	        {"SIZES", "SIZE", false},       {"BODY", "SIZE", false},
	        {"NOTIFY", "NOTIFY", true},     {"", "SIZE", false},
	        {"SMTPUTF8", "smtputf8", true},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct esmtp_param p = {rows[i].kw, strlen(rows[i].kw), NULL,
		                        0};

		assert_int_equal(esmtp_param_is(&p, rows[i].want),
		                 rows[i].same);
	}
}

/* bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF (RFC 3030) */
static void
test_bdat(void **state)
{
	static const struct {
		const char *args;
		size_t len;
		enum command_status st;
		size_t size;
		bool last;
	} rows[] = {
	        {S("0"), CMD_OK, 0, false},
	        {S("10"), CMD_OK, 10, false},
	        {S("0 LAST"), CMD_OK, 0, true},
	        {S("10 LAST"), CMD_OK, 10, true},
	        {S("10 last"), CMD_OK, 10, true},
	        {S("10 LaSt"), CMD_OK, 10, true},
	        {S("10  LAST"), CMD_OK, 10, true},
	        {S("007"), CMD_OK, 7, false},
	        {S("1048576 LAST"), CMD_OK, 1048576, true},
	        {S("4294967296"), CMD_OK, (size_t)4294967296ull, false},
	        {S("000000000000000000000000001"), CMD_OK, 1, false},
	        {S(""), CMD_SYNTAX, 0, false},
	        {S(" 10"), CMD_SYNTAX, 0, false},
	        {S("-1"), CMD_SYNTAX, 0, false},
	        {S("+1"), CMD_SYNTAX, 0, false},
	        {S("10 "), CMD_SYNTAX, 0, false},
	        {S("10 LAST "), CMD_SYNTAX, 0, false},
	        {S("10 LASTX"), CMD_SYNTAX, 0, false},
	        {S("10 LAS"), CMD_SYNTAX, 0, false},
	        {S("10 FIRST"), CMD_SYNTAX, 0, false},
	        {S("10LAST"), CMD_SYNTAX, 0, false},
	        {S("10 LAST 5"), CMD_SYNTAX, 0, false},
	        {S("10\tLAST"), CMD_SYNTAX, 0, false},
	        {S("1e3"), CMD_SYNTAX, 0, false},
	        {S("0x10"), CMD_SYNTAX, 0, false},
	        {S("LAST"), CMD_SYNTAX, 0, false},
	        {S("1 0"), CMD_SYNTAX, 0, false},
	        {S("\xd9\xa1"), CMD_SYNTAX, 0, false},
	        {S("99999999999999999999999"), CMD_SYNTAX, 0, false},
	        {S("18446744073709551616"), CMD_SYNTAX, 0, false},
	        {S("10 LAST\0"), CMD_SYNTAX, 0, false},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t size = 12345;
		bool last = true;
		enum command_status st;

		st = command_parse_bdat(rows[i].args, rows[i].len, &size,
		                        &last);
		if (st != rows[i].st)
			fail_msg("row %zu \"%s\": status %d", i, rows[i].args,
			         st);
		if (st == CMD_OK &&
		    (size != rows[i].size || last != rows[i].last))
			fail_msg("row %zu: size %zu last %d", i, size, last);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_parse_path),
	        cmocka_unit_test(test_params_max),
	        cmocka_unit_test(test_param_is),
	        cmocka_unit_test(test_bdat),
	};

	return cmocka_run_group_tests_name("command", tests, NULL, NULL);
}
