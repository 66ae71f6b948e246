/*
 * check.c — checks that need the whole configuration read: aliases that
 * shadow mailboxes, targets that lead nowhere, a catch-all that is not a
 * mailbox, postmaster without a destination, and alias loops.  Doing them
 * at load time lets the recipient resolver trust what it is given.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"

/* Splits "local@domain" and looks it up; NULL domain: not one of ours. */
static const struct config_domain *
lookup_address(const struct config *cfg, const char *addr,
               enum config_dest *dest, const struct config_alias **alias)
{
	const char *at = strrchr(addr, '@');
	const struct config_domain *d;
	char *local;

	d = at ? config_find_domain(cfg, at + 1) : NULL;
	if (d == NULL)
		return NULL;
	local = strndup(addr, (size_t)(at - addr));
	*alias = NULL;
	*dest = config_lookup(d, local ? local : "", alias);
	free(local);
	return d;
}

static void
check_aliases(struct load_ctx *ctx, const struct config_domain *d)
{
	const struct config_alias *a, *unused;
	enum config_dest dest;
	size_t i, j;

	for (i = 0; i < d->naliases; i++) {
		a = &d->aliases[i];
		if (config_find_mailbox(d, a->name) != NULL)
			source_error(
			        ctx, a->source,
			        "alias '%s' has the same name as a mailbox",
			        a->name);
		for (j = 0; j < a->ntargets; j++) {
			if (lookup_address(ctx->cfg, a->targets[j], &dest,
			                   &unused) != NULL &&
			    dest == CONFIG_DEST_UNKNOWN)
				source_error(
				        ctx, a->source,
				        "alias '%s': no mailbox or alias '%s'",
				        a->name, a->targets[j]);
		}
	}
}

static bool
owner_well_formed(const char *owner)
{
	const char *p = strchr(owner, ':');

	return owner[0] != ':' && owner[0] != '\0' &&
	       (p == NULL || (p[1] != '\0' && strchr(p + 1, ':') == NULL));
}

/* mailbox_owner: of a mailbox of the domain, in the owner form. */
static void
check_mailbox_owners(struct load_ctx *ctx, const struct config_domain *d)
{
	for (size_t j = 0; j < d->nmailbox_owners; j++) {
		const struct config_mailbox_owner *o = &d->mailbox_owners[j];

		if (config_find_mailbox(d, o->name) == NULL)
			load_error(ctx, o->line,
			           "mailbox_owner: '%s' is not a mailbox of %s",
			           o->name, d->name);
		if (!owner_well_formed(o->owner))
			load_error(ctx, o->line,
			           "mailbox_owner: '%s' is not USER or "
			           "USER:GROUP",
			           o->owner);
	}
}

/* mailbox_quota: of a mailbox of the domain; a quota on an alias or a
 * typo would otherwise limit nothing, silently. */
static void
check_mailbox_quotas(struct load_ctx *ctx, const struct config_domain *d)
{
	for (size_t j = 0; j < d->nmailbox_quotas; j++)
		if (config_find_mailbox(d, d->mailbox_quotas[j].name) == NULL)
			load_error(ctx, d->mailbox_quotas[j].line,
			           "mailbox_quota: '%s' is not a mailbox of %s",
			           d->mailbox_quotas[j].name, d->name);
}

/* owner "USER[:GROUP]" and the mode the daemon can write with. */
static void
check_owner(struct load_ctx *ctx, size_t i)
{
	struct config_domain *d = &ctx->cfg->domains[i];
	size_t owner =
	        config_option_index(config_option_find("domain", "owner"));
	size_t mode = config_option_index(config_option_find("domain", "mode"));
	char *end;
	unsigned long m;

	check_mailbox_owners(ctx, d);
	if (d->owner == NULL && d->nmailbox_owners == 0) {
		if (d->mode != NULL)
			load_error(ctx, ctx->dl[i].set_line[mode],
			           "mode: only with owner or mailbox_owner");
		return;
	}
	if (d->owner != NULL && !owner_well_formed(d->owner))
		load_error(ctx, ctx->dl[i].set_line[owner],
		           "owner: '%s' is not USER or USER:GROUP", d->owner);
	if (d->mode == NULL) {
		d->maildir_mode = 02770;
		return;
	}
	m = strtoul(d->mode, &end, 8);
	if (*end != '\0' || end == d->mode || m > 07777 || (m & 0070) != 0070 ||
	    (m & 0700) != 0700)
		load_error(ctx, ctx->dl[i].set_line[mode],
		           "mode: '%s' is not an octal mode giving owner and "
		           "group rwx, as 2770",
		           d->mode);
	else
		d->maildir_mode = (unsigned)m;
}

