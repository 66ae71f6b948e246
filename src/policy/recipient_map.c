/*
 * recipient_map.c — the parts of a recipient's meaning that come from
 * [relay_domain] sections and lookup tables (src/map/): whether a relay
 * domain has the recipient, and the aliases of a domain's alias_map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/mem.h"
#include "config/config.h"
#include "map/map.h"
#include "policy/recipient_int.h"

void
recipient_maps_open(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ndomains; i++) {
		if (cfg->domains[i].alias_map)
			map_get(cfg->domains[i].alias_map);
		if (cfg->domains[i].mailbox_map)
			map_get(cfg->domains[i].mailbox_map);
	}
	for (i = 0; i < cfg->nrelay_domains; i++)
		if (cfg->relay_domains[i].recipient_map)
			map_get(cfg->relay_domains[i].recipient_map);
}

/* 1 when spec has key, else 0 (a table that cannot answer has nothing). */
static int
map_has(const char *spec, const char *key, char *value, size_t len)
{
	struct map *m = spec ? map_get(spec) : NULL;

	return m != NULL && map_lookup(m, key, value, len) == 1;
}

/* 1: a recipient, 0: not, -1: its map could not be opened (at start, or
 * by the unprivileged user), so nobody can say. */
static int
relay_has(const struct config_relay_domain *r, const char *addr)
{
	char value[MAP_VALUE_MAX], any[320];
	size_t i;

	if (r->nrecipients == 0 && r->recipient_map == NULL)
		return 1;
	for (i = 0; i < r->nrecipients; i++)
		if (strcmp(r->recipients[i], addr) == 0)
			return 1;
	if (r->recipient_map == NULL)
		return 0;
	if (map_get(r->recipient_map) == NULL)
		return -1;
	snprintf(any, sizeof(any), "@%s", r->name);
	return map_has(r->recipient_map, addr, value, sizeof(value)) ||
	       map_has(r->recipient_map, any, value, sizeof(value));
}

void
recipient_relay(const struct config_relay_domain *r, const char *local,
                struct recipient_result *out)
{
	char *addr;

	if (asprintf(&addr, "%s@%s", local, r->name) < 0)
		abort();
	recipient_lower(addr);
	switch (relay_has(r, addr)) {
	case 0:
		out->verdict = RCPT_RELAY_UNKNOWN;
		free(addr);
		return;
	case -1:
		out->verdict = RCPT_LOOKUP_FAILED;
		free(addr);
		return;
	default:
		break;
	}
	out->verdict = RCPT_RELAY;
	out->targets = xcalloc(1, sizeof(*out->targets));
	out->targets[0] = addr;
	out->ntargets = 1;
}

/* spec has LOCAL@DOMAIN or LOCAL; value is scratch. */
static bool
map_has_local(const char *spec, const struct config_domain *d,
              const char *local, char *value, size_t len)
{
	char *addr;
	bool found;

	if (asprintf(&addr, "%s@%s", local, d->name) < 0)
		abort();
	found = map_has(spec, addr, value, len) ||
	        map_has(spec, local, value, len);
	free(addr);
	return found;
}

/* A map key becomes a directory name: never one that leaves
 * maildir_root or hides in it. */
static bool
safe_dir_name(const char *local)
{
	return local[0] != '\0' && local[0] != '.' &&
	       strchr(local, '/') == NULL;
}

bool
recipient_map_mailbox(const struct config_domain *d, const char *local)
{
	char value[MAP_VALUE_MAX];

	return d->mailbox_map != NULL && safe_dir_name(local) &&
	       map_has_local(d->mailbox_map, d, local, value, sizeof(value));
}

char *
recipient_map_alias(const struct config_domain *d, const char *local)
{
	char value[MAP_VALUE_MAX], *addr;

	if (d->alias_map == NULL ||
	    !map_has_local(d->alias_map, d, local, value, sizeof(value)) ||
	    value[0] == '\0')
		return NULL;
	addr = str_dup(value);
	return addr;
}
