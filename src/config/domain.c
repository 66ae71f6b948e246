/*
 * domain.c — [domain NAME] sections: the mailboxes, aliases and catch-all
 * of each local domain, and the name rules they share.  Names are stored
 * lower-case because mail addresses are matched without regard to case.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

static void
lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

char *
config_lower(const char *s)
{
	char *copy = cfg_strdup(s);

	lower_in_place(copy);
	return copy;
}

/*
 * Mailbox names become directory names, so the set is kept small: letters,
 * digits and . - _ + =, no leading or trailing dot and no "..".  '%' and '!'
 * are excluded because they mean source routing (RFC 5321 s3.6.1).
 */
bool
config_valid_local_part(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_+=", s[i]))
			return false;
	return true;
}

bool
config_valid_domain(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-' ||
			    s[i - label] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

const struct config_domain *
config_find_domain(const struct config *cfg, const char *domain)
{
	size_t i, len;

	if (cfg == NULL || domain == NULL)
		return NULL;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--; /* "example.org." is the same domain */
	for (i = 0; i < cfg->ndomains; i++)
		if (strlen(cfg->domains[i].name) == len &&
		    strncasecmp(cfg->domains[i].name, domain, len) == 0)
			return &cfg->domains[i];
	return NULL;
}

const struct config_mailbox *
config_find_mailbox(const struct config_domain *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nmailboxes; i++)
		if (strcasecmp(d->mailboxes[i].name, name) == 0)
			return &d->mailboxes[i];
	return NULL;
}

const struct config_alias *
config_find_alias(const struct config_domain *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->naliases; i++)
		if (strcasecmp(d->aliases[i].name, name) == 0)
			return &d->aliases[i];
	return NULL;
}

enum config_dest
config_lookup(const struct config_domain *d, const char *local_part,
              const struct config_alias **alias)
{
	const struct config_mailbox *mb = config_find_mailbox(d, local_part);
	const struct config_alias *a;

	if (mb != NULL)
		return mb->state == MAILBOX_ACTIVE ? CONFIG_DEST_MAILBOX
		                                   : CONFIG_DEST_DISABLED;
	a = config_find_alias(d, local_part);
	if (alias != NULL)
		*alias = a;
	if (a != NULL)
		return CONFIG_DEST_ALIAS;
	return d->catch_all ? CONFIG_DEST_CATCH_ALL : CONFIG_DEST_UNKNOWN;
}

static int
domain_name_error(struct load_ctx *ctx, const char *name)
{
	size_t i;

	if (*name == '\0') {
		load_error(ctx, ctx->lineno,
		           "[domain] needs a name, as in [domain example.org]");
		return -1;
	}
	if (!config_valid_domain(name)) {
		load_error(ctx, ctx->lineno, "'%s' is not a valid domain name",
		           name);
		return -1;
	}
	for (i = 0; i < ctx->cfg->ndomains; i++) {
		if (strcmp(ctx->cfg->domains[i].name, name) == 0) {
			load_error(ctx, ctx->lineno,
			           "duplicate [domain %s] (first on line %d)",
			           name, ctx->dl[i].line);
			return -1;
		}
	}
	return 0;
}

int
domain_begin(struct load_ctx *ctx, const char *raw)
{
	struct config *cfg = ctx->cfg;
	char *name;
	size_t len;

	while (isspace((unsigned char)*raw))
		raw++;
	name = config_lower(raw);
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (domain_name_error(ctx, name) < 0) {
		free(name);
		return -1;
	}
	cfg->domains = cfg_reallocarray(cfg->domains, cfg->ndomains + 1,
	                                sizeof(*cfg->domains));
	ctx->dl =
	        cfg_reallocarray(ctx->dl, cfg->ndomains + 1, sizeof(*ctx->dl));
	memset(&cfg->domains[cfg->ndomains], 0, sizeof(*cfg->domains));
	memset(&ctx->dl[cfg->ndomains], 0, sizeof(*ctx->dl));
	cfg->domains[cfg->ndomains].name = name;
	ctx->dl[cfg->ndomains].line = ctx->lineno;
	cfg->ndomains++;
	return 0;
}

static struct config_domain *
current_domain(struct load_ctx *ctx)
{
	return &ctx->cfg->domains[ctx->cfg->ndomains - 1];
}

static int
bad_name(struct load_ctx *ctx, const char *key, const char *name)
{
	load_error(ctx, ctx->lineno,
	           "%s: '%s' is not a valid mailbox name (letters, digits and "
	           ". - _ + =)",
	           key, name);
	return -1;
}

