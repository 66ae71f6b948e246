/*
 * config — ferry's settings: one declarative table (config.c) of every
 * option with its type, default and documentation, parsed from an INI file
 * with libinih.  The embedded default (no --config) is a runnable demo setup.
 *
 * Ownership: config_load() returns a heap object freed by config_free().
 * Errors: config_load() returns NULL and prints "FILE:LINE: message" lines
 * to the error stream for every problem found (not just the first).
 * A loaded configuration is consistent: every [domain] has a maildir_root
 * and routes postmaster, alias targets in local domains exist, aliases do
 * not loop or nest deeper than CONFIG_ALIAS_DEPTH_MAX, and names are
 * lower-case.  Paths are absolute (relative ones were resolved against
 * the file's directory, or the working directory for the default).
 * Thread-safe: the loaded object is immutable after load, but for its
 * reference count (config_ref), which is atomic.
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum mailbox_state { MAILBOX_ACTIVE, MAILBOX_DISABLED };

struct config_mailbox {
	char *name; /* local part, lower-cased */
	enum mailbox_state state;
	bool lmtp; /* listed under lmtp_mailbox */
};

/* mailbox_owner = NAME: USER[:GROUP], for one Maildir of the domain. */
struct config_mailbox_owner {
	char *name;  /* local part, lower-cased */
	char *owner; /* "USER[:GROUP]" */
	int line;    /* where it was set, for errors found later */
};

struct config_alias {
	char *name;     /* local part, lower-cased */
	char **targets; /* full addresses (local or not) */
	size_t ntargets;
	char *source; /* "FILE:LINE" of the definition */
};

struct config_domain {
	char *name;         /* lower-cased, no trailing dot */
	char *maildir_root; /* Maildirs at <root>/<mailbox>/ */
	struct config_mailbox *mailboxes;
	size_t nmailboxes;
	struct config_alias *aliases;
	size_t naliases;
	bool catch_all;         /* unknown local parts go to catch_all_target */
	char *catch_all_target; /* "mailbox@domain", a mailbox of this domain */
	/* Maildirs shared with a reader such as Dovecot */
	char *owner;           /* "USER[:GROUP]"; NULL: the daemon's */
	char *mode;            /* as written, octal */
	unsigned maildir_mode; /* parsed mode; 0 without any owner */
	struct config_mailbox_owner *mailbox_owners; /* override owner */
	size_t nmailbox_owners;
	/* LMTP delivery (RFC 2033) instead of Maildirs */
	char *alias_map;   /* map spec of more aliases, NULL: none */
	char *mailbox_map; /* map spec of more mailboxes, NULL: none */
	char *lmtp;        /* as written: "unix:/path" or "ADDRESS:PORT" */
	char *lmtp_addr;   /* socket path, or numeric address */
	int lmtp_port;     /* 0 for a unix socket */
	bool lmtp_some;    /* only the lmtp_mailbox ones, not every mailbox */
	/* Mailbox quotas (0: no limit), the domain's default and overrides */
	size_t quota;
	int quota_messages;
	int mailauth_enforce; /* 0 inherit, 1 record, 2 enforce */
	struct config_mailbox_quota *mailbox_quotas;
	size_t nmailbox_quotas;
};

/* The quota of one mailbox: its own, else the domain's. */
void config_mailbox_quota(const struct config_domain *d, const char *mailbox,
                          size_t *bytes, int *messages);

/* mailbox_quota = NAME: SIZE[, MESSAGES], for one mailbox of the domain. */
struct config_mailbox_quota {
	char *name;   /* lower-cased mailbox */
	size_t bytes; /* 0: no limit */
	int messages; /* 0: no limit */
	int line;     /* where it was set, for errors found later */
};

/* The owner of one mailbox's Maildir: its own, the domain's, or NULL. */
const char *config_mailbox_owner(const struct config_domain *d,
                                 const char *mailbox);

/* What a listener is for (RFC 6409, RFC 8314). */
enum listener_role {
	LISTENER_SMTP,        /* relay/MX port (25): STARTTLS per tls_smtp */
	LISTENER_SUBMISSION,  /* port 587: STARTTLS, AUTH required */
	LISTENER_SUBMISSIONS, /* port 465: implicit TLS, AUTH required */
};

/* TLS_POLICY_DANE, _VERIFY and _DANE_ONLY: outbound only ([relay] tls,
 * the levels of Postfix's smtp_tls_security_level: none, may = optional,
 * encrypt = required, dane, verify, dane-only). */
