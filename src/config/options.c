/*
 * options.c — the one declarative table of every ferry setting.  Parsing,
 * defaults, `ferry check-config --print-reference`, docs/configuration.md
 * and ferry.conf(5) are all derived from these rows; a setting that is not
 * here does not exist.
 */
#include <stddef.h>
#include <string.h>

#include "config/config_int.h"
#include "map/map.h"

#define CFG(field) offsetof(struct config, field)
#define DOM(field) offsetof(struct config_domain, field)
#define RDOM(field) offsetof(struct config_relay_domain, field)

static const char *const log_values[] = {"stderr", "syslog", NULL};
static const char *const log_format_values[] = {"logfmt", "json", NULL};
static const char *const sync_values[] = {"syncfs", "fsync", NULL};
static const char *const tls_values[] = {"none", "optional", "required", NULL};
/* In the order of enum tls_policy: dane is for outbound mail only. */
static const char *const relay_tls_values[] = {"none", "optional", "required",
                                               "dane", NULL};
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
        {"server", "sandbox", OPT_BOOL, CFG(sandbox), "on", NULL, NULL, 0, 0,
         false, false,
         "Confine the daemon once it serves (seccomp-bpf and Landlock).",
         "After binding and dropping privileges, a system call outside "
         "the list ferry uses (running a program, tracing, other socket "
         "families...) kills the daemon, and on Linux 5.19 or later the "
         "files it can reach are limited to the spool, the Maildir roots "
         "and, read-only, the configuration, certificates and keys it "
         "reads again.  An older kernel gets the system call filter alone "
         "and a log line saying so.  off is for debugging; see "
         "docs/security.md.",
         "off"},
        /* [server]: a log file */
        {"server", "log_file", OPT_PATH, CFG(log_file), NULL, "none", NULL, 0,
         0, false, false, "File the log lines are appended to.",
         "Opened when ferry starts, before it drops its privileges (so "
         "it may belong to root), instead of standard error; with log = "
         "syslog the lines go to both.  SIGHUP opens it again, as the "
         "daemon's user: after logrotate moves it, either create the new "
         "file writable by that user or use copytruncate.",
         "/var/log/ferry.log"},
        {"server", "log_format", OPT_KEYWORD, CFG(log_format), "logfmt", NULL,
         log_format_values, 0, 0, false, false, "How each log line is written.",
         "logfmt writes key=value pairs (values quoted when they hold "
         "spaces, control bytes escaped); json writes one JSON object per "
         "line with the same keys, every value a string.  The fields are "
         "described in docs/logging.md.",
         "json"},
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
        {"relay", "trusted_networks", OPT_NETS, CFG(relay_trusted_networks),
         NULL, "none", NULL, 0, 0, true, false,
         "Clients that may relay without AUTH (Postfix mynetworks).",
         "CIDR networks, IPv4 or IPv6.  A client there may send to any "
         "domain through the listen (port 25) listeners, as an "
         "authenticated one may (the submission ports still require "
         "AUTH); everyone else gets 554 5.7.1 Relay access denied for a "
         "recipient outside the local and relay domains.  The default "
         "keeps ferry a closed relay.",
         "127.0.0.1/32, ::1/128, 192.0.2.0/24"},
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
        {"relay", "tls", OPT_ENUM, CFG(relay_tls), "optional", NULL,
         relay_tls_values, 0, 0, false, false,
         "STARTTLS towards other servers.",
         "optional uses STARTTLS when offered, without verifying the "
         "certificate; required defers mail to servers without it; none "
         "never starts TLS; dane is optional plus DANE (RFC 7672): an MX "
         "host whose MX, address and TLSA records validate under DNSSEC "
         "(see dnssec_trust_anchor) gets mail only over TLS whose "
         "certificate matches its TLSA records, and a bogus or failing "
         "TLSA lookup defers its mail (4.7.5).  A smarthost with "
         "smarthost_user always gets verified TLS.",
         "dane"},
        {"relay", "dnssec_trust_anchor", OPT_PATH, CFG(relay_trust_anchor),
         "/usr/share/dns/root.key", NULL, NULL, 0, 0, false, false,
         "DNSSEC trust anchor for tls = dane.",
         "A file of DS or DNSKEY records in zone-file syntax (Debian's "
         "dns-root-data package installs the root's).  Read only with "
         "tls = dane, which validates every MX lookup with it (ferry "
         "doctor's too).",
         "/var/lib/unbound/root.key"},
        {"relay", "mta_sts", OPT_BOOL, CFG(relay_mta_sts), "no", NULL, NULL, 0,
         0, false, false, "Honour the MTA-STS policies of destinations.",
         "RFC 8461: a domain with a _mta-sts TXT record and a policy at "
         "https://mta-sts.DOMAIN/.well-known/mta-sts.txt in mode enforce "
         "gets mail only on its listed MX hosts, over TLS whose "
         "certificate verifies (mta_sts_ca_file) and names the MX host; "
         "otherwise the mail is deferred (4.7.5).  Policies are kept "
         "for their max_age under spool_dir/mta-sts, across restarts.  "
         "Where DANE applies (tls = dane) it wins.",
         "yes"},
        {"relay", "mta_sts_ca_file", OPT_PATH, CFG(relay_mta_sts_ca_file), NULL,
         "the system's CA certificates", NULL, 0, 0, false, false,
         "CA certificates for MTA-STS.",
         "PEM file the certificates of the policy hosts (mta-sts.DOMAIN) "
         "and, under enforce, of the MX hosts are verified with.",
         "/etc/ssl/certs/ca-certificates.crt"},
        {"relay", "dns_forwarder", OPT_STRING, CFG(relay_dns_forwarder), NULL,
         "none", NULL, 0, 0, false, false,
         "Name server to send every MX and TLSA query to.",
         "ADDRESS or ADDRESS@PORT, instead of the servers of resolv_conf "
         "(which has no port).  With tls = dane ferry validates the "
         "answers itself, so the server must pass DNSSEC records on.",
         "127.0.0.1@5353"},
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
        {"timeouts", "command_line", OPT_DURATION, CFG(timeout_command_line),
         "1m", NULL, NULL, 0, 0, false, false,
         "Time a client may take to send one whole command line.",
         "Counted from the line's first octet, however the rest trickles "
         "in: command measures silence only, so without this a client "
         "sending a byte now and then would hold its connection slot "
         "forever.  Over it: 421 4.4.2 and the connection is closed.",
         "30s"},
        {"timeouts", "tls_handshake", OPT_DURATION, CFG(timeout_tls_handshake),
         "30s", NULL, NULL, 0, 0, false, false,
         "Time a client may take to complete its TLS handshake.",
         "Counted from the connection on the submissions port and from "
         "the 220 to STARTTLS elsewhere; a client that connects and "
         "never starts the handshake is disconnected after it.",
         "10s"},
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
        /* [policy] */
        {"policy", "state", OPT_ENUM, CFG(policy.state), "embedded", NULL,
         state_values, 0, 0, false, false,
         "Where counters and the greylist are kept.",
         "embedded keeps them in the process and saves them to state_file, "
         "so a restart does not reset daily quotas or the greylist; redis "
         "keeps them in the Redis server at redis_server, shared by every "
         "ferry node that uses it.",
         "redis"},
        {"policy", "redis_server", OPT_HOP, CFG(policy.redis_server),
         "127.0.0.1:6379", NULL, NULL, 0, 0, false, false,
         "The Redis server of state = redis.",
         "ADDRESS:PORT, numeric (IPv6 as [::1]:6379).  ferry connects at "
         "start and reconnects by itself (once a second) when the "
         "connection is lost.  Without redis_tls the connection is not "
         "encrypted: keep Redis on loopback or a private network.",
         "10.0.0.5:6379"},
        {"policy", "redis_socket", OPT_PATH, CFG(policy.redis_socket), NULL,
         "none", NULL, 0, 0, false, false,
         "Unix socket of the Redis server, instead of redis_server.",
         "Redis' unixsocket; the socket must be writable by the user "
         "ferry runs as.",
         "/run/redis/redis-server.sock"},
        {"policy", "redis_username", OPT_STRING, CFG(policy.redis_username),
         NULL, "none", NULL, 0, 0, false, false,
         "Redis ACL user sent with AUTH (Redis 6 and later).",
         "Only with redis_password; without it AUTH names the default "
         "user.",
         "ferry"},
        {"policy", "redis_password", OPT_STRING, CFG(policy.redis_password),
         NULL, "none", NULL, 0, 0, false, false,
         "Password sent with AUTH after connecting to Redis.",
         "No question is asked before Redis accepts it; a refused AUTH is "
         "logged and retried once a second, and meanwhile redis_fail "
         "applies.  Keep the configuration file readable by root only "
         "when set.",
         "s3cret"},
        {"policy", "redis_tls", OPT_BOOL, CFG(policy.redis_tls), "no", NULL,
         NULL, 0, 0, false, false, "Talk to Redis over TLS.",
         "TLS 1.2 or later.  The server's certificate must chain to "
         "redis_tls_ca_file and name redis_tls_server_name (or the "
         "address of redis_server); otherwise nothing is sent, the "
         "reason is logged and redis_fail applies.  Redis' tls-port, not "
         "its port.",
         "yes"},
        {"policy", "redis_tls_ca_file", OPT_PATH, CFG(policy.redis_tls_ca_file),
         NULL, "the system's CA certificates", NULL, 0, 0, false, false,
         "CA certificates the Redis server's certificate is verified with.",
         "PEM file, such as the one given to Redis as tls-ca-cert-file.",
         "/etc/ferry/redis-ca.pem"},
        {"policy", "redis_tls_cert_file", OPT_PATH,
         CFG(policy.redis_tls_cert_file), NULL, "none", NULL, 0, 0, false,
         false, "Client certificate presented to Redis.",
         "PEM, with its chain.  Redis asks for one unless started with "
         "tls-auth-clients no.",
         "/etc/ferry/redis-client.pem"},
        {"policy", "redis_tls_key_file", OPT_PATH,
         CFG(policy.redis_tls_key_file), NULL, "redis_tls_cert_file", NULL, 0,
         0, false, false, "Key of redis_tls_cert_file.",
         "Read after ferry serve dropped its privileges: it must be "
         "readable by the user ferry runs as.",
         "/etc/ferry/redis-client.key"},
        {"policy", "redis_tls_server_name", OPT_STRING,
         CFG(policy.redis_tls_server_name), NULL, "the address of redis_server",
         NULL, 0, 0, false, false,
         "Name the Redis server's certificate must carry.",
         "Also sent as SNI.  A host name or an address; with redis_socket "
         "and no name, only the chain is checked.",
         "redis.example.net"},
        {"policy", "redis_prefix", OPT_STRING, CFG(policy.redis_prefix),
         "ferry:", NULL, NULL, 0, 0, false, false,
         "Prefix of every Redis key ferry writes.",
         "Nodes that share limits must use the same prefix.", "mx:"},
        {"policy", "redis_timeout_ms", OPT_INT, CFG(policy.redis_timeout_ms),
         "500", NULL, NULL, 1, 60000, false, false,
         "Milliseconds to wait for a Redis answer.",
         "A later answer is ignored and the question is treated as "
         "failed (redis_fail).",
         "200"},
        {"policy", "redis_fail", OPT_ENUM, CFG(policy.redis_fail), "open", NULL,
         fail_values, 0, 0, false, false,
         "What a rule does when Redis cannot answer.",
         "open lets the client through as if the rule passed; closed "
         "answers 451 4.3.0 (421 4.3.0 at connect).  Either way the "
         "failure is logged.",
         "closed"},
        {"policy", "state_file", OPT_PATH, CFG(policy.state_file), NULL,
         "<spool_dir>/policy.state", NULL, 0, 0, false, false,
         "File the embedded state is saved to.",
         "Written every state_save_interval and at shutdown (a new file, "
         "synced, then renamed), read at start.",
         "/var/lib/ferry/policy.state"},
        {"policy", "state_save_interval", OPT_DURATION,
         CFG(policy.state_save_interval), "1m", NULL, NULL, 0, 0, false, false,
         "How often the embedded state is saved.",
         "After a crash the counts of at most this long are lost; a clean "
         "shutdown loses nothing.",
         "30s"},
        {"policy", "test_clock", OPT_BOOL, CFG(policy.test_clock), "no", NULL,
         NULL, 0, 0, false, false,
         "Let the control socket move the policy clock forward.",
         "For tests only: POLICY-CLOCK SECONDS on the control socket adds "
         "to the time the rules see, so windows and greylisting delays "
         "pass without waiting.",
         "yes"},
        {"policy", "exempt_networks", OPT_NETS, CFG(policy.exempt_networks),
         "127.0.0.0/8, ::1/128", NULL, NULL, 0, 0, true, false,
         "Clients that are not checked as strangers.",
         "HELO checks, reverse DNS and greylisting do not apply to them.  "
         "It does not let them relay: that is [relay] trusted_networks.  "
         "Called trusted_networks before; none: no network is exempt.",
         "127.0.0.0/8, 192.0.2.0/24"},
        {"policy", "max_recipients_submission", OPT_INT,
         CFG(policy.max_recipients_submission), "100", NULL, NULL, 1, 100000,
         false, false,
         "Recipients accepted in one transaction on the submission ports.",
         "Like [limits] max_recipients, for the submission and "
         "submissions listeners; 452 4.5.3 Error: too many recipients "
         "beyond it, advertised as LIMITS RCPTMAX.",
         "60"},
        {"policy", "user_max_recipients", OPT_USER_INT, 0, NULL, "none", NULL,
         1, 100000, true, false,
         "Recipients per transaction for one authenticated user.",
         "LOGIN: N; replaces the listener's limit for that user after "
         "AUTH.",
         "alice: 35"},
        {"policy", "max_conn_client", OPT_INT, CFG(policy.max_conn_client), "0",
         NULL, NULL, 0, 100000, false, false,
         "Simultaneous connections from one client address (0: no limit).",
         "IPv6 clients count by /64.  Beyond it: 421 4.7.0 Too many "
         "concurrent SMTP connections from this IP address, and the "
         "connection is closed.",
         "10"},
        {"policy", "conn_rate_client", OPT_RATES, CFG(policy.conn_rate_client),
         NULL, "off", NULL, 0, 0, false, false,
         "Connections per client address per time window.",
         "COUNT/DURATION items, as 30/1m, 500/1h; IPv6 by /64.  Beyond "
         "it: 421 4.7.0 Try again later, closing connection.",
         "30/1m"},
        {"policy", "rate_client", OPT_RATES, CFG(policy.rate_client), NULL,
         "off", NULL, 0, 0, false, false,
         "Recipients accepted from one client address per window.",
         "Every recipient counts, as providers count Cc and Bcc.  Windows "
         "under an hour answer 451 4.7.1 (try later); hourly and daily "
         "windows answer the quota replies 550 5.4.6.",
         "120/1m"},
        {"policy", "rate_sender", OPT_RATES, CFG(policy.rate_sender), NULL,
         "off", NULL, 0, 0, false, false,
         "Recipients per envelope sender per window.",
         "As rate_client, keyed by the MAIL FROM address.", "60/1m, 500/1h"},
        {"policy", "rate_sender_domain", OPT_RATES,
         CFG(policy.rate_sender_domain), NULL, "off", NULL, 0, 0, false, false,
         "Recipients per sender domain per window.",
         "Hourly and daily windows answer 550 5.4.5 Hourly (Daily) "
         "domain sending quota exceeded.",
         "2000/1h"},
        {"policy", "rate_user", OPT_RATES, CFG(policy.rate_user), NULL, "off",
         NULL, 0, 0, false, false,
         "Recipients per authenticated user per window.",
         "As rate_client, keyed by the AUTH login.", "60/1m, 1000/1d"},
        {"policy", "rate_recipient", OPT_RATES, CFG(policy.rate_recipient),
         NULL, "off", NULL, 0, 0, false, false,
         "Messages one local recipient receives per window.",
         "Beyond it: 450 4.2.1 The user you are trying to contact is "
         "receiving mail too quickly.",
         "100/1m"},
        {"policy", "rate_recipient_reply", OPT_ENUM,
         CFG(policy.rate_recipient_reply), "too-quickly", NULL,
         rcpt_rate_values, 0, 0, false, false,
         "How rate_recipient words its refusal.",
         "too-quickly: Gmail's 450 4.2.1 The user you are trying to "
         "contact is receiving mail too quickly; quota: the hosting "
         "provider's 450 4.7.1 Recipient address rejected: Policy "
         "Rejection- Quota Exceeded (seed 004).",
         "quota"},
        {"policy", "quota_reply", OPT_ENUM, CFG(policy.quota_reply), "full",
         NULL, quota_reply_values, 0, 0, false, false,
         "How a full mailbox is refused at RCPT.",
         "full: 552 5.2.2 <RCPT>: Recipient address rejected: Mailbox "
         "full; temporary: 452 4.2.2 with the same text, so that the "
         "sender retries while the owner makes room.",
         "temporary"},
        {"policy", "helo_checks", OPT_BOOL, CFG(policy.helo_checks), "no", NULL,
         NULL, 0, 0, false, false, "Refuse a HELO/EHLO name that lies.",
         "A client outside exempt_networks that says localhost (or "
         "localhost.localdomain) gets 550 5.7.1 Helo command rejected: "
         "You aren't localhost; one that claims this server's hostname, "
         "one of its domains or a loopback literal gets ... You are not "
         "me.",
         "yes"},
        {"policy", "access_client", OPT_NETS, CFG(policy.access_client), NULL,
         "none", NULL, 0, 0, true, false, "Client networks refused.",
         "Refused at connect with 554 5.7.1 Client host rejected: Access "
         "denied.",
         "198.51.100.0/24"},
        {"policy", "access_sender", OPT_ADDRS, CFG(policy.access_sender), NULL,
         "none", NULL, 0, 0, true, false, "Senders refused.",
         "Addresses or @domain; MAIL FROM them gets 554 5.7.1 Sender "
         "address rejected: Access denied.",
         "spam@example.net, @junk.example"},
        {"policy", "access_recipient", OPT_ADDRS, CFG(policy.access_recipient),
         NULL, "none", NULL, 0, 0, true, false, "Recipients refused.",
         "Addresses or @domain; RCPT TO them gets 450 4.7.1 Recipient "
         "address rejected: Access denied.",
         "old@example.org"},
        {"policy", "reverse_dns", OPT_ENUM, CFG(policy.reverse_dns), "off",
         NULL, rdns_values, 0, 0, false, false,
         "Require a client's reverse DNS.",
         "ptr: its address must have a PTR record; fcrdns: a name of the "
         "PTR must also resolve back to the address (forward-confirmed).  "
         "Otherwise each recipient gets 450 4.7.1 Client host rejected: "
         "cannot find your reverse hostname.  exempt_networks and "
         "authenticated clients are not checked.",
         "fcrdns"},
        {"policy", "dnsbl", OPT_DNSLISTS, CFG(policy.dnsbl), NULL, "none", NULL,
         0, 0, true, false, "DNS block lists asked about clients.",
         "ZONE, or ZONE=ADDRESS|ADDRESS to count only those answers (a "
         "list's return codes).  A listed client gets 554 5.7.1 Service "
         "unavailable; Client host [IP] blocked using ZONE for every "
         "recipient.",
         "zen.spamhaus.org=127.0.0.2|127.0.0.3|127.0.0.4"},
        {"policy", "dnswl", OPT_DNSLISTS, CFG(policy.dnswl), NULL, "none", NULL,
         0, 0, true, false, "DNS allow lists asked about clients.",
         "A listed client skips dnsbl, reverse_dns and greylisting.",
         "list.dnswl.org"},
        {"policy", "sender_domain_check", OPT_BOOL,
         CFG(policy.sender_domain_check), "no", NULL, NULL, 0, 0, false, false,
         "Refuse senders whose domain has no MX or address.",
         "A domain that does not exist (NXDOMAIN) gets 553 5.1.8, one "
         "without MX, A or AAAA records, or a failed lookup, 450 4.1.8 "
         "Sender address rejected: Domain not found.",
         "yes"},
        {"policy", "dns_timeout_ms", OPT_INT, CFG(policy.dns_timeout_ms),
         "5000", NULL, NULL, 1, 60000, false, false,
         "Milliseconds a DNS check may take.",
         "The policy's lookups use the name servers and local data of "
         "[relay] resolv_conf and dns_local_data.  A check that times out "
         "counts as a temporary failure.",
         "2000"},
        {"policy", "greylist", OPT_BOOL, CFG(policy.greylist), "no", NULL, NULL,
         0, 0, false, false,
         "Greylist unknown (network, sender, recipient) triplets.",
         "A first attempt gets 451 4.7.1 Greylisted; a retry after "
         "greylist_delay and within greylist_retry_window passes.  "
         "Authenticated clients and exempt_networks are never "
         "greylisted.  The network is the /24 (IPv4) or /64 (IPv6).",
         "yes"},
        {"policy", "greylist_delay", OPT_DURATION, CFG(policy.greylist_delay),
         "5m", NULL, NULL, 0, 0, false, false,
         "Time before a greylisted retry is accepted.", NULL, "2m"},
        {"policy", "greylist_retry_window", OPT_DURATION,
         CFG(policy.greylist_retry_window), "1d", NULL, NULL, 0, 0, false,
         false, "How long a first attempt is remembered.",
         "A retry later than this starts over.", "12h"},
        {"policy", "greylist_expire", OPT_DURATION, CFG(policy.greylist_expire),
         "35d", NULL, NULL, 0, 0, false, false,
         "How long a passed triplet stays allowed after its last use.", NULL,
         "60d"},
        {"policy", "greylist_auto_allow", OPT_INT,
         CFG(policy.greylist_auto_allow), "5", NULL, NULL, 0, 1000, false,
         false, "Passed triplets after which a network is not greylisted.",
         "0 turns the auto-allow off.  The network stays allowed for "
         "greylist_expire after its last pass.",
         "10"},
        {"policy", "exempt", OPT_EXEMPT, 0, NULL, "none", NULL, 0, 0, true,
         false, "Who one rule does not apply to.",
         "RULE: ITEM, ITEM where an item is a network (CIDR), @domain (the "
         "sender's domain), user:LOGIN, or authenticated.  Rules: "
         "access_client, max_conn_client, conn_rate_client, helo, "
         "access_sender, access_recipient, greylist, rate_client, "
         "rate_sender, rate_sender_domain, rate_user, rate_recipient, dnsbl, "
         "reverse_dns, sender_domain.",
         "rate_client: 192.0.2.0/24, user:newsletter"},
        /* [milter] */
        {"milter", "smtp", OPT_STRING, CFG(milter_smtp), NULL, "none", NULL, 0,
         0, false, false,
         "Milters (content filters) for mail on the listen ports.",
         "A comma-separated list without spaces, asked in order once a "
         "message is complete: unix:/PATH or inet:ADDRESS:PORT (also "
         "inet:PORT@ADDRESS, as Sendmail writes it).  OpenDKIM, rspamd "
         "and ClamAV's clamav-milter speak this protocol (version 6).  "
         "See docs/milter.md.",
         "inet:127.0.0.1:11332"},
        {"milter", "submission", OPT_STRING, CFG(milter_submission), NULL,
         "none", NULL, 0, 0, false, false,
         "Milters for mail on the submission and submissions ports.",
         "As smtp; a DKIM signer goes here.", "inet:127.0.0.1:8891"},
        {"milter", "timeout", OPT_DURATION, CFG(milter_timeout), "30s", NULL,
         NULL, 0, 0, false, false,
         "Time a milter may take to connect or to answer one step.",
         "A milter that does not answer in time gets default_action.", "10s"},
        {"milter", "default_action", OPT_ENUM, CFG(milter_default_action),
         "tempfail", NULL, milter_default_values, 0, 0, false, false,
         "What happens when a milter is down, too slow or misbehaves.",
         "tempfail refuses the message with 451 4.7.1 so that the client "
         "tries again later; accept goes on without that milter.",
         "accept"},
        /* [metrics] */
        {"metrics", "listen", OPT_HOP, CFG(metrics_listen), NULL, "none", NULL,
         0, 0, false, false,
         "Where Prometheus scrapes /metrics (loopback only).",
         "ADDRESS:PORT on 127.0.0.1 or [::1]; off when unset.  Counters "
         "of connections, sessions, messages by reply, deliveries, "
         "relay connections, TLS handshakes, the queue's size and age "
         "and a histogram of commit latency, in the Prometheus text "
         "format.  See docs/metrics.md.",
         "127.0.0.1:9125"},
        /* [domain NAME] */
        /* [dkim] (docs/mail-auth.md) */
        {"dkim", "key_dir", OPT_PATH, CFG(dkim_key_dir), NULL, "none", NULL, 0,
         0, false, false, "Directory of the DKIM signing keys.",
         "Keys are DIR/DOMAIN/SELECTOR.pem, RSA or Ed25519, as written by "
         "ferry dkim keygen; they are read once at start, before the "
         "server drops privileges.  Outbound mail whose From domain (or a "
         "parent of it) has keys is signed with each of them when it was "
         "submitted with AUTH, came from ferry sendmail, came from a "
         "client in sign_networks, or is a report ferry generates; relayed "
         "inbound mail is never signed.",
         "/etc/ferry/dkim"},
        {"dkim", "sign_networks", OPT_STRING, CFG(dkim_sign_networks), NULL,
         "none", NULL, 0, 0, false, false,
         "Clients whose mail is signed without AUTH.",
         "A comma-separated list of IPv4 or IPv6 networks in CIDR "
         "notation (no spaces), such as the web servers that hand mail "
         "to ferry on port 25.",
         "192.0.2.0/24,2001:db8::/32"},
        /* [mailauth] (docs/mail-auth.md) */
        {"mailauth", "verify", OPT_BOOL, CFG(mailauth_verify), "no", NULL, NULL,
         0, 0, false, false,
         "Check SPF, DKIM and DMARC of mail that arrives on port 25.",
         "SPF (RFC 7208) of the MAIL FROM domain, or of the HELO name for "
         "a null sender, is checked at MAIL; every DKIM signature (up to "
         "5) and the From domain's DMARC policy (RFC 7489) at the end of "
         "DATA.  The results go into one Authentication-Results field on "
         "top of the message.  Mail from authenticated clients (AUTH) is "
         "not checked.  DNS goes through the resolver of delivery "
         "([relay] resolv_conf, dns_local_data).",
         "yes"},
        {"mailauth", "authserv_id", OPT_STRING, CFG(mailauth_authserv_id), NULL,
         "the hostname", NULL, 0, 0, false, false,
         "The name in ferry's Authentication-Results fields.",
         "Authentication-Results fields that arrive with this name are "
         "removed before ferry adds its own (RFC 8601 s5), so a reader "
         "that trusts the name trusts only ferry.",
         "mx.example.org"},
        {"mailauth", "enforce", OPT_ENUM, CFG(mailauth_enforce), "record", NULL,
         enforce_values, 0, 0, false, false,
         "Act on the results, or only record them.",
         "record adds the Authentication-Results field and refuses "
         "nothing.  enforce refuses an SPF fail with 550 5.7.23 at RCPT, a "
         "DMARC fail under p=reject with 550 5.7.26 after DATA, delivers a "
         "DMARC fail under p=quarantine to the Junk folder of the Maildir "
         "(when it has one) with X-Ferry-Quarantine, and answers DNS "
         "trouble with 451 4.7.24 (SPF) or 451 4.7.26 (DMARC).  [domain] "
         "mailauth_enforce overrides it for one recipient domain.",
         "enforce"},
        {"mailauth", "public_suffix_list", OPT_PATH,
         CFG(mailauth_public_suffix_list),
         "/usr/share/publicsuffix/public_suffix_list.dat", NULL, NULL, 0, 0,
         false, false, "The Public Suffix List, for DMARC.",
         "Finds the organizational domain of RFC 7489 s3.2 (relaxed "
         "alignment).  Debian's publicsuffix package installs it.  Read "
         "at start.",
         "/etc/ferry/public_suffix_list.dat"},
        /* [doctor] (docs/doctor.md) */
        {"doctor", "ip_blocklists", OPT_DNSLISTS, CFG(doctor_ip_blocklists),
         "zen.spamhaus.org, b.barracudacentral.org, bl.spamcop.net", NULL, NULL,
         0, 0, false, false,
         "DNS block lists ferry doctor asks about the outbound address.",
         "ZONE, or ZONE=ADDRESS|ADDRESS to count only those answers.  "
         "Answers in 127.255.255.0/24 are the lists' error codes (a "
         "public resolver, a query limit) and count as not checked.  "
         "none: ask no list.",
         "zen.spamhaus.org=127.0.0.2|127.0.0.3|127.0.0.4"},
        {"doctor", "domain_blocklists", OPT_DNSLISTS,
         CFG(doctor_domain_blocklists), "dbl.spamhaus.org", NULL, NULL, 0, 0,
         false, false,
         "DNS domain block lists ferry doctor asks about sending domains.",
         "The domain itself is looked up under each ZONE "
         "(DOMAIN.ZONE).  none: ask no list.",
         "dbl.spamhaus.org"},
        {"domain", "maildir_root", OPT_PATH, DOM(maildir_root), NULL, NULL,
         NULL, 0, 0, false, true,
         "Directory holding one Maildir per mailbox of the domain.",
         "Mail for mailbox NAME is delivered to MAILDIR_ROOT/NAME/.  "
         "Required in every [domain] section, unless lmtp takes the "
         "whole domain.",
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
        {"domain", "mailbox_map", OPT_MAP, DOM(mailbox_map), NULL, "none", NULL,
         0, 0, false, false,
         "A lookup table of more mailboxes (Postfix "
         "virtual_mailbox_maps).",
         "A map, as alias_map.  Keys are "
         "LOCAL@DOMAIN or LOCAL, values are ignored; each is an active "
         "mailbox with its Maildir at MAILDIR_ROOT/LOCAL/ (made at its "
         "first delivery), or over lmtp when the whole domain goes "
         "there.  Asked after the mailboxes and aliases of this section, "
         "before alias_map.  A changed file takes effect within a "
         "second.  Per-mailbox settings (mailbox_owner, mailbox_quota) "
         "need the mailbox listed in ferry.conf.",
         "cdb:/etc/ferry/mailboxes-example.org.cdb"},
        {"domain", "alias_map", OPT_MAP, DOM(alias_map), NULL, "none", NULL, 0,
         0, false, false,
         "A lookup table of more aliases (Postfix virtual_alias_maps).",
         "text:PATH, cdb:PATH or lmdb:PATH (built by ferry map build), "
         "or PATH (a CDB when it ends in .cdb, an LMDB in .lmdb, else "
         "text).  Keys are LOCAL@DOMAIN or LOCAL, values "
         "TARGET, TARGET as for alias.  Asked for a local part that is "
         "neither a mailbox nor an alias of this section; a changed file "
         "takes effect within a second, without a restart.  See "
         "docs/maps.md.",
         "cdb:/etc/ferry/aliases-example.org.cdb"},
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
        /* [domain NAME]: mailbox quotas */
        {"domain", "mailauth_enforce", OPT_ENUM, DOM(mailauth_enforce),
         "inherit", NULL, dom_enforce_values, 0, 0, false, false,
         "[mailauth] enforce for mail to this domain.",
         "inherit takes [mailauth] enforce; record or enforce set it for "
         "this domain alone.  A message to several domains is refused "
         "when one of them enforces.",
         "enforce"},
        {"domain", "quota", OPT_SIZE, DOM(quota), "0", "no limit", NULL, 0, 0,
         false, false, "Octets each Maildir of the domain may hold.",
         "Counted over new/ and cur/ (scanned at start, then kept "
         "current by delivery).  A mailbox at or over it refuses RCPT "
         "with 552 5.2.2 <RCPT>: Recipient address rejected: Mailbox "
         "full ([policy] quota_reply), as does a MAIL SIZE= larger than "
         "what is left.  The message that crosses it is delivered "
         "(Dovecot's quota_grace); see docs/policy.md.",
         "1G"},
        {"domain", "quota_messages", OPT_INT, DOM(quota_messages), "0",
         "no limit", NULL, 0, 1000000000, false, false,
         "Messages each Maildir of the domain may hold.",
         "As quota, counted in files of new/ and cur/.", "10000"},
        {"domain", "mailbox_quota", OPT_MAILBOX_QUOTA, 0, NULL, "quota", NULL,
         0, 0, true, false, "Quota of one mailbox, NAME: SIZE[, MESSAGES].",
         "Overrides quota and quota_messages for that mailbox; 0 is no "
         "limit.",
         "alice: 10G, 50000"},
        /* [domain NAME]: delivery over LMTP */
        {"domain", "lmtp", OPT_STRING, DOM(lmtp), NULL, "none", NULL, 0, 0,
         false, false,
         "Deliver the domain's mail to an LMTP server (RFC 2033).",
         "unix:/PATH for a unix socket, or ADDRESS:PORT (IPv6 as "
         "[::1]:24).  Without lmtp_mailbox every mailbox of the domain "
         "goes there and maildir_root is not needed.  Each recipient "
         "gets its own answer after the message: a permanent refusal "
         "(mailbox full, 552 5.2.2) bounces that recipient only, a "
         "4xx defers that recipient only.  Retries and bounces follow the "
         "[relay] settings.",
         "unix:/run/dovecot/lmtp"},
        {"domain", "lmtp_mailbox", OPT_LMTP_MBOX, 0, NULL, "none", NULL, 0, 0,
         true, false, "Mailboxes delivered over LMTP, not to a Maildir.",
         "Repeat the key, or give a comma-separated list; a name listed "
         "here is a mailbox of the domain.  Needs lmtp.  When none is "
         "listed, lmtp takes the whole domain.",
         "alice, bob"},
        /* [relay_domain NAME]: domains taken for and forwarded */
        {"relay_domain", "recipients", OPT_RELAY_RCPTS, 0, NULL, "any", NULL, 0,
         0, true, false,
         "The recipients of the domain (Postfix relay_recipient_maps).",
         "Local parts or full addresses; repeat the key or give a "
         "comma-separated list.  With recipients or recipient_map set, "
         "any other recipient gets 550 5.1.1 at RCPT time, so no bounce "
         "goes to a forged sender later; with neither, every local part "
         "is taken.",
         "alice, bob, sales"},
        {"relay_domain", "recipient_map", OPT_MAP, RDOM(recipient_map), NULL,
         "none", NULL, 0, 0, false, false,
         "A lookup table of the domain's recipients.",
         "A map, as alias_map; keys are full "
         "addresses (or @DOMAIN for all), values are ignored.  Used "
         "with recipients: an address in either is taken.  A changed "
         "file takes effect within a second.",
         "cdb:/etc/ferry/relay-recipients.cdb"},
        {"relay_domain", "next_hop", OPT_NEXT_HOP, RDOM(next_hop), NULL,
         "the domain's MX hosts", NULL, 0, 0, false, false,
         "Where the domain's mail is forwarded (Postfix transport_maps).",
         "HOST[:PORT] or ADDRESS[:PORT], port 25 when not given (IPv6 as "
         "[2001:db8::1]:25).  A host name is looked up at each delivery "
         "(its A/AAAA records, no MX step).  Without it the mail is "
         "routed as any other domain's: [relay] transport, smarthost, "
         "else the MX records; a backup MX should name the primary "
         "here, since it is itself one of the MX hosts.",
         "exchange.corp.example:25"},
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

void
config_for_each_path(const struct config *cfg,
                     void (*fn)(void *arg, const char *path), void *arg)
{
	for (size_t i = 0; i < config_noptions; i++) {
		const struct config_option *o = &config_options[i];
		const char *base;
		size_t stride, n;

		if (o->type != OPT_PATH && o->type != OPT_MAP)
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
