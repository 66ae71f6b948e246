/*
 * options.c — the one declarative table of every ferry setting.  Parsing,
 * defaults, `ferry check-config --print-reference`, docs/configuration.md
 * and ferry.conf(5) are all derived from these rows; a setting that is not
 * here does not exist.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "map/map.h"

#define CFG(field) offsetof(struct config, field)
#define DOM(field) offsetof(struct config_domain, field)
#define RDOM(field) offsetof(struct config_relay_domain, field)

static const char *const log_values[] = {"stderr", "syslog", NULL};
static const char *const log_format_values[] = {"logfmt", "json", NULL};
static const char *const sync_values[] = {"syncfs", "fsync", NULL};
static const char *const tls_values[] = {"none", "optional", "required", NULL};
/* In the order of enum tls_policy (dane, verify and dane-only are for
 * outbound mail only), then Postfix's names of two of them
 * (config_tls_level()). */
static const char *const relay_tls_values[] = {"none", "optional", "required",
                                               "dane", "verify",   "dane-only",
                                               "may",  "encrypt",  NULL};

int
config_tls_level(const char *word)
{
	int i;

	for (i = 0; relay_tls_values[i] != NULL; i++)
		if (strcasecmp(relay_tls_values[i], word) == 0)
			return i == 6   ? TLS_POLICY_OPTIONAL
			       : i == 7 ? TLS_POLICY_REQUIRED
			                : i;
	return -1;
}
static const char *const tls_version_values[] = {"TLSv1.2", "TLSv1.3", NULL};
static const char *const state_values[] = {"embedded", "redis", NULL};
static const char *const rdns_values[] = {"off", "ptr", "fcrdns", NULL};
static const char *const rcpt_rate_values[] = {"too-quickly", "quota", NULL};
static const char *const quota_reply_values[] = {"full", "temporary", NULL};
static const char *const fail_values[] = {"open", "closed", NULL};
static const char *const enforce_values[] = {"record", "enforce", NULL};
static const char *const dom_enforce_values[] = {"inherit", "record", "enforce",
                                                 NULL};
static const char *const milter_default_values[] = {"tempfail", "accept", NULL};
static const char *const auth_values[] = {"none", "passwd-file", "dovecot",
                                          NULL};
/* In the order of enum sasl_mech (src/auth/auth_int.h). */
static const char *const mech_values[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256",
                                          NULL};

const char *const config_sections[] = {
        "server", "tls",    "auth",         "relay",   "limits", "timeouts",
        "queue",  "policy", "milter",       "metrics", "dkim",   "mailauth",
        "doctor", "domain", "relay_domain", NULL,
};

/* "server, tls, ..., domain NAME or relay_domain NAME", for messages and
 * docs. */
const char *
config_sections_text(void)
{
	static char text[256];
	size_t i, n = 0;

	if (text[0] != '\0')
		return text;
	for (i = 0; config_sections[i] != NULL; i++) {
		const bool last = config_sections[i + 1] == NULL;
		const char *s = config_sections[i];
		const bool named = strcmp(s, "domain") == 0 ||
		                   strcmp(s, "relay_domain") == 0;

		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s%s",
		                      i == 0 ? ""
		                      : last ? " or "
		                             : ", ",
		                      s, named ? " NAME" : "");
	}
	return text;
}