enum tls_policy {
	TLS_POLICY_NONE,
	TLS_POLICY_OPTIONAL,
	TLS_POLICY_REQUIRED,
	TLS_POLICY_DANE,
	TLS_POLICY_VERIFY,
	TLS_POLICY_DANE_ONLY, /* DANE or defer, never degraded */
};
/* "may" -> TLS_POLICY_OPTIONAL ...; -1 for a word that is no level. */
int config_tls_level(const char *word);
struct config;
/* The level for mail to domain (tls_policy_map, else [relay] tls); -1
 * when the map's entry is no level or the map cannot be read. */
int config_tls_level_for(const struct config *cfg, const char *domain);
enum auth_backend_kind {
	AUTH_BACKEND_NONE,
	AUTH_BACKEND_PASSWD_FILE,
	AUTH_BACKEND_DOVECOT,
};

/* "login: pattern, pattern": addresses a user may use in MAIL FROM. */
struct config_sender {
	char *login;
	char **patterns; /* "user@domain", "*@domain" or "*" */
	size_t npatterns;
};

struct config_listener {
	enum listener_role role;
	char *address; /* "127.0.0.1" or "::1" */
	int port;
};

/* "domain: address:port": the next hop for a domain. */
struct config_transport {
	char *domain;
	struct config_listener next_hop;
};

/* [relay_domain NAME]: a domain ferry takes mail for and forwards (a
 * backup MX, a gateway in front of another server).  Without recipients
 * and recipient_map every local part is taken. */
struct config_relay_domain {
	char *name;        /* lower-cased, no trailing dot */
	char **recipients; /* "local@name", lower-cased */
	size_t nrecipients;
	char *recipient_map;             /* map spec (src/map/), NULL: none */
	struct config_listener next_hop; /* address NULL: as any domain */
};

/* "N/DURATION": at most limit units in any window of that many seconds. */
struct config_rate {
	long limit;
	int window; /* seconds */
};

#define CONFIG_RATES_MAX 4

/* A rate option: up to CONFIG_RATES_MAX windows ("60/1m, 1000/1d"). */
struct config_rates {
	struct config_rate r[CONFIG_RATES_MAX];
	size_t n; /* 0: no limit */
};

/* A list option: networks (CIDR, canonical text) or addresses. */
struct config_list {
	char **items;
	size_t n;
};

/* "login: N": a per-user number (recipients per message). */
struct config_user_limit {
	char *login;
	int limit;
};

/* "RULE: item, item": who a policy rule does not apply to.  Items are
 * networks (CIDR), "@domain" (sender domain) or "user:LOGIN" (or
 * "authenticated" for every authenticated client). */
struct config_exempt {
	char *rule;
	struct config_list items;
};

enum policy_state_kind { POLICY_STATE_EMBEDDED, POLICY_STATE_REDIS };

/* [policy]: the checks of src/policy/ (docs/policy.md). */
struct config_policy {
	int state;        /* enum policy_state_kind */
	char *state_file; /* embedded state; NULL: spool_dir/policy.state */
	int state_save_interval; /* seconds between saves of the state */
	bool test_clock;         /* the control socket may move the clock */
	struct config_listener redis_server; /* state = redis */
	char *redis_socket; /* instead of redis_server when set */
	char *redis_username;
	char *redis_password;
	bool redis_tls;
	char *redis_tls_ca_file; /* NULL: the system's CA store */
	char *redis_tls_cert_file;
	char *redis_tls_key_file;
	char *redis_tls_server_name; /* NULL: the address of redis_server */
	char *redis_prefix;
	int redis_timeout_ms;
	int redis_fail;                     /* 0 open, 1 closed */
	struct config_list exempt_networks; /* skip HELO/greylist checks */
	int max_recipients_submission;      /* per transaction on 587/465 */
	struct config_user_limit *user_max_rcpt;
	size_t nuser_max_rcpt;
	int max_conn_client; /* concurrent, per IP (/64); 0 off */
	struct config_rates conn_rate_client; /* connections per IP (/64) */
	struct config_rates rate_client;      /* recipients per IP (/64) */
	struct config_rates rate_sender;      /* recipients per sender */
	struct config_rates rate_sender_domain;
	struct config_rates rate_user;      /* recipients per login */
	struct config_rates rate_recipient; /* incoming per local recipient */
	int rate_recipient_reply;           /* 0 too-quickly, 1 quota */
	int quota_reply; /* 0 full (552), 1 temporary (452) */
	bool helo_checks;
	struct config_list access_client;    /* networks refused at connect */
	struct config_list access_sender;    /* addresses, @domains refused */
	struct config_list access_recipient; /* addresses, @domains refused */
	int reverse_dns;                     /* 0 off, 1 ptr, 2 fcrdns */
	struct config_list dnsbl;            /* "zone" or "zone=A|A" */
	struct config_list dnswl;
	bool sender_domain_check;
	int dns_timeout_ms;
	bool greylist;
	int greylist_delay;        /* seconds before a retry is accepted */
	int greylist_retry_window; /* seconds a first attempt is remembered */
	int greylist_expire;       /* seconds a passed triplet stays allowed */
	int greylist_auto_allow;   /* passed triplets that allow a network */
	struct config_exempt *exempt;
	size_t nexempt;
};

