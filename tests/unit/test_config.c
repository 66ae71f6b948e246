/*
 * test_config.c — the config loader: good files, every kind of error with
 * its exact FILE:LINE message, the embedded default round trip, the aliases
 * file, and that the checked-in docs match the option table.
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

#include "config/config.h"
#include "config/config_int.h"

#define DOMAIN_OK                                                              \
	"[domain example.org]\n"                                               \
	"maildir_root = /m\n"                                                  \
	"mailbox = alice, bob, carol\n"                                        \
	"alias = postmaster: alice\n"

/* Loads text as "t.conf" in /base; errors land in *errors (caller frees). */
static struct config *
load_text(const char *text, char **errors)
{
	size_t len = 0;
	FILE *in, *err;
	struct config *cfg;

	in = fmemopen((void *)text, strlen(text), "r");
	err = open_memstream(errors, &len);
	assert_non_null(in);
	assert_non_null(err);
	cfg = config_load_stream(in, "t.conf", "/base", err);
	fclose(in);
	fclose(err);
	return cfg;
}

/* [relay] tls under Postfix's names, and tls_policy_map: the domain,
 * then .PARENT entries, and words that are no level. */
static void
test_tls_levels(void **state)
{
	char dir[] = "/tmp/ferry-tlslevel-XXXXXX", path[64], text[512];
	char *errors;
	struct config *cfg;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a.example verify\n.b.example encrypt\nc.example none\n"
	      "d.example sometimes\ne.example verify match=x\n"
	      "[smarthost] dane\n",
	      f);
	fclose(f);
	snprintf(text, sizeof(text),
	         "[relay]\ntls = may\ntls_policy_map = text:%s\n" DOMAIN_OK,
	         path);
	cfg = load_text(text, &errors);
	assert_non_null(cfg);
	assert_int_equal(cfg->relay_tls, TLS_POLICY_OPTIONAL);
	assert_int_equal(config_tls_level_for(cfg, "a.example"),
	                 TLS_POLICY_VERIFY);
	assert_int_equal(config_tls_level_for(cfg, "x.y.b.example"),
	                 TLS_POLICY_REQUIRED);
	assert_int_equal(config_tls_level_for(cfg, "b.example"),
	                 TLS_POLICY_OPTIONAL); /* .b.example: below only */
	assert_int_equal(config_tls_level_for(cfg, "c.example"),
	                 TLS_POLICY_NONE);
	assert_int_equal(config_tls_level_for(cfg, "[smarthost]"),
	                 TLS_POLICY_DANE);
	assert_int_equal(config_tls_level_for(cfg, "d.example"), -1);
	assert_int_equal(config_tls_level_for(cfg, "e.example"), -1);
	assert_int_equal(config_tls_level_for(cfg, "other.example"),
	                 TLS_POLICY_OPTIONAL);
	config_free(cfg);
	free(errors);
	cfg = load_text("[relay]\ntls = encrypt\n" DOMAIN_OK, &errors);
	assert_non_null(cfg);
	assert_int_equal(cfg->relay_tls, TLS_POLICY_REQUIRED);
	config_free(cfg);
	free(errors);
	unlink(path);
	rmdir(dir);
}

static void
test_minimal_defaults(void **state)
{
	char *errors;
	struct config *cfg = load_text(DOMAIN_OK, &errors);

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_int_equal(cfg->nlisteners, 1);
	assert_string_equal(cfg->listeners[0].address, "127.0.0.1");
	assert_int_equal(cfg->listeners[0].port, 2525);
	assert_string_equal(cfg->user, "ferry");
	assert_string_equal(cfg->log, "stderr");
	assert_int_equal(cfg->max_message_size, 25 * 1024 * 1024);
	assert_int_equal(cfg->max_recipients, 100);
	assert_int_equal(cfg->max_errors, 10);
	assert_int_equal(cfg->max_received_headers, 50);
	assert_int_equal(cfg->timeout_command, 300);
	assert_int_equal(cfg->timeout_data_block, 180);
	assert_int_equal(cfg->timeout_data_end, 600);
	assert_string_equal(cfg->spool_dir, "/var/spool/ferry");
	assert_int_equal(cfg->sync_mode, SYNC_SYNCFS);
	assert_int_equal(cfg->commit_batch_max, 256);
	assert_int_equal(cfg->commit_delay_ms, 0);
	assert_int_equal(cfg->min_free_space, 100 * 1024 * 1024);
	assert_non_null(cfg->hostname);
	assert_null(cfg->aliases_file);
	free(errors);
	config_free(cfg);
}

