/*
 * policy_int — what the rule files share with the runner (policy.c).
 * Not for use outside src/policy/.
 *
 * A rule is a function of one stage that ends by calling policy_pass() or
 * policy_refuse() exactly once, now or from a state callback.  A callback
 * that may run after the session is gone first calls policy_run_gone().
 */
#ifndef FERRY_POLICY_INT_H
#define FERRY_POLICY_INT_H

#include <stdint.h>

#include "base/net.h"
#include "policy/policy.h"
#include "policy/state.h"
#include "reply/reply.h"

/* Every rule that can refuse, for logs and `ferry policy stats`. */
enum policy_rule {
	PR_ACCESS_CLIENT,
	PR_MAX_CONN_CLIENT,
	PR_CONN_RATE_CLIENT,
	PR_HELO,
	PR_SENDER_OWNED,
	PR_MAX_RECIPIENTS,
	PR_ACCESS_SENDER,
	PR_ACCESS_RECIPIENT,
	PR_RECIPIENT,
	PR_DNSBL,
	PR_REVERSE_DNS,
	PR_SENDER_DOMAIN,
	PR_GREYLIST,
	PR_RATE_CLIENT,
	PR_RATE_USER,
	PR_RATE_SENDER,
	PR_RATE_SENDER_DOMAIN,
	PR_RATE_RECIPIENT,
	PR_MAILBOX_QUOTA,
	PR_SPF,
	PR_DMARC,
	PR_NRULES,
};

extern const char *const policy_rule_names[PR_NRULES];

struct policy_nets {
	struct net_prefix *nets;
	size_t n;
};

/* Who a rule does not apply to (exempt = RULE: ...). */
struct policy_exempt {
	struct policy_nets nets;
	const struct config_list
	        *items; /* @domain, user:LOGIN, authenticated */
};

struct policy {
	const struct config *cfg;
	struct state *state;
	int64_t clock_offset; /* test_clock: seconds added by the control */
	unsigned long refused[PR_NRULES];
	struct policy_nets exempt_nets; /* not checked as strangers */
	struct policy_nets relay_nets;  /* may relay without AUTH */
	struct policy_nets access_client;
	struct policy_exempt exempt[PR_NRULES];
	struct dns_resolver *dns;  /* NULL when no DNS rule is on */
	struct quota_table *quota; /* mailboxes with a quota */
	struct mailauth_psl *psl;  /* [mailauth] verify: for DMARC */
};

struct policy_run {
	struct policy *p;
	enum policy_stage stage;
	struct policy_facts *f;
	size_t next; /* index into the rule table */
	policy_done_fn done;
	void *arg;
	bool returned;  /* policy_check() has returned: done() frees */
	bool finished;  /* verdict reached before policy_check() returned */
	bool cancelled; /* the asker is gone */
	struct policy_verdict v;
	/* Scratch for a rule's callbacks. */
	char key2[POLICY_ARG_MAX];
	int64_t count;
};

void policy_pass(struct policy_run *r);
void policy_refuse(struct policy_run *r, enum policy_rule rule, const char *key,
                   enum reply_id reply, const char *a0, const char *a1);
/* As policy_refuse, and the connection is closed after the reply. */
void policy_refuse_close(struct policy_run *r, enum policy_rule rule,
                         const char *key, enum reply_id reply, const char *a0);
/* The state backend failed: the configured fail-open/closed answer. */
void policy_state_failed(struct policy_run *r, enum policy_rule rule);
/* In a state callback: true (and the run is freed) when nobody waits. */
bool policy_run_gone(struct policy_run *r);

bool policy_exempted(const struct policy_run *r, enum policy_rule rule);
bool policy_nets_match(const struct policy_nets *l, const char *ip);
int64_t policy_now(const struct policy *p);
/* The configuration of the domains, aliases, senders and host names for
 * this run (policy_facts.cfg); the [policy] settings are r->p->cfg's. */
const struct config *policy_site(const struct policy_run *r);

/* rules_dns.c: the resolver of the DNS rules, NULL when none is on. */
struct dns_resolver *policy_dns_new(struct event_base *base,
                                    const struct config *cfg);

/* The rules, one per stage position (policy.c orders them). */
void rule_access_client(struct policy_run *r);
void rule_max_conn_client(struct policy_run *r);
void rule_conn_rate_client(struct policy_run *r);
void rule_helo(struct policy_run *r);
void rule_sender_owned(struct policy_run *r);
void rule_max_recipients(struct policy_run *r);
void rule_access_sender(struct policy_run *r);
void rule_access_recipient(struct policy_run *r);
void rule_recipient(struct policy_run *r);
void rule_dnswl(struct policy_run *r);
void rule_dnsbl(struct policy_run *r);
void rule_reverse_dns(struct policy_run *r);
void rule_sender_domain(struct policy_run *r);
void rule_greylist(struct policy_run *r);
void rule_rates(struct policy_run *r);
void rule_quota(struct policy_run *r);
/* rules_auth.c: SPF at MAIL (recorded), its enforcement at RCPT, DKIM
 * and DMARC at the end of DATA. */
void rule_spf(struct policy_run *r);
void rule_spf_enforce(struct policy_run *r);
void rule_dmarc(struct policy_run *r);

/* quota.c: the usage of every mailbox with a quota, counted at start. */
struct quota_table *quota_table_new(const struct config *cfg);
void quota_table_free(struct quota_table *t);
size_t quota_table_size(const struct quota_table *t);

#endif
