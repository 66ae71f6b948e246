/*
 * value.c — typed values of the option table: parse the text of one
 * "key = value" line into its field, or report why it is not acceptable.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

/* Digits only: strtoul() would quietly accept signs and white space. */
static int
parse_number(const char *s, const char **end, unsigned long long *out)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*end = e;
	return 0;
}

int
value_parse_size(const char *s, size_t *out)
{
	unsigned long long n, mult = 1;
	const char *end;

	if (parse_number(s, &end, &n) < 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (n > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(n * mult);
	return 0;
}

int
value_parse_duration(const char *s, int *out)
{
	unsigned long long n, mult = 1;
	const char *end;

	if (parse_number(s, &end, &n) < 0)
		return -1;
	if (*end == 'm')
		mult = 60;
	else if (*end == 'h')
		mult = 3600;
	else if (*end == 'd')
		mult = 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (n > INT_MAX / mult)
		return -1;
	*out = (int)(n * mult);
	return 0;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT"; host names need DNS, so they are refused. */
int
value_parse_listen(const char *item, struct config_listener *out)
{
	char addr[INET6_ADDRSTRLEN], buf[16];
	const char *colon, *start = item;
	unsigned long long port;
	const char *end;
	size_t len;
	int af = AF_INET;

	if (*item == '[') {
		colon = strstr(item, "]:");
		start = item + 1;
		af = AF_INET6;
		if (colon == NULL)
			return -1;
		len = (size_t)(colon - start);
		colon++;
	} else {
		colon = strrchr(item, ':');
		if (colon == NULL)
			return -1;
		len = (size_t)(colon - start);
	}
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, start, len);
	addr[len] = '\0';
	if (inet_pton(af, addr, buf) != 1)
		return -1;
	if (parse_number(colon + 1, &end, &port) < 0 || *end != '\0' ||
	    port == 0 || port > 65535)
		return -1;
	out->address = cfg_strdup(addr);
	out->port = (int)port;
	return 0;
}

static bool
same_listener(const struct config_listener *a, const struct config_listener *b)
{
	return a->port == b->port && strcmp(a->address, b->address) == 0;
}

static int
add_listener(struct load_ctx *ctx, const char *item, enum listener_role role)
{
	struct config *cfg = ctx->cfg;
	struct config_listener l;
	size_t i;

	if (value_parse_listen(item, &l) < 0) {
		load_error(
		        ctx, ctx->lineno,
		        "listen: '%s' is not ADDRESS:PORT (IPv6 as [::1]:25)",
		        item);
		return -1;
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		if (same_listener(&cfg->listeners[i], &l)) {
			load_error(ctx, ctx->lineno,
			           "listen: '%s' is listed twice", item);
			free(l.address);
			return -1;
		}
	}
	l.role = role;
	cfg->listeners = cfg_reallocarray(cfg->listeners, cfg->nlisteners + 1,
	                                  sizeof(*cfg->listeners));
	cfg->listeners[cfg->nlisteners++] = l;
	return 0;
}

static int
listen_item(struct load_ctx *ctx, void *arg, const char *item)
{
	const struct config_option *opt = arg;
	enum listener_role role = LISTENER_SMTP;

	if (strcmp(opt->key, "submission") == 0)
		role = LISTENER_SUBMISSION;
	else if (strcmp(opt->key, "submissions") == 0)
		role = LISTENER_SUBMISSIONS;
	return add_listener(ctx, item, role);
}

/* "domain: address:port" — where the relay sends a domain's mail. */
static int
set_transport(struct load_ctx *ctx, const char *value)
{
	struct config *cfg = ctx->cfg;
	struct config_transport t = {0};
	const char *colon = strchr(value, ':');
	size_t n;

	if (colon == NULL || colon == value) {
		load_error(ctx, ctx->lineno,
		           "transport: expected 'DOMAIN: ADDRESS:PORT'");
		return -1;
	}
	n = (size_t)(colon - value);
	while (n > 0 && value[n - 1] == ' ')
		n--;
	colon++;
	while (*colon == ' ')
		colon++;
	if (value_parse_listen(colon, &t.next_hop) < 0) {
		load_error(ctx, ctx->lineno,
		           "transport: '%s' is not ADDRESS:PORT (IPv6 as "
		           "[::1]:25)",
		           colon);
		return -1;
	}
	t.domain = cfg_strndup(value, n);
	for (n = 0; t.domain[n]; n++)
		t.domain[n] = (char)tolower((unsigned char)t.domain[n]);
	cfg->transports =
	        cfg_reallocarray(cfg->transports, cfg->ntransports + 1,
	                         sizeof(*cfg->transports));
	cfg->transports[cfg->ntransports++] = t;
	return 0;
}

/* "relay.example.net:587": a host name resolved at each delivery. */
static int
parse_named_hop(const char *value, struct config_listener *hop)
{
	const char *colon = strrchr(value, ':');
	unsigned long long port;
	const char *end;
	char *name;

	if (colon == NULL || parse_number(colon + 1, &end, &port) < 0 ||
	    *end != '\0' || port == 0 || port > 65535)
		return -1;
	name = cfg_strndup(value, (size_t)(colon - value));
	if (!config_valid_domain(name) || strchr(name, '.') == NULL) {
		free(name);
		return -1;
	}
	hop->address = config_lower(name);
	hop->port = (int)port;
	free(name);
	return 0;
}

int
value_parse_hop(const char *value, struct config_listener *hop)
{
	return value_parse_listen(value, hop) == 0 ||
	                       parse_named_hop(value, hop) == 0
	               ? 0
	               : -1;
}

static int
set_smarthost(struct load_ctx *ctx, const struct config_option *opt,
              void *field, const char *value)
{
	struct config_listener *hop = field;

	free(hop->address);
	hop->address = NULL;
	if (value_parse_hop(value, hop) < 0) {
		load_error(ctx, ctx->lineno,
		           "%s: '%s' is not HOST:PORT or ADDRESS:PORT (IPv6 as "
		           "[::1]:587)",
		           opt->key, value);
		return -1;
	}
	return 0;
}

/* "login: pattern, pattern" */
static int
sender_pattern(struct load_ctx *ctx, void *arg, const char *item)
{
	struct config_sender *snd = arg;

	if ((strchr(item, '@') == NULL && strcmp(item, "*") != 0) ||
	    strpbrk(item, " \t") != NULL) {
		load_error(ctx, ctx->lineno,
		           "sender: '%s' is not an address, *@domain or *",
		           item);
		return -1;
	}
	snd->patterns = cfg_reallocarray(snd->patterns, snd->npatterns + 1,
	                                 sizeof(*snd->patterns));
	snd->patterns[snd->npatterns++] = config_lower(item);
	return 0;
}

static int
set_sender(struct load_ctx *ctx, const char *value)
{
	struct config *cfg = ctx->cfg;
	struct config_sender snd = {0};
	const char *colon = strchr(value, ':');
	size_t n;

	if (colon == NULL || colon == value) {
		load_error(ctx, ctx->lineno,
		           "sender: expected 'LOGIN: ADDRESS, ...'");
		return -1;
	}
	n = (size_t)(colon - value);
	while (n > 0 && value[n - 1] == ' ')
		n--;
	snd.login = cfg_strndup(value, n);
	if (cfg_each_item(ctx, ctx->file, ctx->lineno, colon + 1,
	                  sender_pattern, &snd) < 0 ||
	    snd.npatterns == 0) {
		if (snd.npatterns == 0)
			load_error(ctx, ctx->lineno,
			           "sender: no address for '%s'", snd.login);
		config_sender_free(&snd);
		return -1;
	}
	cfg->senders = cfg_reallocarray(cfg->senders, cfg->nsenders + 1,
	                                sizeof(*cfg->senders));
	cfg->senders[cfg->nsenders++] = snd;
	return 0;
}

static int
find_keyword(const char *const *values, const char *value)
{
	int i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], value) == 0)
			return i;
	return -1;
}

