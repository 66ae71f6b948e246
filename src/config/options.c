/*
 * options.c — the one declarative table of every ferry setting.  Parsing,
 * defaults, `ferry check-config --print-reference`, docs/configuration.md
 * and ferry.conf(5) are all derived from these rows; a setting that is not
 * here does not exist.
 */
#include <stddef.h>
#include <string.h>

#include "config/config_int.h"

#define CFG(field) offsetof(struct config, field)
#define DOM(field) offsetof(struct config_domain, field)

static const char *const log_values[] = {"stderr", "syslog", NULL};
static const char *const sync_values[] = {"syncfs", "fsync", NULL};

const char *const config_sections[] = {
        "server", "limits", "timeouts", "queue", "domain", NULL,
};

const struct config_option config_options[] = {
        /* [server] */
        {"server", "hostname", OPT_STRING, CFG(hostname), NULL,
         "the system host name, or localhost", NULL, 0, 0, false, false,
         "Name this server uses for itself.",
         "Sent in the greeting and the EHLO reply, and written into "
         "Received: header fields and generated Message-IDs.",
         "mx1.example.org"},
        {"server", "listen", OPT_LISTEN, CFG(listeners), "127.0.0.1:2525", NULL,
         NULL, 0, 0, true, false,
         "Addresses and ports to accept SMTP connections on.",
         "A comma-separated list of ADDRESS:PORT items; the key may also "
         "be repeated.  Write IPv6 addresses in brackets, as in "
         "[::1]:25.  Host names are not accepted.  Setting listen "
         "replaces the default.",
         "0.0.0.0:25, [::]:25"},
        {"server", "user", OPT_STRING, CFG(user), "ferry", NULL, NULL, 0, 0,
         false, false,
         "Unprivileged user to run as after binding the listeners.",
         "Only used when ferry is started as root: it binds its ports, "
         "opens the spool and then switches to this user and its "
         "group.",
         "_ferry"},
        {"server", "log", OPT_KEYWORD, CFG(log), "stderr", NULL, log_values, 0,
         0, false, false, "Where log lines go.",
         "stderr writes one logfmt line per event to standard error; "
         "syslog sends the same lines to syslog(3) with facility mail.",
         "syslog"},
        {"server", "max_connections", OPT_INT, CFG(max_connections), "100",
         NULL, NULL, 1, 100000, false, false,
         "Simultaneous SMTP connections accepted.",
         "Further clients are answered 421 4.7.0 and disconnected.", "500"},
        {"server", "aliases_file", OPT_PATH, CFG(aliases_file), NULL, "none",
         NULL, 0, 0, false, false,
         "Extra aliases in the classic /etc/aliases format.",
         "Lines of the form NAME: TARGET, TARGET; lines starting with # "
         "are comments and lines starting with white space continue the "
         "previous entry.  The aliases apply to every [domain] that has "
         "no mailbox or alias of the same name; a target without @ "
         "names a mailbox of the first [domain].  :include:, |command "
         "and /file targets are not supported.",
         "/etc/ferry/aliases"},
        /* [limits] */
        {"limits", "max_message_size", OPT_SIZE, CFG(max_message_size), "25M",
         NULL, NULL, 0, 0, false, false, "Largest message accepted, in octets.",
         "Advertised in the EHLO SIZE keyword; larger messages are "
         "refused with 552 5.3.4.  Suffixes K, M and G multiply by "
         "1024, 1024^2 and 1024^3.",
         "50M"},
        {"limits", "max_recipients", OPT_INT, CFG(max_recipients), "100", NULL,
         NULL, 1, 100000, false, false,
         "Recipients accepted in one transaction.",
         "Further RCPT commands get 452 4.5.3, which tells the client to "
         "send the rest in another transaction (RFC 5321 s4.5.3.1.8 "
         "requires at least 100).",
         "1000"},
        {"limits", "max_errors", OPT_INT, CFG(max_errors), "10", NULL, NULL, 1,
         1000, false, false,
         "Bad commands tolerated before the connection is closed.",
         "After this many errors in one session ferry answers 421 4.7.0 "
         "and disconnects.",
         "20"},
        {"limits", "max_received_headers", OPT_INT, CFG(max_received_headers),
         "50", NULL, NULL, 1, 1000, false, false,
         "Received: fields after which a message is a loop.",
         "A message carrying more Received: header fields than this is "
         "refused with 554 5.4.6 (mail loop).",
         "100"},
        /* [timeouts] */
        {"timeouts", "command", OPT_DURATION, CFG(timeout_command), "5m", NULL,
         NULL, 0, 0, false, false,
         "Time a client may take to send its next command.",
         "RFC 5321 s4.5.3.2 asks for at least 5 minutes.  A duration is "
         "a number with the suffix s, m or h; a bare number means "
         "seconds.",
         "10m"},
        {"timeouts", "data_block", OPT_DURATION, CFG(timeout_data_block), "3m",
         NULL, NULL, 0, 0, false, false,
         "Time between two blocks of message data.",
         "RFC 5321 s4.5.3.2 asks for at least 3 minutes.", "5m"},
        {"timeouts", "data_end", OPT_DURATION, CFG(timeout_data_end), "10m",
         NULL, NULL, 0, 0, false, false,
         "Time allowed to make a message durable after its final dot.",
         "This bounds how long ferry itself may take before it answers "
         "the end of data; RFC 5321 s4.5.3.2 gives clients 10 minutes "
         "to wait for it.",
         "10m"},
        /* [queue] */
        {"queue", "spool_dir", OPT_PATH, CFG(spool_dir), "/var/spool/ferry",
         NULL, NULL, 0, 0, false, false,
         "Directory holding the queue of accepted messages.",
         "Created if missing.  It should live on the file system it is "
         "synced on, since a message is only acknowledged once it is "
         "durable there.",
         "/var/spool/ferry"},
        {"queue", "sync_mode", OPT_ENUM, CFG(sync_mode), "syncfs", NULL,
         sync_values, 0, 0, false, false,
         "How accepted messages are made durable.",
         "syncfs commits a batch of messages with one syncfs(2) of the "
         "spool file system; fsync calls fsync(2) on every file and its "
         "directory, which is slower but does not wait for unrelated "
         "writes to the same file system.",
         "fsync"},
        {"queue", "commit_batch_max", OPT_INT, CFG(commit_batch_max), "256",
         NULL, NULL, 1, 65536, false, false,
         "Most messages made durable by one commit.", NULL, "64"},
        {"queue", "commit_delay_ms", OPT_INT, CFG(commit_delay_ms), "2", NULL,
         NULL, 0, 1000, false, false,
         "Milliseconds to wait for more messages before a commit.",
         "A short wait lets concurrent sessions share one sync; 0 "
         "commits as soon as the previous commit is done.",
         "0"},
        {"queue", "min_free_space", OPT_SIZE, CFG(min_free_space), "100M", NULL,
         NULL, 0, 0, false, false, "Free space the spool keeps in reserve.",
         "Below it, new transactions are refused with 452 4.3.1 until "
         "space is freed.",
         "1G"},
        /* [domain NAME] */
        {"domain", "maildir_root", OPT_PATH, DOM(maildir_root), NULL, NULL,
         NULL, 0, 0, false, true,
         "Directory holding one Maildir per mailbox of the domain.",
         "Mail for mailbox NAME is delivered to MAILDIR_ROOT/NAME/.  "
         "Required in every [domain] section.",
         "/var/mail/example.org"},
        {"domain", "mailbox", OPT_MAILBOX, 0, NULL, NULL, NULL, 0, 0, true,
         false, "A mailbox (local part) of the domain.",
         "Repeat the key, or give a comma-separated list.  Local parts "
         "are compared without regard to case.",
         "alice, bob"},
        {"domain", "disabled", OPT_DISABLED, 0, NULL, NULL, NULL, 0, 0, true,
         false, "A mailbox that exists but refuses new mail.",
         "Its recipients get 550 5.2.1.  The name may also be listed "
         "under mailbox, so a mailbox can be disabled by adding one "
         "line.",
         "carol"},
        {"domain", "alias", OPT_ALIAS, 0, NULL, NULL, NULL, 0, 0, true, false,
         "Another name for one or more addresses.",
         "Written NAME: TARGET, TARGET.  A target without @ is a mailbox "
         "or alias of this domain; others are delivered as they are.  "
         "Aliases may refer to aliases; loops are rejected.  Mail to "
         "postmaster must always have a destination (RFC 5321 "
         "s4.5.1): define a mailbox or alias of that name.",
         "postmaster: alice, bob@example.net"},
        {"domain", "catch_all", OPT_CATCH_ALL, 0, NULL, "none", NULL, 0, 0,
         false, false, "Mailbox receiving mail for unknown local parts.",
         "Must name a mailbox of the domain.  Disabled mailboxes are "
         "still refused.  Catch-all mailboxes attract spam; use with "
         "care.",
         "alice"},
};

const size_t config_noptions =
        sizeof(config_options) / sizeof(config_options[0]);

const struct config_option *
config_option_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < config_noptions; i++)
		if (strcmp(config_options[i].section, section) == 0 &&
		    strcmp(config_options[i].key, key) == 0)
			return &config_options[i];
	return NULL;
}

size_t
config_option_index(const struct config_option *opt)
{
	return (size_t)(opt - config_options);
}

const char *
config_type_name(const struct config_option *opt)
{
	static const char *const names[] = {
	        [OPT_STRING] = "string",       [OPT_PATH] = "path",
	        [OPT_KEYWORD] = "keyword",     [OPT_ENUM] = "keyword",
	        [OPT_INT] = "integer",         [OPT_DURATION] = "duration",
	        [OPT_SIZE] = "size",           [OPT_BOOL] = "boolean",
	        [OPT_LISTEN] = "address list", [OPT_MAILBOX] = "name list",
	        [OPT_DISABLED] = "name list",  [OPT_ALIAS] = "alias",
	        [OPT_CATCH_ALL] = "name",
	};

	return names[opt->type];
}
