/*
 * rules_conn.c — the rules of the connect stage: client networks refused
 * outright, concurrent connections per client, connections per window.
 * A client is its address, or its /64 for IPv6, which one host usually
 * has whole.
 */
#include <stdio.h>

#include "policy/policy_int.h"

void
rule_access_client(struct policy_run *r)
{
	if (policy_nets_match(&r->p->access_client, r->f->client_ip) &&
	    !policy_exempted(r, PR_ACCESS_CLIENT)) {
		policy_refuse_close(r, PR_ACCESS_CLIENT, r->f->client_ip,
		                    R_POLICY_CLIENT_DENIED, NULL);
		return;
	}
	policy_pass(r);
}

void
rule_max_conn_client(struct policy_run *r)
{
	int max = r->p->cfg->policy.max_conn_client;

	if (max > 0 && r->f->client_connections > (unsigned)max &&
	    !policy_exempted(r, PR_MAX_CONN_CLIENT)) {
		policy_refuse_close(r, PR_MAX_CONN_CLIENT, r->f->client_ip,
		                    R_POLICY_CONCURRENCY, r->p->cfg->hostname);
		return;
	}
	policy_pass(r);
}

static void
conn_rate_done(void *arg, enum state_status st, int exceeded)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	if (st != STATE_OK) {
		policy_state_failed(r, PR_CONN_RATE_CLIENT);
		return;
	}
	if (exceeded >= 0) {
		policy_refuse_close(r, PR_CONN_RATE_CLIENT, r->key2,
		                    R_POLICY_CONN_RATE, r->p->cfg->hostname);
		return;
	}
	policy_pass(r);
}

void
rule_conn_rate_client(struct policy_run *r)
{
	const struct config_rates *cr = &r->p->cfg->policy.conn_rate_client;
	struct state_rate rates[CONFIG_RATES_MAX];
	char keys[CONFIG_RATES_MAX][POLICY_ARG_MAX + 32];
	size_t i;

	if (cr->n == 0 || policy_exempted(r, PR_CONN_RATE_CLIENT)) {
		policy_pass(r);
		return;
	}
	net_key(r->f->client_ip, 32, 64, r->key2, sizeof(r->key2));
	for (i = 0; i < cr->n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "cc:%s:%d", r->key2,
		         cr->r[i].window);
		rates[i].key = keys[i];
		rates[i].window = cr->r[i].window;
		rates[i].limit = cr->r[i].limit;
	}
	r->p->state->ops->rate_hit(r->p->state, rates, cr->n,
	                           r->f->dry_run ? 0 : 1, policy_now(r->p),
	                           conn_rate_done, r);
}