enum sync_mode {
	SYNC_SYNCFS, /* group commit: one syncfs(2) per batch */
	SYNC_FSYNC,  /* fsync(2) each file and its directory */
};

/* One "key = value" line of the file, as written (comments stripped). */
struct config_setting {
	char *section; /* "relay", "domain example.org" */
	char *key;
	char *value;
};

struct config {
	/* [server] */
	char *hostname; /* greeting, Received, Message-ID */
	struct config_listener *listeners;
	size_t nlisteners;
	char *user; /* drop to this user when started as root */
	char *log;  /* "stderr" or "syslog" */
	int max_connections;
	/* [tls] */
	char *tls_cert_file;   /* PEM chain; NULL: self-signed, generated */
	char *tls_key_file;    /* PEM private key */
	int tls_smtp;          /* enum tls_policy on LISTENER_SMTP */
	int tls_submission;    /* enum tls_policy on LISTENER_SUBMISSION */
	char *tls_min_version; /* "TLSv1.2" or "TLSv1.3" */
	char *tls_ciphers;     /* OpenSSL cipher list for TLS 1.2 */
	char *tls_submission_ciphers; /* the same on 587 and 465 */
	/* [auth] */
	int auth_backend;              /* enum auth_backend_kind */
	unsigned auth_mechanisms;      /* 1 << enum sasl_mech; 0: backend's */
	char *auth_passwd_file;        /* Dovecot passwd-file format */
	char *auth_dovecot_socket;     /* Dovecot auth-client socket */
	bool auth_require_tls;         /* no AUTH before TLS (RFC 4954 s4) */
	int auth_max_failures;         /* 535s before 421 4.7.0 */
	int auth_max_unauth_commands;  /* submission: before 554 5.7.0 */
	struct config_sender *senders; /* MAIL FROM ownership */
	size_t nsenders;
	/* [relay] */
	struct config_listener relay_smarthost; /* address NULL: MX routing */
	char *relay_smarthost_user;
	char *relay_smarthost_password;
	struct config_transport *transports; /* per-domain next hops */
	size_t ntransports;
	char *relay_dns_local_data; /* zone-file records for the resolver */
	char *relay_resolv_conf;    /* NULL: /etc/resolv.conf; "none" */
	char *relay_dns_forwarder;  /* "IP" or "IP@port", or NULL */
	int relay_dns_timeout;      /* seconds: one MX lookup, all of it */
	char *relay_trust_anchor;   /* DNSSEC trust anchor file (tls=dane) */
	int relay_dnssec_probe_interval; /* seconds between DNSSEC probes */
	bool relay_mta_sts;          /* honour MTA-STS policies (RFC 8461) */
	char *relay_mta_sts_ca_file; /* NULL: the system's CA store */
	int relay_tls;               /* enum tls_policy for outbound */
	char *relay_tls_required;    /* "a.example,b.example": TLS or defer */
	char *relay_tls_policy_map;  /* map spec: domain -> level, or NULL */
	char *relay_tls_ca_file;     /* CAs for level verify; NULL: system */
	bool relay_tls_report;       /* send the RFC 8460 reports daily */
	int relay_tls_report_hour;   /* at this hour, UTC */
	char *relay_tls_report_from; /* NULL: postmaster@hostname */
	bool relay_tls_report_https; /* POST to https rua too */
	int relay_tls_report_keep;   /* seconds of records kept */
	int relay_max_rcpt;          /* recipients per transaction */
	int relay_dest_concurrency;  /* connections per destination */
	int relay_dest_initial;      /* where slow start begins */
	int relay_dest_rate;         /* messages/minute per destination */
	int relay_retry_min;         /* seconds: first retry */
	int relay_retry_max;         /* seconds: longest gap between tries */
	int relay_delay_warning;     /* seconds: "delayed" DSN after */
	int relay_max_lifetime;      /* seconds: bounce 4.4.7 after */
	int relay_timeout_connect;   /* seconds: connect and greeting */
	int relay_port;              /* port of MX hosts */
	int relay_conn_cache_time;   /* seconds an idle connection is kept */
	int relay_conn_reuse_limit;  /* seconds: no reuse after this age */
	struct config_list relay_trusted_networks; /* relay without AUTH */
	/* [limits] */
	size_t max_message_size;  /* octets; advertised in SIZE */
	int max_recipients;       /* per transaction; RCPTMAX */
	int max_errors;           /* bad commands before 421 4.7.0 */
	int max_received_headers; /* hop count for loop detection, 50 */
	/* RCPTs refused 5xx since the last accepted message, before 421 */
	int max_rejected_recipients;
	/* [timeouts] in seconds (RFC 5321 s4.5.3.2 defaults) */
	int timeout_command;       /* 300 */
	int timeout_data_block;    /* 180 */
	int timeout_data_end;      /* 600 */
	int timeout_command_line;  /* a whole line, from its first octet */
	int timeout_tls_handshake; /* from the connection or STARTTLS */
	/* [mailauth] */
	bool mailauth_verify;
	char *mailauth_authserv_id; /* NULL: hostname */
	int mailauth_enforce;       /* 0 record, 1 enforce */
	char *mailauth_public_suffix_list;
	char *mailauth_arc_trusted_sealers; /* comma-separated, or NULL */
	int mailauth_dns_timeout; /* seconds: SPF check; DKIM+DMARC check */
	/* [dkim] */
	char *dkim_key_dir; /* DIR/DOMAIN/SELECTOR.pem; NULL: no signing */
	char *dkim_sign_networks; /* "192.0.2.0/24,...": signed without AUTH */
	/* [queue] */
	char *spool_dir;
	enum sync_mode sync_mode;
	int commit_batch_max;  /* messages per group commit */
	int commit_delay_ms;   /* wait for more before committing */
	size_t min_free_space; /* octets; below it 452 4.3.1 */
	bool direct_delivery;  /* local-only mail into Maildirs before 250 */
	/* [policy] */
	struct config_policy policy;
	/* [metrics] */
	struct config_listener metrics_listen; /* address NULL: off */
	/* [milter] */
	char *milter_smtp;         /* comma-separated milter addresses */
	char *milter_submission;   /* the same for submission(s) */
	int milter_timeout;        /* seconds per step */
	int milter_default_action; /* 0 tempfail, 1 accept */
	/* [domain NAME] sections */
	struct config_domain *domains;
	size_t ndomains;
	/* [relay_domain NAME] sections */
	struct config_relay_domain *relay_domains;
	size_t nrelay_domains;
	char *aliases_file; /* /etc/aliases format, optional */
	/* What the file set, in file order, for check-config --print. */
	struct config_setting *settings;
	size_t nsettings;
	/* [server]: the host's own mail */
	char *recipient_delimiter; /* "+", "+-"; "none": no extensions */
	char *origin_domain;       /* NULL: the first [domain] */
	char *host_names;          /* besides hostname and localhost */
	char *log_file;            /* [server]: log lines appended here */
	char *log_format;          /* "logfmt" or "json" */
	/* [auth] */
	bool auth_smtp; /* AUTH on the listen (port 25) ports */
	/* [server] */
	bool sandbox; /* seccomp and Landlock after start-up */
	/* [relay]: verifying the smarthost */
	char *relay_smarthost_ca_file;       /* NULL: the system's CA store */
	char *relay_smarthost_fingerprint;   /* 64 lower-case hex digits */
	char *relay_smarthost_password_file; /* read by config_read_secrets() */
	/* [doctor]: the DNS lists `ferry doctor` asks about this server */
	struct config_list doctor_ip_blocklists;
	struct config_list doctor_domain_blocklists;
	/* Holders of this object (config_ref); the last config_free frees. */
	unsigned refs;
};

