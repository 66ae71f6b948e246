/*
 * sender.c — MAIL FROM ownership for authenticated users (see sender.h).
 */
#include "policy/sender.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "policy/recipient.h"

static bool
pattern_matches(const char *pattern, const char *sender)
{
	const char *at = strrchr(sender, '@');

	if (strcmp(pattern, "*") == 0)
		return true;
	if (strncmp(pattern, "*@", 2) == 0)
		return at != NULL && strcasecmp(at + 1, pattern + 2) == 0;
	return strcasecmp(pattern, sender) == 0;
}

static bool
rule_grants(const struct config *cfg, const char *login, const char *sender)
{
	size_t i, j;

	for (i = 0; i < cfg->nsenders; i++) {
		const struct config_sender *r = &cfg->senders[i];

		if (strcasecmp(r->login, login) != 0)
			continue;
		for (j = 0; j < r->npatterns; j++)
			if (pattern_matches(r->patterns[j], sender))
				return true;
	}
	return false;
}

/* The mailbox name a login stands for: the local part of an address login,
 * or the login itself. */
static bool
is_users_mailbox(const char *login, const char *target)
{
	const char *at = strrchr(target, '@');
	size_t n = at ? (size_t)(at - target) : strlen(target);

	if (strchr(login, '@'))
		return strcasecmp(login, target) == 0;
	return strlen(login) == n && strncasecmp(login, target, n) == 0;
}

/* A local address that leads to the user's mailbox and nobody else's. */
static bool
leads_only_to_user(const struct config *cfg, const char *login,
                   const char *sender)
{
	const char *at = strrchr(sender, '@');
	struct recipient_result res = {0};
	char local[256];
	bool ok;
	size_t i, n;

	if (at == NULL || (size_t)(at - sender) >= sizeof(local))
		return false;
	n = (size_t)(at - sender);
	memcpy(local, sender, n);
	local[n] = '\0';
	recipient_resolve(cfg, local, at + 1, &res);
	ok = res.verdict == RCPT_LOCAL && res.ntargets > 0;
	for (i = 0; ok && i < res.ntargets; i++)
		ok = is_users_mailbox(login, res.targets[i]);
	recipient_result_free(&res);
	return ok;
}

bool
sender_owned(const struct config *cfg, const char *login, const char *sender)
{
	if (sender[0] == '\0')
		return true;
	if (strchr(login, '@') && strcasecmp(login, sender) == 0)
		return true;
	return rule_grants(cfg, login, sender) ||
	       leads_only_to_user(cfg, login, sender);
}
