/*
 * policy.c — the rule table, the runner that walks it for one stage, and
 * what every refusal goes through (verdict, log line, counter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/mem.h"
#include "base/log.h"
#include "dns/lookup.h"
#include "dns/resolver.h"
#include "policy/policy_int.h"
#include "policy/redis_link.h"
#include "mailauth/mailauth.h"
#include "policy/recipient.h"
#include "spf/spf.h"

const char *const policy_rule_names[PR_NRULES] = {
        [PR_ACCESS_CLIENT] = "access_client",
        [PR_MAX_CONN_CLIENT] = "max_conn_client",
        [PR_CONN_RATE_CLIENT] = "conn_rate_client",
        [PR_HELO] = "helo",
        [PR_SENDER_OWNED] = "sender_owned",
        [PR_MAX_RECIPIENTS] = "max_recipients",
        [PR_ACCESS_SENDER] = "access_sender",
        [PR_ACCESS_RECIPIENT] = "access_recipient",
        [PR_RECIPIENT] = "recipient",
        [PR_DNSBL] = "dnsbl",
        [PR_REVERSE_DNS] = "reverse_dns",
        [PR_SENDER_DOMAIN] = "sender_domain",
        [PR_GREYLIST] = "greylist",
        [PR_RATE_CLIENT] = "rate_client",
        [PR_RATE_USER] = "rate_user",
        [PR_RATE_SENDER] = "rate_sender",
        [PR_RATE_SENDER_DOMAIN] = "rate_sender_domain",
        [PR_RATE_RECIPIENT] = "rate_recipient",
        [PR_MAILBOX_QUOTA] = "mailbox_quota",
        [PR_SPF] = "spf",
        [PR_DMARC] = "dmarc",
};

struct rule_entry {
	enum policy_stage stage;
	void (*run)(struct policy_run *r);
};

/* In the order they run.  Cheap, local refusals come first; counters come
 * last, so that a recipient refused for another reason is not counted. */
static const struct rule_entry rule_table[] = {
        {POLICY_CONNECT, rule_access_client},
        {POLICY_CONNECT, rule_max_conn_client},
        {POLICY_CONNECT, rule_conn_rate_client},
        {POLICY_HELO, rule_helo},
        {POLICY_MAIL, rule_sender_owned},
        {POLICY_MAIL, rule_spf},
        {POLICY_RCPT, rule_max_recipients},
        {POLICY_RCPT, rule_access_sender},
        {POLICY_RCPT, rule_access_recipient},
        {POLICY_RCPT, rule_recipient},
        {POLICY_RCPT, rule_quota},
        {POLICY_RCPT, rule_dnswl},
        {POLICY_RCPT, rule_dnsbl},
        {POLICY_RCPT, rule_reverse_dns},
        {POLICY_RCPT, rule_sender_domain},
        {POLICY_RCPT, rule_greylist},
        {POLICY_RCPT, rule_rates},
        {POLICY_RCPT, rule_spf_enforce},
        {POLICY_DATA, rule_dmarc},
};
#define NRULE_ENTRIES (sizeof(rule_table) / sizeof(rule_table[0]))

int64_t
policy_now(const struct policy *p)
{
	return (int64_t)time(NULL) + p->clock_offset;
}

const struct config *
policy_site(const struct policy_run *r)
{
	return r->f->cfg != NULL ? r->f->cfg : r->p->cfg;
}

static int64_t
now_cb(void *arg)
{
	return policy_now(arg);
}

static void
nets_parse(struct policy_nets *out, const struct config_list *l)
{
	size_t i;

	out->nets = l->n ? calloc(l->n, sizeof(*out->nets)) : NULL;
	if (l->n && out->nets == NULL)
		abort();
	out->n = 0;
	/* The configuration was checked at load: every item parses. */
	for (i = 0; i < l->n; i++)
		if (net_parse(l->items[i], &out->nets[out->n]) == 0)
			out->n++;
}

bool
policy_nets_match(const struct policy_nets *l, const char *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (net_contains(&l->nets[i], ip))
			return true;
	return false;
}

static enum policy_rule
rule_by_name(const char *name)
{
	int i;

	for (i = 0; i < PR_NRULES; i++)
		if (strcmp(policy_rule_names[i], name) == 0)
			return (enum policy_rule)i;
	return PR_NRULES;
}