/* path NULL: the embedded default.  errors go to err (e.g. stderr). */
struct config *config_load(const char *path, FILE *err);
/*
 * A loaded configuration is shared: the daemon holds the current one and
 * every session the one it started with, so that a reload never changes
 * the settings under a transaction.  config_ref() adds a holder (any
 * thread) and returns cfg; config_free() drops one and frees the object
 * with the last.
 */
const struct config *config_ref(const struct config *cfg);
void config_free(struct config *cfg);
/* config_free() for a holder that only reads. */
void config_release(const struct config *cfg);

/* Is this option read only at start (a reload cannot change it)?
 * section is "domain" for every [domain NAME]. */
bool config_option_needs_restart(const char *section, const char *key);
/* The restart-only settings whose values differ between the running and
 * a newly loaded configuration, as "[section] key, ..." in out (empty
 * when none; cut short at len).  Returns strlen(out). */
size_t config_restart_changes(const struct config *running,
                              const struct config *loaded, char *out,
                              size_t len);

/* [queue] spool_dir of the file at path, absolute, read without checking
 * anything else (the file may have errors the daemon is to report); the
 * default when it is not set.  malloc'd; NULL without memory. */
char *config_peek_spool_dir(const char *path);

/* Print the documented table of options (docs/configuration.md). */
void config_print_reference(FILE *out);
/* The same as mdoc(7) text, the option list of ferry.conf(5). */
void config_print_reference_man(FILE *out);
/* Reads the secrets kept out of the configuration file (so that it may be
 * world-readable for ferry sendmail): smarthost_password_file.  Called by
 * serve as root, before dropping privileges, and by check-config.
 * Returns 0, or -1 with the reason on err. */
