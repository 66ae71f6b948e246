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
static const char *const tls_values[] = {"none", "optional", "required", NULL};
static const char *const tls_version_values[] = {"TLSv1.2", "TLSv1.3", NULL};
static const char *const auth_values[] = {"none", "passwd-file", "dovecot",
                                          NULL};
/* In the order of enum sasl_mech (src/auth/auth_int.h). */
static const char *const mech_values[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256",
                                          NULL};

const char *const config_sections[] = {
        "server",   "tls",   "auth",   "relay", "limits",
        "timeouts", "queue", "domain", NULL,
};

/* "server, tls, ... or domain NAME", for messages and docs. */
const char *
config_sections_text(void)
{
	static char text[256];
	size_t i, n = 0;

	if (text[0] != '\0')
		return text;
	for (i = 0; config_sections[i] != NULL; i++) {
		const bool last = config_sections[i + 1] == NULL;

		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s%s",
		                      i == 0 ? ""
		                      : last ? " or "
		                             : ", ",
		                      config_sections[i], last ? " NAME" : "");
	}
	return text;
}

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
         "names a mailbox of origin_domain.  :include:FILE reads more "
         "targets from FILE.  |command and /file targets are skipped "
         "with a warning when the configuration is loaded (ferry "
         "delivers only to Maildirs and other servers), and so is an "
         "alias left without targets, so the system's /etc/aliases can "
         "be used as it is.",
         "/etc/ferry/aliases"},
        {"server", "submission", OPT_LISTEN, CFG(listeners), NULL, "none", NULL,
         0, 0, true, false,
         "Addresses and ports for message submission (RFC 6409).",
         "Like listen, for mail user agents: STARTTLS per "
         "tls_submission, and AUTH is required before MAIL.  Port 587 "
         "in production.",
         "0.0.0.0:587"},
        {"server", "submissions", OPT_LISTEN, CFG(listeners), NULL, "none",
         NULL, 0, 0, true, false,
         "Addresses and ports for submission over implicit TLS (RFC 8314).",
         "The TLS handshake starts as soon as the client connects; AUTH "
         "is required before MAIL.  Port 465 in production.",
         "0.0.0.0:465"},
        /* [server]: a log file */
        {"server", "log_file", OPT_PATH, CFG(log_file), NULL, "none", NULL, 0,
         0, false, false, "File the log lines are appended to.",
         "Opened when ferry starts, before it drops its privileges (so "
         "it may belong to root), instead of standard error; with log = "
         "syslog the lines go to both.  SIGHUP opens it again, as the "
         "daemon's user: after logrotate moves it, either create the new "
         "file writable by that user or use copytruncate.",
         "/var/log/ferry.log"},
        /* [server]: the host's own mail */
        {"server", "recipient_delimiter", OPT_STRING, CFG(recipient_delimiter),
         "+", NULL, NULL, 0, 0, false, false,
         "Characters that start an address extension.",
         "Mail to alice+tag@domain goes to alice@domain when there is no "
         "mailbox or alias alice+tag (the address with its extension is "
         "tried first, then without, before a catch_all).  Several "
         "characters are several delimiters, as in +-; none turns "
         "extensions off.",
         "+-"},
        {"server", "origin_domain", OPT_STRING, CFG(origin_domain), NULL,
         "the first [domain]", NULL, 0, 0, false, false,
         "Domain of unqualified addresses and of this host's names.",
         "Like Postfix's myorigin: ferry sendmail completes root to "
         "root@ORIGIN_DOMAIN, and mail to USER@HOSTNAME, USER@localhost or "
         "USER@ a name of host_names is mail to USER@ORIGIN_DOMAIN.  Must "
         "be a [domain].  There, root without a mailbox or alias of its "
         "own goes to postmaster.",
         "example.org"},
        {"server", "host_names", OPT_STRING, CFG(host_names), NULL, "none",
         NULL, 0, 0, false, false,
         "More names of this host, local like hostname.",
         "A comma-separated list (no spaces).  hostname, localhost and the "
         "system's "
         "host name are always local (Postfix's mydestination).",
         "mail.example.org,mx1"},
        /* [tls] */
        {"tls", "cert_file", OPT_PATH, CFG(tls_cert_file), NULL,
         "a self-signed certificate generated at first start", NULL, 0, 0,
         false, false, "Certificate chain in PEM format.",
         "Without cert_file and key_file, ferry generates a self-signed "
         "certificate for its hostname in <spool_dir>/tls/ at first "
         "start and logs that it did.  SIGHUP reloads the files.",
         "/etc/ferry/fullchain.pem"},
        {"tls", "key_file", OPT_PATH, CFG(tls_key_file), NULL, "see cert_file",
         NULL, 0, 0, false, false, "Private key of cert_file, PEM format.",
         NULL, "/etc/ferry/privkey.pem"},
        {"tls", "smtp", OPT_ENUM, CFG(tls_smtp), "optional", NULL, tls_values,
         0, 0, false, false, "STARTTLS on the listen ports.",
         "optional advertises STARTTLS; required also refuses MAIL and "
         "AUTH before it with 530 5.7.0; none does not offer TLS.",
         "required"},
        {"tls", "submission", OPT_ENUM, CFG(tls_submission), "required", NULL,
         tls_values, 0, 0, false, false, "STARTTLS on the submission ports.",
         "As tls smtp, for the submission listeners.", "optional"},
        {"tls", "min_version", OPT_KEYWORD, CFG(tls_min_version), "TLSv1.2",
         NULL, tls_version_values, 0, 0, false, false,
         "Oldest TLS version accepted.", NULL, "TLSv1.3"},
        {"tls", "ciphers", OPT_STRING, CFG(tls_ciphers),
         "HIGH:!aNULL:!MD5:!RC4:!3DES:!CAMELLIA:!ARIA", NULL, NULL, 0, 0, false,
         false, "OpenSSL cipher list for TLS 1.2.",
         "TLS 1.3 suites are OpenSSL's defaults.", "ECDHE+AESGCM"},
        /* [auth] */
        {"auth", "backend", OPT_ENUM, CFG(auth_backend), "none", NULL,
         auth_values, 0, 0, false, false, "Where credentials are checked.",
         "passwd-file reads passwd_file; dovecot asks a running Dovecot "
         "over dovecot_socket (the protocol Postfix uses); none offers "
         "no AUTH.",
         "passwd-file"},
        {"auth", "mechanisms", OPT_FLAGS, CFG(auth_mechanisms), NULL,
         "what the backend can serve every user", mech_values, 0, 0, false,
         false, "SASL mechanisms offered in the EHLO AUTH keyword.",
         "Unset, it follows the backend: a passwd-file offers PLAIN and "
         "LOGIN, and SCRAM-SHA-256 only while every user in the file has "
         "SCRAM-SHA-256 keys (a client such as Postfix, through Cyrus "
         "SASL, picks SCRAM when offered and does not try another "
         "mechanism after 535); dovecot offers what Dovecot announces.  "
         "Set, only the listed mechanisms that the backend also has are "
         "offered, and AUTH with any other is 504 5.5.4.",
         "PLAIN, LOGIN, SCRAM-SHA-256"},
        {"auth", "passwd_file", OPT_PATH, CFG(auth_passwd_file), NULL, "none",
         NULL, 0, 0, false, false,
         "Users and password hashes, Dovecot passwd-file format.",
         "Lines of the form user:{SCHEME}hash, with crypt(3) schemes "
         "(yescrypt, bcrypt, SHA512-CRYPT) or SCRAM-SHA-256; make them "
         "with ferry passwd.",
         "/etc/ferry/passwd"},
        {"auth", "dovecot_socket", OPT_PATH, CFG(auth_dovecot_socket), NULL,
         "none", NULL, 0, 0, false, false, "Dovecot auth-client socket.", NULL,
         "/var/spool/postfix/private/auth"},
        {"auth", "require_tls", OPT_BOOL, CFG(auth_require_tls), "yes", NULL,
         NULL, 0, 0, false, false, "Offer AUTH only inside TLS.",
         "AUTH before TLS is answered 538 5.7.11 (RFC 4954 s4).", "no"},
        {"auth", "max_failures", OPT_INT, CFG(auth_max_failures), "3", NULL,
         NULL, 1, 100, false, false,
         "Failed AUTH attempts before the connection is closed.",
         "Each failure is answered 535 5.7.8 after a delay that grows "
         "with every failure; the next one after the limit gets 421 "
         "4.7.0.",
         "5"},
        {"auth", "max_unauth_commands", OPT_INT, CFG(auth_max_unauth_commands),
         "20", NULL, NULL, 1, 1000, false, false,
         "Commands before AUTH on a submission port.",
         "Past the limit: 554 5.7.0 Too many unauthenticated commands, "
         "and the connection is closed.",
         "10"},
        {"auth", "sender", OPT_SENDER, 0, NULL, "none", NULL, 0, 0, true, false,
         "Addresses a user may send from.",
         "LOGIN: PATTERN, PATTERN where a pattern is an address, "
         "*@domain or *.  A user may always use the login itself when it "
         "is an address, LOGIN@domain for every local domain, and the "
         "aliases that lead only to that mailbox; MAIL FROM anything "
         "else is refused with 553 5.7.1.",
         "alice: alice@example.org, *@alice.example"},
        /* [auth]: which listeners */
        {"auth", "smtp", OPT_BOOL, CFG(auth_smtp), NULL,
         "no with a submission or submissions listener, else yes", NULL, 0, 0,
         false, false, "Offer AUTH on the listen ports too.",
         "An MX (port 25) that has submission ports for its users needs "
         "no AUTH: there it is not advertised, and AUTH is answered 502 "
         "5.5.1.  The submission ports always offer it.",
         "yes"},
        /* [relay] */
        {"relay", "smarthost", OPT_HOP, CFG(relay_smarthost), NULL, "none",
         NULL, 0, 0, false, false,
         "Send all outbound mail through this host instead of MX hosts.",
         "HOST:PORT or ADDRESS:PORT of the relay; a host name is looked "
         "up (A and AAAA, no MX) for each delivery.  With "
         "smarthost_user, ferry logs in with AUTH PLAIN or LOGIN, only "
         "over TLS whose certificate is verified (see "
         "smarthost_ca_file).",
         "smtp.example.net:587"},
        {"relay", "smarthost_user", OPT_STRING, CFG(relay_smarthost_user), NULL,
         "none", NULL, 0, 0, false, false, "Login at the smarthost.", NULL,
         "mailer@example.org"},
        {"relay", "smarthost_password", OPT_STRING,
         CFG(relay_smarthost_password), NULL, "none", NULL, 0, 0, false, false,
         "Password at the smarthost.",
         "The configuration file must then be root's alone, which keeps "
         "ferry sendmail from users other than root from reading it: "
         "prefer smarthost_password_file.",
         "s3cret"},
        /* [relay]: verifying the smarthost */
        {"relay", "smarthost_ca_file", OPT_PATH, CFG(relay_smarthost_ca_file),
         NULL, "the system's CA certificates", NULL, 0, 0, false, false,
         "CA certificates the smarthost's certificate is verified with.",
         "PEM file.  ferry sends smarthost_user and smarthost_password "
         "only over TLS whose certificate chains to one of these CAs and "
         "names the smarthost (the host name in smarthost, or its "
         "address when smarthost is numeric).  Otherwise the mail is "
         "deferred and the reason logged; the credentials are not sent.",
         "/etc/ferry/smarthost-ca.pem"},
        {"relay", "smarthost_password_file", OPT_PATH,
         CFG(relay_smarthost_password_file), NULL, "none", NULL, 0, 0, false,
         false, "File holding the password at the smarthost.",
         "Instead of smarthost_password: its first line is the password.  "
         "ferry serve reads it as root before dropping its privileges, so "
         "it can be root's alone (0600) while ferry.conf stays readable "
         "by every user, as ferry sendmail needs.",
         "/etc/ferry/smarthost.secret"},
        {"relay", "smarthost_fingerprint", OPT_STRING,
         CFG(relay_smarthost_fingerprint), NULL, "none", NULL, 0, 0, false,
         false, "SHA-256 fingerprint of the smarthost's certificate.",
         "A pinned certificate: when set, the smarthost must present "
         "exactly this certificate, and CA and name are not checked "
         "(for a smarthost with a self-signed certificate).  64 hex "
         "digits, colons allowed, as printed by openssl x509 "
         "-fingerprint -sha256.",
         "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:"
         "82:2C:D1:5D:6C:15:B0:F0:0A:08"},
        {"relay", "transport", OPT_TRANSPORT, 0, NULL, "none", NULL, 0, 0, true,
         false, "Where mail for one domain goes, bypassing DNS.",
         "DOMAIN: ADDRESS:PORT; repeat for more domains.  Used before the "
         "smarthost and MX records.",
         "example.net: 192.0.2.7:25"},
        {"relay", "resolv_conf", OPT_STRING, CFG(relay_resolv_conf), NULL,
         "/etc/resolv.conf", NULL, 0, 0, false, false,
         "Name servers for MX lookups, in resolv.conf format.",
         "none: ask no name server at all; only dns_local_data answers.",
         "none"},
        {"relay", "dns_local_data", OPT_PATH, CFG(relay_dns_local_data), NULL,
         "none", NULL, 0, 0, false, false,
         "DNS records ferry answers from itself.",
         "One record per line in zone-file syntax, e.g. \"example.net. "
         "300 IN MX 10 mx.example.net.\"; lines starting with # are "
         "comments; a line \"zone NAME TYPE\" declares a local zone "
         "(TYPE static: names not listed do not exist).  For tests and "
         "offline setups.",
         "/etc/ferry/local.zone"},
        {"relay", "tls", OPT_ENUM, CFG(relay_tls), "optional", NULL, tls_values,
         0, 0, false, false, "STARTTLS towards other servers.",
         "optional uses STARTTLS when offered, without verifying the "
         "certificate; required defers mail to servers without it; none "
         "never starts TLS.  A smarthost with smarthost_user always "
         "gets verified TLS.",
         "required"},
        {"relay", "tls_required_domains", OPT_STRING, CFG(relay_tls_required),
         NULL, "none", NULL, 0, 0, false, false,
         "Destinations that get mail only over TLS.",
         "A comma-separated list of domains (no spaces).  Mail for them is "
         "deferred, not sent in clear, when the server offers no STARTTLS "
         "or the handshake fails.",
         "bank.example,partner.example"},
        {"relay", "max_recipients", OPT_INT, CFG(relay_max_rcpt), "50", NULL,
         NULL, 1, 1000, false, false,
         "Recipients sent in one outbound transaction.", NULL, "100"},
        {"relay", "destination_concurrency", OPT_INT,
         CFG(relay_dest_concurrency), "2", NULL, NULL, 1, 100, false, false,
         "Connections open at once to one destination domain.", NULL, "5"},
        {"relay", "destination_rate", OPT_INT, CFG(relay_dest_rate), "0", NULL,
         NULL, 0, 100000, false, false,
         "Messages per minute to one destination; 0: no limit.",
         "A rate-limit reply (421 4.7.0, 450 4.2.1, 451 4.7.1 with rate "
         "wording) also slows the destination down for a while.",
         "60"},
        {"relay", "retry_min", OPT_DURATION, CFG(relay_retry_min), "5m", NULL,
         NULL, 0, 0, false, false, "First retry after a temporary failure.",
         "Each later retry waits twice as long, up to retry_max.", "1m"},
        {"relay", "retry_max", OPT_DURATION, CFG(relay_retry_max), "1h", NULL,
         NULL, 0, 0, false, false, "Longest wait between two retries.", NULL,
         "4h"},
        {"relay", "delay_warning", OPT_DURATION, CFG(relay_delay_warning), "4h",
         NULL, NULL, 0, 0, false, false,
         "Send a \"delayed\" report after this long.",
         "Only to senders that asked for it with NOTIFY=DELAY.", "2h"},
        {"relay", "max_queue_lifetime", OPT_DURATION, CFG(relay_max_lifetime),
         "5d", NULL, NULL, 0, 0, false, false,
         "Give up and bounce (4.4.7) after this long.", NULL, "3d"},
        {"relay", "connect_timeout", OPT_DURATION, CFG(relay_timeout_connect),
         "5m", NULL, NULL, 0, 0, false, false,
         "Time to connect and receive the greeting.",
         "RFC 5321 s4.5.3.2 suggests 5 minutes for the greeting.", "1m"},
        {"relay", "port", OPT_INT, CFG(relay_port), "25", NULL, NULL, 1, 65535,
         false, false, "Port of MX hosts.", NULL, "2525"},
        {"relay", "connection_cache_time", OPT_DURATION,
         CFG(relay_conn_cache_time), "2s", NULL, NULL, 0, 0, false, false,
         "How long an idle connection waits for the next message.",
         "After a transaction the connection to that server stays open "
         "this long, so that the next message for it skips connect, "
         "greeting, EHLO, STARTTLS and AUTH.  At most "
         "destination_concurrency connections per server wait; 0 closes "
         "every connection after its transaction.",
         "0"},
        {"relay", "connection_reuse_limit", OPT_DURATION,
         CFG(relay_conn_reuse_limit), "5m", NULL, NULL, 0, 0, false, false,
         "Age after which a connection is not reused.",
         "Spreads mail over a destination's MX hosts again and picks up "
         "DNS changes.",
         "10m"},
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
        {"limits", "max_rejected_recipients", OPT_INT,
         CFG(max_rejected_recipients), "20", NULL, NULL, 1, 100000, false,
         false, "Refused recipients tolerated between two accepted messages.",
         "Each RCPT refused with a 5xx reply (unknown user, disabled "
         "mailbox, relay denied) counts; at this many ferry answers 421 "
         "4.7.0 and disconnects, so guessing addresses costs a "
         "connection every few guesses.  The count starts again after "
         "each accepted message, like Postfix's smtpd_hard_error_limit.  "
         "Syntax errors count toward max_errors instead.",
         "50"},
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
         "a number with the suffix s, m, h or d; a bare number means "
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
        /* [domain NAME]: Maildirs shared with their reader */
        {"domain", "owner", OPT_STRING, DOM(owner), NULL, "the daemon's user",
         NULL, 0, 0, false, false,
         "Owner of the domain's Maildirs, USER or USER:GROUP.",
         "For a reader such as Dovecot that runs as another user (vmail, "
         "as Postfix's virtual_uid_maps and virtual_gid_maps).  Started "
         "as root, ferry creates MAILDIR_ROOT and every mailbox's "
         "Maildir (tmp, new, cur) owned by USER and GROUP (default: "
         "USER's group) with mode, before it drops its privileges; it "
         "keeps GROUP as a supplementary group, so the unprivileged "
         "daemon writes the messages through the group, and they are "
         "readable and writable by the group (files get the directory "
         "mode without execute bits).  ferry itself never runs as "
         "USER.",
         "vmail:vmail"},
        {"domain", "mailbox_owner", OPT_MAILBOX_OWNER, 0, NULL, "owner", NULL,
         0, 0, true, false,
         "Owner of one mailbox's Maildir, NAME: USER[:GROUP].",
         "Overrides owner for that mailbox (per-user uids, as Postfix's "
         "virtual_uid_maps).  NAME must be a mailbox of the domain.  The "
         "Maildir is made as owner's are, with mode; the daemon keeps "
         "GROUP as a supplementary group and writes through it.",
         "alice: alice:mail"},
        {"domain", "mode", OPT_STRING, DOM(mode), NULL, "2770 with owner", NULL,
         0, 0, false, false,
         "Mode of the domain's Maildir directories, in octal.",
         "Only with owner.  The group needs rwx (the daemon writes "
         "through it); the setgid bit (2000) makes new files and "
         "directories take the group; 0770 without it.",
         "0770"},
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
	        [OPT_STRING] = "string",
	        [OPT_PATH] = "path",
	        [OPT_KEYWORD] = "keyword",
	        [OPT_ENUM] = "keyword",
	        [OPT_INT] = "integer",
	        [OPT_DURATION] = "duration",
	        [OPT_SIZE] = "size",
	        [OPT_BOOL] = "boolean",
	        [OPT_LISTEN] = "address list",
	        [OPT_MAILBOX] = "name list",
	        [OPT_DISABLED] = "name list",
	        [OPT_ALIAS] = "alias",
	        [OPT_CATCH_ALL] = "name",
	        [OPT_MAILBOX_OWNER] = "owner rule",
	        [OPT_SENDER] = "sender rule",
	        [OPT_TRANSPORT] = "transport",
	        [OPT_HOP] = "address",
	        [OPT_FLAGS] = "keyword list",
	};

	return names[opt->type];
}