/* Only network items go into nets; the rest are matched as text. */
static void
exempt_parse(struct policy *p, const struct config_exempt *e)
{
	enum policy_rule rule = rule_by_name(e->rule);
	struct policy_exempt *x;
	struct net_prefix net;
	size_t i;

	if (rule == PR_NRULES)
		return;
	x = &p->exempt[rule];
	x->items = &e->items;
	for (i = 0; i < e->items.n; i++) {
		if (net_parse(e->items.items[i], &net) < 0)
			continue;
		x->nets.nets =
		        xreallocarray(x->nets.nets, x->nets.n + 1, sizeof(net));
		x->nets.nets[x->nets.n++] = net;
	}
}

static bool
exempt_item_matches(const char *item, const struct policy_facts *f)
{
	const char *at;

	if (strcmp(item, "authenticated") == 0)
		return f->auth_user != NULL;
	if (strncmp(item, "user:", 5) == 0)
		return f->auth_user && strcasecmp(item + 5, f->auth_user) == 0;
	if (item[0] == '@' && f->sender != NULL &&
	    (at = strrchr(f->sender, '@')) != NULL)
		return strcasecmp(item + 1, at + 1) == 0;
	return false;
}

bool
policy_exempted(const struct policy_run *r, enum policy_rule rule)
{
	const struct policy_exempt *x = &r->p->exempt[rule];
	size_t i;

	if (x->items == NULL)
		return false;
	if (policy_nets_match(&x->nets, r->f->client_ip))
		return true;
	for (i = 0; i < x->items->n; i++)
		if (exempt_item_matches(x->items->items[i], r->f))
			return true;
	return false;
}

static struct state *
redis_state_new(struct event_base *base, const struct config *cfg,
                struct policy *p)
{
	const struct config_policy *c = &cfg->policy;
	const struct redis_link_config link = {
	        .host = c->redis_server.address,
	        .port = c->redis_server.port,
	        .socket_path = c->redis_socket,
	        .username = c->redis_username,
	        .password = c->redis_password,
	        .tls = c->redis_tls,
	        .ca_file = c->redis_tls_ca_file,
	        .cert_file = c->redis_tls_cert_file,
	        .key_file = c->redis_tls_key_file,
	        .server_name = c->redis_tls_server_name,
	        /* Room for a TLS handshake, never less than a question. */
	        .connect_timeout_ms =
	                c->redis_timeout_ms > 2000 ? c->redis_timeout_ms : 2000,
	};

	return state_redis_new(base, &link, c->redis_prefix,
	                       c->redis_timeout_ms, now_cb, p);
}

struct policy *
policy_new(struct event_base *base, const struct config *cfg)
{
	struct policy *p = calloc(1, sizeof(*p));
	size_t i;

	if (p == NULL)
		abort();
	p->cfg = cfg;
	nets_parse(&p->exempt_nets, &cfg->policy.exempt_networks);
	nets_parse(&p->relay_nets, &cfg->relay_trusted_networks);
	nets_parse(&p->access_client, &cfg->policy.access_client);
	for (i = 0; i < cfg->policy.nexempt; i++)
		exempt_parse(p, &cfg->policy.exempt[i]);
	recipient_maps_open(cfg);
	p->dns = policy_dns_new(base, cfg);
	p->quota = quota_table_new(cfg);
	if (cfg->mailauth_verify &&
	    (p->psl = mailauth_psl_load(cfg->mailauth_public_suffix_list)) ==
	            NULL)
		log_event(LOG_LVL_WARN, "mailauth", "file",
		          cfg->mailauth_public_suffix_list, "error",
		          "cannot read the Public Suffix List: DMARC aligns "
		          "by the last two labels",
		          NULL);
	if (cfg->policy.state == POLICY_STATE_REDIS)
		p->state = redis_state_new(base, cfg, p);
	else
		p->state = state_mem_new(base, cfg->policy.state_file,
		                         cfg->policy.state_save_interval,
		                         now_cb, p);
	return p;
}

void
policy_free(struct policy *p)
{
	int i;

	if (p == NULL)
		return;
	p->state->ops->free(p->state);
	if (p->dns) {
		dns_resolver_free(p->dns);
		dns_lookup_cache_clear();
		spf_forget_abandoned();
		mailauth_forget_abandoned();
	}
	mailauth_psl_free(p->psl);
	quota_table_free(p->quota);
	free(p->exempt_nets.nets);
	free(p->relay_nets.nets);
	free(p->access_client.nets);
	for (i = 0; i < PR_NRULES; i++)
		free(p->exempt[i].nets.nets);
	free(p);
}