static char *
keyword_list(const char *const *values)
{
	char *list = cfg_strdup(values[0]), *next;
	int i;

	for (i = 1; values[i] != NULL; i++) {
		next = cfg_asprintf("%s, %s", list, values[i]);
		free(list);
		list = next;
	}
	return list;
}

static int
set_keyword(struct load_ctx *ctx, const struct config_option *opt, void *field,
            const char *value)
{
	int i = find_keyword(opt->values, value);
	char *list;

	if (i < 0) {
		list = keyword_list(opt->values);
		load_error(ctx, ctx->lineno, "%s: '%s' is not one of: %s",
		           opt->key, value, list);
		free(list);
		return -1;
	}
	if (opt->type == OPT_ENUM) {
		*(int *)field = i;
	} else {
		free(*(char **)field);
		*(char **)field = cfg_strdup(value);
	}
	return 0;
}

/* "A, B C": names separated by commas and/or blanks, any case. */
static int
set_flags(struct load_ctx *ctx, const struct config_option *opt,
          unsigned *field, const char *value)
{
	char *copy = cfg_strdup(value), *p = copy, *tok, *list;
	unsigned bits = 0;
	int i, rc = 0;

	while ((tok = strsep(&p, ", \t")) != NULL) {
		if (*tok == '\0')
			continue;
		for (i = 0; opt->values[i] != NULL; i++)
			if (strcasecmp(opt->values[i], tok) == 0)
				break;
		if (opt->values[i] == NULL) {
			list = keyword_list(opt->values);
			load_error(ctx, ctx->lineno,
			           "%s: '%s' is not one of: %s", opt->key, tok,
			           list);
			free(list);
			rc = -1;
			continue;
		}
		bits |= 1u << i;
	}
	free(copy);
	if (rc == 0 && bits == 0) {
		load_error(ctx, ctx->lineno, "%s: missing value", opt->key);
		rc = -1;
	}
	if (rc == 0)
		*field = bits;
	return rc;
}

