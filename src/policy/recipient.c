/*
 * recipient.c — what a RCPT address means here.  The configuration was
 * checked at load time (targets exist, no loops, postmaster routed), so
 * expansion here only has to be correct, bounded and defensive.
 */
#include "base/str.h"
#include "base/mem.h"
#include "policy/recipient_int.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

void
recipient_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static char *
lower_dup(const char *s)
{
	char *copy = str_dup(s);

	if (copy == NULL)
		abort(); /* nothing sensible to answer without memory */
	recipient_lower(copy);
	return copy;
}

static void
add_target(struct recipient_result *out, const char *addr)
{
	char **grown;
	size_t i;

	for (i = 0; i < out->ntargets; i++)
		if (strcmp(out->targets[i], addr) == 0)
			return;
	grown = xreallocarray(out->targets, out->ntargets + 1, sizeof(*grown));
	out->targets = grown;
	out->targets[out->ntargets++] = lower_dup(addr);
}

static void
add_local(struct recipient_result *out, const char *local, const char *domain)
{
	char *addr;

	if (asprintf(&addr, "%s@%s", local, domain) < 0)
		abort();
	add_target(out, addr);
	free(addr);
}

static enum config_dest expand(const struct config *cfg,
                               const struct config_domain *d, const char *local,
                               struct recipient_result *out, int depth);

/* One alias target: local ones expand further, foreign ones stay as is. */
static void
expand_target(const struct config *cfg, const char *target,
              struct recipient_result *out, int depth)
{
	const char *at = strrchr(target, '@');
	const struct config_domain *d;
	char *local;

	d = at ? config_find_domain(cfg, at + 1) : NULL;
	if (d == NULL) {
		add_target(out, target);
		return;
	}
	local = strndup(target, (size_t)(at - target));
	if (local == NULL)
		abort();
	expand(cfg, d, local, out, depth + 1);
	free(local);
}

/* An alias_map entry: "TARGET, TARGET", unqualified ones in d.  Unlike
 * ferry.conf's aliases nothing checked it at load: an unknown target
 * receives nothing, and the depth bound stops a loop. */
static void
expand_map_targets(const struct config *cfg, const struct config_domain *d,
                   char *list, struct recipient_result *out, int depth)
{
	char *item, *save = NULL, *target;

	for (item = strtok_r(list, ", \t", &save); item != NULL;
	     item = strtok_r(NULL, ", \t", &save)) {
		if (strchr(item, '@') != NULL) {
			expand_target(cfg, item, out, depth);
			continue;
		}
		if (asprintf(&target, "%s@%s", item, d->name) < 0)
			abort();
		expand_target(cfg, target, out, depth);
		free(target);
	}
}

/* Mailboxes and aliases of ferry.conf first, then the mailbox_map and
 * the alias_map, then the catch_all. */
static enum config_dest
lookup(const struct config_domain *d, const char *local,
       const struct config_alias **alias, char **map_targets)
{
	enum config_dest dest = config_lookup(d, local, alias);

	*map_targets = NULL;
	if (dest != CONFIG_DEST_UNKNOWN && dest != CONFIG_DEST_CATCH_ALL)
		return dest;
	if (recipient_map_mailbox(d, local))
		return CONFIG_DEST_MAILBOX;
	*map_targets = recipient_map_alias(d, local);
	return *map_targets ? CONFIG_DEST_ALIAS : dest;
}

static enum config_dest
expand(const struct config *cfg, const struct config_domain *d,
       const char *local, struct recipient_result *out, int depth)
{
	const struct config_alias *alias = NULL;
	char *map_targets;
	enum config_dest dest = lookup(d, local, &alias, &map_targets);
	size_t i;

	if (map_targets != NULL) {
		if (depth < CONFIG_ALIAS_DEPTH_MAX)
			expand_map_targets(cfg, d, map_targets, out, depth);
		free(map_targets);
		return dest;
	}

	switch (dest) {
	case CONFIG_DEST_MAILBOX:
		add_local(out, local, d->name);
		break;
	case CONFIG_DEST_CATCH_ALL:
		add_target(out, d->catch_all_target);
		break;
	case CONFIG_DEST_ALIAS:
		/* Load-time checks forbid loops; the bound is a backstop. */
		if (depth >= CONFIG_ALIAS_DEPTH_MAX)
			break;
		for (i = 0; i < alias->ntargets; i++)
			expand_target(cfg, alias->targets[i], out, depth);
		break;
	default:
		break; /* disabled or unknown targets receive nothing */
	}
	return dest;
}

