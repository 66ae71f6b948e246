/*
 * rules_helo.c — a HELO/EHLO name that lies (seed 004, the provider's
 * Postfix): a stranger calling itself localhost, or claiming to be this
 * server.  The syntax of the name is the session's business (501 5.5.4).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_int.h"

static void
normalize(const char *helo, char *out, size_t len)
{
	size_t n = 0;

	for (; *helo != '\0' && n + 1 < len; helo++)
		out[n++] = (char)tolower((unsigned char)*helo);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

static bool
is_localhost(const char *name)
{
	return strcmp(name, "localhost") == 0 ||
	       strcmp(name, "localhost.localdomain") == 0;
}

/* Our hostname, one of our domains, or a loopback address literal. */
static bool
is_me(const struct config *cfg, const char *name)
{
	char ip[64];
	size_t n = strlen(name);

	if (strcasecmp(name, cfg->hostname) == 0 ||
	    config_find_domain(cfg, name) != NULL)
		return true;
	if (n < 3 || name[0] != '[' || name[n - 1] != ']' ||
	    n - 2 >= sizeof(ip))
		return false;
	if (strncasecmp(name, "[ipv6:", 6) == 0)
		snprintf(ip, sizeof(ip), "%.*s", (int)(n - 7), name + 6);
	else
		snprintf(ip, sizeof(ip), "%.*s", (int)(n - 2), name + 1);
	return net_is_loopback(ip);
}

void
rule_helo(struct policy_run *r)
{
	char name[256];

	if (!r->p->cfg->policy.helo_checks || r->f->helo == NULL ||
	    policy_nets_match(&r->p->exempt_nets, r->f->client_ip) ||
	    policy_exempted(r, PR_HELO)) {
		policy_pass(r);
		return;
	}
	normalize(r->f->helo, name, sizeof(name));
	if (is_localhost(name)) {
		policy_refuse(r, PR_HELO, r->f->helo, R_HELO_LOCALHOST, NULL,
		              NULL);
		return;
	}
	if (is_me(policy_site(r), name)) {
		policy_refuse(r, PR_HELO, r->f->helo, R_HELO_NOT_ME, NULL,
		              NULL);
		return;
	}
	policy_pass(r);
}