const struct config_option config_options[] = {
        /* [server] */
        {.section = "server",
         .key = "hostname",
         .type = OPT_STRING,
         .offset = CFG(hostname),
         .def_text = "the system host name, or localhost",
         .doc = "Name this server uses for itself.",
         .more = "Sent in the greeting and the EHLO reply, and written into "
                 "Received: header fields and generated Message-IDs.",
         .example = "mx1.example.org"},
        {.section = "server",
         .key = "listen",
         .type = OPT_LISTEN,
         .offset = CFG(listeners),
         .def = "127.0.0.1:2525",
         .repeatable = true,
         .doc = "Addresses and ports to accept SMTP connections on.",
         .more = "A comma-separated list of ADDRESS:PORT items; the key may "
                 "also be repeated.  Write IPv6 addresses in brackets, as in "
                 "[::1]:25.  Host names are not accepted.  Setting listen "
                 "replaces the default.",
         .example = "0.0.0.0:25, [::]:25"},
        {.section = "server",
         .key = "user",
         .type = OPT_STRING,
         .offset = CFG(user),
         .def = "ferry",
         .doc = "Unprivileged user to run as after binding the listeners.",
         .more = "Only used when ferry is started as root: it binds its ports, "
                 "opens the spool and then switches to this user and its "
                 "group.",
         .example = "_ferry"},
        {.section = "server",
         .key = "log",
         .type = OPT_KEYWORD,
         .offset = CFG(log),
         .def = "stderr",
         .values = log_values,
         .doc = "Where log lines go.",
         .more = "stderr writes one logfmt line per event to standard error; "
                 "syslog sends the same lines to syslog(3) with facility mail.",
         .example = "syslog"},
        {.section = "server",
         .key = "max_connections",
         .type = OPT_INT,
         .offset = CFG(max_connections),
         .def = "100",
         .min = 1,
         .max = 100000,
         .doc = "Simultaneous SMTP connections accepted.",
         .more = "Further clients are answered 421 4.7.0 and disconnected.",
         .example = "500"},
        {.section = "server",
         .key = "aliases_file",
         .type = OPT_PATH,
         .offset = CFG(aliases_file),
         .def_text = "none",
         .doc = "Extra aliases in the classic /etc/aliases format.",
         .more = "Lines of the form NAME: TARGET, TARGET; lines starting with "
                 "# are comments and lines starting with white space continue "
                 "the previous entry.  The aliases apply to every [domain] "
                 "that has no mailbox or alias of the same name; a target "
                 "without @ names a mailbox of origin_domain.  :include:FILE "
                 "reads more targets from FILE.  |command and /file targets "
                 "are skipped with a warning when the configuration is loaded "
                 "(ferry delivers only to Maildirs and other servers), and so "
                 "is an alias left without targets, so the system's "
                 "/etc/aliases can be used as it is.",
         .example = "/etc/ferry/aliases"},
        {.section = "server",
         .key = "submission",
         .type = OPT_LISTEN,
         .offset = CFG(listeners),
         .def_text = "none",
         .repeatable = true,
         .doc = "Addresses and ports for message submission (RFC 6409).",
         .more = "Like listen, for mail user agents: STARTTLS per "
                 "tls_submission, and AUTH is required before MAIL.  Port 587 "
                 "in production.",
         .example = "0.0.0.0:587"},
        {.section = "server",
         .key = "submissions",
         .type = OPT_LISTEN,
         .offset = CFG(listeners),
         .def_text = "none",
         .repeatable = true,
         .doc = "Addresses and ports for submission over implicit TLS (RFC "
                "8314).",
         .more = "The TLS handshake starts as soon as the client connects; "
                 "AUTH is required before MAIL.  Port 465 in production.",
         .example = "0.0.0.0:465"},
        {.section = "server",
         .key = "sandbox",
         .type = OPT_BOOL,
         .offset = CFG(sandbox),
         .def = "on",
         .doc = "Confine the daemon once it serves (seccomp-bpf and Landlock).",
         .more = "After binding and dropping privileges, a system call outside "
                 "the list ferry uses (running a program, tracing, other "
                 "socket families...) kills the daemon, and on Linux 5.19 or "
                 "later the files it can reach are limited to the spool, the "
                 "Maildir roots and, read-only, the configuration, "
                 "certificates and keys it reads again.  An older kernel gets "
                 "the system call filter alone and a log line saying so.  off "
                 "is for debugging; see docs/security.md.",
         .example = "off"},
        /* [server]: a log file */
        {.section = "server",
         .key = "log_file",
         .type = OPT_PATH,
         .offset = CFG(log_file),
         .def_text = "none",
         .doc = "File the log lines are appended to.",
         .more = "Opened when ferry starts, before it drops its privileges (so "
                 "it may belong to root), instead of standard error; with log "
                 "= syslog the lines go to both.  SIGHUP opens it again, as "
                 "the daemon's user: after logrotate moves it, either create "
                 "the new file writable by that user or use copytruncate.",
         .example = "/var/log/ferry.log"},
        {.section = "server",
         .key = "log_format",
         .type = OPT_KEYWORD,
         .offset = CFG(log_format),
         .def = "logfmt",
         .values = log_format_values,
         .doc = "How each log line is written.",
         .more = "logfmt writes key=value pairs (values quoted when they hold "
                 "spaces, control bytes escaped); json writes one JSON object "
                 "per line with the same keys, every value a string.  The "
                 "fields are described in docs/logging.md.",
         .example = "json"},
        /* [server]: the host's own mail */
        {.section = "server",
         .key = "recipient_delimiter",
         .type = OPT_STRING,
         .offset = CFG(recipient_delimiter),
         .def = "+",
         .doc = "Characters that start an address extension.",
         .more = "Mail to alice+tag@domain goes to alice@domain when there is "
                 "no mailbox or alias alice+tag (the address with its "
                 "extension is tried first, then without, before a catch_all). "
                 " Several characters are several delimiters, as in +-; none "
                 "turns extensions off.",
         .example = "+-"},
        {.section = "server",
         .key = "origin_domain",
         .type = OPT_STRING,
         .offset = CFG(origin_domain),
         .def_text = "the first [domain]",
         .doc = "Domain of unqualified addresses and of this host's names.",
         .more = "Like Postfix's myorigin: ferry sendmail completes root to "
                 "root@ORIGIN_DOMAIN, and mail to USER@HOSTNAME, "
                 "USER@localhost or USER@ a name of host_names is mail to "
                 "USER@ORIGIN_DOMAIN.  Must be a [domain].  There, root "
                 "without a mailbox or alias of its own goes to postmaster.",
         .example = "example.org"},
        {.section = "server",
         .key = "host_names",
         .type = OPT_STRING,
         .offset = CFG(host_names),
         .def_text = "none",
         .doc = "More names of this host, local like hostname.",
         .more = "A comma-separated list (no spaces).  hostname, localhost and "
                 "the system's host name are always local (Postfix's "
                 "mydestination).",
         .example = "mail.example.org,mx1"},
        /* [tls] */
        {.section = "tls",
         .key = "cert_file",
         .type = OPT_PATH,
         .offset = CFG(tls_cert_file),
         .secret = true,
         .def_text = "a self-signed certificate generated at first start",
         .doc = "Certificate chain in PEM format.",
         .more = "Without cert_file and key_file, ferry generates a "
                 "self-signed certificate for its hostname in <spool_dir>/tls/ "
                 "at first start and logs that it did.  SIGHUP reloads the "
                 "files.  The key process ferry-keys reads both and sends "
                 "the daemon the chain; keep them in a directory of their "
                 "own, which the daemon is then denied.",
         .example = "/etc/ferry/fullchain.pem"},
        {.section = "tls",
         .key = "key_file",
         .type = OPT_PATH,
         .offset = CFG(tls_key_file),
         .secret = true,
         .def_text = "see cert_file",
         .doc = "Private key of cert_file, PEM format.",
         .more = "RSA or ECDSA.  Read only by the key process ferry-keys, "
                 "as root when ferry starts as root, so it may be root's "
                 "alone (0600); the daemon never holds it.",
         .example = "/etc/ferry/privkey.pem"},
        {.section = "tls",
         .key = "smtp",
         .type = OPT_ENUM,
         .offset = CFG(tls_smtp),
         .def = "optional",
         .values = tls_values,
         .doc = "STARTTLS on the listen ports.",
         .more = "optional advertises STARTTLS; required also refuses MAIL and "
                 "AUTH before it with 530 5.7.0; none does not offer TLS.",
         .example = "required"},
        {.section = "tls",
         .key = "submission",
         .type = OPT_ENUM,
         .offset = CFG(tls_submission),
         .def = "required",
         .values = tls_values,
         .doc = "STARTTLS on the submission ports.",
         .more = "As tls smtp, for the submission listeners.",
         .example = "optional"},
        {.section = "tls",
         .key = "min_version",
         .type = OPT_KEYWORD,
         .offset = CFG(tls_min_version),
         .def = "TLSv1.2",
         .values = tls_version_values,
         .doc = "Oldest TLS version accepted.",
         .example = "TLSv1.3"},
        {.section = "tls",
         .key = "ciphers",
         .type = OPT_STRING,
         .offset = CFG(tls_ciphers),
         .def = "HIGH:!aNULL:!MD5:!RC4:!3DES:!CAMELLIA:!ARIA",
         .doc = "OpenSSL cipher list for TLS 1.2.",
         .more = "TLS 1.3 suites are OpenSSL's defaults.  Port 25 keeps "
                 "the CBC suites: for a sending server any encryption is "
                 "better than the plain text it would fall back to.",
         .example = "ECDHE+AESGCM"},
        {.section = "tls",
         .key = "submission_ciphers",
         .type = OPT_STRING,
         .offset = CFG(tls_submission_ciphers),
         .def = "ECDHE+AESGCM:ECDHE+CHACHA20",
         .doc = "OpenSSL cipher list for TLS 1.2 on the submission ports.",
         .more = "AEAD suites with forward secrecy only: the mail clients "
                 "that use 587 and 465 all have them, and CBC suites are "
                 "what scanners flag (LUCKY13).  TLS 1.3 suites are "
                 "OpenSSL's defaults.",
         .example = "ECDHE+AESGCM"},
        /* [auth] */
        {.section = "auth",
         .key = "backend",
         .type = OPT_ENUM,
         .offset = CFG(auth_backend),
         .def = "none",
         .values = auth_values,
         .doc = "Where credentials are checked.",
         .more = "passwd-file reads passwd_file; dovecot asks a running "
                 "Dovecot over dovecot_socket (the protocol Postfix uses); "
                 "none offers no AUTH.",
         .example = "passwd-file"},
        {.section = "auth",
         .key = "mechanisms",
         .type = OPT_FLAGS,
         .offset = CFG(auth_mechanisms),
         .def_text = "what the backend can serve every user",
         .values = mech_values,
         .doc = "SASL mechanisms offered in the EHLO AUTH keyword.",
         .more = "Unset, it follows the backend: a passwd-file offers PLAIN "
                 "and LOGIN, and SCRAM-SHA-256 only while every user in the "
                 "file has SCRAM-SHA-256 keys (a client such as Postfix, "
                 "through Cyrus SASL, picks SCRAM when offered and does not "
                 "try another mechanism after 535); dovecot offers what "
                 "Dovecot announces.  Set, only the listed mechanisms that the "
                 "backend also has are offered, and AUTH with any other is 504 "
                 "5.5.4.",
         .example = "PLAIN, LOGIN, SCRAM-SHA-256"},
        {.section = "auth",
         .key = "passwd_file",
         .type = OPT_PATH,
         .offset = CFG(auth_passwd_file),
         .secret = true,
         .def_text = "none",
         .doc = "Users and password hashes, Dovecot passwd-file format.",
         .more = "Lines of the form user:{SCHEME}hash, with crypt(3) schemes "
                 "(yescrypt, bcrypt, SHA512-CRYPT) or SCRAM-SHA-256; make them "
                 "with ferry passwd.  Read only by the key process ferry-auth "
                 "(as root when ferry starts as root, so it may be root's "
                 "alone), which checks the passwords; it is read again when "
                 "it changes.",
         .example = "/etc/ferry/passwd"},
        {.section = "auth",
         .key = "dovecot_socket",
         .type = OPT_PATH,
         .offset = CFG(auth_dovecot_socket),
         .def_text = "none",
         .doc = "Dovecot auth-client socket.",
         .example = "/var/spool/postfix/private/auth"},
        {.section = "auth",
         .key = "require_tls",
         .type = OPT_BOOL,
         .offset = CFG(auth_require_tls),
         .def = "yes",
         .doc = "Offer AUTH only inside TLS.",
         .more = "AUTH before TLS is answered 538 5.7.11 (RFC 4954 s4).",
         .example = "no"},
        {.section = "auth",
         .key = "max_failures",
         .type = OPT_INT,
         .offset = CFG(auth_max_failures),
         .def = "3",
         .min = 1,
         .max = 100,
         .doc = "Failed AUTH attempts before the connection is closed.",
         .more = "Each failure is answered 535 5.7.8 after a delay that grows "
                 "with every failure; the next one after the limit gets 421 "
                 "4.7.0.",
         .example = "5"},
        {.section = "auth",
         .key = "max_unauth_commands",
         .type = OPT_INT,
         .offset = CFG(auth_max_unauth_commands),
         .def = "20",
         .min = 1,
         .max = 1000,
         .doc = "Commands before AUTH on a submission port.",
         .more = "Past the limit: 554 5.7.0 Too many unauthenticated commands, "
                 "and the connection is closed.",
         .example = "10"},
        {.section = "auth",
         .key = "sender",
         .type = OPT_SENDER,
         .offset = 0,
         .def_text = "none",
         .repeatable = true,
         .doc = "Addresses a user may send from.",
         .more = "LOGIN: PATTERN, PATTERN where a pattern is an address, "
                 "*@domain or *.  A user may always use the login itself when "
                 "it is an address, LOGIN@domain for every local domain, and "
                 "the aliases that lead only to that mailbox; MAIL FROM "
                 "anything else is refused with 553 5.7.1.",
         .example = "alice: alice@example.org, *@alice.example"},
        /* [auth]: which listeners */
        {.section = "auth",
         .key = "smtp",
         .type = OPT_BOOL,
         .offset = CFG(auth_smtp),
         .def_text = "no with a submission or submissions listener, else yes",
         .doc = "Offer AUTH on the listen ports too.",
         .more = "An MX (port 25) that has submission ports for its users "
                 "needs no AUTH: there it is not advertised, and AUTH is "
                 "answered 502 5.5.1.  The submission ports always offer it.",
         .example = "yes"},
        /* [relay] */
        {.section = "relay",
         .key = "smarthost",
         .type = OPT_HOP,
         .offset = CFG(relay_smarthost),
         .def_text = "none",
         .doc = "Send all outbound mail through this host instead of MX hosts.",
         .more = "HOST:PORT or ADDRESS:PORT of the relay; a host name is "
                 "looked up (A and AAAA, no MX) for each delivery.  With "
                 "smarthost_user, ferry logs in with AUTH PLAIN or LOGIN, only "
                 "over TLS whose certificate is verified (see "
                 "smarthost_ca_file).",
         .example = "smtp.example.net:587"},
        {.section = "relay",
         .key = "smarthost_user",
         .type = OPT_STRING,
         .offset = CFG(relay_smarthost_user),
         .def_text = "none",
         .doc = "Login at the smarthost.",
         .example = "mailer@example.org"},
        {.section = "relay",
         .key = "smarthost_password",
         .type = OPT_STRING,
         .offset = CFG(relay_smarthost_password),
         .def_text = "none",
         .doc = "Password at the smarthost.",
         .more = "The configuration file must then be root's alone, which "
                 "keeps ferry sendmail from users other than root from reading "
                 "it: prefer smarthost_password_file.",
         .example = "s3cret"},
        /* [relay]: verifying the smarthost */
        {.section = "relay",
         .key = "smarthost_ca_file",
         .type = OPT_PATH,
         .offset = CFG(relay_smarthost_ca_file),
         .def_text = "the system's CA certificates",
         .doc = "CA certificates the smarthost's certificate is verified with.",
         .more = "PEM file.  ferry sends smarthost_user and smarthost_password "
                 "only over TLS whose certificate chains to one of these CAs "
                 "and names the smarthost (the host name in smarthost, or its "
                 "address when smarthost is numeric).  Otherwise the mail is "
                 "deferred and the reason logged; the credentials are not "
                 "sent.",
         .example = "/etc/ferry/smarthost-ca.pem"},
        {.section = "relay",
         .key = "smarthost_password_file",
         .type = OPT_PATH,
         .offset = CFG(relay_smarthost_password_file),
         .def_text = "none",
         .doc = "File holding the password at the smarthost.",
         .more = "Instead of smarthost_password: its first line is the "
                 "password.  ferry serve reads it as root before dropping its "
                 "privileges, so it can be root's alone (0600) while "
                 "ferry.conf stays readable by every user, as ferry sendmail "
                 "needs.",
         .example = "/etc/ferry/smarthost.secret"},
        {.section = "relay",
         .key = "smarthost_fingerprint",
         .type = OPT_STRING,
         .offset = CFG(relay_smarthost_fingerprint),
         .def_text = "none",
         .doc = "SHA-256 fingerprint of the smarthost's certificate.",
         .more = "A pinned certificate: when set, the smarthost must present "
                 "exactly this certificate, and CA and name are not checked "
                 "(for a smarthost with a self-signed certificate).  64 hex "
                 "digits, colons allowed, as printed by openssl x509 "
                 "-fingerprint -sha256.",
         .example = "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:"
                    "1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08"},
        {.section = "relay",
         .key = "trusted_networks",
         .type = OPT_NETS,
         .offset = CFG(relay_trusted_networks),
         .def_text = "none",
         .repeatable = true,
         .doc = "Clients that may relay without AUTH (Postfix mynetworks).",
         .more = "CIDR networks, IPv4 or IPv6.  A client there may send to any "
                 "domain through the listen (port 25) listeners, as an "
                 "authenticated one may (the submission ports still require "
                 "AUTH); everyone else gets 554 5.7.1 Relay access denied for "
                 "a recipient outside the local and relay domains.  The "
                 "default keeps ferry a closed relay.",
         .example = "127.0.0.1/32, ::1/128, 192.0.2.0/24"},
        {.section = "relay",
         .key = "transport",
         .type = OPT_TRANSPORT,
         .offset = 0,
         .def_text = "none",
         .repeatable = true,
         .doc = "Where mail for one domain goes, bypassing DNS.",
         .more = "DOMAIN: ADDRESS:PORT; repeat for more domains.  Used before "
                 "the smarthost and MX records.",
         .example = "example.net: 192.0.2.7:25"},
        {.section = "relay",
         .key = "resolv_conf",
         .type = OPT_STRING,
         .offset = CFG(relay_resolv_conf),
         .def_text = "/etc/resolv.conf",
         .doc = "Name servers for MX lookups, in resolv.conf format.",
         .more = "none: ask no name server at all; only dns_local_data "
                 "answers.",
         .example = "none"},
        {.section = "relay",
         .key = "dns_local_data",
         .type = OPT_PATH,
         .offset = CFG(relay_dns_local_data),
         .def_text = "none",
         .doc = "DNS records ferry answers from itself.",
         .more = "One record per line in zone-file syntax, e.g. \"example.net. "
                 "300 IN MX 10 mx.example.net.\"; lines starting with # are "
                 "comments; a line \"zone NAME TYPE\" declares a local zone "
                 "(TYPE static: names not listed do not exist).  For tests and "
                 "offline setups.",
         .example = "/etc/ferry/local.zone"},
        {.section = "relay",
         .key = "tls",
         .type = OPT_ENUM,
         .offset = CFG(relay_tls),
         .def = "dane",
         .values = relay_tls_values,
         .doc = "TLS security level towards other servers.",
         .more = "The levels of Postfix's smtp_tls_security_level.  none "
                 "never starts TLS; optional (or may) uses STARTTLS when "
                 "offered, without verifying the certificate; required (or "
                 "encrypt) defers mail (4.7.5) to servers without it; verify "
                 "requires TLS whose certificate verifies (tls_ca_file) and "
                 "names the MX host (or the next hop's name); dane (the "
                 "default) is optional plus DANE (RFC 7672): an MX host (or a "
                 "next hop given by name) whose MX, address and TLSA records "
                 "validate under DNSSEC (see dnssec_trust_anchor) gets mail "
                 "only over TLS whose certificate matches its TLSA records, "
                 "and a bogus or failing TLSA lookup defers its mail (4.7.5); "
                 "while the resolver gives no DNSSEC data (see "
                 "dnssec_probe_interval) dane acts as optional and the "
                 "delivery log says tls_policy=dane-unavailable.  dane-only "
                 "requires DANE: mail to a destination without "
                 "DNSSEC-validated usable TLSA records is deferred (4.7.5), "
                 "also while DNSSEC is unavailable.  tls_policy_map sets "
                 "other levels per destination.  A smarthost with "
                 "smarthost_user always gets verified TLS.",
         .example = "may"},
        {.section = "relay",
         .key = "tls_policy_map",
         .type = OPT_MAP,
         .offset = CFG(relay_tls_policy_map),
         .def_text = "none",
         .doc = "TLS security level per destination (Postfix "
                "smtp_tls_policy_maps).",
         .more = "A map (text:PATH, cdb:PATH, lmdb:PATH, see docs/maps.md) of "
                 "DOMAIN LEVEL lines, LEVEL one of the values of tls.  The "
                 "recipient domain is looked up, then each parent as "
                 ".PARENT (.example.org covers every subdomain); the key "
                 "[smarthost] gives the smarthost's level.  Without an entry "
                 "tls applies.  An entry that is no level defers the mail "
                 "(4.3.5) rather than guess.  A changed file takes effect "
                 "within a second.",
         .example = "text:/etc/ferry/tls_policy"},
        {.section = "relay",
         .key = "tls_ca_file",
         .type = OPT_PATH,
         .offset = CFG(relay_tls_ca_file),
         .def_text = "the system's CA certificates",
         .doc = "CA certificates for the verify level.",
         .more = "PEM file the certificates of servers at level verify are "
                 "checked with (the smarthost's with smarthost_ca_file).",
         .example = "/etc/ssl/certs/ca-certificates.crt"},
        {.section = "relay",
         .key = "dnssec_trust_anchor",
         .type = OPT_PATH,
         .offset = CFG(relay_trust_anchor),
         .def = "/usr/share/dns/root.key",
         .doc = "DNSSEC trust anchor for DANE.",
         .more = "A file of DS or DNSKEY records in zone-file syntax (Debian's "
                 "dns-root-data package installs the root's).  Read with tls = "
                 "dane or dane-only (or a tls_policy_map): MX, address and "
                 "TLSA lookups for DANE are validated with it, and the owner "
                 "name of its first record is what the DNSSEC probe asks "
                 "for.  When it cannot be read, DNSSEC counts as "
                 "unavailable (logged, and dane acts as optional); with tls "
                 "= dane or dane-only set explicitly, it must be readable.",
         .example = "/var/lib/unbound/root.key"},
        {.section = "relay",
         .key = "dnssec_probe_interval",
         .type = OPT_DURATION,
         .offset = CFG(relay_dnssec_probe_interval),
         .def = "10m",
         .doc = "How often the resolver is checked for DNSSEC.",
         .more = "With DANE in use ferry validates the DNSKEY records of the "
                 "trust anchor's owner name at start, after a reload, this "
                 "often, and 10 seconds after a bogus answer while DNSSEC "
                 "was available.  While they do not validate (the resolver "
                 "strips DNSSEC records, SERVFAIL, no answer within "
                 "dns_timeout) DNSSEC is unavailable and dane acts as "
                 "optional; each change is logged once "
                 "(event=dnssec-available, event=dnssec-unavailable) and "
                 "shown by ferry doctor and the metrics.  Mail for a dane "
                 "destination waits for the first answer (at most "
                 "dns_timeout).",
         .example = "1m"},
        {.section = "relay",
         .key = "mta_sts",
         .type = OPT_BOOL,
         .offset = CFG(relay_mta_sts),
         .def = "yes",
         .doc = "Honour the MTA-STS policies of destinations.",
         .more = "RFC 8461: a domain with a _mta-sts TXT record and a policy "
                 "at https://mta-sts.DOMAIN/.well-known/mta-sts.txt in mode "
                 "enforce gets mail only on its listed MX hosts, over TLS "
                 "whose certificate verifies (mta_sts_ca_file) and names the "
                 "MX host; otherwise the mail is deferred (4.7.5).  Policies "
                 "are kept for their max_age under spool_dir/mta-sts, across "
                 "restarts.  Where DANE applies (tls = dane) it wins.  A "
                 "domain without the TXT record costs one DNS lookup; no "
                 "answer means no policy, so it is on by default (see "
                 "docs/transport-security.md, \"Defaults\").",
         .example = "no"},
        {.section = "relay",
         .key = "mta_sts_ca_file",
         .type = OPT_PATH,
         .offset = CFG(relay_mta_sts_ca_file),
         .def_text = "the system's CA certificates",
         .doc = "CA certificates for MTA-STS.",
         .more = "PEM file the certificates of the policy hosts "
                 "(mta-sts.DOMAIN) and, under enforce, of the MX hosts are "
                 "verified with.",
         .example = "/etc/ssl/certs/ca-certificates.crt"},
        {.section = "relay",
         .key = "dns_forwarder",
         .type = OPT_STRING,
         .offset = CFG(relay_dns_forwarder),
         .def_text = "none",
         .doc = "Name server to send every MX and TLSA query to.",
         .more = "ADDRESS or ADDRESS@PORT, instead of the servers of "
                 "resolv_conf (which has no port); the DNS checks of "
                 "[policy] and [mailauth] ask it too.  With tls = dane ferry "
                 "validates the answers itself, so the server must pass DNSSEC "
                 "records on.",
         .example = "127.0.0.1@5353"},
        {.section = "relay",
         .key = "dns_timeout",
         .type = OPT_DURATION,
         .offset = CFG(relay_dns_timeout),
         .def = "1m",
         .doc = "Time one destination's DNS lookup may take.",
         .more = "The MX records and the addresses of every MX host "
                 "together.  A lookup that takes longer, like one answered "
                 "SERVFAIL or garbage, defers the mail (4.4.3) to the next "
                 "retry.  The MTA-STS TXT lookup before it (mta_sts) gets "
                 "as long again; one that runs out counts as no answer "
                 "(a valid cached policy still holds).",
         .example = "20s"},
        {.section = "relay",
         .key = "tls_required_domains",
         .type = OPT_STRING,
         .offset = CFG(relay_tls_required),
         .def_text = "none",
         .doc = "Destinations that get mail only over TLS.",
         .more = "A comma-separated list of domains (no spaces).  Mail for "
                 "them is deferred, not sent in clear, when the server offers "
                 "no STARTTLS or the handshake fails.",
         .example = "bank.example,partner.example"},
        {.section = "relay",
         .key = "tls_report",
         .type = OPT_BOOL,
         .offset = CFG(relay_tls_report),
         .def = "yes",
         .doc = "Send the daily SMTP TLS reports (RFC 8460).",
         .more = "Once a day (tls_report_hour), for every domain whose DANE "
                 "or MTA-STS policy governed mail the day before, ferry looks "
                 "up _smtp._tls.DOMAIN (v=TLSRPTv1; rua=...) and mails the "
                 "day's report to its mailto addresses through its own queue "
                 "(DKIM-signed when [dkim] has a key for the From domain) "
                 "and, with tls_report_https, posts it to its https ones.  "
                 "A report goes out once per domain and day, also across "
                 "restarts.  `ferry tls-report --send` sends one now.",
         .example = "no"},
        {.section = "relay",
         .key = "tls_report_hour",
         .type = OPT_INT,
         .offset = CFG(relay_tls_report_hour),
         .def = "1",
         .min = 0,
         .max = 23,
         .doc = "Hour (UTC) the reports of the day before are sent.",
         .example = "4"},
        {.section = "relay",
         .key = "tls_report_from",
         .type = OPT_STRING,
         .offset = CFG(relay_tls_report_from),
         .def_text = "postmaster@ the server's hostname",
         .doc = "From and envelope sender of the TLS reports.",
         .more = "Also the contact-info of the report.  RFC 8460 s5.3 wants "
                 "reports DKIM-signed by the reporting domain: give [dkim] a "
                 "key for this address's domain.",
         .example = "tlsrpt@example.org"},
        {.section = "relay",
         .key = "tls_report_https",
         .type = OPT_BOOL,
         .offset = CFG(relay_tls_report_https),
         .def = "yes",
         .doc = "Also POST reports to https rua URLs.",
         .more = "As application/tlsrpt+gzip, over TLS whose certificate "
                 "verifies with mta_sts_ca_file (the system's CAs by "
                 "default) and names the URL's host.",
         .example = "no"},
        {.section = "relay",
         .key = "tls_report_keep",
         .type = OPT_DURATION,
         .offset = CFG(relay_tls_report_keep),
         .def = "14d",
         .doc = "How long the TLS report records are kept.",
         .more = "Records of older days (spool_dir/tls-rpt) are removed; a "
                 "day not yet reported when the daemon was down is sent "
                 "late while it is kept.  Less than 2d counts as 2d.",
         .example = "30d"},
        {.section = "relay",
         .key = "max_recipients",
         .type = OPT_INT,
         .offset = CFG(relay_max_rcpt),
         .def = "50",
         .min = 1,
         .max = 1000,
         .doc = "Recipients sent in one outbound transaction.",
         .example = "100"},
        {.section = "relay",
         .key = "destination_concurrency",
         .type = OPT_INT,
         .offset = CFG(relay_dest_concurrency),
         .def = "20",
         .min = 1,
         .max = 100,
         .doc = "Connections open at once to one destination domain, at most.",
         .more = "A destination starts at destination_concurrency_initial "
                 "connections and gains one for every as many transactions "
                 "delivered as it has connections while mail waits for one "
                 "(slow start, as Postfix "
                 "does).  When a new connection is refused or greeted with "
                 "a 4xx reply while others to the same destination are "
                 "open, the destination's limit drops to the connections that "
                 "work, where it stays for a minute before slow start "
                 "tries one more, and the "
                 "recipients wait for one of the open connections, neither "
                 "deferred nor held back; refused with no other connection "
                 "open, they are deferred as before.",
         .example = "5"},
        {.section = "relay",
         .key = "destination_concurrency_initial",
         .type = OPT_INT,
         .offset = CFG(relay_dest_initial),
         .def = "5",
         .min = 1,
         .max = 100,
         .doc = "Connections a destination starts with (slow start).",
         .more = "Never more than destination_concurrency.",
         .example = "2"},
        {.section = "relay",
         .key = "destination_rate",
         .type = OPT_INT,
         .offset = CFG(relay_dest_rate),
         .def = "0",
         .max = 100000,
         .doc = "Messages per minute to one destination; 0: no limit.",
         .more = "A rate-limit reply (421 4.7.0, 450 4.2.1, 451 4.7.1 with "
                 "rate wording) also slows the destination down for a while.",
         .example = "60"},
        {.section = "relay",
         .key = "retry_min",
         .type = OPT_DURATION,
         .offset = CFG(relay_retry_min),
         .def = "5m",
         .doc = "First retry after a temporary failure.",
         .more = "Each later retry waits twice as long, up to retry_max.",
         .example = "1m"},
        {.section = "relay",
         .key = "retry_max",
         .type = OPT_DURATION,
         .offset = CFG(relay_retry_max),
         .def = "1h",
         .doc = "Longest wait between two retries.",
         .example = "4h"},
        {.section = "relay",
         .key = "delay_warning",
         .type = OPT_DURATION,
         .offset = CFG(relay_delay_warning),
         .def = "4h",
         .doc = "Send a \"delayed\" report after this long.",
         .more = "Only to senders that asked for it with NOTIFY=DELAY.",
         .example = "2h"},
        {.section = "relay",
         .key = "max_queue_lifetime",
         .type = OPT_DURATION,
         .offset = CFG(relay_max_lifetime),
         .def = "5d",
         .doc = "Give up and bounce (4.4.7) after this long.",
         .example = "3d"},
        {.section = "relay",
         .key = "connect_timeout",
         .type = OPT_DURATION,
         .offset = CFG(relay_timeout_connect),
         .def = "5m",
         .doc = "Time to connect and receive the greeting.",
         .more = "RFC 5321 s4.5.3.2 suggests 5 minutes for the greeting.",
         .example = "1m"},
        {.section = "relay",
         .key = "port",
         .type = OPT_INT,
         .offset = CFG(relay_port),
         .def = "25",
         .min = 1,
         .max = 65535,
         .doc = "Port of MX hosts.",
         .example = "2525"},
        {.section = "relay",
         .key = "connection_cache_time",
         .type = OPT_DURATION,
         .offset = CFG(relay_conn_cache_time),
         .def = "2s",
         .doc = "How long an idle connection waits for the next message.",
         .more = "After a transaction the connection to that server stays open "
                 "this long, so that the next message for it skips connect, "
                 "greeting, EHLO, STARTTLS and AUTH.  At most "
                 "destination_concurrency connections per server wait; 0 "
                 "closes every connection after its transaction.",
         .example = "0"},
        {.section = "relay",
         .key = "connection_reuse_limit",
         .type = OPT_DURATION,
         .offset = CFG(relay_conn_reuse_limit),
         .def = "5m",
         .doc = "Age after which a connection is not reused.",
         .more = "Spreads mail over a destination's MX hosts again and picks "
                 "up DNS changes.",
         .example = "10m"},
        /* [limits] */
        {.section = "limits",
         .key = "max_message_size",
         .type = OPT_SIZE,
         .offset = CFG(max_message_size),
         .def = "25M",
         .doc = "Largest message accepted, in octets.",
         .more = "Advertised in the EHLO SIZE keyword; larger messages are "
                 "refused with 552 5.3.4.  Suffixes K, M and G multiply by "
                 "1024, 1024^2 and 1024^3.",
         .example = "50M"},
        {.section = "limits",
         .key = "max_recipients",
         .type = OPT_INT,
         .offset = CFG(max_recipients),
         .def = "100",
         .min = 1,
         .max = 100000,
         .doc = "Recipients accepted in one transaction.",
         .more = "Further RCPT commands get 452 4.5.3, which tells the client "
                 "to send the rest in another transaction (RFC 5321 s4.5.3.1.8 "
                 "requires at least 100).",
         .example = "1000"},
        {.section = "limits",
         .key = "max_errors",
         .type = OPT_INT,
         .offset = CFG(max_errors),
         .def = "10",
         .min = 1,
         .max = 1000,
         .doc = "Bad commands tolerated before the connection is closed.",
         .more = "After this many errors in one session ferry answers 421 "
                 "4.7.0 and disconnects.",
         .example = "20"},
        {.section = "limits",
         .key = "max_rejected_recipients",
         .type = OPT_INT,
         .offset = CFG(max_rejected_recipients),
         .def = "20",
         .min = 1,
         .max = 100000,
         .doc = "Refused recipients tolerated between two accepted messages.",
         .more = "Each RCPT refused with a 5xx reply (unknown user, disabled "
                 "mailbox, relay denied) counts; at this many ferry "
                 "answers 421 4.7.0 and disconnects, so guessing addresses "
                 "costs a "
                 "connection every few guesses.  The count starts again after "
                 "each accepted message, like Postfix's "
                 "smtpd_hard_error_limit.  Syntax errors count toward "
                 "max_errors instead.",
         .example = "50"},
        {.section = "limits",
         .key = "max_received_headers",
         .type = OPT_INT,
         .offset = CFG(max_received_headers),
         .def = "50",
         .min = 1,
         .max = 1000,
         .doc = "Received: fields after which a message is a loop.",
         .more = "A message carrying more Received: header fields than this is "
                 "refused with 554 5.4.6 (mail loop).",
         .example = "100"},
        /* [timeouts] */
        {.section = "timeouts",
         .key = "command",
         .type = OPT_DURATION,
         .offset = CFG(timeout_command),
         .def = "5m",
         .doc = "Time a client may take to send its next command.",
         .more = "RFC 5321 s4.5.3.2 asks for at least 5 minutes.  A duration "
                 "is a number with the suffix s, m, h or d; a bare number "
                 "means seconds.",
         .example = "10m"},
        {.section = "timeouts",
         .key = "command_line",
         .type = OPT_DURATION,
         .offset = CFG(timeout_command_line),
         .def = "1m",
         .doc = "Time a client may take to send one whole command line.",
         .more = "Counted from the line's first octet, however the rest "
                 "trickles in: command measures silence only, so without this "
                 "a client sending a byte now and then would hold its "
                 "connection slot forever.  Over it: 421 4.4.2 and the "
                 "connection is closed.",
         .example = "30s"},
        {.section = "timeouts",
         .key = "tls_handshake",
         .type = OPT_DURATION,
         .offset = CFG(timeout_tls_handshake),
         .def = "30s",
         .doc = "Time a client may take to complete its TLS handshake.",
         .more = "Counted from the connection on the submissions port and from "
                 "the 220 to STARTTLS elsewhere; a client that connects and "
                 "never starts the handshake is disconnected after it.",
         .example = "10s"},
        {.section = "timeouts",
         .key = "data_block",
         .type = OPT_DURATION,
         .offset = CFG(timeout_data_block),
         .def = "3m",
         .doc = "Time between two blocks of message data.",
         .more = "RFC 5321 s4.5.3.2 asks for at least 3 minutes.",
         .example = "5m"},
        {.section = "timeouts",
         .key = "data_end",
         .type = OPT_DURATION,
         .offset = CFG(timeout_data_end),
         .def = "10m",
         .doc = "Time allowed to make a message durable after its final dot.",
         .more = "This bounds how long ferry itself may take before it answers "
                 "the end of data; RFC 5321 s4.5.3.2 gives clients 10 minutes "
                 "to wait for it.",
         .example = "10m"},
        /* [queue] */
        {.section = "queue",
         .key = "spool_dir",
         .type = OPT_PATH,
         .offset = CFG(spool_dir),
         .def = "/var/spool/ferry",
         .doc = "Directory holding the queue of accepted messages.",
         .more = "Created if missing.  It should live on the file system it is "
                 "synced on, since a message is only acknowledged once it is "
                 "durable there.",
         .example = "/var/spool/ferry"},
        {.section = "queue",
         .key = "sync_mode",
         .type = OPT_ENUM,
         .offset = CFG(sync_mode),
         .def = "syncfs",
         .values = sync_values,
         .doc = "How accepted messages are made durable.",
         .more = "syncfs commits a batch of messages with one syncfs(2) of the "
                 "spool file system; fsync calls fsync(2) on every file and "
                 "its directory, which is slower but does not wait for "
                 "unrelated writes to the same file system.",
         .example = "fsync"},
        {.section = "queue",
         .key = "commit_batch_max",
         .type = OPT_INT,
         .offset = CFG(commit_batch_max),
         .def = "256",
         .min = 1,
         .max = 65536,
         .doc = "Most messages made durable by one commit.",
         .example = "64"},
        {.section = "queue",
         .key = "commit_delay_ms",
         .type = OPT_INT,
         .offset = CFG(commit_delay_ms),
         .def = "0",
         .max = 1000,
         .doc = "Milliseconds a commit waits for messages still being "
                "received.",
         .more = "0 (the default) syncs what has arrived as soon as the "
                 "previous sync is done; what arrives during a sync shares "
                 "the next one.  Above 0, while other messages are in "
                 "DATA, the commit thread waits up to this long for them "
                 "to join the same sync: fewer syncs, each message later.",
         .example = "1"},
        {.section = "queue",
         .key = "direct_delivery",
         .type = OPT_BOOL,
         .offset = CFG(direct_delivery),
         .def = "on",
         .doc = "Write mail whose every recipient has a Maildir here "
                "straight into the Maildirs, before the 250.",
         .more = "The message is not written to the queue: its copies are "
                 "made durable (the same sync_mode) and only then does "
                 "the client hear 250, with a queue id as usual.  Mail "
                 "with any other recipient (relayed, LMTP), with more "
                 "than 10 recipients, asking for a success notice, on "
                 "hold, or larger than 128 KB goes through the queue, "
                 "and so does any recipient whose Maildir cannot be "
                 "written at once: it is retried from the queue.  "
                 "Bounces and notices are always queued.  off queues "
                 "all mail first.",
         .example = "off"},
        {.section = "queue",
         .key = "min_free_space",
         .type = OPT_SIZE,
         .offset = CFG(min_free_space),
         .def = "100M",
         .doc = "Free space the spool keeps in reserve.",
         .more = "Below it, new transactions are refused with 452 4.3.1 until "
                 "space is freed. The free space is read at most every "
                 "100 ms (and at once after a write failed for lack of "
                 "space); a disk that fills completely fails the commit "
                 "with 452 4.3.1, never after a 250.",
         .example = "1G"},
        /* [policy] */
        {.section = "policy",
         .key = "state",
         .type = OPT_ENUM,
         .offset = CFG(policy.state),
         .def = "embedded",
         .values = state_values,
         .doc = "Where counters and the greylist are kept.",
         .more = "embedded keeps them in the process and saves them to "
                 "state_file, so a restart does not reset daily quotas or the "
                 "greylist; redis keeps them in the Redis server at "
                 "redis_server, shared by every ferry node that uses it.",
         .example = "redis"},
        {.section = "policy",
         .key = "redis_server",
         .type = OPT_HOP,
         .offset = CFG(policy.redis_server),
         .def = "127.0.0.1:6379",
         .doc = "The Redis server of state = redis.",
         .more = "ADDRESS:PORT, numeric (IPv6 as [::1]:6379).  ferry connects "
                 "at start and reconnects by itself (once a second) when the "
                 "connection is lost.  Without redis_tls the connection is not "
                 "encrypted: keep Redis on loopback or a private network.",
         .example = "10.0.0.5:6379"},
        {.section = "policy",
         .key = "redis_socket",
         .type = OPT_PATH,
         .offset = CFG(policy.redis_socket),
         .def_text = "none",
         .doc = "Unix socket of the Redis server, instead of redis_server.",
         .more = "Redis' unixsocket; the socket must be writable by the user "
                 "ferry runs as.",
         .example = "/run/redis/redis-server.sock"},
        {.section = "policy",
         .key = "redis_username",
         .type = OPT_STRING,
         .offset = CFG(policy.redis_username),
         .def_text = "none",
         .doc = "Redis ACL user sent with AUTH (Redis 6 and later).",
         .more = "Only with redis_password; without it AUTH names the default "
                 "user.",
         .example = "ferry"},
        {.section = "policy",
         .key = "redis_password",
         .type = OPT_STRING,
         .offset = CFG(policy.redis_password),
         .def_text = "none",
         .doc = "Password sent with AUTH after connecting to Redis.",
         .more = "No question is asked before Redis accepts it; a refused AUTH "
                 "is logged and retried once a second, and meanwhile "
                 "redis_fail applies.  Keep the configuration file readable by "
                 "root only when set.",
         .example = "s3cret"},
        {.section = "policy",
         .key = "redis_tls",
         .type = OPT_BOOL,
         .offset = CFG(policy.redis_tls),
         .def = "no",
         .doc = "Talk to Redis over TLS.",
         .more = "TLS 1.2 or later.  The server's certificate must chain to "
                 "redis_tls_ca_file and name redis_tls_server_name (or the "
                 "address of redis_server); otherwise nothing is sent, the "
                 "reason is logged and redis_fail applies.  Redis' tls-port, "
                 "not its port.",
         .example = "yes"},
        {.section = "policy",
         .key = "redis_tls_ca_file",
         .type = OPT_PATH,
         .offset = CFG(policy.redis_tls_ca_file),
         .def_text = "the system's CA certificates",
         .doc = "CA certificates the Redis server's certificate is verified "
                "with.",
         .more = "PEM file, such as the one given to Redis as "
                 "tls-ca-cert-file.",
         .example = "/etc/ferry/redis-ca.pem"},
        {.section = "policy",
         .key = "redis_tls_cert_file",
         .type = OPT_PATH,
         .offset = CFG(policy.redis_tls_cert_file),
         .def_text = "none",
         .doc = "Client certificate presented to Redis.",
         .more = "PEM, with its chain.  Redis asks for one unless started with "
                 "tls-auth-clients no.",
         .example = "/etc/ferry/redis-client.pem"},
        {.section = "policy",
         .key = "redis_tls_key_file",
         .type = OPT_PATH,
         .offset = CFG(policy.redis_tls_key_file),
         .def_text = "redis_tls_cert_file",
         .doc = "Key of redis_tls_cert_file.",
         .more = "Read after ferry serve dropped its privileges: it must be "
                 "readable by the user ferry runs as.",
         .example = "/etc/ferry/redis-client.key"},
        {.section = "policy",
         .key = "redis_tls_server_name",
         .type = OPT_STRING,
         .offset = CFG(policy.redis_tls_server_name),
         .def_text = "the address of redis_server",
         .doc = "Name the Redis server's certificate must carry.",
         .more = "Also sent as SNI.  A host name or an address; with "
                 "redis_socket and no name, only the chain is checked.",
         .example = "redis.example.net"},
        {.section = "policy",
         .key = "redis_prefix",
         .type = OPT_STRING,
         .offset = CFG(policy.redis_prefix),
         .def = "ferry:",
         .doc = "Prefix of every Redis key ferry writes.",
         .more = "Nodes that share limits must use the same prefix.",
         .example = "mx:"},
        {.section = "policy",
         .key = "redis_timeout_ms",
         .type = OPT_INT,
         .offset = CFG(policy.redis_timeout_ms),
         .def = "500",
         .min = 1,
         .max = 60000,
         .doc = "Milliseconds to wait for a Redis answer.",
         .more = "A later answer is ignored and the question is treated as "
                 "failed (redis_fail).",
         .example = "200"},
        {.section = "policy",
         .key = "redis_fail",
         .type = OPT_ENUM,
         .offset = CFG(policy.redis_fail),
         .def = "open",
         .values = fail_values,
         .doc = "What a rule does when Redis cannot answer.",
         .more = "open lets the client through as if the rule passed; closed "
                 "answers 451 4.3.0 (421 4.3.0 at connect).  Either way the "
                 "failure is logged.",
         .example = "closed"},
        {.section = "policy",
         .key = "state_file",
         .type = OPT_PATH,
         .offset = CFG(policy.state_file),
         .def_text = "<spool_dir>/policy.state",
         .doc = "File the embedded state is saved to.",
         .more = "Written every state_save_interval and at shutdown (a new "
                 "file, synced, then renamed), read at start.",
         .example = "/var/lib/ferry/policy.state"},
        {.section = "policy",
         .key = "state_save_interval",
         .type = OPT_DURATION,
         .offset = CFG(policy.state_save_interval),
         .def = "1m",
         .doc = "How often the embedded state is saved.",
         .more = "After a crash the counts of at most this long are lost; a "
                 "clean shutdown loses nothing.",
         .example = "30s"},
        {.section = "policy",
         .key = "test_clock",
         .type = OPT_BOOL,
         .offset = CFG(policy.test_clock),
         .def = "no",
         .doc = "Let the control socket move the policy clock forward.",
         .more = "For tests only: POLICY-CLOCK SECONDS on the control socket "
                 "adds to the time the rules see, so windows and greylisting "
                 "delays pass without waiting.",
         .example = "yes"},
        {.section = "policy",
         .key = "exempt_networks",
         .type = OPT_NETS,
         .offset = CFG(policy.exempt_networks),
         .def = "127.0.0.0/8, ::1/128",
         .repeatable = true,
         .doc = "Clients that are not checked as strangers.",
         .more = "HELO checks, reverse DNS and greylisting do not apply to "
                 "them.  It does not let them relay: that is [relay] "
                 "trusted_networks.  Called trusted_networks before; none: no "
                 "network is exempt.",
         .example = "127.0.0.0/8, 192.0.2.0/24"},
        {.section = "policy",
         .key = "max_recipients_submission",
         .type = OPT_INT,
         .offset = CFG(policy.max_recipients_submission),
         .def = "100",
         .min = 1,
         .max = 100000,
         .doc = "Recipients accepted in one transaction on the submission "
                "ports.",
         .more = "Like [limits] max_recipients, for the submission and "
                 "submissions listeners; 452 4.5.3 Error: too many recipients "
                 "beyond it, advertised as LIMITS RCPTMAX.",
         .example = "60"},
        {.section = "policy",
         .key = "user_max_recipients",
         .type = OPT_USER_INT,
         .offset = 0,
         .def_text = "none",
         .min = 1,
         .max = 100000,
         .repeatable = true,
         .doc = "Recipients per transaction for one authenticated user.",
         .more = "LOGIN: N; replaces the listener's limit for that user after "
                 "AUTH.",
         .example = "alice: 35"},
        {.section = "policy",
         .key = "max_conn_client",
         .type = OPT_INT,
         .offset = CFG(policy.max_conn_client),
         .def = "0",
         .max = 100000,
         .doc = "Simultaneous connections from one client address (0: no "
                "limit).",
         .more = "IPv6 clients count by /64.  Beyond it: 421 4.7.0 Too many "
                 "concurrent SMTP connections from this IP address, and the "
                 "connection is closed.",
         .example = "10"},
        {.section = "policy",
         .key = "conn_rate_client",
         .type = OPT_RATES,
         .offset = CFG(policy.conn_rate_client),
         .def_text = "off",
         .doc = "Connections per client address per time window.",
         .more = "COUNT/DURATION items, as 30/1m, 500/1h; IPv6 by /64.  Beyond "
                 "it: 421 4.7.0 Try again later, closing connection.",
         .example = "30/1m"},
        {.section = "policy",
         .key = "rate_client",
         .type = OPT_RATES,
         .offset = CFG(policy.rate_client),
         .def_text = "off",
         .doc = "Recipients accepted from one client address per window.",
         .more = "Every recipient counts, as providers count Cc and Bcc.  "
                 "Windows under an hour answer 451 4.7.1 (try later); hourly "
                 "and daily windows answer the quota replies 550 5.4.6.",
         .example = "120/1m"},
        {.section = "policy",
         .key = "rate_sender",
         .type = OPT_RATES,
         .offset = CFG(policy.rate_sender),
         .def_text = "off",
         .doc = "Recipients per envelope sender per window.",
         .more = "As rate_client, keyed by the MAIL FROM address.",
         .example = "60/1m, 500/1h"},
        {.section = "policy",
         .key = "rate_sender_domain",
         .type = OPT_RATES,
         .offset = CFG(policy.rate_sender_domain),
         .def_text = "off",
         .doc = "Recipients per sender domain per window.",
         .more = "Hourly and daily windows answer 550 5.4.5 Hourly (Daily) "
                 "domain sending quota exceeded.",
         .example = "2000/1h"},
        {.section = "policy",
         .key = "rate_user",
         .type = OPT_RATES,
         .offset = CFG(policy.rate_user),
         .def_text = "off",
         .doc = "Recipients per authenticated user per window.",
         .more = "As rate_client, keyed by the AUTH login.",
         .example = "60/1m, 1000/1d"},
        {.section = "policy",
         .key = "rate_recipient",
         .type = OPT_RATES,
         .offset = CFG(policy.rate_recipient),
         .def_text = "off",
         .doc = "Messages one local recipient receives per window.",
         .more = "Beyond it: 450 4.2.1 The user you are trying to contact is "
                 "receiving mail too quickly.",
         .example = "100/1m"},
        {.section = "policy",
         .key = "rate_recipient_reply",
         .type = OPT_ENUM,
         .offset = CFG(policy.rate_recipient_reply),
         .def = "too-quickly",
         .values = rcpt_rate_values,
         .doc = "How rate_recipient words its refusal.",
         .more = "too-quickly: Gmail's 450 4.2.1 The user you are trying to "
                 "contact is receiving mail too quickly; quota: the hosting "
                 "provider's 450 4.7.1 Recipient address rejected: Policy "
                 "Rejection- Quota Exceeded (seed 004).",
         .example = "quota"},
        {.section = "policy",
         .key = "quota_reply",
         .type = OPT_ENUM,
         .offset = CFG(policy.quota_reply),
         .def = "full",
         .values = quota_reply_values,
         .doc = "How a full mailbox is refused at RCPT.",
         .more = "full: 552 5.2.2 <RCPT>: Recipient address rejected: Mailbox "
                 "full; temporary: 452 4.2.2 with the same text, so that the "
                 "sender retries while the owner makes room.",
         .example = "temporary"},
        {.section = "policy",
         .key = "helo_checks",
         .type = OPT_BOOL,
         .offset = CFG(policy.helo_checks),
         .def = "no",
         .doc = "Refuse a HELO/EHLO name that lies.",
         .more = "A client outside exempt_networks that says localhost (or "
                 "localhost.localdomain) gets 550 5.7.1 Helo command rejected: "
                 "You aren't localhost; one that claims this server's "
                 "hostname, one of its domains or a loopback literal gets ... "
                 "You are not me.",
         .example = "yes"},
        {.section = "policy",
         .key = "access_client",
         .type = OPT_NETS,
         .offset = CFG(policy.access_client),
         .def_text = "none",
         .repeatable = true,
         .doc = "Client networks refused.",
         .more = "Refused at connect with 554 5.7.1 Client host rejected: "
                 "Access denied.",
         .example = "198.51.100.0/24"},
        {.section = "policy",
         .key = "access_sender",
         .type = OPT_ADDRS,
         .offset = CFG(policy.access_sender),
         .def_text = "none",
         .repeatable = true,
         .doc = "Senders refused.",
         .more = "Addresses or @domain; MAIL FROM them gets 554 5.7.1 Sender "
                 "address rejected: Access denied.",
         .example = "spam@example.net, @junk.example"},
        {.section = "policy",
         .key = "access_recipient",
         .type = OPT_ADDRS,
         .offset = CFG(policy.access_recipient),
         .def_text = "none",
         .repeatable = true,
         .doc = "Recipients refused.",
         .more = "Addresses or @domain; RCPT TO them gets 450 4.7.1 Recipient "
                 "address rejected: Access denied.",
         .example = "old@example.org"},
        {.section = "policy",
         .key = "reverse_dns",
         .type = OPT_ENUM,
         .offset = CFG(policy.reverse_dns),
         .def = "off",
         .values = rdns_values,
         .doc = "Require a client's reverse DNS.",
         .more = "ptr: its address must have a PTR record; fcrdns: a name of "
                 "the PTR must also resolve back to the address "
                 "(forward-confirmed).  Otherwise each recipient gets 450 "
                 "4.7.1 Client host rejected: cannot find your reverse "
                 "hostname.  exempt_networks and authenticated clients are not "
                 "checked.",
         .example = "fcrdns"},
        {.section = "policy",
         .key = "dnsbl",
         .type = OPT_DNSLISTS,
         .offset = CFG(policy.dnsbl),
         .def_text = "none",
         .repeatable = true,
         .doc = "DNS block lists asked about clients.",
         .more = "ZONE, or ZONE=ADDRESS|ADDRESS to count only those answers (a "
                 "list's return codes).  A listed client gets 554 5.7.1 "
                 "Service unavailable; Client host [IP] blocked using ZONE for "
                 "every recipient.",
         .example = "zen.spamhaus.org=127.0.0.2|127.0.0.3|127.0.0.4"},
        {.section = "policy",
         .key = "dnswl",
         .type = OPT_DNSLISTS,
         .offset = CFG(policy.dnswl),
         .def_text = "none",
         .repeatable = true,
         .doc = "DNS allow lists asked about clients.",
         .more = "A listed client skips dnsbl, reverse_dns and greylisting.",
         .example = "list.dnswl.org"},
        {.section = "policy",
         .key = "sender_domain_check",
         .type = OPT_BOOL,
         .offset = CFG(policy.sender_domain_check),
         .def = "no",
         .doc = "Refuse senders whose domain has no MX or address.",
         .more = "A domain that does not exist (NXDOMAIN) gets 553 5.1.8, one "
                 "without MX, A or AAAA records, or a failed lookup, 450 4.1.8 "
                 "Sender address rejected: Domain not found.",
         .example = "yes"},
        {.section = "policy",
         .key = "dns_timeout_ms",
         .type = OPT_INT,
         .offset = CFG(policy.dns_timeout_ms),
         .def = "5000",
         .min = 1,
         .max = 60000,
         .doc = "Milliseconds a DNS check may take.",
         .more = "The policy's lookups use the name servers and local data of "
                 "[relay] resolv_conf and dns_local_data.  A check that times "
                 "out counts as a temporary failure.",
         .example = "2000"},
        {.section = "policy",
         .key = "greylist",
         .type = OPT_BOOL,
         .offset = CFG(policy.greylist),
         .def = "no",
         .doc = "Greylist unknown (network, sender, recipient) triplets.",
         .more = "A first attempt gets 451 4.7.1 Greylisted; a retry after "
                 "greylist_delay and within greylist_retry_window passes.  "
                 "Authenticated clients and exempt_networks are never "
                 "greylisted.  The network is the /24 (IPv4) or /64 (IPv6).",
         .example = "yes"},
        {.section = "policy",
         .key = "greylist_delay",
         .type = OPT_DURATION,
         .offset = CFG(policy.greylist_delay),
         .def = "5m",
         .doc = "Time before a greylisted retry is accepted.",
         .example = "2m"},
        {.section = "policy",
         .key = "greylist_retry_window",
         .type = OPT_DURATION,
         .offset = CFG(policy.greylist_retry_window),
         .def = "1d",
         .doc = "How long a first attempt is remembered.",
         .more = "A retry later than this starts over.",
         .example = "12h"},
        {.section = "policy",
         .key = "greylist_expire",
         .type = OPT_DURATION,
         .offset = CFG(policy.greylist_expire),
         .def = "35d",
         .doc = "How long a passed triplet stays allowed after its last use.",
         .example = "60d"},
        {.section = "policy",
         .key = "greylist_auto_allow",
         .type = OPT_INT,
         .offset = CFG(policy.greylist_auto_allow),
         .def = "5",
         .max = 1000,
         .doc = "Passed triplets after which a network is not greylisted.",
         .more = "0 turns the auto-allow off.  The network stays allowed for "
                 "greylist_expire after its last pass.",
         .example = "10"},
        {.section = "policy",
         .key = "exempt",
         .type = OPT_EXEMPT,
         .offset = 0,
         .def_text = "none",
         .repeatable = true,
         .doc = "Who one rule does not apply to.",
         .more = "RULE: ITEM, ITEM where an item is a network (CIDR), @domain "
                 "(the sender's domain), user:LOGIN, or authenticated.  Rules: "
                 "access_client, max_conn_client, conn_rate_client, helo, "
                 "access_sender, access_recipient, greylist, rate_client, "
                 "rate_sender, rate_sender_domain, rate_user, rate_recipient, "
                 "dnsbl, reverse_dns, sender_domain.",
         .example = "rate_client: 192.0.2.0/24, user:newsletter"},
        /* [milter] */
        {.section = "milter",
         .key = "smtp",
         .type = OPT_STRING,
         .offset = CFG(milter_smtp),
         .def_text = "none",
         .doc = "Milters (content filters) for mail on the listen ports.",
         .more = "A comma-separated list without spaces, asked in order once a "
                 "message is complete: unix:/PATH or inet:ADDRESS:PORT (also "
                 "inet:PORT@ADDRESS, as Sendmail writes it).  OpenDKIM, rspamd "
                 "and ClamAV's clamav-milter speak this protocol (version 6).  "
                 "See docs/milter.md.",
         .example = "inet:127.0.0.1:11332"},
        {.section = "milter",
         .key = "submission",
         .type = OPT_STRING,
         .offset = CFG(milter_submission),
         .def_text = "none",
         .doc = "Milters for mail on the submission and submissions ports.",
         .more = "As smtp; a DKIM signer goes here.",
         .example = "inet:127.0.0.1:8891"},
        {.section = "milter",
         .key = "timeout",
         .type = OPT_DURATION,
         .offset = CFG(milter_timeout),
         .def = "30s",
         .doc = "Time a milter may take to connect or to answer one step.",
         .more = "A milter that does not answer in time gets default_action.",
         .example = "10s"},
        {.section = "milter",
         .key = "default_action",
         .type = OPT_ENUM,
         .offset = CFG(milter_default_action),
         .def = "tempfail",
         .values = milter_default_values,
         .doc = "What happens when a milter is down, too slow or misbehaves.",
         .more = "tempfail refuses the message with 451 4.7.1 so that the "
                 "client tries again later; accept goes on without that "
                 "milter.",
         .example = "accept"},
        /* [metrics] */
        {.section = "metrics",
         .key = "listen",
         .type = OPT_HOP,
         .offset = CFG(metrics_listen),
         .def_text = "none",
         .doc = "Where Prometheus scrapes /metrics (loopback only).",
         .more = "ADDRESS:PORT on 127.0.0.1 or [::1]; off when unset.  "
                 "Counters of connections, sessions, messages by reply, "
                 "deliveries, relay connections, TLS handshakes, the queue's "
                 "size and age and a histogram of commit latency, in the "
                 "Prometheus text format.  See docs/metrics.md.",
         .example = "127.0.0.1:9125"},
        /* [domain NAME] */
        /* [dkim] (docs/mail-auth.md) */
        {.section = "dkim",
         .key = "key_dir",
         .type = OPT_PATH,
         .offset = CFG(dkim_key_dir),
         .def_text = "none",
         .doc = "Directory of the DKIM signing keys.",
         .more = "Keys are DIR/DOMAIN/SELECTOR.pem, RSA or Ed25519, as written "
                 "by ferry dkim keygen; they are read once at start, before "
                 "the server drops privileges.  Outbound mail whose From "
                 "domain (or a parent of it) has keys is signed with each of "
                 "them when it was submitted with AUTH, came from ferry "
                 "sendmail, came from a client in sign_networks, or is a "
                 "report ferry generates; relayed inbound mail is never "
                 "signed.",
         .example = "/etc/ferry/dkim"},
        {.section = "dkim",
         .key = "sign_networks",
         .type = OPT_STRING,
         .offset = CFG(dkim_sign_networks),
         .def_text = "none",
         .doc = "Clients whose mail is signed without AUTH.",
         .more = "A comma-separated list of IPv4 or IPv6 networks in CIDR "
                 "notation (no spaces), such as the web servers that hand mail "
                 "to ferry on port 25.",
         .example = "192.0.2.0/24,2001:db8::/32"},
        /* [mailauth] (docs/mail-auth.md) */
        {.section = "mailauth",
         .key = "verify",
         .type = OPT_BOOL,
         .offset = CFG(mailauth_verify),
         .def = "no",
         .doc = "Check SPF, DKIM and DMARC of mail that arrives on port 25.",
         .more = "SPF (RFC 7208) of the MAIL FROM domain, or of the HELO name "
                 "for a null sender or a domain without SPF, is checked at "
                 "MAIL; every DKIM signature "
                 "(up to 5), the ARC chain (RFC 8617, up to 10 sets) and the "
                 "From domain's DMARC policy (RFC 7489) at "
                 "the end of DATA.  The results go into one "
                 "Authentication-Results field on top of the message.  Mail "
                 "from authenticated clients (AUTH) is not checked.  DNS goes "
                 "through the resolver of delivery ([relay] resolv_conf, "
                 "dns_local_data).",
         .example = "yes"},
        {.section = "mailauth",
         .key = "authserv_id",
         .type = OPT_STRING,
         .offset = CFG(mailauth_authserv_id),
         .def_text = "the hostname",
         .doc = "The name in ferry's Authentication-Results fields.",
         .more = "Authentication-Results fields that arrive with this name are "
                 "removed before ferry adds its own (RFC 8601 s5), so a reader "
                 "that trusts the name trusts only ferry.",
         .example = "mx.example.org"},
        {.section = "mailauth",
         .key = "enforce",
         .type = OPT_ENUM,
         .offset = CFG(mailauth_enforce),
         .def = "record",
         .values = enforce_values,
         .doc = "Act on the results, or only record them.",
         .more = "record adds the Authentication-Results field and refuses "
                 "nothing.  enforce refuses an SPF fail with 550 5.7.23 at "
                 "RCPT, a DMARC fail under p=reject with 550 5.7.26 after "
                 "DATA, delivers a DMARC fail under p=quarantine to the Junk "
                 "folder of the Maildir (when it has one) with "
                 "X-Ferry-Quarantine, and answers DNS trouble with 451 4.7.24 "
                 "(SPF) or 451 4.7.26 (DMARC).  [domain] mailauth_enforce "
                 "overrides it for one recipient domain.",
         .example = "enforce"},
        {.section = "mailauth",
         .key = "dns_timeout",
         .type = OPT_DURATION,
         .offset = CFG(mailauth_dns_timeout),
         .def = "20s",
         .doc = "Time the SPF check, and the DKIM and DMARC checks, may take.",
         .more = "The SPF check at MAIL and the DKIM and DMARC checks after "
                 "DATA each get this long (RFC 7208 s4.6.4 asks for at least "
                 "20 seconds); a check that runs out of time is a temperror: "
                 "recorded as such, or, under enforce, a temporary refusal "
                 "(enhanced code 4.7.24 for SPF, 4.7.26 for DMARC).",
         .example = "10s"},
        {.section = "mailauth",
         .key = "public_suffix_list",
         .type = OPT_PATH,
         .offset = CFG(mailauth_public_suffix_list),
         .def = "/usr/share/publicsuffix/public_suffix_list.dat",
         .doc = "The Public Suffix List, for DMARC.",
         .more = "Finds the organizational domain of RFC 7489 s3.2 (relaxed "
                 "alignment).  Debian's publicsuffix package installs it.  "
                 "Read at start.",
         .example = "/etc/ferry/public_suffix_list.dat"},
        {.section = "mailauth",
         .key = "arc_trusted_sealers",
         .type = OPT_STRING,
         .offset = CFG(mailauth_arc_trusted_sealers),
         .def_text = "none",
         .doc = "ARC sealers whose passing chain sets a DMARC fail aside.",
         .more = "A comma-separated list of domains (no spaces).  When the "
                 "ARC chain passes and its newest ARC-Seal is signed by one of "
                 "them (d=), a DMARC fail is recorded but not enforced: the "
                 "mailing list or forwarder that sealed the message vouches "
                 "for what it received.  Without it ARC is only recorded.",
         .example = "lists.example.org,google.com"},
        /* [doctor] (docs/doctor.md) */
        {.section = "doctor",
         .key = "ip_blocklists",
         .type = OPT_DNSLISTS,
         .offset = CFG(doctor_ip_blocklists),
         .def = "zen.spamhaus.org, b.barracudacentral.org, bl.spamcop.net",
         .doc = "DNS block lists ferry doctor asks about the outbound address.",
         .more = "ZONE, or ZONE=ADDRESS|ADDRESS to count only those answers.  "
                 "Answers in 127.255.255.0/24 are the lists' error codes (a "
                 "public resolver, a query limit) and count as not checked.  "
                 "none: ask no list.",
         .example = "zen.spamhaus.org=127.0.0.2|127.0.0.3|127.0.0.4"},
        {.section = "doctor",
         .key = "domain_blocklists",
         .type = OPT_DNSLISTS,
         .offset = CFG(doctor_domain_blocklists),
         .def = "dbl.spamhaus.org",
         .doc = "DNS domain block lists ferry doctor asks about sending "
                "domains.",
         .more = "The domain itself is looked up under each ZONE "
                 "(DOMAIN.ZONE).  none: ask no list.",
         .example = "dbl.spamhaus.org"},
        {.section = "domain",
         .key = "maildir_root",
         .type = OPT_PATH,
         .offset = DOM(maildir_root),
         .required = true,
         .doc = "Directory holding one Maildir per mailbox of the domain.",
         .more = "Mail for mailbox NAME is delivered to MAILDIR_ROOT/NAME/.  "
                 "Required in every [domain] section, unless lmtp takes the "
                 "whole domain.",
         .example = "/var/mail/example.org"},
        {.section = "domain",
         .key = "mailbox",
         .type = OPT_MAILBOX,
         .offset = 0,
         .repeatable = true,
         .doc = "A mailbox (local part) of the domain.",
         .more = "Repeat the key, or give a comma-separated list.  Local parts "
                 "are compared without regard to case.",
         .example = "alice, bob"},
        {.section = "domain",
         .key = "disabled",
         .type = OPT_DISABLED,
         .offset = 0,
         .repeatable = true,
         .doc = "A mailbox that exists but refuses new mail.",
         .more = "Its recipients get 550 5.2.1.  The name may also be listed "
                 "under mailbox, so a mailbox can be disabled by adding one "
                 "line.",
         .example = "carol"},
        {.section = "domain",
         .key = "alias",
         .type = OPT_ALIAS,
         .offset = 0,
         .repeatable = true,
         .doc = "Another name for one or more addresses.",
         .more = "Written NAME: TARGET, TARGET.  A target without @ is a "
                 "mailbox or alias of this domain; others are delivered as "
                 "they are.  Aliases may refer to aliases; loops are rejected. "
                 " Mail to postmaster must always have a destination (RFC 5321 "
                 "s4.5.1): define a mailbox or alias of that name.",
         .example = "postmaster: alice, bob@example.net"},
        {.section = "domain",
         .key = "mailbox_map",
         .type = OPT_MAP,
         .offset = DOM(mailbox_map),
         .def_text = "none",
         .doc = "A lookup table of more mailboxes (Postfix "
                "virtual_mailbox_maps).",
         .more = "A map, as alias_map.  Keys are LOCAL@DOMAIN or LOCAL, values "
                 "are ignored; each is an active mailbox with its Maildir at "
                 "MAILDIR_ROOT/LOCAL/ (made at its first delivery), or over "
                 "lmtp when the whole domain goes there.  Asked after the "
                 "mailboxes and aliases of this section, before alias_map.  A "
                 "changed file takes effect within a second.  Per-mailbox "
                 "settings (mailbox_owner, mailbox_quota) need the mailbox "
                 "listed in ferry.conf.",
         .example = "cdb:/etc/ferry/mailboxes-example.org.cdb"},
        {.section = "domain",
         .key = "alias_map",
         .type = OPT_MAP,
         .offset = DOM(alias_map),
         .def_text = "none",
         .doc = "A lookup table of more aliases (Postfix virtual_alias_maps).",
         .more = "text:PATH, cdb:PATH or lmdb:PATH (built by ferry map build), "
                 "or PATH (a CDB when it ends in .cdb, an LMDB in .lmdb, else "
                 "text).  Keys are LOCAL@DOMAIN or LOCAL, values TARGET, "
                 "TARGET as for alias.  Asked for a local part that is neither "
                 "a mailbox nor an alias of this section; a changed file takes "
                 "effect within a second, without a restart.  See "
                 "docs/maps.md.",
         .example = "cdb:/etc/ferry/aliases-example.org.cdb"},
        /* [domain NAME]: Maildirs shared with their reader */
        {.section = "domain",
         .key = "owner",
         .type = OPT_STRING,
         .offset = DOM(owner),
         .def_text = "the daemon's user",
         .doc = "Owner of the domain's Maildirs, USER or USER:GROUP.",
         .more = "For a reader such as Dovecot that runs as another user "
                 "(vmail, as Postfix's virtual_uid_maps and virtual_gid_maps). "
                 " Started as root, ferry creates MAILDIR_ROOT and every "
                 "mailbox's Maildir (tmp, new, cur) owned by USER and GROUP "
                 "(default: USER's group) with mode, before it drops its "
                 "privileges; it keeps GROUP as a supplementary group, so the "
                 "unprivileged daemon writes the messages through the group, "
                 "and they are readable and writable by the group (files get "
                 "the directory mode without execute bits).  ferry itself "
                 "never runs as USER.",
         .example = "vmail:vmail"},
        {.section = "domain",
         .key = "mailbox_owner",
         .type = OPT_MAILBOX_OWNER,
         .offset = 0,
         .def_text = "owner",
         .repeatable = true,
         .doc = "Owner of one mailbox's Maildir, NAME: USER[:GROUP].",
         .more = "Overrides owner for that mailbox (per-user uids, as "
                 "Postfix's virtual_uid_maps).  NAME must be a mailbox of the "
                 "domain.  The Maildir is made as owner's are, with mode; the "
                 "daemon keeps GROUP as a supplementary group and writes "
                 "through it.",
         .example = "alice: alice:mail"},
        {.section = "domain",
         .key = "mode",
         .type = OPT_STRING,
         .offset = DOM(mode),
         .def_text = "2770 with owner",
         .doc = "Mode of the domain's Maildir directories, in octal.",
         .more = "Only with owner.  The group needs rwx (the daemon writes "
                 "through it); the setgid bit (2000) makes new files and "
                 "directories take the group; 0770 without it.",
         .example = "0770"},
        {.section = "domain",
         .key = "catch_all",
         .type = OPT_CATCH_ALL,
         .offset = 0,
         .def_text = "none",
         .doc = "Mailbox receiving mail for unknown local parts.",
         .more = "Must name a mailbox of the domain.  Disabled mailboxes are "
                 "still refused.  Catch-all mailboxes attract spam; use with "
                 "care.",
         .example = "alice"},
        /* [domain NAME]: mailbox quotas */
        {.section = "domain",
         .key = "mailauth_enforce",
         .type = OPT_ENUM,
         .offset = DOM(mailauth_enforce),
         .def = "inherit",
         .values = dom_enforce_values,
         .doc = "[mailauth] enforce for mail to this domain.",
         .more = "inherit takes [mailauth] enforce; record or enforce set it "
                 "for this domain alone.  A message to several domains is "
                 "refused when one of them enforces.",
         .example = "enforce"},
        {.section = "domain",
         .key = "quota",
         .type = OPT_SIZE,
         .offset = DOM(quota),
         .def = "0",
         .def_text = "no limit",
         .doc = "Octets each Maildir of the domain may hold.",
         .more = "Counted over new/ and cur/ (scanned at start, then kept "
                 "current by delivery).  A mailbox at or over it refuses RCPT "
                 "with 552 5.2.2 <RCPT>: Recipient address rejected: Mailbox "
                 "full ([policy] quota_reply), as does a MAIL SIZE= larger "
                 "than what is left.  The message that crosses it is delivered "
                 "(Dovecot's quota_grace); see docs/policy.md.",
         .example = "1G"},
        {.section = "domain",
         .key = "quota_messages",
         .type = OPT_INT,
         .offset = DOM(quota_messages),
         .def = "0",
         .def_text = "no limit",
         .max = 1000000000,
         .doc = "Messages each Maildir of the domain may hold.",
         .more = "As quota, counted in files of new/ and cur/.",
         .example = "10000"},
        {.section = "domain",
         .key = "mailbox_quota",
         .type = OPT_MAILBOX_QUOTA,
         .offset = 0,
         .def_text = "quota",
         .repeatable = true,
         .doc = "Quota of one mailbox, NAME: SIZE[, MESSAGES].",
         .more = "Overrides quota and quota_messages for that mailbox; 0 is no "
                 "limit.",
         .example = "alice: 10G, 50000"},
        /* [domain NAME]: delivery over LMTP */
        {.section = "domain",
         .key = "lmtp",
         .type = OPT_STRING,
         .offset = DOM(lmtp),
         .def_text = "none",
         .doc = "Deliver the domain's mail to an LMTP server (RFC 2033).",
         .more = "unix:/PATH for a unix socket, or ADDRESS:PORT (IPv6 as "
                 "[::1]:24).  Without lmtp_mailbox every mailbox of the domain "
                 "goes there and maildir_root is not needed.  Each recipient "
                 "gets its own answer after the message: a permanent refusal "
                 "(mailbox full, 552 5.2.2) bounces that recipient only, a 4xx "
                 "defers that recipient only.  Retries and bounces follow the "
                 "[relay] settings.",
         .example = "unix:/run/dovecot/lmtp"},
        {.section = "domain",
         .key = "lmtp_mailbox",
         .type = OPT_LMTP_MBOX,
         .offset = 0,
         .def_text = "none",
         .repeatable = true,
         .doc = "Mailboxes delivered over LMTP, not to a Maildir.",
         .more = "Repeat the key, or give a comma-separated list; a name "
                 "listed here is a mailbox of the domain.  Needs lmtp.  When "
                 "none is listed, lmtp takes the whole domain.",
         .example = "alice, bob"},
        /* [relay_domain NAME]: domains taken for and forwarded */
        {.section = "relay_domain",
         .key = "recipients",
         .type = OPT_RELAY_RCPTS,
         .offset = 0,
         .def_text = "any",
         .repeatable = true,
         .doc = "The recipients of the domain (Postfix relay_recipient_maps).",
         .more = "Local parts or full addresses; repeat the key or give a "
                 "comma-separated list.  With recipients or recipient_map set, "
                 "any other recipient gets 550 5.1.1 at RCPT time, so no "
                 "bounce goes to a forged sender later; with neither, every "
                 "local part is taken.",
         .example = "alice, bob, sales"},
        {.section = "relay_domain",
         .key = "recipient_map",
         .type = OPT_MAP,
         .offset = RDOM(recipient_map),
         .def_text = "none",
         .doc = "A lookup table of the domain's recipients.",
         .more = "A map, as alias_map; keys are full addresses (or @DOMAIN for "
                 "all), values are ignored.  Used with recipients: an address "
                 "in either is taken.  A changed file takes effect within a "
                 "second.",
         .example = "cdb:/etc/ferry/relay-recipients.cdb"},
        {.section = "relay_domain",
         .key = "next_hop",
         .type = OPT_NEXT_HOP,
         .offset = RDOM(next_hop),
         .def_text = "the domain's MX hosts",
         .doc = "Where the domain's mail is forwarded (Postfix "
                "transport_maps).",
         .more = "HOST[:PORT] or ADDRESS[:PORT], port 25 when not given (IPv6 "
                 "as [2001:db8::1]:25).  A host name is looked up at each "
                 "delivery (its A/AAAA records, no MX step).  Without it the "
                 "mail is routed as any other domain's: [relay] transport, "
                 "smarthost, else the MX records; a backup MX should name the "
                 "primary here, since it is itself one of the MX hosts.",
         .example = "exchange.corp.example:25"},
};