static void
test_full_file(void **state)
{
	static const char text[] =
	        "; comment\n"
	        "[server]\n"
	        "  hostname = MX.Example.org\n"
	        "  listen = 0.0.0.0:25, [::1]:2525 ; inline comment\n"
	        "listen = [::]:587\n"
	        "log = syslog\n"
	        "[limits]\n"
	        "max_message_size = 10K\n"
	        "[timeouts]\n"
	        "command = 2h\n"
	        "data_block = 45\n"
	        "[queue]\n"
	        "spool_dir = spool\n"
	        "sync_mode = fsync\n"
	        "min_free_space = 1G\n"
	        "[domain Example.ORG.]\n"
	        "maildir_root = ./mail/org\n"
	        "mailbox = Alice\n"
	        "mailbox = bob\n"
	        "disabled = bob\n"
	        "alias = postmaster: alice, Someone@Else.example\n"
	        "catch_all = alice\n";
	char *errors;
	struct config *cfg = load_text(text, &errors);
	const struct config_domain *d;

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->hostname, "MX.Example.org");
	assert_int_equal(cfg->nlisteners, 3);
	assert_string_equal(cfg->listeners[1].address, "::1");
	assert_int_equal(cfg->listeners[1].port, 2525);
	assert_string_equal(cfg->listeners[2].address, "::");
	assert_string_equal(cfg->log, "syslog");
	assert_int_equal(cfg->max_message_size, 10240);
	assert_int_equal(cfg->timeout_command, 7200);
	assert_int_equal(cfg->timeout_data_block, 45);
	assert_string_equal(cfg->spool_dir, "/base/spool");
	assert_int_equal(cfg->sync_mode, SYNC_FSYNC);
	assert_int_equal(cfg->min_free_space, 1024UL * 1024 * 1024);
	d = config_find_domain(cfg, "EXAMPLE.org.");
	assert_non_null(d);
	assert_string_equal(d->name, "example.org");
	assert_string_equal(d->maildir_root, "/base/mail/org");
	assert_string_equal(d->mailboxes[0].name, "alice");
	assert_int_equal(d->mailboxes[1].state, MAILBOX_DISABLED);
	assert_string_equal(d->aliases[0].targets[1], "someone@else.example");
	assert_string_equal(d->aliases[0].source, "t.conf:21");
	assert_string_equal(d->catch_all_target, "alice@example.org");
	free(errors);
	config_free(cfg);
}

