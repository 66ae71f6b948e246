/*
 * sendmail_verify.c — `ferry sendmail -bv ADDRESS...`: what would happen
 * to each address, decided by the same code the server uses (the
 * recipient resolver, the transport table, the smarthost), without
 * sending anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli/sendmail_int.h"
#include "config/config.h"
#include "policy/recipient.h"
#include "smtp/addr.h"

/* The route out for a foreign address, as sched/route.c takes it; from
 * is the address given when addr is one of its alias targets. */
static void
print_route(const struct config *cfg, const char *from, const char *addr,
            FILE *out)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at ? at + 1 : "";
	size_t i;

	fprintf(out, "%s: ", from);
	if (strcmp(from, addr) != 0)
		fprintf(out, "%s ", addr);
	for (i = 0; i < cfg->ntransports; i++) {
		const struct config_listener *h = &cfg->transports[i].next_hop;

		if (strcasecmp(cfg->transports[i].domain, domain) == 0) {
			fprintf(out, "relayed to %s port %d (transport)\n",
			        h->address, h->port);
			return;
		}
	}
	if (cfg->relay_smarthost.address != NULL) {
		fprintf(out, "relayed to %s port %d (smarthost%s)\n",
		        cfg->relay_smarthost.address, cfg->relay_smarthost.port,
		        cfg->relay_smarthost_user ? ", AUTH over verified TLS"
		                                  : "");
		return;
	}
	if (domain[0] == '[')
		fprintf(out, "refused: address literals are not routed\n");
	else
		fprintf(out, "relayed to the MX hosts of %s\n", domain);
}

static void
print_local(const struct config *cfg, const char *addr,
            const struct recipient_result *res, FILE *out)
{
	size_t i;

	for (i = 0; i < res->ntargets; i++) {
		char *maildir = recipient_maildir(cfg, res->targets[i]);

		if (maildir != NULL)
			fprintf(out, "%s: delivered to %s (Maildir %s)\n", addr,
			        res->targets[i], maildir);
		else
			print_route(cfg, addr, res->targets[i], out);
		free(maildir);
	}
}

/* One address; false when the server would refuse it. */
static bool
verify_one(const struct config *cfg, const char *arg, FILE *out)
{
	struct recipient_result res;
	struct mailaddr a;
	char addr[ADDR_PATH_MAX + 3];
	bool ok = true;

	if (sendmail_parse_address(arg, config_origin_name(cfg), false, &a) <
	    0) {
		fprintf(out, "%s: refused: not a valid address\n", arg);
		return false;
	}
	addr_format(&a, addr, sizeof(addr));
	recipient_resolve(cfg, a.local, a.is_literal ? "[literal]" : a.domain,
	                  &res);
	switch (res.verdict) {
	case RCPT_LOCAL:
		print_local(cfg, addr, &res, out);
		break;
	case RCPT_RELAY:
	case RCPT_FOREIGN:
		print_route(cfg, addr, addr, out);
		/* route.c bounces literals that no smarthost takes */
		ok = !a.is_literal || cfg->relay_smarthost.address != NULL;
		break;
	case RCPT_DISABLED:
		fprintf(out, "%s: refused: the mailbox is disabled\n", addr);
		ok = false;
		break;
	case RCPT_ROUTING:
		fprintf(out, "%s: refused: source routing ('%%' or '!')\n",
		        addr);
		ok = false;
		break;
	case RCPT_UNKNOWN:
		fprintf(out, "%s: refused: no such mailbox or alias\n", addr);
		ok = false;
		break;
	case RCPT_LOOKUP_FAILED:
		fprintf(out, "%s: deferred: a lookup table cannot be read\n",
		        addr);
		ok = false;
		break;
	case RCPT_RELAY_UNKNOWN:
		fprintf(out,
		        "%s: refused: not a recipient of the relay domain\n",
		        addr);
		ok = false;
		break;
	}
	recipient_result_free(&res);
	return ok;
}

int
sendmail_verify(const struct config *cfg, const struct sendmail_opts *o,
                FILE *out)
{
	bool all = true;
	int i;

	if (o->nrcpts == 0) {
		fprintf(stderr, "sendmail: -bv needs an address\n");
		return EX_USAGE;
	}
	for (i = 0; i < o->nrcpts; i++)
		all &= verify_one(cfg, o->rcpts[i], out);
	return all ? 0 : EX_NOUSER;
}
