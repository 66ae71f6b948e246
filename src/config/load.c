/*
 * load.c — reading a configuration file with libinih.
 *
 * libinih splits "key = value" lines and strips comments, but it reports
 * only the first syntax error and never tells the handler which line it is
 * on.  So the lines reach it through our own reader, which counts them,
 * checks their syntax (reporting every bad line and handing libinih an
 * empty line instead), handles [section] headers itself, and strips
 * leading white space so an indented key is never mistaken for a
 * continuation of the previous value.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"

void
load_error_at(struct load_ctx *ctx, const char *file, int line, const char *fmt,
              ...)
{
	va_list ap;

	fprintf(ctx->err, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	ctx->nerrors++;
}

void
load_error(struct load_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "%s:%d: ", ctx->file, line);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	ctx->nerrors++;
}

void
load_warning_at(struct load_ctx *ctx, const char *file, int line,
                const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "%s:%d: warning: ", file, line);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

void
source_warning(struct load_ctx *ctx, const char *source, const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "%s: warning: ", source);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

void
source_error(struct load_ctx *ctx, const char *source, const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "%s: ", source);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	ctx->nerrors++;
}

static void
section_begin(struct load_ctx *ctx, char *name)
{
	size_t i;

	ctx->kind = SEC_BAD;
	if (strncmp(name, "relay_domain", 12) == 0 &&
	    (name[12] == '\0' || isspace((unsigned char)name[12]))) {
		ctx->section = "relay_domain";
		if (relay_domain_begin(ctx, name + 12) == 0)
			ctx->kind = SEC_RELAY_DOMAIN;
		return;
	}
	if (strncmp(name, "domain", 6) == 0 &&
	    (name[6] == '\0' || isspace((unsigned char)name[6]))) {
		ctx->section = "domain";
		if (domain_begin(ctx, name + 6) == 0)
			ctx->kind = SEC_DOMAIN;
		return;
	}
	for (i = 0; config_sections[i] != NULL; i++) {
		if (strcmp(name, config_sections[i]) == 0 &&
		    strcmp(name, "domain") != 0 &&
		    strcmp(name, "relay_domain") != 0) {
			ctx->section = config_sections[i];
			ctx->kind = SEC_PLAIN;
			return;
		}
	}
	load_error(ctx, ctx->lineno, "unknown section [%s] (expected %s)", name,
	           config_sections_text());
}

/* A "[name]" line; text after ']' may only be a comment. */
static void
section_line(struct load_ctx *ctx, char *p)
{
	char *close = strchr(p, ']'), *rest, *name, *end;

	if (close == NULL) {
		load_error(ctx, ctx->lineno, "missing ']' in section header");
		ctx->kind = SEC_BAD;
		return;
	}
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		load_error(ctx, ctx->lineno, "unexpected text after ']'");
		ctx->kind = SEC_BAD;
		return;
	}
	*close = '\0';
	for (name = p + 1; isspace((unsigned char)*name); name++)
		;
	end = name + strlen(name);
	while (end > name && isspace((unsigned char)end[-1]))
		*--end = '\0';
	section_begin(ctx, name);
}

/* Classifies one line; returns false when libinih must not see it. */
static bool
check_line(struct load_ctx *ctx, char *p, int max)
{
	char *sep;

	if (*p == '\0' || *p == ';' || *p == '#')
		return true;
	if ((int)strlen(p) > max) {
		load_error(ctx, ctx->lineno,
		           "line is longer than %d characters", max);
		return false;
	}
	if (*p == '[') {
		section_line(ctx, p);
		return false;
	}
	sep = strpbrk(p, "=:");
	if (sep == NULL) {
		load_error(ctx, ctx->lineno, "expected 'key = value'");
		return false;
	}
	if (sep == p) {
		load_error(ctx, ctx->lineno, "missing key before '%c'", *sep);
		return false;
	}
	return true;
}

/* " # text" and " ; text" end a line with a comment.  No value can hold
 * them: values without spaces cannot, and the lists, aliases and sender
 * rules that have spaces take no '#' or ';'. */
