/*
 * config_int — private parts of the config module: the option table type,
 * the load context shared by the parsing files, and their helpers.  Nothing
 * outside src/config/ (and its unit test) includes this.
 */
#ifndef FERRY_CONFIG_INT_H
#define FERRY_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

/* Upper bound on table rows, so per-option bookkeeping can be fixed arrays. */
#define CONFIG_MAX_OPTIONS 256

enum opt_type {
	OPT_STRING,        /* char *: free text without spaces */
	OPT_PATH,          /* char *: relative to the config file's directory */
	OPT_KEYWORD,       /* char *: one of values[] */
	OPT_ENUM,          /* int: index into values[] */
	OPT_INT,           /* int in [min, max] */
	OPT_DURATION,      /* int seconds; s/m/h/d suffix */
	OPT_SIZE,          /* size_t octets; K/M/G suffix */
	OPT_BOOL,          /* bool */
	OPT_LISTEN,        /* listener list */
	OPT_MAILBOX,       /* [domain]: active mailbox names */
	OPT_DISABLED,      /* [domain]: disabled mailbox names */
	OPT_ALIAS,         /* [domain]: "name: target, target" */
	OPT_CATCH_ALL,     /* [domain]: mailbox receiving unknown local parts */
	OPT_MAILBOX_OWNER, /* [domain]: "name: user[:group]" */
	OPT_SENDER,        /* [auth]: "login: address, *@domain" */
	OPT_TRANSPORT,     /* [relay]: "domain: address:port" */
	OPT_HOP,           /* struct config_listener: one "address:port" */
	OPT_FLAGS,     /* unsigned: bit i for values[i], listed in any case */
	OPT_RATES,     /* struct config_rates: "N/DURATION, ..." or "off" */
	OPT_NETS,      /* struct config_list of CIDR networks, or "none" */
	OPT_ADDRS,     /* struct config_list of addresses and @domains */
	OPT_USER_INT,  /* [policy]: "login: N" */
	OPT_EXEMPT,    /* [policy]: "RULE: item, item" */
	OPT_DNSLISTS,  /* struct config_list of "zone" or "zone=A|A" */
	OPT_LMTP_MBOX, /* [domain]: mailboxes delivered over LMTP */
	OPT_MAILBOX_QUOTA, /* [domain]: "name: size[, messages]" */
	OPT_MAP,           /* char *: a map spec, checked and made absolute */
	OPT_RELAY_RCPTS,   /* [relay_domain]: local parts or addresses */
	OPT_NEXT_HOP,      /* struct config_listener: HOST[:PORT] */
};

struct config_option {
	const char *section; /* "domain" stands for every [domain NAME] */
	const char *key;
	enum opt_type type;
	size_t offset;             /* in struct config or config_domain */
	const char *def;           /* default in file syntax; NULL: none */
	const char *def_text;      /* shown instead of def when computed */
	const char *const *values; /* OPT_KEYWORD, OPT_ENUM, OPT_FLAGS */
	long min, max;             /* OPT_INT */
	bool repeatable;
	bool required;
	/* A file the key processes read and the daemon never may (private
	 * keys, password hashes, and the certificate read with its key): the
	 * daemon's sandbox grants no rule that reaches it. */
	bool secret;
	const char *doc;     /* one line */
	const char *more;    /* longer explanation, may be NULL */
	const char *example; /* an example value */
};

extern const struct config_option config_options[];
extern const size_t config_noptions;
extern const char *const config_sections[]; /* in reference order */
/* The same as text: "server, tls, ..., queue or domain NAME". */
const char *config_sections_text(void);

const struct config_option *config_option_find(const char *section,
                                               const char *key);
size_t config_option_index(const struct config_option *opt);
const char *config_type_name(const struct config_option *opt);

/* Per-domain load bookkeeping, parallel to cfg->domains. */
struct domain_load {
	int line;                         /* of the [domain] header */
	int set_line[CONFIG_MAX_OPTIONS]; /* where each key was set */
};

enum section_kind {
	SEC_NONE,
	SEC_BAD,
	SEC_PLAIN,
	SEC_DOMAIN,
	SEC_RELAY_DOMAIN,
};

