/*
 * rate.c — recipients per window, per client, authenticated user, sender,
 * sender domain, and (incoming) per local recipient.  Every accepted
 * recipient counts once, the way providers count Cc and Bcc (seed 004:
 * "60 messages per minute").
 *
 * All the counters of one recipient are checked and increased together
 * (state.h rate_hit is all or nothing), so a recipient refused by one
 * limit is counted by none.  Windows under an hour answer "try later"
 * (451 4.7.1); hourly and daily windows answer the provider's quota
 * replies (550 5.4.6, per domain 550 5.4.5), which tell the sender's
 * server to stop trying.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "policy/policy_int.h"

#define RATE_MAX ((size_t)5 * CONFIG_RATES_MAX)
#define HOUR 3600
#define DAY 86400

struct rate_set {
	struct state_rate r[RATE_MAX];
	enum policy_rule rule[RATE_MAX];
	char keys[RATE_MAX][POLICY_ARG_MAX];
	size_t n;
};

static void
add_rates(struct rate_set *set, const struct policy_run *r,
          enum policy_rule rule, const struct config_rates *cr,
          const char *prefix, const char *what)
{
	size_t i;

	if (what == NULL || *what == '\0' || policy_exempted(r, rule))
		return;
	for (i = 0; i < cr->n && set->n < RATE_MAX; i++) {
		snprintf(set->keys[set->n], POLICY_ARG_MAX, "%s:%s:%d", prefix,
		         what, cr->r[i].window);
		set->r[set->n].key = set->keys[set->n];
		set->r[set->n].window = cr->r[i].window;
		set->r[set->n].limit = cr->r[i].limit;
		set->rule[set->n++] = rule;
	}
}

static enum reply_id
quota_reply(enum policy_rule rule, int window)
{
	bool domain = rule == PR_RATE_SENDER_DOMAIN;

	if (window >= DAY)
		return domain ? R_QUOTA_DAILY_DOMAIN : R_QUOTA_DAILY;
	return domain ? R_QUOTA_HOURLY_DOMAIN : R_QUOTA_HOURLY;
}

static const char *
what_of(enum policy_rule rule)
{
	switch (rule) {
	case PR_RATE_CLIENT:
		return "client address";
	case PR_RATE_USER:
		return "user";
	case PR_RATE_SENDER:
		return "sender";
	default:
		return "sender domain";
	}
}

/* The key as logged: what was counted, without the prefix and window. */
static void
refuse_rate(struct policy_run *r, const struct rate_set *set, int i)
{
	enum policy_rule rule = set->rule[i];
	int window = set->r[i].window;
	const char *key = strchr(set->keys[i], ':') + 1;

	if (rule == PR_RATE_RECIPIENT)
		policy_refuse(r, rule, key,
		              r->p->cfg->policy.rate_recipient_reply == 1
		                      ? R_RCPT_RATE_QUOTA
		                      : R_RCPT_RATE,
		              NULL, NULL);
	else if (window < HOUR)
		policy_refuse(r, rule, key, R_RATE_LIMITED, what_of(rule),
		              NULL);
	else
		policy_refuse(r, rule, key, quota_reply(rule, window), NULL,
		              NULL);
}

/* What a rate_hit needs once it answers: the set outlives rule_rates()
 * when the backend answers later. */
struct rate_wait {
	struct policy_run *r;
	struct rate_set set;
};

static void
rates_done(void *arg, enum state_status st, int exceeded)
{
	struct rate_wait *w = arg;
	struct policy_run *r = w->r;

	if (policy_run_gone(r)) {
		free(w);
		return;
	}
	if (st != STATE_OK)
		policy_state_failed(r, PR_RATE_CLIENT);
	else if (exceeded >= 0)
		refuse_rate(r, &w->set, exceeded);
	else
		policy_pass(r);
	free(w);
}

static bool
local_domain(const struct policy_run *r)
{
	return r->f->rcpt_domain &&
	       config_find_domain(policy_site(r), r->f->rcpt_domain) != NULL;
}

void
rule_rates(struct policy_run *r)
{
	const struct config_policy *c = &r->p->cfg->policy;
	const struct policy_facts *f = r->f;
	const char *at = f->sender ? strrchr(f->sender, '@') : NULL;
	struct rate_wait *w = malloc(sizeof(*w));
	struct rate_set *set;
	char client[64];

	if (w == NULL)
		abort();
	w->r = r;
	set = &w->set;
	set->n = 0;
	net_key(f->client_ip, 32, 64, client, sizeof(client));
	add_rates(set, r, PR_RATE_CLIENT, &c->rate_client, "rc", client);
	add_rates(set, r, PR_RATE_USER, &c->rate_user, "ru", f->auth_user);
	add_rates(set, r, PR_RATE_SENDER, &c->rate_sender, "rs", f->sender);
	add_rates(set, r, PR_RATE_SENDER_DOMAIN, &c->rate_sender_domain, "rd",
	          at ? at + 1 : NULL);
	if (local_domain(r))
		add_rates(set, r, PR_RATE_RECIPIENT, &c->rate_recipient, "rr",
		          f->rcpt);
	if (set->n == 0) {
		free(w);
		policy_pass(r);
		return;
	}
	r->p->state->ops->rate_hit(r->p->state, set->r, set->n,
	                           f->dry_run ? 0 : 1, policy_now(r->p),
	                           rates_done, w);
}