int config_read_secrets(struct config *cfg, FILE *err);

/* Print the embedded default configuration as an INI file. */
void config_print_default(FILE *out);
/* Print what cfg's file set, by section (like postconf -n). */
void config_print_set(FILE *out, const struct config *cfg);

/* Lookups used by the SMTP session and local delivery. */
const struct config_domain *config_find_domain(const struct config *cfg,
                                               const char *domain);

/* The [relay_domain] of domain (any case, trailing dot), or NULL. */
const struct config_relay_domain *
config_find_relay_domain(const struct config *cfg, const char *domain);

/* The [domain] unqualified addresses and the host's names stand for
 * (origin_domain, else the first [domain]); NULL without domains. */
const struct config_domain *config_origin(const struct config *cfg);
/* Its name, else the host name: what an unqualified address gets. */
const char *config_origin_name(const struct config *cfg);
/* Is name this host (hostname, host_names, the system's name or
 * localhost), so that mail to it is local, for the origin domain? */
bool config_is_host_name(const struct config *cfg, const char *name);
/* Where the extension of a local part starts ("alice+tag": 5), or 0
 * when it has none (recipient_delimiter). */
size_t config_extension_at(const struct config *cfg, const char *local);
/* Is mail for this mailbox of d delivered over LMTP (d->lmtp_addr)? */
bool config_delivers_lmtp(const struct config_domain *d,
                          const char *local_part);

/* Alias chains longer than this are refused at load time. */
#define CONFIG_ALIAS_DEPTH_MAX 10

enum config_dest {
	CONFIG_DEST_MAILBOX,   /* an active mailbox */
	CONFIG_DEST_DISABLED,  /* a disabled mailbox */
	CONFIG_DEST_ALIAS,     /* *alias is set */
	CONFIG_DEST_CATCH_ALL, /* unknown, but the domain has a catch-all */
	CONFIG_DEST_UNKNOWN,
};

/*
 * What a local part (any case) means in a domain: mailboxes first, then
 * aliases, then the catch-all.  alias may be NULL.
 */
enum config_dest config_lookup(const struct config_domain *d,
                               const char *local_part,
                               const struct config_alias **alias);

/* Each path a path option names (the server's, then each [domain]'s),
 * set or defaulted: the files and directories the daemon may open.  The
 * options marked secret in the table are left out. */
void config_for_each_path(const struct config *cfg,
                          void (*fn)(void *arg, const char *path), void *arg);
/* The paths of the options marked secret: what only the key processes
 * read (cli/keyproc.c). */
void config_for_each_secret_path(const struct config *cfg,
                                 void (*fn)(void *arg, const char *path),
                                 void *arg);

#endif