struct load_ctx {
	struct config *cfg;
	FILE *err;
	const char *file; /* as shown in messages */
	char *basedir;    /* relative paths resolve against it */
	FILE *in;
	char *line; /* getline buffer */
	size_t cap;
	int lineno;
	int nerrors;
	enum section_kind kind;
	const char *section; /* table name of the current section */
	struct domain_load *dl;
	struct domain_load *rl; /* parallel to cfg->relay_domains */
	int set_line[CONFIG_MAX_OPTIONS];
};

/* config_load() on an open stream; name is used in messages. */
struct config *config_load_stream(FILE *in, const char *name,
                                  const char *basedir, FILE *err);

/* "FILE:LINE: message" to the error stream; counts the error. */
void load_error(struct load_ctx *ctx, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void load_error_at(struct load_ctx *ctx, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "FILE:LINE: warning: message": reported, but not an error. */
void load_warning_at(struct load_ctx *ctx, const char *file, int line,
                     const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void source_warning(struct load_ctx *ctx, const char *source, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* The same, where the place is a "FILE:LINE" string (config_alias.source). */
void source_error(struct load_ctx *ctx, const char *source, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* value.c: parse one value of a plain option into its field. */
int value_set(struct load_ctx *ctx, const struct config_option *opt, void *base,
              const char *value);
int value_parse_size(const char *s, size_t *out);
int value_parse_duration(const char *s, int *out);
int value_parse_listen(const char *item, struct config_listener *out);
/* "ADDRESS:PORT" or "HOST:PORT" (a name with a dot). */
int value_parse_hop(const char *value, struct config_listener *hop);
char *value_resolve_path(const char *basedir, const char *path);

/* policy_value.c: the value types of [policy]. */
int policy_value_set(struct load_ctx *ctx, const struct config_option *opt,
                     void *field, const char *value);
void config_list_free(struct config_list *l);
/* Rules that accept exemptions (exempt = RULE: ...). */
extern const char *const config_exempt_rules[];

/* domain.c: [domain NAME] sections. */
int domain_begin(struct load_ctx *ctx, const char *name);
int domain_set(struct load_ctx *ctx, const struct config_option *opt,
               const char *value);
bool config_valid_local_part(const char *s);
bool config_valid_domain(const char *s);
char *config_lower(const char *s);
const struct config_mailbox *config_find_mailbox(const struct config_domain *d,
                                                 const char *name);
const struct config_alias *config_find_alias(const struct config_domain *d,
                                             const char *name);
int alias_parse_targets(struct load_ctx *ctx, const char *file, int line,
                        const char *list, const char *qualify,
                        struct config_alias *a);
void alias_free(struct config_alias *a);

/* relay_domain.c: [relay_domain NAME] sections. */
int relay_domain_begin(struct load_ctx *ctx, const char *name);
int relay_domain_set(struct load_ctx *ctx, const struct config_option *opt,
                     void *base, const char *value);
void relay_domains_check(struct load_ctx *ctx);
void relay_domain_free(struct config_relay_domain *r);
/* An OPT_MAP value: the spec with its path made absolute, opened once to
 * report a missing or broken file at its line. */
int map_value_set(struct load_ctx *ctx, const struct config_option *opt,
                  char **field, const char *value);

/* aliases.c: the aliases file, merged into the domains. */
int aliases_file_load(struct load_ctx *ctx, const char *path, int line);
/* check.c: checks that need every section read. */
void config_cross_check(struct load_ctx *ctx);

/* lmtp.c: lmtp_mailbox items; the lmtp target of domain i, checked. */
int lmtp_mailbox_set(struct load_ctx *ctx, const char *value);
void lmtp_check_domain(struct load_ctx *ctx, size_t i);

/* milter.c: the [milter] address lists and the [metrics] address. */
void stack_options_check(struct load_ctx *ctx);

/* Strings the loader duplicates; NULL-safe free helpers. */
void *cfg_calloc(size_t n, size_t size);
void *cfg_reallocarray(void *p, size_t n, size_t size);
char *cfg_strdup(const char *s);
char *cfg_strndup(const char *s, size_t n);
void config_sender_free(struct config_sender *snd);
char *cfg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Calls fn for each item of a comma-separated list, trimmed; an empty item
 * is reported at FILE:LINE.  Returns -1 if anything failed.
 */
typedef int (*cfg_item_fn)(struct load_ctx *ctx, void *arg, const char *item);
int cfg_each_item(struct load_ctx *ctx, const char *file, int line,
                  const char *list, cfg_item_fn fn, void *arg);

#endif
