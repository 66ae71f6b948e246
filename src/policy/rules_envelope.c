/*
 * rules_envelope.c — the rules about addresses: sender ownership after
 * AUTH (MAIL), and at RCPT the recipient count, the access lists, what
 * the recipient address means here (recipient.c) and who may relay.
 *
 * Like the provider's Postfix of seed 004, a refused sender is answered
 * at RCPT time: clients report a RCPT refusal per recipient, and the
 * reply can name the recipient's fate exactly.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "policy/policy_int.h"
#include "policy/recipient.h"
#include "policy/sender.h"

void
rule_sender_owned(struct policy_run *r)
{
	const struct policy_facts *f = r->f;

	if (f->auth_user && f->sender &&
	    !sender_owned(policy_site(r), f->auth_user, f->sender)) {
		policy_refuse(r, PR_SENDER_OWNED, f->sender, R_SENDER_NOT_OWNED,
		              f->sender, f->auth_user);
		return;
	}
	policy_pass(r);
}

void
rule_max_recipients(struct policy_run *r)
{
	const struct policy_facts *f = r->f;
	int max = policy_rcpt_max(r->p->cfg, f->role, f->auth_user);

	/* RFC 5321 s4.5.3.1.10: 452 for recipients over the limit; the
	 * client sends them in a later transaction. */
	if (f->rcpt_accepted >= (unsigned)max) {
		policy_refuse(r, PR_MAX_RECIPIENTS,
		              f->auth_user ? f->auth_user : f->client_ip,
		              R_RCPT_TOO_MANY, NULL, NULL);
		return;
	}
	policy_pass(r);
}

/* "user@domain" matches itself, "@domain" every address there. */
static bool
list_has(const struct config_list *l, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t i;

	for (i = 0; at && i < l->n; i++) {
		const char *item = l->items[i];

		if (item[0] == '@' ? strcasecmp(item + 1, at + 1) == 0
		                   : strcasecmp(item, addr) == 0)
			return true;
	}
	return false;
}

void
rule_access_sender(struct policy_run *r)
{
	if (list_has(&r->p->cfg->policy.access_sender, r->f->sender) &&
	    !policy_exempted(r, PR_ACCESS_SENDER)) {
		policy_refuse(r, PR_ACCESS_SENDER, r->f->sender,
		              R_SENDER_ACCESS, NULL, NULL);
		return;
	}
	policy_pass(r);
}

void
rule_access_recipient(struct policy_run *r)
{
	if (list_has(&r->p->cfg->policy.access_recipient, r->f->rcpt) &&
	    !policy_exempted(r, PR_ACCESS_RECIPIENT)) {
		policy_refuse(r, PR_ACCESS_RECIPIENT, r->f->rcpt, R_RCPT_ACCESS,
		              NULL, NULL);
		return;
	}
	policy_pass(r);
}

/* Who may relay: an authenticated client (RFC 6409 s8.1), or one in
 * [relay] trusted_networks, such as an application on the same host. */
static bool
may_relay(const struct policy_run *r)
{
	return r->f->auth_user != NULL ||
	       policy_nets_match(&r->p->relay_nets, r->f->client_ip);
}

/* A recipient elsewhere, from a client that may relay: deliver to it as
 * is. */
static void
relay_target(struct recipient_result *res, const char *to)
{
	recipient_result_free(res);
	res->verdict = RCPT_LOCAL;
	res->targets = calloc(1, sizeof(*res->targets));
	if (res->targets == NULL || (res->targets[0] = str_dup(to)) == NULL) {
		res->verdict = RCPT_FOREIGN;
		return;
	}
	res->ntargets = 1;
}

static enum reply_id
refusal_of(enum recipient_verdict v)
{
	switch (v) {
	case RCPT_UNKNOWN:
		return R_RCPT_USER_UNKNOWN;
	case RCPT_RELAY_UNKNOWN:
		return R_RCPT_RELAY_USER_UNKNOWN;
	case RCPT_LOOKUP_FAILED:
		return R_LOCAL_ERROR;
	case RCPT_DISABLED:
		return R_RCPT_DISABLED;
	case RCPT_ROUTING:
		return R_RCPT_ROUTE_DENIED;
	default:
		return R_RCPT_RELAY_DENIED;
	}
}

void
rule_recipient(struct policy_run *r)
{
	struct policy_facts *f = r->f;
	struct recipient_result *res = f->rcpt_result;

	recipient_resolve(policy_site(r), f->rcpt_local, f->rcpt_domain, res);
	/* A [relay_domain]'s recipient is taken from anyone, as for a
	 * local domain: ferry is its MX. */
	if (res->verdict == RCPT_RELAY ||
	    (res->verdict == RCPT_FOREIGN && may_relay(r)))
		relay_target(res, f->rcpt);
	if (res->verdict != RCPT_LOCAL) {
		policy_refuse(r, PR_RECIPIENT, f->rcpt,
		              refusal_of(res->verdict), f->rcpt, NULL);
		return;
	}
	policy_pass(r);
}