/* Each bad file, and exactly what must be reported for it. */
static const struct {
	const char *text;
	const char *errors;
} bad[] = {
        {"x = 1\n" DOMAIN_OK, "t.conf:1: 'x' is outside of any section\n"},
        {"[srv]\nx = 1\n" DOMAIN_OK,
         "t.conf:1: unknown section [srv] (expected server, tls, auth, "
         "relay, limits, timeouts, queue, policy, milter, metrics, "
         "dkim, mailauth, doctor, domain NAME or relay_domain NAME)\n"},
        {"[server]\n\nfoo = 1\n" DOMAIN_OK,
         "t.conf:3: unknown key 'foo' in [server]\n"},
        {"[server\n" DOMAIN_OK, "t.conf:1: missing ']' in section header\n"},
        {"[server] x\n" DOMAIN_OK, "t.conf:1: unexpected text after ']'\n"},
        {"[server]\njust words\n= 3\n" DOMAIN_OK,
         "t.conf:2: expected 'key = value'\n"
         "t.conf:3: missing key before '='\n"},
        {"[limits]\nmax_recipients = 0\nmax_errors = 1x\n" DOMAIN_OK,
         "t.conf:2: max_recipients: '0' is not a number from 1 to "
         "100000\n"
         "t.conf:3: max_errors: '1x' is not a number from 1 to 1000\n"},
        {"[limits]\nmax_message_size = 5T\n" DOMAIN_OK,
         "t.conf:2: max_message_size: '5T' is not a size (a number "
         "with optional suffix K, M or G)\n"},
        {"[timeouts]\ncommand = -5m\n" DOMAIN_OK,
         "t.conf:2: command: '-5m' is not a duration (a number with "
         "optional suffix s, m, h or d)\n"},
        {"[queue]\nsync_mode = fdatasync\n" DOMAIN_OK,
         "t.conf:2: sync_mode: 'fdatasync' is not one of: syncfs, "
         "fsync\n"},
        {"[server]\nhostname = a\nhostname = b\n" DOMAIN_OK,
         "t.conf:3: hostname: already set on line 2\n"},
        {"[server]\nuser =\n" DOMAIN_OK, "t.conf:2: user: missing value\n"},
        {"[server]\nlisten = 1.2.3.4, ::1:25, [::1]:0,\n" DOMAIN_OK,
         "t.conf:2: listen: '1.2.3.4' is not ADDRESS:PORT (IPv6 as "
         "[::1]:25)\n"
         "t.conf:2: listen: '::1:25' is not ADDRESS:PORT (IPv6 as "
         "[::1]:25)\n"
         "t.conf:2: listen: '[::1]:0' is not ADDRESS:PORT (IPv6 as "
         "[::1]:25)\n"
         "t.conf:2: empty item in list '1.2.3.4, ::1:25, [::1]:0,'\n"},
        {DOMAIN_OK "[domain EXAMPLE.org]\nmaildir_root = /x\n",
         "t.conf:5: duplicate [domain example.org] (first on line "
         "1)\n"},
        {"[domain]\nmailbox = a\n" DOMAIN_OK,
         "t.conf:1: [domain] needs a name, as in [domain "
         "example.org]\n"},
        {"[domain example.org]\nmailbox = a\nalias = postmaster: a\n",
         "t.conf:1: [domain example.org]: maildir_root is required\n"},
        {DOMAIN_OK "mailbox = ../etc, Bob\n",
         "t.conf:5: mailbox: '../etc' is not a valid mailbox name "
         "(letters, digits and . - _ + =)\n"
         "t.conf:5: mailbox 'Bob' is listed twice\n"},
        {DOMAIN_OK "alias = a: b\nalias = b: c\nalias = c: a\n",
         "t.conf:7: alias loop: a@example.org -> b@example.org -> "
         "c@example.org -> a@example.org\n"},
        {DOMAIN_OK "alias = self: self\n",
         "t.conf:5: alias loop: self@example.org -> "
         "self@example.org\n"},
        {DOMAIN_OK "alias = x: nobody, a@b.example\nalias = alice: bob\n",
         "t.conf:5: alias 'x': no mailbox or alias "
         "'nobody@example.org'\n"
         "t.conf:6: alias 'alice' has the same name as a mailbox\n"},
        {DOMAIN_OK "alias = x: |/bin/sh, /tmp/f, :include:/l\nalias y\n",
         "t.conf:5: alias 'x': '|/bin/sh': delivery to a command is "
         "not supported\n"
         "t.conf:5: alias 'x': '/tmp/f': delivery to a file is not "
         "supported\n"
         "t.conf:5: alias 'x': ':include:/l': ':include:' is not "
         "supported\n"
         "t.conf:6: expected 'key = value'\n"},
        {"[domain example.org]\nmaildir_root = /m\nmailbox = a\n",
         "t.conf:1: [domain example.org]: mail to postmaster has no "
         "destination; add 'alias = postmaster: NAME' (RFC 5321 "
         "s4.5.1)\n"},
        {"[domain example.org]\nmaildir_root = /m\ndisabled = "
         "postmaster\n",
         "t.conf:1: [domain example.org]: postmaster must not be "
         "disabled\n"},
        {DOMAIN_OK "catch_all = zed\n",
         "t.conf:5: catch_all: 'zed' is not a mailbox of "
         "example.org\n"},
        {"[domain -bad-]\nmailbox = a\n" DOMAIN_OK,
         "t.conf:1: '-bad-' is not a valid domain name\n"},
        {"[relay]\nsmarthost = relay\n" DOMAIN_OK,
         "t.conf:2: smarthost: 'relay' is not HOST:PORT or "
         "ADDRESS:PORT "
         "(IPv6 as [::1]:587)\n"},
        {"[relay]\nsmarthost = relay.example:0\n" DOMAIN_OK,
         "t.conf:2: smarthost: 'relay.example:0' is not HOST:PORT or "
         "ADDRESS:PORT (IPv6 as [::1]:587)\n"},
        {"[relay]\nsmarthost = 192.0.2.1:587\ntls = none\n"
         "smarthost_user = u\nsmarthost_fingerprint = "
         "ab:cd\n" DOMAIN_OK,
         "t.conf:5: smarthost_fingerprint: not a SHA-256 fingerprint "
         "(64 "
         "hex digits, colons allowed)\n"
         "t.conf:4: smarthost_user: credentials are sent only over "
         "TLS, "
         "and [relay] tls = none\n"},
        {"[auth]\nsender = alice: *@a.example extra words\n" DOMAIN_OK,
         "t.conf:2: sender: '*@a.example extra words' is not an "
         "address, "
         "*@domain or *\n"
         "t.conf:2: sender: no address for 'alice'\n"},
        {"[relay]\nsmarthost_password = a\nsmarthost_password_file = "
         "/s\n" DOMAIN_OK,
         "t.conf:3: smarthost_password_file: smarthost_password is set "
         "too\n"},
        {DOMAIN_OK "mode = 2770\n",
         "t.conf:5: mode: only with owner or mailbox_owner\n"},
        {DOMAIN_OK "mailbox_owner = alice\n",
         "t.conf:5: mailbox_owner: expected 'NAME: USER[:GROUP]'\n"},
        {DOMAIN_OK "mailbox_owner = alice: :g\n",
         "t.conf:5: mailbox_owner: ':g' is not USER or USER:GROUP\n"},
        {DOMAIN_OK "owner = vmail:\nmode = 0755\n",
         "t.conf:5: owner: 'vmail:' is not USER or USER:GROUP\n"
         "t.conf:6: mode: '0755' is not an octal mode giving owner and "
         "group rwx, as 2770\n"},
        {"[server]\naliases_file = /nonexistent/aliases\n" DOMAIN_OK,
         "t.conf:2: aliases_file: /nonexistent/aliases: No such file "
         "or directory\n"},
};