/* The loader keeps a line number per option in arrays of this size. */
_Static_assert(sizeof(config_options) / sizeof(config_options[0]) <=
                       CONFIG_MAX_OPTIONS,
               "raise CONFIG_MAX_OPTIONS in config_int.h");

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
	        [OPT_RATES] = "rate list",
	        [OPT_NETS] = "network list",
	        [OPT_ADDRS] = "address list",
	        [OPT_USER_INT] = "user limit",
	        [OPT_EXEMPT] = "exemption",
	        [OPT_DNSLISTS] = "DNS list",
	        [OPT_LMTP_MBOX] = "name list",
	        [OPT_MAILBOX_QUOTA] = "quota rule",
	        [OPT_MAP] = "map",
	        [OPT_RELAY_RCPTS] = "address list",
	        [OPT_NEXT_HOP] = "address",
	};

	return names[opt->type];
}

/* The records a row's section has: 1 for a plain section. */
static size_t
section_records(const struct config *cfg, const char *section,
                const char **base, size_t *stride)
{
	if (strcmp(section, "domain") == 0) {
		*base = (const char *)cfg->domains;
		*stride = sizeof(*cfg->domains);
		return cfg->ndomains;
	}
	if (strcmp(section, "relay_domain") == 0) {
		*base = (const char *)cfg->relay_domains;
		*stride = sizeof(*cfg->relay_domains);
		return cfg->nrelay_domains;
	}
	*base = (const char *)cfg;
	*stride = 0;
	return 1;
}

static void
for_each_path(const struct config *cfg, bool secret,
              void (*fn)(void *arg, const char *path), void *arg)
{
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *o = &config_options[i];
		const char *base;
		size_t stride, n;

		if ((o->type != OPT_PATH && o->type != OPT_MAP) ||
		    o->secret != secret)
			continue;
		n = section_records(cfg, o->section, &base, &stride);
		for (size_t r = 0; r < n; r++) {
			const char *path =
			        *(char *const *)(base + r * stride + o->offset);
			enum map_kind kind;

			if (path != NULL && o->type == OPT_MAP &&
			    map_spec_parse(path, &kind, &path) < 0)
				continue;
			if (path != NULL && path[0] != '\0')
				fn(arg, path);
		}
	}
}

void
config_for_each_path(const struct config *cfg,
                     void (*fn)(void *arg, const char *path), void *arg)
{
	for_each_path(cfg, false, fn, arg);
}

void
config_for_each_secret_path(const struct config *cfg,
                            void (*fn)(void *arg, const char *path), void *arg)
{
	for_each_path(cfg, true, fn, arg);
}