/* arg is the state the key declares: MAILBOX_ACTIVE or MAILBOX_DISABLED. */
static int
add_mailbox(struct load_ctx *ctx, void *arg, const char *item)
{
	enum mailbox_state state = *(enum mailbox_state *)arg;
	struct config_domain *d = current_domain(ctx);
	struct config_mailbox *mb;

	if (!config_valid_local_part(item))
		return bad_name(ctx, state ? "disabled" : "mailbox", item);
	mb = (struct config_mailbox *)config_find_mailbox(d, item);
	if (mb != NULL) {
		/* Listing a name under both keys disables it; twice is a
		 * mistake. */
		if (mb->state == state) {
			load_error(ctx, ctx->lineno,
			           "mailbox '%s' is listed "
			           "twice",
			           item);
			return -1;
		}
		mb->state = MAILBOX_DISABLED;
		return 0;
	}
	d->mailboxes = cfg_reallocarray(d->mailboxes, d->nmailboxes + 1,
	                                sizeof(*d->mailboxes));
	memset(&d->mailboxes[d->nmailboxes], 0, sizeof(*d->mailboxes));
	d->mailboxes[d->nmailboxes].name = config_lower(item);
	d->mailboxes[d->nmailboxes].state = state;
	d->nmailboxes++;
	return 0;
}

static const char *
unsupported_target(const char *t)
{
	if (strncasecmp(t, ":include:", 9) == 0)
		return "':include:' is not supported";
	if (t[0] == '|' || t[0] == '"')
		return "delivery to a command is not supported";
	if (t[0] == '/')
		return "delivery to a file is not supported";
	return NULL;
}

struct target_arg {
	const char *qualify;
	struct config_alias *alias;
	const char *file;
	int line;
};

static int
add_target(struct load_ctx *ctx, void *arg, const char *item)
{
	struct target_arg *ta = arg;
	struct config_alias *a = ta->alias;
	const char *at = strrchr(item, '@'), *why = unsupported_target(item);
	char *local = cfg_strdup(item), *addr;
	size_t i;

	if (at != NULL)
		local[at - item] = '\0';
	if (why == NULL && !config_valid_local_part(local))
		why = "not a valid local part";
	if (why == NULL && at != NULL && !config_valid_domain(at + 1))
		why = "not a valid domain";
	free(local);
	if (why != NULL) {
		load_error_at(ctx, ta->file, ta->line, "alias '%s': '%s': %s",
		              a->name, item, why);
		return -1;
	}
	addr = at ? cfg_strdup(item) : cfg_asprintf("%s@%s", item, ta->qualify);
	lower_in_place(addr);
	for (i = 0; i < a->ntargets; i++)
		if (strcasecmp(a->targets[i], addr) == 0) {
			free(addr); /* harmless repetition */
			return 0;
		}
	a->targets = cfg_reallocarray(a->targets, a->ntargets + 1,
	                              sizeof(*a->targets));
	a->targets[a->ntargets++] = addr;
	return 0;
}

int
alias_parse_targets(struct load_ctx *ctx, const char *file, int line,
                    const char *list, const char *qualify,
                    struct config_alias *a)
{
	struct target_arg ta = {qualify, a, file, line};

	return cfg_each_item(ctx, file, line, list, add_target, &ta);
}

void
alias_free(struct config_alias *a)
{
	size_t i;

	for (i = 0; i < a->ntargets; i++)
		free(a->targets[i]);
	free(a->targets);
	free(a->name);
	free(a->source);
}

static int
add_alias(struct load_ctx *ctx, const char *value)
{
	struct config_domain *d = current_domain(ctx);
	const char *colon = strchr(value, ':');
	struct config_alias a = {0};
	char *name;

	if (colon == NULL) {
		load_error(ctx, ctx->lineno,
		           "alias: expected 'NAME: TARGET, ...'");
		return -1;
	}
	name = cfg_strdup(value);
	name[colon - value] = '\0';
	name[strcspn(name, " \t")] = '\0';
	if (!config_valid_local_part(name)) {
		bad_name(ctx, "alias", name);
		free(name);
		return -1;
	}
	if (config_find_alias(d, name) != NULL) {
		load_error(ctx, ctx->lineno, "alias '%s' is defined twice",
		           name);
		free(name);
		return -1;
	}
	a.name = config_lower(name);
	a.source = cfg_asprintf("%s:%d", ctx->file, ctx->lineno);
	free(name);
	alias_parse_targets(ctx, ctx->file, ctx->lineno, colon + 1, d->name,
	                    &a);
	d->aliases = cfg_reallocarray(d->aliases, d->naliases + 1,
	                              sizeof(*d->aliases));
	d->aliases[d->naliases++] = a;
	return 0;
}