static int
set_int(struct load_ctx *ctx, const struct config_option *opt, int *field,
        const char *value)
{
	unsigned long long n;
	const char *end;

	if (parse_number(value, &end, &n) < 0 || *end != '\0' ||
	    n < (unsigned long long)opt->min ||
	    n > (unsigned long long)opt->max) {
		load_error(ctx, ctx->lineno,
		           "%s: '%s' is not a number from %ld to %ld", opt->key,
		           value, opt->min, opt->max);
		return -1;
	}
	*field = (int)n;
	return 0;
}

static int
set_bool(struct load_ctx *ctx, const struct config_option *opt, bool *field,
         const char *value)
{
	static const char *const yes[] = {"yes", "true", "on", "1", NULL};
	static const char *const no[] = {"no", "false", "off", "0", NULL};

	if (find_keyword(yes, value) >= 0)
		*field = true;
	else if (find_keyword(no, value) >= 0)
		*field = false;
	else {
		load_error(ctx, ctx->lineno, "%s: '%s' is not yes or no",
		           opt->key, value);
		return -1;
	}
	return 0;
}

char *
value_resolve_path(const char *basedir, const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/' || basedir == NULL)
		return cfg_strdup(path);
	if (strcmp(path, ".") == 0 || path[0] == '\0')
		return cfg_strdup(basedir);
	return cfg_asprintf("%s/%s", basedir, path);
}

static int
set_string(struct load_ctx *ctx, const struct config_option *opt, char **field,
           const char *value)
{
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			load_error(ctx, ctx->lineno,
			           "%s: white space or control characters "
			           "in '%s'",
			           opt->key, value);
			return -1;
		}
	}
	free(*field);
	if (opt->type == OPT_PATH)
		*field = value_resolve_path(ctx->basedir, value);
	else
		*field = cfg_strdup(value);
	return 0;
}

static int
set_scaled(struct load_ctx *ctx, const struct config_option *opt, void *field,
           const char *value)
{
	if (opt->type == OPT_SIZE && value_parse_size(value, field) == 0)
		return 0;
	if (opt->type == OPT_DURATION &&
	    value_parse_duration(value, field) == 0)
		return 0;
	load_error(
	        ctx, ctx->lineno,
	        opt->type == OPT_SIZE
	                ? "%s: '%s' is not a size (a number with optional "
	                  "suffix K, M or G)"
	                : "%s: '%s' is not a duration (a number with optional "
	                  "suffix s, m, h or d)",
	        opt->key, value);
	return -1;
}

int
value_set(struct load_ctx *ctx, const struct config_option *opt, void *base,
          const char *value)
{
	void *field = (char *)base + opt->offset;

	if (*value == '\0') {
		load_error(ctx, ctx->lineno, "%s: missing value", opt->key);
		return -1;
	}
	switch (opt->type) {
	case OPT_STRING:
	case OPT_PATH:
		return set_string(ctx, opt, field, value);
	case OPT_KEYWORD:
	case OPT_ENUM:
		return set_keyword(ctx, opt, field, value);
	case OPT_INT:
		return set_int(ctx, opt, field, value);
	case OPT_FLAGS:
		return set_flags(ctx, opt, field, value);
	case OPT_SIZE:
	case OPT_DURATION:
		return set_scaled(ctx, opt, field, value);
	case OPT_BOOL:
		return set_bool(ctx, opt, field, value);
	case OPT_LISTEN:
		return cfg_each_item(ctx, ctx->file, ctx->lineno, value,
		                     listen_item, (void *)opt);
	case OPT_SENDER:
		return set_sender(ctx, value);
	case OPT_TRANSPORT:
		return set_transport(ctx, value);
	case OPT_HOP:
		return set_smarthost(ctx, opt, field, value);
	case OPT_RATES:
	case OPT_NETS:
	case OPT_ADDRS:
	case OPT_USER_INT:
	case OPT_EXEMPT:
	case OPT_DNSLISTS:
		return policy_value_set(ctx, opt, field, value);
	case OPT_MAP:
		return map_value_set(ctx, opt, field, value);
	case OPT_RELAY_RCPTS:
	case OPT_NEXT_HOP:
		return relay_domain_set(ctx, opt, base, value);
	default:
		return domain_set(ctx, opt, value);
	}
}