/* " # text" and " ; text" end a line; '#' inside a value is kept. */
static void
test_trailing_comments(void **state)
{
	char *errors;
	struct config *cfg = load_text(
	        "[server]\nhostname = mx.example.org   # the public name\n"
	        "[relay]\nsmarthost_password = pa#ss ; secret\n"
	        "[auth]\nsender = alice: *@alice.example     # extra\n"
	        "[timeouts]\ncommand = 2d\t# two days\n" DOMAIN_OK,
	        &errors);

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->hostname, "mx.example.org");
	assert_string_equal(cfg->relay_smarthost_password, "pa#ss");
	assert_int_equal(cfg->nsenders, 1);
	assert_int_equal(cfg->senders[0].npatterns, 1);
	assert_string_equal(cfg->senders[0].patterns[0], "*@alice.example");
	assert_int_equal(cfg->timeout_command, 2 * 86400);
	config_free(cfg);
	free(errors);
}

/* A smarthost by name, and a fingerprint as openssl prints it. */
static void
test_smarthost_verification(void **state)
{
	char *errors;
	struct config *cfg = load_text(
	        "[relay]\nsmarthost = SMTP.Example.NET:587\n"
	        "smarthost_user = u\nsmarthost_fingerprint = "
	        "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:"
	        "2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\n" DOMAIN_OK,
	        &errors);

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->relay_smarthost.address, "smtp.example.net");
	assert_int_equal(cfg->relay_smarthost.port, 587);
	assert_string_equal(cfg->relay_smarthost_fingerprint,
	                    "9f86d081884c7d659a2feaa0c55ad015"
	                    "a3bf4f1b2b0b822cd15d6c15b0f00a08");
	config_free(cfg);
	free(errors);
}

static void
test_errors(void **state)
{
	struct config *cfg;
	char *errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = load_text(bad[i].text, &errors);
		if (strcmp(errors, bad[i].errors) != 0)
			print_error("case %zu:\n%s", i, bad[i].text);
		assert_string_equal(errors, bad[i].errors);
		assert_null(cfg);
		free(errors);
	}
}