static enum recipient_verdict
verdict_of(enum config_dest dest, const struct recipient_result *out)
{
	switch (dest) {
	case CONFIG_DEST_MAILBOX:
	case CONFIG_DEST_CATCH_ALL:
		return RCPT_LOCAL;
	case CONFIG_DEST_DISABLED:
		return RCPT_DISABLED;
	case CONFIG_DEST_ALIAS:
		/* Every mailbox behind the alias is disabled. */
		return out->ntargets > 0 ? RCPT_LOCAL : RCPT_DISABLED;
	default:
		return RCPT_UNKNOWN;
	}
}

/* The [domain] an address is for: its own, or for no domain (<postmaster>,
 * an unqualified local address) and the host's own names, the origin
 * domain.  NULL: foreign.  Address literals ([192.0.2.1]) are never local:
 * simpler and safer than matching our own addresses. */
static const struct config_domain *
domain_of(const struct config *cfg, const char *domain)
{
	const struct config_domain *d;

	if (domain == NULL || *domain == '\0')
		return config_origin(cfg);
	d = config_find_domain(cfg, domain);
	if (d == NULL && config_is_host_name(cfg, domain))
		d = config_origin(cfg);
	return d;
}

/* What the local part stands for before any catch_all: itself; without
 * its extension (alice+tag: alice); for root, the postmaster. */
static bool
known(const struct config_domain *d, const char *local)
{
	const struct config_alias *alias;
	char *map_targets;
	enum config_dest dest = lookup(d, local, &alias, &map_targets);

	free(map_targets);
	return dest != CONFIG_DEST_UNKNOWN && dest != CONFIG_DEST_CATCH_ALL;
}

static char *
local_name(const struct config *cfg, const struct config_domain *d,
           const char *local_part)
{
	char *local = lower_dup(local_part);
	size_t ext = config_extension_at(cfg, local);
	char *base;

	if (known(d, local))
		return local;
	if (ext > 0) {
		base = strndup(local, ext);
		if (base == NULL)
			abort();
		if (known(d, base)) {
			free(local);
			return base;
		}
		free(base);
	}
	if (strcmp(local, "root") == 0) {
		free(local);
		return lower_dup("postmaster");
	}
	return local; /* unknown: the catch_all's, if there is one */
}

void
recipient_resolve(const struct config *cfg, const char *local_part,
                  const char *domain, struct recipient_result *out)
{
	const struct config_relay_domain *relay;
	const struct config_domain *d;
	char *local;

	memset(out, 0, sizeof(*out));
	if (strpbrk(local_part, "%!") != NULL) {
		out->verdict = RCPT_ROUTING;
		return;
	}
	d = domain_of(cfg, domain);
	if (d == NULL && (relay = config_find_relay_domain(cfg, domain))) {
		recipient_relay(relay, local_part, out);
		return;
	}
	if (d == NULL) {
		out->verdict = domain == NULL || *domain == '\0' ? RCPT_UNKNOWN
		                                                 : RCPT_FOREIGN;
		return;
	}
	local = local_name(cfg, d, local_part);
	out->verdict = verdict_of(expand(cfg, d, local, out, 0), out);
	free(local);
	if (out->verdict != RCPT_LOCAL)
		recipient_result_free(out);
}

void
recipient_result_free(struct recipient_result *res)
{
	size_t i;

	for (i = 0; i < res->ntargets; i++)
		free(res->targets[i]);
	free(res->targets);
	res->targets = NULL;
	res->ntargets = 0;
}

static bool
is_mailbox(const struct config_domain *d, const char *local)
{
	enum config_dest dest = config_lookup(d, local, NULL);

	return dest == CONFIG_DEST_MAILBOX ||
	       ((dest == CONFIG_DEST_UNKNOWN ||
	         dest == CONFIG_DEST_CATCH_ALL) &&
	        recipient_map_mailbox(d, local));
}

char *
recipient_maildir(const struct config *cfg, const char *address)
{
	const char *at = strrchr(address, '@');
	const struct config_domain *d;
	char *local, *path = NULL;

	d = at ? config_find_domain(cfg, at + 1) : NULL;
	if (d == NULL)
		return NULL;
	local = lower_dup(address);
	local[at - address] = '\0';
	if (is_mailbox(d, local) && !config_delivers_lmtp(d, local) &&
	    asprintf(&path, "%s/%s", d->maildir_root, local) < 0)
		path = NULL;
	free(local);
	return path;
}

const struct config_domain *
recipient_lmtp(const struct config *cfg, const char *address)
{
	const char *at = strrchr(address, '@');
	const struct config_domain *d;
	char *local;
	bool lmtp;

	d = at ? config_find_domain(cfg, at + 1) : NULL;
	if (d == NULL || d->lmtp_addr == NULL)
		return NULL;
	local = lower_dup(address);
	local[at - address] = '\0';
	lmtp = is_mailbox(d, local) && config_delivers_lmtp(d, local);
	free(local);
	return lmtp ? d : NULL;
}