static void
run_finish(struct policy_run *r)
{
	if (!r->returned) {
		r->finished = true; /* policy_check() delivers and frees */
		return;
	}
	if (!r->cancelled)
		r->done(r->arg, &r->v);
	free(r);
}

/* Runs rules from r->next on, until one is still waiting or all passed. */
static void
run_next(struct policy_run *r)
{
	while (r->next < NRULE_ENTRIES && rule_table[r->next].stage != r->stage)
		r->next++;
	if (r->next == NRULE_ENTRIES) {
		run_finish(r);
		return;
	}
	rule_table[r->next].run(r);
}

void
policy_pass(struct policy_run *r)
{
	r->next++;
	run_next(r);
}

static void
log_refusal(struct policy_run *r)
{
	char line[REPLY_LINE_MAX];

	reply_format(line, sizeof(line), (enum reply_id)r->v.reply,
	             r->v.args[0], r->v.args[1]);
	log_event(LOG_LVL_INFO, "policy", "rule", r->v.rule, "key", r->v.key,
	          "client", r->f->client_ip, "reply", line, NULL);
}

void
policy_refuse(struct policy_run *r, enum policy_rule rule, const char *key,
              enum reply_id reply, const char *a0, const char *a1)
{
	r->v.refused = true;
	r->v.rule = policy_rule_names[rule];
	r->v.reply = (int)reply;
	if (key != r->v.key)
		snprintf(r->v.key, sizeof(r->v.key), "%s", key ? key : "");
	snprintf(r->v.args[0], sizeof(r->v.args[0]), "%s", a0 ? a0 : "");
	snprintf(r->v.args[1], sizeof(r->v.args[1]), "%s", a1 ? a1 : "");
	if (!r->f->dry_run) {
		r->p->refused[rule]++;
		log_refusal(r);
	}
	run_finish(r);
}

void
policy_refuse_close(struct policy_run *r, enum policy_rule rule,
                    const char *key, enum reply_id reply, const char *a0)
{
	r->v.close = true;
	policy_refuse(r, rule, key, reply, a0, NULL);
}

void
policy_state_failed(struct policy_run *r, enum policy_rule rule)
{
	bool closed = r->p->cfg->policy.redis_fail == 1;

	log_event(LOG_LVL_WARN, "policy-state", "rule", policy_rule_names[rule],
	          "client", r->f->client_ip, "error",
	          "state backend unavailable", "action",
	          closed ? "refuse" : "pass", NULL);
	if (!closed) {
		policy_pass(r);
		return;
	}
	/* Nothing was decided about the client: a temporary refusal, and no
	 * refusal count for the rule. */
	r->v.refused = true;
	r->v.rule = policy_rule_names[rule];
	snprintf(r->v.key, sizeof(r->v.key), "state");
	if (r->stage == POLICY_CONNECT) {
		r->v.close = true;
		r->v.reply = (int)R_POLICY_TEMPFAIL_CONN;
		snprintf(r->v.args[0], sizeof(r->v.args[0]), "%s",
		         r->p->cfg->hostname);
	} else {
		r->v.reply = (int)R_POLICY_TEMPFAIL;
	}
	run_finish(r);
}

bool
policy_run_gone(struct policy_run *r)
{
	if (!r->cancelled)
		return false;
	free(r);
	return true;
}

struct policy_run *
policy_check(struct policy *p, enum policy_stage stage, struct policy_facts *f,
             policy_done_fn done, void *arg)
{
	struct policy_run *r = xcalloc(1, sizeof(*r));

	r->p = p;
	r->stage = stage;
	r->f = f;
	r->done = done;
	r->arg = arg;
	run_next(r);
	if (r->finished) {
		done(arg, &r->v);
		free(r);
		return NULL;
	}
	r->returned = true;
	return r;
}

void
policy_cancel(struct policy_run *r)
{
	if (r != NULL)
		r->cancelled = true;
}

int
policy_rcpt_max(const struct config *cfg, enum listener_role role,
                const char *auth_user)
{
	size_t i;

	for (i = 0; auth_user && i < cfg->policy.nuser_max_rcpt; i++)
		if (strcasecmp(cfg->policy.user_max_rcpt[i].login, auth_user) ==
		    0)
			return cfg->policy.user_max_rcpt[i].limit;
	return role == LISTENER_SMTP ? cfg->max_recipients
	                             : cfg->policy.max_recipients_submission;
}