static void
strip_trailing_comment(char *p)
{
	char *c;

	for (c = p; *c != '\0'; c++) {
		if ((*c == '#' || *c == ';') && c > p &&
		    isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	}
}

static char *
reader(char *buf, int size, void *stream)
{
	struct load_ctx *ctx = stream;
	ssize_t n;
	char *p;

	n = getline(&ctx->line, &ctx->cap, ctx->in);
	if (n < 0)
		return NULL;
	ctx->lineno++;
	while (n > 0 && (ctx->line[n - 1] == '\n' || ctx->line[n - 1] == '\r'))
		ctx->line[--n] = '\0';
	for (p = ctx->line; isspace((unsigned char)*p); p++)
		;
	/* Room for the newline and the terminator libinih expects. */
	if (!check_line(ctx, p, size - 2))
		p = "";
	else if (*p != '#' && *p != ';')
		strip_trailing_comment(p);
	snprintf(buf, (size_t)size, "%s\n", p);
	return buf;
}

static void
record_setting(struct load_ctx *ctx, const char *key, const char *value)
{
	struct config *cfg = ctx->cfg;
	struct config_setting *s;

	cfg->settings = cfg_reallocarray(cfg->settings, cfg->nsettings + 1,
	                                 sizeof(*cfg->settings));
	s = &cfg->settings[cfg->nsettings++];
	if (ctx->kind == SEC_DOMAIN)
		s->section = cfg_asprintf("domain %s",
		                          cfg->domains[cfg->ndomains - 1].name);
	else if (ctx->kind == SEC_RELAY_DOMAIN)
		s->section = cfg_asprintf(
		        "relay_domain %s",
		        cfg->relay_domains[cfg->nrelay_domains - 1].name);
	else
		s->section = cfg_strdup(ctx->section);
	s->key = cfg_strdup(key);
	s->value = cfg_strdup(value);
}

static int
handler(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *ctx = user;
	const struct config_option *opt;
	int *set_line;

	if (ctx->kind == SEC_BAD)
		return 1; /* already reported at the section header */
	if (ctx->kind == SEC_NONE) {
		load_error(ctx, ctx->lineno, "'%s' is outside of any section",
		           key);
		return 1;
	}
	opt = config_option_find(ctx->section, key);
	if (opt == NULL) {
		if (ctx->kind == SEC_DOMAIN)
			load_error(
			        ctx, ctx->lineno,
			        "unknown key '%s' in [domain %s]", key,
			        ctx->cfg->domains[ctx->cfg->ndomains - 1].name);
		else if (ctx->kind == SEC_RELAY_DOMAIN)
			load_error(ctx, ctx->lineno,
			           "unknown key '%s' in [relay_domain %s]", key,
			           ctx->cfg->relay_domains
			                   [ctx->cfg->nrelay_domains - 1]
			                           .name);
		else if (strcmp(ctx->section, "policy") == 0 &&
		         strcmp(key, "trusted_networks") == 0)
			load_error(ctx, ctx->lineno,
			           "[policy] trusted_networks is now "
			           "exempt_networks (who may relay: [relay] "
			           "trusted_networks)");
		else
			load_error(ctx, ctx->lineno, "unknown key '%s' in [%s]",
			           key, ctx->section);
		return 1;
	}
	if (ctx->kind == SEC_DOMAIN)
		set_line = &ctx->dl[ctx->cfg->ndomains - 1].set_line[0];
	else if (ctx->kind == SEC_RELAY_DOMAIN)
		set_line = &ctx->rl[ctx->cfg->nrelay_domains - 1].set_line[0];
	else
		set_line = &ctx->set_line[0];
	set_line += config_option_index(opt);
	if (!opt->repeatable && *set_line != 0) {
		load_error(ctx, ctx->lineno, "%s: already set on line %d", key,
		           *set_line);
		return 1;
	}
	*set_line = ctx->lineno;
	record_setting(ctx, key, value);
	if (ctx->kind == SEC_DOMAIN)
		value_set(ctx, opt, &ctx->cfg->domains[ctx->cfg->ndomains - 1],
		          value);
	else if (ctx->kind == SEC_RELAY_DOMAIN)
		value_set(
		        ctx, opt,
		        &ctx->cfg->relay_domains[ctx->cfg->nrelay_domains - 1],
		        value);
	else
		value_set(ctx, opt, ctx->cfg, value);
	return 1;
}

static char *
default_hostname(void)
{
	char name[HOST_NAME_MAX + 1];

	if (gethostname(name, sizeof(name)) != 0 || name[0] == '\0')
		return cfg_strdup("localhost");
	name[sizeof(name) - 1] = '\0';
	return config_lower(name);
}

/* Table defaults for every option the file left unset. */
static void
apply_defaults(struct load_ctx *ctx)
{
	const struct config_option *opt;
	size_t i;

	ctx->lineno = 0;
	for (i = 0; i < config_noptions; i++) {
		opt = &config_options[i];
		if (strcmp(opt->section, "domain") == 0 ||
		    strcmp(opt->section, "relay_domain") == 0 ||
		    ctx->set_line[i] != 0 || opt->def == NULL)
			continue;
		value_set(ctx, opt, ctx->cfg, opt->def);
	}
	if (ctx->cfg->hostname == NULL)
		ctx->cfg->hostname = default_hostname();
	if (ctx->cfg->policy.state_file == NULL && ctx->cfg->spool_dir)
		ctx->cfg->policy.state_file =
		        cfg_asprintf("%s/policy.state", ctx->cfg->spool_dir);
}

static void
check_domains(struct load_ctx *ctx)
{
	size_t root, aliases, i;

	root = config_option_index(
	        config_option_find("domain", "maildir_root"));
	aliases = config_option_index(
	        config_option_find("server", "aliases_file"));
	for (i = 0; i < ctx->cfg->ndomains; i++) {
		lmtp_check_domain(ctx, i);
		if (ctx->dl[i].set_line[root] == 0 &&
		    (ctx->cfg->domains[i].lmtp == NULL ||
		     ctx->cfg->domains[i].lmtp_some))
			load_error(ctx, ctx->dl[i].line,
			           "[domain %s]: maildir_root is required",
			           ctx->cfg->domains[i].name);
	}
	if (ctx->cfg->aliases_file != NULL)
		aliases_file_load(ctx, ctx->cfg->aliases_file,
		                  ctx->set_line[aliases]);
	relay_domains_check(ctx);
	config_cross_check(ctx);
	stack_options_check(ctx);
}

static struct config *
load_stream(struct load_ctx *ctx)
{
	int rc;

	ctx->cfg = cfg_calloc(1, sizeof(*ctx->cfg));
	ctx->cfg->refs = 1;
	rc = ini_parse_stream(reader, ctx, handler, ctx);
	if (rc == -2)
		load_error(ctx, ctx->lineno, "out of memory");
	else if (rc > 0 && ctx->nerrors == 0)
		load_error(ctx, rc, "expected 'key = value'");
	else if (ferror(ctx->in))
		load_error(ctx, ctx->lineno, "read error: %s", strerror(errno));
	apply_defaults(ctx);
	check_domains(ctx);
	free(ctx->line);
	free(ctx->dl);
	free(ctx->rl);
	free(ctx->basedir);
	if (ctx->nerrors == 0)
		return ctx->cfg;
	config_free(ctx->cfg);
	return NULL;
}

/* The directory relative paths are resolved against, made absolute. */
static char *
base_directory(const char *path)
{
	char *copy, *dir, *abs;

	if (path == NULL)
		return getcwd(NULL, 0);
	copy = cfg_strdup(path);
	dir = dirname(copy);
	abs = realpath(dir, NULL);
	free(copy);
	return abs;
}

struct config *
config_load_stream(FILE *in, const char *name, const char *basedir, FILE *err)
{
	struct load_ctx ctx = {.err = err, .file = name, .in = in};

	ctx.basedir = cfg_strdup(basedir);
	return load_stream(&ctx);
}

struct config *
config_load(const char *path, FILE *err)
{
	struct config *cfg;
	char *text = NULL, *base;
	size_t len = 0;
	FILE *in;

	if (path == NULL) {
		in = open_memstream(&text, &len);
		if (in == NULL)
			return NULL;
		config_print_default(in);
		fclose(in);
		in = fmemopen(text, len, "r");
	} else {
		in = fopen(path, "r");
	}
	base = base_directory(path);
	if (in == NULL || base == NULL) {
		fprintf(err, "%s: %s\n", path ? path : "(default)",
		        strerror(errno));
		if (in != NULL)
			fclose(in);
		free(base);
		free(text);
		return NULL;
	}
	cfg = config_load_stream(in, path ? path : "(default)", base, err);
	fclose(in);
	free(base);
	free(text);
	return cfg;
}

static void
domain_free(struct config_domain *d)
{
	size_t i;

	for (i = 0; i < d->nmailboxes; i++)
		free(d->mailboxes[i].name);
	for (i = 0; i < d->naliases; i++)
		alias_free(&d->aliases[i]);
	free(d->mailboxes);
	free(d->aliases);
	free(d->name);
	free(d->maildir_root);
	free(d->catch_all_target);
	free(d->owner);
	free(d->mode);
	free(d->lmtp);
	free(d->alias_map);
	free(d->mailbox_map);
	free(d->lmtp_addr);
	for (i = 0; i < d->nmailbox_owners; i++) {
		free(d->mailbox_owners[i].name);
		free(d->mailbox_owners[i].owner);
	}
	free(d->mailbox_owners);
	for (i = 0; i < d->nmailbox_quotas; i++)
		free(d->mailbox_quotas[i].name);
	free(d->mailbox_quotas);
}

static void policy_config_free(struct config_policy *p);

const struct config *
config_ref(const struct config *cfg)
{
	/* The count is the one field that changes after load; the object
	 * was allocated writable, so the cast is sound. */
	struct config *c = (struct config *)cfg;

	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void
config_release(const struct config *cfg)
{
	config_free((struct config *)cfg);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	/* A count of 0 is an object built by hand (tests): one holder. */
	if (__atomic_fetch_sub(&cfg->refs, 1, __ATOMIC_ACQ_REL) > 1)
		return;
	for (i = 0; i < cfg->nlisteners; i++)
		free(cfg->listeners[i].address);
	for (i = 0; i < cfg->ndomains; i++)
		domain_free(&cfg->domains[i]);
	for (i = 0; i < cfg->nrelay_domains; i++)
		relay_domain_free(&cfg->relay_domains[i]);
	free(cfg->relay_domains);
	free(cfg->listeners);
	free(cfg->domains);
	free(cfg->hostname);
	free(cfg->user);
	free(cfg->log);
	free(cfg->spool_dir);
	free(cfg->aliases_file);
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg->tls_min_version);
	free(cfg->tls_ciphers);
	free(cfg->tls_submission_ciphers);
	free(cfg->auth_passwd_file);
	free(cfg->auth_dovecot_socket);
	for (i = 0; i < cfg->nsenders; i++)
		config_sender_free(&cfg->senders[i]);
	for (i = 0; i < cfg->ntransports; i++) {
		free(cfg->transports[i].domain);
		free(cfg->transports[i].next_hop.address);
	}
	free(cfg->transports);
	free(cfg->relay_smarthost.address);
	free(cfg->metrics_listen.address);
	free(cfg->relay_smarthost_user);
	free(cfg->relay_smarthost_password);
	free(cfg->relay_dns_local_data);
	free(cfg->relay_resolv_conf);
	free(cfg->relay_dns_forwarder);
	free(cfg->relay_trust_anchor);
	free(cfg->relay_mta_sts_ca_file);
	free(cfg->relay_tls_required);
	free(cfg->relay_tls_report_from);
	free(cfg->relay_tls_policy_map);
	free(cfg->relay_tls_ca_file);
	config_list_free(&cfg->relay_trusted_networks);
	for (i = 0; i < cfg->nsettings; i++) {
		free(cfg->settings[i].section);
		free(cfg->settings[i].key);
		free(cfg->settings[i].value);
	}
	free(cfg->settings);
	free(cfg->log_file);
	free(cfg->log_format);
	free(cfg->recipient_delimiter);
	free(cfg->origin_domain);
	free(cfg->host_names);
	free(cfg->relay_smarthost_ca_file);
	free(cfg->relay_smarthost_fingerprint);
	free(cfg->relay_smarthost_password_file);
	free(cfg->dkim_key_dir);
	free(cfg->dkim_sign_networks);
	free(cfg->mailauth_authserv_id);
	free(cfg->mailauth_public_suffix_list);
	free(cfg->mailauth_arc_trusted_sealers);
	free(cfg->milter_smtp);
	free(cfg->milter_submission);
	free(cfg->senders);
	policy_config_free(&cfg->policy);
	config_list_free(&cfg->doctor_ip_blocklists);
	config_list_free(&cfg->doctor_domain_blocklists);
	free(cfg);
}

static void
policy_config_free(struct config_policy *p)
{
	size_t i;

	free(p->state_file);
	free(p->redis_server.address);
	free(p->redis_socket);
	free(p->redis_username);
	free(p->redis_password);
	free(p->redis_tls_ca_file);
	free(p->redis_tls_cert_file);
	free(p->redis_tls_key_file);
	free(p->redis_tls_server_name);
	free(p->redis_prefix);
	config_list_free(&p->exempt_networks);
	config_list_free(&p->access_client);
	config_list_free(&p->access_sender);
	config_list_free(&p->access_recipient);
	config_list_free(&p->dnsbl);
	config_list_free(&p->dnswl);
	for (i = 0; i < p->nuser_max_rcpt; i++)
		free(p->user_max_rcpt[i].login);
	free(p->user_max_rcpt);
	for (i = 0; i < p->nexempt; i++) {
		free(p->exempt[i].rule);
		config_list_free(&p->exempt[i].items);
	}
	free(p->exempt);
}

void
config_sender_free(struct config_sender *snd)
{
	size_t i;

	for (i = 0; i < snd->npatterns; i++)
		free(snd->patterns[i]);
	free(snd->patterns);
	free(snd->login);
	memset(snd, 0, sizeof(*snd));
}
