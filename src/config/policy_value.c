/*
 * policy_value.c — the value types of the [policy] section: rates
 * ("60/1m, 1000/1d"), network and address lists, "login: N" limits and
 * per-rule exemptions.  Everything is checked here, at load time, so the
 * policy module can trust what it reads.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/net.h"
#include "config/config_int.h"

const char *const config_exempt_rules[] = {
        "access_client",
        "max_conn_client",
        "conn_rate_client",
        "helo",
        "access_sender",
        "access_recipient",
        "greylist",
        "rate_client",
        "rate_sender",
        "rate_sender_domain",
        "rate_user",
        "rate_recipient",
        NULL,
};

void
config_list_free(struct config_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void
list_add(struct config_list *l, char *item)
{
	l->items = cfg_reallocarray(l->items, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = item;
}

static int
rate_item(struct load_ctx *ctx, void *arg, const char *item)
{
	struct config_rates *rates = arg;
	const char *slash = strchr(item, '/');
	struct config_rate r;
	char *end;

	if (slash == NULL || !isdigit((unsigned char)item[0]) ||
	    (r.limit = strtol(item, &end, 10)) <= 0 || end != slash ||
	    value_parse_duration(slash + 1, &r.window) < 0 || r.window <= 0) {
		load_error(ctx, ctx->lineno,
		           "'%s' is not a rate (COUNT/DURATION, as 60/1m)",
		           item);
		return -1;
	}
	if (rates->n == CONFIG_RATES_MAX) {
		load_error(ctx, ctx->lineno, "at most %d rates per option",
		           CONFIG_RATES_MAX);
		return -1;
	}
	rates->r[rates->n++] = r;
	return 0;
}

static int
net_item(struct load_ctx *ctx, void *arg, const char *item)
{
	struct net_prefix p;
	char text[64];

	if (net_parse(item, &p) < 0) {
		load_error(ctx, ctx->lineno,
		           "'%s' is not a network (ADDRESS or ADDRESS/BITS)",
		           item);
		return -1;
	}
	net_format(&p, text, sizeof(text));
	list_add(arg, cfg_strdup(text));
	return 0;
}

/* "user@domain" or "@domain", kept lower-case. */
static int
addr_item(struct load_ctx *ctx, void *arg, const char *item)
{
	const char *at = strrchr(item, '@');

	if (at == NULL || at[1] == '\0' || strchr(item, ' ') != NULL) {
		load_error(ctx, ctx->lineno,
		           "'%s' is not an address or @domain", item);
		return -1;
	}
	list_add(arg, config_lower(item));
	return 0;
}

static int
exempt_item(struct load_ctx *ctx, void *arg, const char *item)
{
	if (strcmp(item, "authenticated") == 0 ||
	    (strncmp(item, "user:", 5) == 0 && item[5] != '\0') ||
	    (item[0] == '@' && item[1] != '\0')) {
		list_add(arg, config_lower(item));
		return 0;
	}
	return net_item(ctx, arg, item);
}

static bool
zone_ok(const char *z, size_t n)
{
	size_t i;

	if (n == 0 || n > 200 || z[0] == '.' || z[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)z[i]) && z[i] != '.' &&
		    z[i] != '-' && z[i] != '_')
			return false;
	return true;
}

/* "zone" or "zone=127.0.0.2|127.0.0.3" */
static int
dnslist_item(struct load_ctx *ctx, void *arg, const char *item)
{
	const char *eq = strchr(item, '=');
	size_t n = eq ? (size_t)(eq - item) : strlen(item);
	char *codes = eq ? cfg_strdup(eq + 1) : NULL, *save = NULL, *c;
	struct net_prefix p;
	bool ok = zone_ok(item, n) && (codes == NULL || *codes != '\0');

	for (c = codes ? strtok_r(codes, "|", &save) : NULL; ok && c;
	     c = strtok_r(NULL, "|", &save))
		ok = net_parse(c, &p) == 0 && p.family == AF_INET &&
		     p.bits == 32;
	free(codes);
	if (!ok) {
		load_error(ctx, ctx->lineno,
		           "'%s' is not a DNS list (ZONE or "
		           "ZONE=ADDRESS|ADDRESS)",
		           item);
		return -1;
	}
	list_add(arg, config_lower(item));
	return 0;
}

static bool
known_rule(const char *name)
{
	size_t i;

	for (i = 0; config_exempt_rules[i] != NULL; i++)
		if (strcmp(config_exempt_rules[i], name) == 0)
			return true;
	return false;
}

/* "NAME: rest" split at the colon; NULL when there is none. */
static char *
split_name(const char *value, const char **rest)
{
	const char *colon = strchr(value, ':');
	size_t n;

	if (colon == NULL || colon == value)
		return NULL;
	n = (size_t)(colon - value);
	while (n > 0 && value[n - 1] == ' ')
		n--;
	*rest = colon + 1;
	while (**rest == ' ')
		(*rest)++;
	return cfg_strndup(value, n);
}

static int
set_user_int(struct load_ctx *ctx, const struct config_option *opt,
             const char *value)
{
	struct config_policy *p = &ctx->cfg->policy;
	const char *rest;
	char *login = split_name(value, &rest), *end;
	bool ok = false;
	long n = 0;

	if (login != NULL && isdigit((unsigned char)*rest)) {
		n = strtol(rest, &end, 10);
		ok = *end == '\0' && n >= opt->min && n <= opt->max;
	}
	if (!ok) {
		load_error(ctx, ctx->lineno,
		           "%s: expected 'LOGIN: N' with N from %ld to %ld",
		           opt->key, opt->min, opt->max);
		free(login);
		return -1;
	}
	p->user_max_rcpt =
	        cfg_reallocarray(p->user_max_rcpt, p->nuser_max_rcpt + 1,
	                         sizeof(*p->user_max_rcpt));
	p->user_max_rcpt[p->nuser_max_rcpt].login = login;
	p->user_max_rcpt[p->nuser_max_rcpt++].limit = (int)n;
	return 0;
}

static int
set_exempt(struct load_ctx *ctx, const char *value)
{
	struct config_policy *p = &ctx->cfg->policy;
	struct config_exempt e = {0};
	const char *rest;

	e.rule = split_name(value, &rest);
	if (e.rule == NULL || !known_rule(e.rule)) {
		load_error(ctx, ctx->lineno,
		           "exempt: expected 'RULE: ITEM, ...' with a rule "
		           "named in ferry.conf(5)");
		free(e.rule);
		return -1;
	}
	if (cfg_each_item(ctx, ctx->file, ctx->lineno, rest, exempt_item,
	                  &e.items) < 0) {
		free(e.rule);
		config_list_free(&e.items);
		return -1;
	}
	p->exempt =
	        cfg_reallocarray(p->exempt, p->nexempt + 1, sizeof(*p->exempt));
	p->exempt[p->nexempt++] = e;
	return 0;
}

int
policy_value_set(struct load_ctx *ctx, const struct config_option *opt,
                 void *field, const char *value)
{
	bool off = strcmp(value, "none") == 0 || strcmp(value, "off") == 0;

	switch (opt->type) {
	case OPT_RATES:
		memset(field, 0, sizeof(struct config_rates));
		return off ? 0
		           : cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                           rate_item, field);
	case OPT_NETS:
		return off ? 0
		           : cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                           net_item, field);
	case OPT_ADDRS:
		return off ? 0
		           : cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                           addr_item, field);
	case OPT_USER_INT:
		return set_user_int(ctx, opt, value);
	case OPT_DNSLISTS:
		return off ? 0
		           : cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                           dnslist_item, field);
	default:
		return set_exempt(ctx, value);
	}
}