/* mailbox_owner = NAME: USER[:GROUP] */
static int
add_mailbox_owner(struct load_ctx *ctx, const char *value)
{
	struct config_domain *d = current_domain(ctx);
	const char *colon = strchr(value, ':');
	struct config_mailbox_owner o = {0};
	const char *owner;
	char *name;

	if (colon == NULL) {
		load_error(ctx, ctx->lineno,
		           "mailbox_owner: expected 'NAME: USER[:GROUP]'");
		return -1;
	}
	name = cfg_strdup(value);
	name[colon - value] = '\0';
	name[strcspn(name, " \t")] = '\0';
	owner = colon + 1 + strspn(colon + 1, " \t");
	if (!config_valid_local_part(name)) {
		bad_name(ctx, "mailbox_owner", name);
		free(name);
		return -1;
	}
	if (config_mailbox_owner(d, name) != NULL &&
	    config_mailbox_owner(d, name) != d->owner) {
		load_error(ctx, ctx->lineno,
		           "mailbox_owner: '%s' is given twice", name);
		free(name);
		return -1;
	}
	o.name = config_lower(name);
	o.owner = cfg_strdup(owner);
	o.line = ctx->lineno;
	free(name);
	d->mailbox_owners =
	        cfg_reallocarray(d->mailbox_owners, d->nmailbox_owners + 1,
	                         sizeof(*d->mailbox_owners));
	d->mailbox_owners[d->nmailbox_owners++] = o;
	return 0;
}

const char *
config_mailbox_owner(const struct config_domain *d, const char *mailbox)
{
	for (size_t i = 0; i < d->nmailbox_owners; i++)
		if (strcasecmp(d->mailbox_owners[i].name, mailbox) == 0)
			return d->mailbox_owners[i].owner;
	return d->owner;
}

/* "SIZE[, MESSAGES]": either may be 0 (no limit). */
static int
parse_quota(const char *value, size_t *bytes, int *messages)
{
	char buf[64], *comma, *end;
	long n;

	if (snprintf(buf, sizeof(buf), "%s", value) >= (int)sizeof(buf))
		return -1;
	*messages = 0;
	if ((comma = strchr(buf, ',')) != NULL) {
		*comma = '\0';
		n = strtol(comma + 1, &end, 10);
		end += strspn(end, " \t");
		if (end == comma + 1 || *end != '\0' || n < 0 || n > 1000000000)
			return -1;
		*messages = (int)n;
	}
	buf[strcspn(buf, " \t")] = '\0';
	return value_parse_size(buf, bytes);
}

/* mailbox_quota = NAME: SIZE[, MESSAGES] */
static int
add_mailbox_quota(struct load_ctx *ctx, const char *value)
{
	struct config_domain *d = current_domain(ctx);
	const char *colon = strchr(value, ':');
	struct config_mailbox_quota q = {0};
	char *name;

	if (colon == NULL || parse_quota(colon + 1 + strspn(colon + 1, " \t"),
	                                 &q.bytes, &q.messages) < 0) {
		load_error(ctx, ctx->lineno,
		           "mailbox_quota: expected 'NAME: SIZE[, MESSAGES]'");
		return -1;
	}
	name = cfg_strdup(value);
	name[colon - value] = '\0';
	name[strcspn(name, " \t")] = '\0';
	if (!config_valid_local_part(name)) {
		bad_name(ctx, "mailbox_quota", name);
		free(name);
		return -1;
	}
	q.name = config_lower(name);
	q.line = ctx->lineno;
	free(name);
	d->mailbox_quotas =
	        cfg_reallocarray(d->mailbox_quotas, d->nmailbox_quotas + 1,
	                         sizeof(*d->mailbox_quotas));
	d->mailbox_quotas[d->nmailbox_quotas++] = q;
	return 0;
}

void
config_mailbox_quota(const struct config_domain *d, const char *mailbox,
                     size_t *bytes, int *messages)
{
	*bytes = d->quota;
	*messages = d->quota_messages;
	for (size_t i = 0; i < d->nmailbox_quotas; i++)
		if (strcasecmp(d->mailbox_quotas[i].name, mailbox) == 0) {
			*bytes = d->mailbox_quotas[i].bytes;
			*messages = d->mailbox_quotas[i].messages;
		}
}

static int
set_catch_all(struct load_ctx *ctx, const char *value)
{
	struct config_domain *d = current_domain(ctx);

	if (!config_valid_local_part(value))
		return bad_name(ctx, "catch_all", value);
	d->catch_all = true;
	d->catch_all_target = cfg_asprintf("%s@%s", value, d->name);
	lower_in_place(d->catch_all_target);
	return 0;
}

int
domain_set(struct load_ctx *ctx, const struct config_option *opt,
           const char *value)
{
	enum mailbox_state state;

	switch (opt->type) {
	case OPT_MAILBOX:
	case OPT_DISABLED:
		state = opt->type == OPT_MAILBOX ? MAILBOX_ACTIVE
		                                 : MAILBOX_DISABLED;
		return cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                     add_mailbox, &state);
	case OPT_ALIAS:
		return add_alias(ctx, value);
	case OPT_CATCH_ALL:
		return set_catch_all(ctx, value);
	case OPT_LMTP_MBOX:
		return lmtp_mailbox_set(ctx, value);
	case OPT_MAILBOX_OWNER:
		return add_mailbox_owner(ctx, value);
	case OPT_MAILBOX_QUOTA:
		return add_mailbox_quota(ctx, value);
	default:
		return -1;
	}
}
