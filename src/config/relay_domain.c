/*
 * relay_domain.c — [relay_domain NAME] sections: domains ferry takes mail
 * for and forwards, their recipients and next hop; and the map values
 * (alias_map, recipient_map), opened once at load so that a missing or
 * broken file is reported at its line.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "map/map.h"

const struct config_relay_domain *
config_find_relay_domain(const struct config *cfg, const char *domain)
{
	size_t i, len;

	if (cfg == NULL || domain == NULL)
		return NULL;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	for (i = 0; i < cfg->nrelay_domains; i++)
		if (strlen(cfg->relay_domains[i].name) == len &&
		    strncasecmp(cfg->relay_domains[i].name, domain, len) == 0)
			return &cfg->relay_domains[i];
	return NULL;
}

int
relay_domain_begin(struct load_ctx *ctx, const char *raw)
{
	struct config *cfg = ctx->cfg;
	char *name;
	size_t i, len;

	while (isspace((unsigned char)*raw))
		raw++;
	name = config_lower(raw);
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (*name == '\0')
		load_error(ctx, ctx->lineno,
		           "[relay_domain] needs a name, as in [relay_domain "
		           "example.net]");
	else if (!config_valid_domain(name))
		load_error(ctx, ctx->lineno, "'%s' is not a valid domain name",
		           name);
	if (*name == '\0' || !config_valid_domain(name)) {
		free(name);
		return -1;
	}
	for (i = 0; i < cfg->nrelay_domains; i++) {
		if (strcmp(cfg->relay_domains[i].name, name) == 0) {
			load_error(ctx, ctx->lineno,
			           "duplicate [relay_domain %s] (first on line "
			           "%d)",
			           name, ctx->rl[i].line);
			free(name);
			return -1;
		}
	}
	cfg->relay_domains =
	        cfg_reallocarray(cfg->relay_domains, cfg->nrelay_domains + 1,
	                         sizeof(*cfg->relay_domains));
	ctx->rl = cfg_reallocarray(ctx->rl, cfg->nrelay_domains + 1,
	                           sizeof(*ctx->rl));
	memset(&cfg->relay_domains[cfg->nrelay_domains], 0,
	       sizeof(*cfg->relay_domains));
	memset(&ctx->rl[cfg->nrelay_domains], 0, sizeof(*ctx->rl));
	cfg->relay_domains[cfg->nrelay_domains].name = name;
	ctx->rl[cfg->nrelay_domains].line = ctx->lineno;
	cfg->nrelay_domains++;
	return 0;
}

/* "alice" or "alice@NAME": the domain's own addresses only. */
static int
add_recipient(struct load_ctx *ctx, void *arg, const char *item)
{
	struct config_relay_domain *r = arg;
	const char *at = strrchr(item, '@');
	char *addr, *local = cfg_strndup(item, at ? (size_t)(at - item)
	                                          : strlen(item));

	if (!config_valid_local_part(local) ||
	    (at && strcasecmp(at + 1, r->name) != 0)) {
		load_error(ctx, ctx->lineno,
		           "recipients: '%s' is not a local part or an "
		           "address of %s",
		           item, r->name);
		free(local);
		return -1;
	}
	addr = cfg_asprintf("%s@%s", local, r->name);
	free(local);
	r->recipients = cfg_reallocarray(r->recipients, r->nrecipients + 1,
	                                 sizeof(*r->recipients));
	r->recipients[r->nrecipients++] = config_lower(addr);
	free(addr);
	return 0;
}

/* HOST[:PORT]: port 25 when it is left out. */
static int
set_next_hop(struct load_ctx *ctx, struct config_listener *hop,
             const char *value)
{
	const char *colon = strrchr(value, ':');
	const char *bracket = strrchr(value, ']');
	char *with_port = NULL;
	int rc;

	free(hop->address);
	hop->address = NULL;
	if (colon == NULL || (bracket != NULL && bracket > colon))
		with_port = cfg_asprintf("%s:25", value);
	rc = value_parse_hop(with_port ? with_port : value, hop);
	free(with_port);
	if (rc < 0)
		load_error(
		        ctx, ctx->lineno,
		        "next_hop: '%s' is not HOST[:PORT] or ADDRESS[:PORT] "
		        "(IPv6 as [2001:db8::1]:25)",
		        value);
	return rc;
}

int
relay_domain_set(struct load_ctx *ctx, const struct config_option *opt,
                 void *base, const char *value)
{
	struct config_relay_domain *r = base;

	if (opt->type == OPT_NEXT_HOP)
		return set_next_hop(ctx, &r->next_hop, value);
	return cfg_each_item(ctx, ctx->file, ctx->lineno, value, add_recipient,
	                     r);
}

int
map_value_set(struct load_ctx *ctx, const struct config_option *opt,
              char **field, const char *value)
{
	enum map_kind kind;
	const char *path;
	char err[1024], *abs;
	struct map *m;

	if (map_spec_parse(value, &kind, &path) < 0) {
		load_error(
		        ctx, ctx->lineno,
		        "%s: '%s' is not a map (text:PATH, cdb:PATH or PATH)",
		        opt->key, value);
		return -1;
	}
	abs = value_resolve_path(ctx->basedir, path);
	free(*field);
	*field = cfg_asprintf("%s:%s",
	                      kind == MAP_CDB    ? "cdb"
	                      : kind == MAP_LMDB ? "lmdb"
	                                         : "text",
	                      abs);
	free(abs);
	m = map_open(*field, err, sizeof(err));
	if (m == NULL) {
		load_error(ctx, ctx->lineno, "%s: %s", opt->key, err);
		return -1;
	}
	map_free(m);
	return 0;
}

/* A domain is delivered here or forwarded, not both. */
void
relay_domains_check(struct load_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	size_t i;

	for (i = 0; i < cfg->nrelay_domains; i++)
		if (config_find_domain(cfg, cfg->relay_domains[i].name))
			load_error(
			        ctx, ctx->rl[i].line,
			        "[relay_domain %s] is also a [domain]: mail "
			        "for it is either delivered here or forwarded",
			        cfg->relay_domains[i].name);
}

void
relay_domain_free(struct config_relay_domain *r)
{
	size_t i;

	for (i = 0; i < r->nrecipients; i++)
		free(r->recipients[i]);
	free(r->recipients);
	free(r->recipient_map);
	free(r->next_hop.address);
	free(r->name);
}