static void
check_domain(struct load_ctx *ctx, size_t i)
{
	const struct config_domain *d = &ctx->cfg->domains[i];
	size_t catch_idx;
	const char *local;

	catch_idx =
	        config_option_index(config_option_find("domain", "catch_all"));
	check_mailbox_quotas(ctx, d);
	if (d->catch_all) {
		/* catch_all_target is "NAME@DOMAIN"; NAME must be a mailbox. */
		local = strndupa(d->catch_all_target,
		                 strcspn(d->catch_all_target, "@"));
		if (config_find_mailbox(d, local) == NULL)
			load_error(ctx, ctx->dl[i].set_line[catch_idx],
			           "catch_all: '%s' is not a mailbox of %s",
			           local, d->name);
	}
	switch (config_lookup(d, "postmaster", NULL)) {
	case CONFIG_DEST_UNKNOWN:
		load_error(
		        ctx, ctx->dl[i].line,
		        "[domain %s]: mail to postmaster has no destination; "
		        "add 'alias = postmaster: NAME' (RFC 5321 s4.5.1)",
		        d->name);
		break;
	case CONFIG_DEST_DISABLED:
		load_error(ctx, ctx->dl[i].line,
		           "[domain %s]: postmaster must not be disabled",
		           d->name);
		break;
	default:
		break;
	}
	check_aliases(ctx, d);
	check_owner(ctx, i);
}

/* Depth-first walk over aliases; a grey alias seen again closes a loop. */
enum { WHITE, GREY, BLACK };

struct walk {
	struct load_ctx *ctx;
	unsigned char **color; /* [domain][alias] */
	const struct config_alias **path;
	size_t *path_domain;
	size_t depth;
};

static void report_loop(struct walk *w, const struct config_alias *to,
                        size_t to_domain);

static void
visit(struct walk *w, size_t di, const struct config_alias *a)
{
	const struct config_domain *d = &w->ctx->cfg->domains[di], *td;
	const struct config_alias *next;
	enum config_dest dest;
	size_t j, tdi;

	w->color[di][a - d->aliases] = GREY;
	w->path_domain[w->depth] = di;
	w->path[w->depth++] = a;
	if (w->depth == CONFIG_ALIAS_DEPTH_MAX + 1)
		source_error(w->ctx, a->source,
		             "alias '%s': chain of aliases deeper than %d",
		             a->name, CONFIG_ALIAS_DEPTH_MAX);
	for (j = 0; j < a->ntargets; j++) {
		td = lookup_address(w->ctx->cfg, a->targets[j], &dest, &next);
		if (td == NULL || dest != CONFIG_DEST_ALIAS)
			continue;
		tdi = (size_t)(td - w->ctx->cfg->domains);
		if (w->color[tdi][next - td->aliases] == GREY)
			report_loop(w, next, tdi);
		else if (w->color[tdi][next - td->aliases] == WHITE)
			visit(w, tdi, next);
	}
	w->depth--;
	w->color[di][a - d->aliases] = BLACK;
}

static void
report_loop(struct walk *w, const struct config_alias *to, size_t to_domain)
{
	const struct config_domain *domains = w->ctx->cfg->domains;
	char *chain = cfg_strdup(""), *next;
	size_t i, start = 0;

	for (i = 0; i < w->depth; i++)
		if (w->path[i] == to)
			start = i;
	for (i = start; i < w->depth; i++) {
		next = cfg_asprintf("%s%s@%s -> ", chain, w->path[i]->name,
		                    domains[w->path_domain[i]].name);
		free(chain);
		chain = next;
	}
	source_error(w->ctx, w->path[w->depth - 1]->source,
	             "alias loop: %s%s@%s", chain, to->name,
	             domains[to_domain].name);
	free(chain);
}

static void
check_loops(struct load_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	struct walk w = {.ctx = ctx};
	size_t i, j, total = 0;

	w.color = cfg_calloc(cfg->ndomains, sizeof(*w.color));
	for (i = 0; i < cfg->ndomains; i++) {
		w.color[i] = cfg_calloc(cfg->domains[i].naliases, 1);
		total += cfg->domains[i].naliases;
	}
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	w.path = cfg_calloc(total + 1, sizeof(*w.path));
	w.path_domain = cfg_calloc(total + 1, sizeof(*w.path_domain));
	for (i = 0; i < cfg->ndomains; i++)
		for (j = 0; j < cfg->domains[i].naliases; j++)
			if (w.color[i][j] == WHITE)
				visit(&w, i, &cfg->domains[i].aliases[j]);
	for (i = 0; i < cfg->ndomains; i++)
		free(w.color[i]);
	free(w.color);
	free(w.path);
	free(w.path_domain);
}

static int
set_line_of(const struct load_ctx *ctx, const char *section, const char *key)
{
	return ctx->set_line[config_option_index(
	        config_option_find(section, key))];
}

/* "AB:cd:..." to 64 lower-case hex digits in place; -1 if it is not one. */
static int
normalize_fingerprint(char *fp)
{
	size_t n = 0, i;

	for (i = 0; fp[i] != '\0'; i++) {
		if (fp[i] == ':')
			continue;
		if (!isxdigit((unsigned char)fp[i]) || n == 64)
			return -1;
		fp[n++] = (char)tolower((unsigned char)fp[i]);
	}
	fp[n] = '\0';
	return n == 64 ? 0 : -1;
}