static void
test_long_line(void **state)
{
	char text[600], *errors;
	struct config *cfg;

	memset(text, 0, sizeof(text));
	strcpy(text, "[server]\nhostname = ");
	memset(text + strlen(text), 'a', 300);
	strcat(text, "\n" DOMAIN_OK);
	cfg = load_text(text, &errors);
	assert_null(cfg);
	assert_string_equal(errors,
	                    "t.conf:2: line is longer than 198 characters\n");
	free(errors);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_aliases_file(void **state)
{
	char dir[] = "/tmp/ferry-test-XXXXXX", path[64], *errors;
	struct config *cfg;
	const struct config_alias *a;
	char text[2048];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/aliases", dir);
	write_file(path, "# system aliases\n"
	                 "postmaster: alice\n"
	                 "staff: alice,\n"
	                 "\tbob, x@Other.example\n"
	                 "\n"
	                 "alice: bob\n");
	snprintf(text, sizeof(text),
	         "[server]\naliases_file = %s\n"
	         "[domain example.org]\nmaildir_root = /m\nmailbox = alice, "
	         "bob\n"
	         "[domain two.example]\nmaildir_root = /n\nmailbox = z\n",
	         path);
	cfg = load_text(text, &errors);
	assert_string_equal(errors, "");
	assert_non_null(cfg);
	/* alice is a mailbox in example.org, so the file alias is skipped. */
	assert_int_equal(cfg->domains[0].naliases, 2);
	a = config_find_alias(&cfg->domains[1], "staff");
	assert_non_null(a);
	assert_int_equal(a->ntargets, 3);
	assert_string_equal(a->targets[1], "bob@example.org");
	assert_string_equal(a->targets[2], "x@other.example");
	assert_non_null(config_find_alias(&cfg->domains[1], "alice"));
	config_free(cfg);
	free(errors);

	write_file(path,
	           "  orphan\nroot alice\nok: alice\nx: :include:/none/l\n"
	           "pipe: alice,\n  \"|cmd\"\nok: bob\n");
	cfg = load_text(text, &errors);
	assert_null(cfg);
	snprintf(text, sizeof(text),
	         "%1$s:1: continuation line without an entry\n"
	         "%1$s:2: expected 'NAME: TARGET, ...'\n"
	         "%1$s:4: alias 'x': ':include:/none/l': No such file or "
	         "directory\n"
	         "%1$s:6: warning: alias 'pipe': '\"|cmd\"' skipped: ferry "
	         "delivers to no command\n"
	         "%1$s:7: alias 'ok' is defined twice (first at %1$s:3)\n"
	         "%1$s:4: alias 'x' has no targets\n"
	         "t.conf:3: [domain example.org]: mail to postmaster has no "
	         "destination; add 'alias = postmaster: NAME' (RFC 5321 "
	         "s4.5.1)\n"
	         "t.conf:6: [domain two.example]: mail to postmaster has no "
	         "destination; add 'alias = postmaster: NAME' (RFC 5321 "
	         "s4.5.1)\n",
	         path);
	assert_string_equal(errors, text);
	free(errors);
	unlink(path);
	rmdir(dir);
}

/* /etc/aliases as Debian ships it, with a program and an include file:
 * what ferry cannot deliver to is skipped with a warning, the rest
 * works. */
static void
test_debian_aliases_file(void **state)
{
	char dir[] = "/tmp/ferry-test-XXXXXX", path[64], list[64], *errors;
	const struct config_alias *a;
	struct config *cfg;
	char text[2048], want[2048];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/aliases", dir);
	snprintf(list, sizeof(list), "%s/staff.list", dir);
	write_file(list, "# the staff\nalice, bob\nx@other.example\n");
	snprintf(text, sizeof(text),
	         "# See man 5 aliases for format\n"
	         "postmaster:    root\n"
	         "mailer-daemon: postmaster\n"
	         "abuse: root\n"
	         "staff: :include:%s\n"
	         "procmail: \"|/usr/bin/procmail -a, b\"\n"
	         "archive: /var/mail/archive, alice\n"
	         "root: alice\n",
	         list);
	write_file(path, text);
	snprintf(text, sizeof(text),
	         "[server]\naliases_file = %s\n"
	         "[domain example.org]\nmaildir_root = /m\nmailbox = alice, "
	         "bob\n",
	         path);
	cfg = load_text(text, &errors);
	snprintf(want, sizeof(want),
	         "%1$s:6: warning: alias 'procmail': '\"|/usr/bin/procmail -a, "
	         "b\"' skipped: ferry delivers to no command\n"
	         "%1$s:7: warning: alias 'archive': '/var/mail/archive' "
	         "skipped: ferry delivers to no file\n"
	         "%1$s:6: warning: alias 'procmail' skipped: no target ferry "
	         "can deliver to\n",
	         path);
	assert_string_equal(errors, want);
	assert_non_null(cfg);
	a = config_find_alias(&cfg->domains[0], "staff");
	assert_non_null(a);
	assert_int_equal(a->ntargets, 3);
	assert_string_equal(a->targets[0], "alice@example.org");
	assert_string_equal(a->targets[2], "x@other.example");
	assert_null(config_find_alias(&cfg->domains[0], "procmail"));
	a = config_find_alias(&cfg->domains[0], "archive");
	assert_int_equal(a->ntargets, 1);
	config_free(cfg);
	free(errors);
	unlink(list);
	unlink(path);
	rmdir(dir);
}

static bool
strs_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
assert_domains_equal(const struct config_domain *a,
                     const struct config_domain *b)
{
	size_t i, j;

	assert_string_equal(a->name, b->name);
	assert_string_equal(a->maildir_root, b->maildir_root);
	assert_int_equal(a->nmailboxes, b->nmailboxes);
	for (i = 0; i < a->nmailboxes; i++) {
		assert_string_equal(a->mailboxes[i].name, b->mailboxes[i].name);
		assert_int_equal(a->mailboxes[i].state, b->mailboxes[i].state);
	}
	assert_int_equal(a->naliases, b->naliases);
	for (i = 0; i < a->naliases; i++) {
		assert_string_equal(a->aliases[i].name, b->aliases[i].name);
		assert_int_equal(a->aliases[i].ntargets,
		                 b->aliases[i].ntargets);
		for (j = 0; j < a->aliases[i].ntargets; j++)
			assert_string_equal(a->aliases[i].targets[j],
			                    b->aliases[i].targets[j]);
	}
	assert_int_equal(a->catch_all, b->catch_all);
	assert_true(strs_equal(a->catch_all_target, b->catch_all_target));
}

static void
assert_configs_equal(const struct config *a, const struct config *b)
{
	size_t i;

	assert_string_equal(a->hostname, b->hostname);
	assert_int_equal(a->nlisteners, b->nlisteners);
	for (i = 0; i < a->nlisteners; i++) {
		assert_string_equal(a->listeners[i].address,
		                    b->listeners[i].address);
		assert_int_equal(a->listeners[i].port, b->listeners[i].port);
		assert_int_equal(a->listeners[i].role, b->listeners[i].role);
	}
	assert_string_equal(a->user, b->user);
	assert_string_equal(a->log, b->log);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_int_equal(a->max_message_size, b->max_message_size);
	assert_int_equal(a->max_recipients, b->max_recipients);
	assert_int_equal(a->max_errors, b->max_errors);
	assert_int_equal(a->max_received_headers, b->max_received_headers);
	assert_int_equal(a->timeout_command, b->timeout_command);
	assert_int_equal(a->timeout_data_block, b->timeout_data_block);
	assert_int_equal(a->timeout_data_end, b->timeout_data_end);
	assert_string_equal(a->spool_dir, b->spool_dir);
	assert_int_equal(a->sync_mode, b->sync_mode);
	assert_int_equal(a->commit_batch_max, b->commit_batch_max);
	assert_int_equal(a->commit_delay_ms, b->commit_delay_ms);
	assert_int_equal(a->min_free_space, b->min_free_space);
	assert_true(strs_equal(a->aliases_file, b->aliases_file));
	assert_int_equal(a->ndomains, b->ndomains);
	for (i = 0; i < a->ndomains; i++)
		assert_domains_equal(&a->domains[i], &b->domains[i]);
}

static void
test_default_round_trip(void **state)
{
	char dir[] = "/tmp/ferry-test-XXXXXX", *old = getcwd(NULL, 0);
	struct config *builtin, *copy;
	const struct config_domain *d;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	builtin = config_load(NULL, stderr);
	assert_non_null(builtin);
	f = fopen("ferry.conf", "w");
	assert_non_null(f);
	config_print_default(f);
	fclose(f);
	copy = config_load("ferry.conf", stderr);
	assert_non_null(copy);
	assert_configs_equal(builtin, copy);

	assert_int_equal(builtin->nlisteners, 3);
	assert_string_equal(builtin->listeners[0].address, "127.0.0.1");
	assert_int_equal(builtin->listeners[0].port, 2525);
	assert_int_equal(builtin->listeners[0].role, LISTENER_SMTP);
	assert_int_equal(builtin->listeners[1].port, 2587);
	assert_int_equal(builtin->listeners[1].role, LISTENER_SUBMISSION);
	assert_int_equal(builtin->listeners[2].port, 2465);
	assert_int_equal(builtin->listeners[2].role, LISTENER_SUBMISSIONS);
	d = config_find_domain(builtin, "example.test");
	assert_non_null(d);
	assert_int_equal(config_lookup(d, "carol", NULL), CONFIG_DEST_DISABLED);
	assert_int_equal(config_lookup(d, "demo", NULL), CONFIG_DEST_MAILBOX);
	assert_int_equal(config_lookup(d, "info", NULL), CONFIG_DEST_ALIAS);
	assert_true(strncmp(builtin->spool_dir, dir, strlen(dir)) == 0);
	assert_string_equal(builtin->spool_dir + strlen(dir), "/var/spool");
	assert_string_equal(d->maildir_root + strlen(dir),
	                    "/var/mail/example.test");
	config_free(builtin);
	config_free(copy);
	unlink("ferry.conf");
	assert_int_equal(chdir(old), 0);
	rmdir(dir);
	free(old);
}

/* A file setting opt to its example value, with what the example needs. */
static void
example_file(char *text, size_t size, const struct config_option *opt)
{
	const char *key = opt->key;

	if (strcmp(opt->section, "relay_domain") == 0) {
		snprintf(text, size, "[relay_domain example.net]\n%s = %s\n",
		         key, opt->example);
		return;
	}
	if (strcmp(opt->section, "domain") != 0) {
		snprintf(text, size, "[%s]\n%s = %s\n" DOMAIN_OK, opt->section,
		         key, opt->example);
		return;
	}
	snprintf(text, size, "[domain example.org]\n%s%s%s%s%s = %s\n",
	         strcmp(key, "maildir_root") ? "maildir_root = /m\n" : "",
	         strcmp(key, "mailbox") ? "mailbox = alice\n" : "",
	         strcmp(key, "alias") ? "alias = postmaster: alice\n" : "",
	         !strcmp(key, "mode")           ? "owner = vmail\n"
	         : !strcmp(key, "lmtp_mailbox") ? "lmtp = unix:/run/lmtp\n"
	                                        : "",
	         key, opt->example);
}

/* Every row is documented, and its example value is accepted. */
static void
test_table_complete(void **state)
{
	const struct config_option *opt;
	char text[512], *errors;
	struct config *cfg;
	size_t i;

	assert_true(config_noptions <= CONFIG_MAX_OPTIONS);
	for (i = 0; i < config_noptions; i++) {
		opt = &config_options[i];
		assert_non_null(opt->doc);
		assert_non_null(opt->example);
		assert_true(strlen(opt->doc) > 10);
		assert_true(opt->def || opt->def_text || opt->required ||
		            opt->repeatable);
		if ((opt->type == OPT_PATH || opt->type == OPT_MAP) &&
		    opt->def == NULL && !opt->required)
			continue; /* the example file need not exist */
		example_file(text, sizeof(text), opt);
		cfg = load_text(text, &errors);
		if (cfg == NULL)
			print_error("%s: %s", opt->key, errors);
		assert_non_null(cfg);
		config_free(cfg);
		free(errors);
	}
}

/* A file whose name says it holds a private key or passwords is marked
 * secret (read by the key processes only, never reachable by the
 * daemon's sandbox), unless it is one of the files docs/security.md lists
 * as still read by the daemon. */
static void
test_secret_options(void **state)
{
	static const char *const daemon_reads[] = {
	        "redis_tls_key_file",      /* the Redis client's TLS key */
	        "smarthost_password_file", /* the relay's login */
	        NULL,
	};
	const struct config_option *opt;
	bool listed;
	size_t i, j, secrets = 0;

	for (i = 0; i < config_noptions; i++) {
		opt = &config_options[i];
		if (opt->secret) {
			assert_int_equal(opt->type, OPT_PATH);
			secrets++;
		}
		if (strstr(opt->key, "key_file") == NULL &&
		    strstr(opt->key, "passw") == NULL)
			continue;
		if (opt->type != OPT_PATH)
			continue;
		for (listed = false, j = 0; daemon_reads[j] != NULL; j++)
			listed = listed ||
			         strcmp(opt->key, daemon_reads[j]) == 0;
		if (opt->secret == listed)
			print_error("[%s] %s: mark it secret or list it\n",
			            opt->section, opt->key);
		assert_true(opt->secret != listed);
	}
	/* [tls] cert_file, key_file and [auth] passwd_file. */
	assert_int_equal(secrets, 3);
}

static char *
read_doc(const char *rel)
{
	const char *src = getenv("FERRY_SRCDIR");
	char path[4096], *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot read %s", path);
	if (getdelim(&text, &len, '\0', f) < 0)
		fail_msg("empty %s", path);
	fclose(f);
	return text;
}

/* The checked-in docs must contain exactly what the table prints now. */
static void
test_docs_current(void **state)
{
	char *doc, *gen;
	size_t len;
	FILE *f;

	f = open_memstream(&gen, &len);
	config_print_reference(f);
	fclose(f);
	doc = read_doc("docs/configuration.md");
	if (strstr(doc, gen) == NULL)
		fail_msg("docs/configuration.md is stale: run "
		         "scripts/gen-config-docs.sh");
	free(doc);
	free(gen);

	f = open_memstream(&gen, &len);
	config_print_reference_man(f);
	fclose(f);
	doc = read_doc("docs/man/ferry.conf.5");
	if (strstr(doc, gen) == NULL)
		fail_msg("docs/man/ferry.conf.5 is stale: run "
		         "scripts/gen-config-docs.sh");
	free(doc);
	free(gen);
}

static void
test_value_parsers(void **state)
{
	size_t size;
	int secs;

	assert_int_equal(value_parse_size("0", &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(value_parse_size("3k", &size), 0);
	assert_int_equal(size, 3072);
	assert_int_equal(value_parse_size("99999999999999999999", &size), -1);
	assert_int_equal(value_parse_size("17179869184G", &size), -1);
	assert_int_equal(value_parse_size("1MB", &size), -1);
	assert_int_equal(value_parse_size(" 1", &size), -1);
	assert_int_equal(value_parse_duration("90s", &secs), 0);
	assert_int_equal(secs, 90);
	assert_int_equal(value_parse_duration("1h", &secs), 0);
	assert_int_equal(secs, 3600);
	assert_int_equal(value_parse_duration("1d", &secs), 0);
	assert_int_equal(secs, 86400);
	assert_int_equal(value_parse_duration("1w", &secs), -1);
	assert_int_equal(value_parse_duration("999999999h", &secs), -1);
}

/* A reload names the restart-only settings that differ, each once, in
 * [domain NAME] sections too, and not the ones it applies. */
static void
test_restart_changes(void **state)
{
	char *e1, *e2, *e3, out[512];
	struct config *a = load_text("[server]\nlisten = 127.0.0.1:25\n"
	                             "max_connections = 10\n"
	                             "[relay]\nretry_min = 1h\n" DOMAIN_OK,
	                             &e1);
	struct config *b = load_text("[server]\nlisten = 127.0.0.1:26\n"
	                             "max_connections = 20\n" DOMAIN_OK
	                             "quota = 1M\nalias = x: bob\n",
	                             &e2);
	struct config *c = load_text("[server]\nlisten = 127.0.0.1:25\n"
	                             "max_connections = 30\n"
	                             "[relay]\nretry_min = 1h\n" DOMAIN_OK
	                             "alias = x: bob\n",
	                             &e3);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_not_equal(config_restart_changes(a, b, out, sizeof(out)), 0);
	assert_string_equal(out, "[server] listen, [relay] retry_min, "
	                         "[domain example.org] quota");
	assert_int_equal(config_restart_changes(a, c, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_true(config_option_needs_restart("queue", "spool_dir"));
	assert_true(config_option_needs_restart("domain", "lmtp"));
	assert_false(config_option_needs_restart("limits", "max_recipients"));
	assert_false(config_option_needs_restart("domain", "alias"));
	config_free(a);
	config_free(b);
	config_free(c);
	free(e1);
	free(e2);
	free(e3);
}

/* The last holder frees (ASan would see a leak or a double free). */
static void
test_refcount(void **state)
{
	char *errors;
	struct config *cfg = load_text(DOMAIN_OK, &errors);
	const struct config *held = config_ref(cfg);

	assert_ptr_equal(held, cfg);
	config_free(cfg);
	assert_string_equal(held->domains[0].name, "example.org");
	config_release(held);
	free(errors);
}

/* `ferry reload` finds the socket of a file that does not load. */
static void
test_peek_spool_dir(void **state)
{
	char dir[] = "/tmp/ferry-peek-XXXXXX", path[64], *got;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[limits]\nmax_recipients = lots\n[queue]\n"
	      "spool_dir = ./spool\n",
	      f);
	fclose(f);
	got = config_peek_spool_dir(path);
	assert_non_null(got);
	assert_true(strlen(got) > 6);
	assert_string_equal(got + strlen(got) - 6, "/spool");
	assert_non_null(strstr(got, dir + 5));
	free(got);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[server]\nhostname = a\n", f);
	fclose(f);
	got = config_peek_spool_dir(path);
	assert_string_equal(got, "/var/spool/ferry");
	free(got);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_minimal_defaults),
	        cmocka_unit_test(test_tls_levels),
	        cmocka_unit_test(test_full_file),
	        cmocka_unit_test(test_smarthost_verification),
	        cmocka_unit_test(test_trailing_comments),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_long_line),
	        cmocka_unit_test(test_debian_aliases_file),
	        cmocka_unit_test(test_aliases_file),
	        cmocka_unit_test(test_default_round_trip),
	        cmocka_unit_test(test_table_complete),
	        cmocka_unit_test(test_value_parsers),
	        cmocka_unit_test(test_docs_current),
	        cmocka_unit_test(test_restart_changes),
	        cmocka_unit_test(test_refcount),
	        cmocka_unit_test(test_secret_options),
	        cmocka_unit_test(test_peek_spool_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
