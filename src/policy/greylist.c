/*
 * greylist.c — greylisting by (client network, sender, recipient).
 *
 * A triplet seen for the first time is refused with 451 4.7.1 and
 * remembered for greylist_retry_window; a retry after greylist_delay
 * passes and the triplet stays allowed for greylist_expire after each use.
 * Each pass also counts for the client network: after greylist_auto_allow
 * passes the whole network is no longer greylisted.  Senders that retry,
 * as RFC 5321 s4.5.4.1 asks, lose one delay once; most spam engines
 * never come back.
 *
 * Records: "gt:NET,SENDER,RCPT" = {first seen, passed} and
 * "gc:NET" = {passes, 0}.  The network is the /24 (IPv4) or /64 (IPv6),
 * since large senders retry from another address of the same pool.
 */
#include <inttypes.h>
#include <stdio.h>

#include "policy/policy_int.h"

static void
grey_refuse(struct policy_run *r, int64_t wait)
{
	char secs[24];

	snprintf(secs, sizeof(secs), "%" PRId64, wait > 0 ? wait : 1);
	policy_refuse(r, PR_GREYLIST, r->v.key, R_GREYLISTED, r->f->rcpt, secs);
}

static void
grey_put(struct policy_run *r, const char *key, int64_t v0, int64_t v1,
         int64_t ttl)
{
	const int64_t v[2] = {v0, v1};

	if (!r->f->dry_run)
		r->p->state->ops->put(r->p->state, key, v,
		                      policy_now(r->p) + ttl);
}

static void
triplet_done(void *arg, enum state_status st, bool found, const int64_t v[2])
{
	struct policy_run *r = arg;
	const struct config_policy *c = &r->p->cfg->policy;
	int64_t now = policy_now(r->p);

	if (policy_run_gone(r))
		return;
	if (st != STATE_OK) {
		policy_state_failed(r, PR_GREYLIST);
		return;
	}
	if (!found) {
		grey_put(r, r->v.key, now, 0, c->greylist_retry_window);
		grey_refuse(r, c->greylist_delay);
		return;
	}
	if (v[1] == 0 && now - v[0] < c->greylist_delay) {
		grey_refuse(r, c->greylist_delay - (now - v[0]));
		return;
	}
	if (v[1] == 0 && c->greylist_auto_allow > 0)
		grey_put(r, r->key2, r->count + 1, 0, c->greylist_expire);
	grey_put(r, r->v.key, v[0], 1, c->greylist_expire);
	policy_pass(r);
}

static void
client_done(void *arg, enum state_status st, bool found, const int64_t v[2])
{
	struct policy_run *r = arg;
	const struct config_policy *c = &r->p->cfg->policy;

	if (policy_run_gone(r))
		return;
	if (st != STATE_OK) {
		policy_state_failed(r, PR_GREYLIST);
		return;
	}
	r->count = found ? v[0] : 0;
	if (r->count >= c->greylist_auto_allow) {
		grey_put(r, r->key2, r->count, 0, c->greylist_expire);
		policy_pass(r);
		return;
	}
	r->p->state->ops->get(r->p->state, r->v.key, policy_now(r->p),
	                      triplet_done, r);
}

void
rule_greylist(struct policy_run *r)
{
	const struct policy_facts *f = r->f;
	char net[64];

	if (!r->p->cfg->policy.greylist || f->auth_user != NULL ||
	    f->dnswl == 1 ||
	    policy_nets_match(&r->p->exempt_nets, f->client_ip) ||
	    policy_exempted(r, PR_GREYLIST)) {
		policy_pass(r);
		return;
	}
	net_key(f->client_ip, 24, 64, net, sizeof(net));
	snprintf(r->key2, sizeof(r->key2), "gc:%s", net);
	snprintf(r->v.key, sizeof(r->v.key), "gt:%s,%s,%s", net,
	         f->sender ? f->sender : "", f->rcpt);
	if (r->p->cfg->policy.greylist_auto_allow > 0)
		r->p->state->ops->get(r->p->state, r->key2, policy_now(r->p),
		                      client_done, r);
	else
		r->p->state->ops->get(r->p->state, r->v.key, policy_now(r->p),
		                      triplet_done, r);
}