/* Credentials go to the smarthost only over verified TLS: refuse what
 * could never be that. */
static void
check_smarthost(struct load_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	int user_line = set_line_of(ctx, "relay", "smarthost_user");

	if (cfg->relay_smarthost_fingerprint &&
	    normalize_fingerprint(cfg->relay_smarthost_fingerprint) < 0)
		load_error(ctx,
		           set_line_of(ctx, "relay", "smarthost_fingerprint"),
		           "smarthost_fingerprint: not a SHA-256 fingerprint "
		           "(64 hex digits, colons allowed)");
	if (cfg->relay_smarthost_password != NULL &&
	    cfg->relay_smarthost_password_file != NULL)
		load_error(ctx,
		           set_line_of(ctx, "relay", "smarthost_password_file"),
		           "smarthost_password_file: smarthost_password is set "
		           "too");
	if (cfg->relay_smarthost_user != NULL &&
	    cfg->relay_tls == TLS_POLICY_NONE)
		load_error(
		        ctx, user_line,
		        "smarthost_user: credentials are sent only over TLS, "
		        "and [relay] tls = none");
}

/* One without the other would silently fall back to the generated pair. */
static void
check_tls_pair(struct load_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;

	if (cfg->tls_cert_file != NULL && cfg->tls_key_file == NULL)
		load_error(ctx, set_line_of(ctx, "tls", "cert_file"),
		           "cert_file: key_file is not set");
	else if (cfg->tls_key_file != NULL && cfg->tls_cert_file == NULL)
		load_error(ctx, set_line_of(ctx, "tls", "key_file"),
		           "key_file: cert_file is not set");
}

/* DANE asked for without a readable trust anchor would validate nothing:
 * every MX lookup would fail.  The default level with the anchor missing
 * (no dns-root-data) is no error: DNSSEC then counts as unavailable,
 * logged, and dane acts as may (dns/dnssec_probe.h). */
static void
check_dane(struct load_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	int line = set_line_of(ctx, "relay", "dnssec_trust_anchor");
	int tls_line = set_line_of(ctx, "relay", "tls");

	if (cfg->relay_tls != TLS_POLICY_DANE &&
	    cfg->relay_tls != TLS_POLICY_DANE_ONLY)
		return;
	if (tls_line == 0)
		return;
	if (cfg->relay_trust_anchor == NULL ||
	    access(cfg->relay_trust_anchor, R_OK) != 0)
		load_error(ctx, line != 0 ? line : tls_line,
		           "dnssec_trust_anchor: cannot read '%s' (needed by "
		           "tls = %s)",
		           cfg->relay_trust_anchor ? cfg->relay_trust_anchor
		                                   : "",
		           cfg->relay_tls == TLS_POLICY_DANE ? "dane"
		                                             : "dane-only");
}

/* [auth] smtp: by default, AUTH only where users submit, when they can. */
static void
default_auth_smtp(struct load_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	size_t i;

	if (set_line_of(ctx, "auth", "smtp") != 0)
		return;
	cfg->auth_smtp = true;
	for (i = 0; i < cfg->nlisteners; i++)
		if (cfg->listeners[i].role != LISTENER_SMTP)
			cfg->auth_smtp = false;
}

static void
check_origin(struct load_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;

	if (cfg->origin_domain != NULL &&
	    config_find_domain(cfg, cfg->origin_domain) == NULL)
		load_error(ctx, set_line_of(ctx, "server", "origin_domain"),
		           "origin_domain: '%s' is not a [domain]",
		           cfg->origin_domain);
}

/* The daemon never resolves redis_server (a blocking lookup on the loop,
 * and a name that moves would split the shared state): numeric only. */
static void
check_redis_server(struct load_ctx *ctx)
{
	const struct config_policy *p = &ctx->cfg->policy;
	unsigned char bin[sizeof(struct in6_addr)];
	const char *a = p->redis_server.address;

	if (p->state != POLICY_STATE_REDIS || p->redis_socket != NULL ||
	    a == NULL)
		return;
	if (inet_pton(AF_INET, a, bin) != 1 && inet_pton(AF_INET6, a, bin) != 1)
		load_error(ctx, set_line_of(ctx, "policy", "redis_server"),
		           "redis_server: '%s' is not a numeric address", a);
}

/* may and encrypt are other names of optional and required. */
static void
normalize_relay_tls(struct load_ctx *ctx)
{
	const char *const *v = config_option_find("relay", "tls")->values;

	ctx->cfg->relay_tls = config_tls_level(v[ctx->cfg->relay_tls]);
}

void
config_cross_check(struct load_ctx *ctx)
{
	size_t i;

	normalize_relay_tls(ctx);
	check_origin(ctx);
	default_auth_smtp(ctx);
	check_smarthost(ctx);
	check_tls_pair(ctx);
	check_redis_server(ctx);
	check_dane(ctx);
	for (i = 0; i < ctx->cfg->ndomains; i++)
		check_domain(ctx, i);
	check_loops(ctx);
}
