/*
 * rules_dns.c — the client checks that ask the DNS (seed 004, the hosting
 * provider's Postfix): DNS allow lists, DNS block lists with their return
 * codes, reverse DNS with optional forward confirmation, and the sender's
 * domain.  All lookups are asynchronous (dns/lookup.h); a rule's verdict
 * comes from the lookup's callback.
 *
 * Like Postfix with smtpd_delay_reject, they answer at RCPT time: the
 * codes they send (450, 553, 554) answer a recipient, and a client on a
 * block list still learns which recipients it tried.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "dns/lookup.h"
#include "dns/resolver.h"
#include "policy/policy_int.h"

#define DNS_NAME_TEXT 320

struct dns_resolver *
policy_dns_new(struct event_base *base, const struct config *cfg)
{
	const struct config_policy *c = &cfg->policy;
	const char *rc = cfg->relay_resolv_conf;
	struct dns_resolver *r;

	if (c->reverse_dns == 0 && c->dnsbl.n == 0 && c->dnswl.n == 0 &&
	    !c->sender_domain_check && !cfg->mailauth_verify)
		return NULL;
	if ((rc && strcmp(rc, "none") == 0) || cfg->relay_dns_forwarder)
		rc = "";
	r = dns_resolver_new(base, rc);
	if (r && cfg->relay_dns_local_data &&
	    dns_resolver_load_file(r, cfg->relay_dns_local_data) < 0)
		log_event(LOG_LVL_WARN, "dns", "file",
		          cfg->relay_dns_local_data, "error",
		          "cannot read dns_local_data", NULL);
	if (r && cfg->relay_dns_forwarder &&
	    dns_resolver_set_forwarder(r, cfg->relay_dns_forwarder) < 0)
		log_event(LOG_LVL_WARN, "dns", "forwarder",
		          cfg->relay_dns_forwarder, "error",
		          "cannot use dns_forwarder", NULL);
	return r;
}

/* Strangers only: exempt networks and authenticated clients pass. */
static bool
skip_client(const struct policy_run *r, enum policy_rule rule)
{
	return r->p->dns == NULL || r->f->auth_user != NULL ||
	       policy_nets_match(&r->p->exempt_nets, r->f->client_ip) ||
	       policy_exempted(r, rule);
}

static void
lookup(struct policy_run *r, const char *name, int rrtype, dns_lookup_cb cb)
{
	struct dns_lookup_result fail = {DNS_LOOKUP_TEMPFAIL, NULL, 0};

	if (dns_lookup(r->p->dns, name, rrtype,
	               (unsigned)r->p->cfg->policy.dns_timeout_ms, cb, r) < 0)
		cb(r, &fail);
}

/* ---- DNS lists: zones asked one after the other ---------------------- */

/* "zone=127.0.0.2|127.0.0.4": does this answer count? */
static bool
code_counts(const char *item, const char *answer)
{
	const char *eq = strchr(item, '=');
	size_t n = strlen(answer);
	const char *p;

	if (eq == NULL)
		return strncmp(answer, "127.", 4) == 0;
	for (p = eq + 1; (p = strstr(p, answer)) != NULL; p += n)
		if ((p[-1] == '=' || p[-1] == '|') &&
		    (p[n] == '\0' || p[n] == '|'))
			return true;
	return false;
}

static bool
listed(const char *item, const struct dns_lookup_result *res)
{
	size_t i;

	for (i = 0; res->status == DNS_LOOKUP_OK && i < res->n; i++)
		if (code_counts(item, res->answers[i]))
			return true;
	return false;
}

static const struct config_list *
run_list(const struct policy_run *r)
{
	return r->count >= 1000 ? &r->p->cfg->policy.dnswl
	                        : &r->p->cfg->policy.dnsbl;
}

static void list_next(struct policy_run *r);

/* r->count: index of the zone asked (+1000 while walking the allow list). */
static void
list_answer(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;
	const struct config_list *l;
	size_t i;
	bool allow;

	if (policy_run_gone(r))
		return;
	allow = r->count >= 1000;
	l = run_list(r);
	i = (size_t)(r->count % 1000);
	if (listed(l->items[i], res)) {
		if (allow) {
			r->f->dnswl = 1;
			policy_pass(r);
			return;
		}
		snprintf(r->key2, sizeof(r->key2), "%.*s",
		         (int)strcspn(l->items[i], "="), l->items[i]);
		policy_refuse(r, PR_DNSBL, r->f->client_ip, R_DNSBL_LISTED,
		              r->f->client_ip, r->key2);
		return;
	}
	r->count++;
	list_next(r);
}

static void
list_next(struct policy_run *r)
{
	const struct config_list *l = run_list(r);
	size_t i = (size_t)(r->count % 1000);
	char zone[256], name[DNS_NAME_TEXT];

	if (i >= l->n) {
		if (r->count >= 1000)
			r->f->dnswl = 2;
		policy_pass(r);
		return;
	}
	snprintf(zone, sizeof(zone), "%.*s", (int)strcspn(l->items[i], "="),
	         l->items[i]);
	if (dns_reverse_name(r->f->client_ip, zone, name, sizeof(name)) < 0) {
		r->count++;
		list_next(r);
		return;
	}
	lookup(r, name, DNS_RR_A, list_answer);
}

void
rule_dnswl(struct policy_run *r)
{
	if (r->p->cfg->policy.dnswl.n == 0 || r->f->dnswl != 0 ||
	    r->p->dns == NULL) {
		policy_pass(r);
		return;
	}
	r->count = 1000;
	list_next(r);
}

void
rule_dnsbl(struct policy_run *r)
{
	if (r->p->cfg->policy.dnsbl.n == 0 || r->f->dnswl == 1 ||
	    skip_client(r, PR_DNSBL)) {
		policy_pass(r);
		return;
	}
	r->count = 0;
	list_next(r);
}

/* ---- reverse DNS ----------------------------------------------------- */

static void
refuse_rdns(struct policy_run *r)
{
	policy_refuse(r, PR_REVERSE_DNS, r->f->client_ip, R_CLIENT_NO_RDNS,
	              NULL, NULL);
}

static bool
same_address(const char *a, const char *b)
{
	struct net_prefix pa;

	return net_parse(a, &pa) == 0 && net_contains(&pa, b);
}

static void
forward_answer(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;
	size_t i;

	if (policy_run_gone(r))
		return;
	for (i = 0; res->status == DNS_LOOKUP_OK && i < res->n; i++)
		if (same_address(res->answers[i], r->f->client_ip)) {
			policy_pass(r);
			return;
		}
	refuse_rdns(r);
}

static void
ptr_answer(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	if (res->status != DNS_LOOKUP_OK) {
		refuse_rdns(r);
		return;
	}
	if (r->p->cfg->policy.reverse_dns == 1) {
		policy_pass(r);
		return;
	}
	/* Forward confirmation of the first name. */
	snprintf(r->key2, sizeof(r->key2), "%s", res->answers[0]);
	lookup(r, r->key2,
	       strchr(r->f->client_ip, ':') ? DNS_RR_AAAA : DNS_RR_A,
	       forward_answer);
}

void
rule_reverse_dns(struct policy_run *r)
{
	char name[DNS_NAME_TEXT];

	if (r->p->cfg->policy.reverse_dns == 0 || r->f->dnswl == 1 ||
	    skip_client(r, PR_REVERSE_DNS)) {
		policy_pass(r);
		return;
	}
	if (dns_reverse_name(r->f->client_ip, NULL, name, sizeof(name)) < 0) {
		refuse_rdns(r);
		return;
	}
	lookup(r, name, DNS_RR_PTR, ptr_answer);
}

/* ---- the sender's domain --------------------------------------------- */

static void
domain_refuse(struct policy_run *r, enum dns_lookup_status st)
{
	policy_refuse(r, PR_SENDER_DOMAIN, r->key2,
	              st == DNS_LOOKUP_NXDOMAIN ? R_SENDER_DOMAIN_NXDOMAIN
	                                        : R_SENDER_DOMAIN_UNKNOWN,
	              NULL, NULL);
}

static void
domain_aaaa(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	if (res->status == DNS_LOOKUP_OK)
		policy_pass(r);
	else
		domain_refuse(r, res->status);
}

static void
domain_a(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	if (res->status == DNS_LOOKUP_OK)
		policy_pass(r);
	else if (res->status == DNS_LOOKUP_NODATA)
		lookup(r, r->key2, DNS_RR_AAAA, domain_aaaa);
	else
		domain_refuse(r, res->status);
}

/* An MX, or else an address (the implicit MX of RFC 5321 s5.1). */
static void
domain_mx(void *arg, const struct dns_lookup_result *res)
{
	struct policy_run *r = arg;

	if (policy_run_gone(r))
		return;
	if (res->status == DNS_LOOKUP_OK)
		policy_pass(r);
	else if (res->status == DNS_LOOKUP_NODATA)
		lookup(r, r->key2, DNS_RR_A, domain_a);
	else
		domain_refuse(r, res->status);
}

void
rule_sender_domain(struct policy_run *r)
{
	const char *at = r->f->sender ? strrchr(r->f->sender, '@') : NULL;

	if (!r->p->cfg->policy.sender_domain_check || at == NULL ||
	    at[1] == '[' || r->p->dns == NULL || r->f->auth_user != NULL ||
	    config_find_domain(policy_site(r), at + 1) != NULL ||
	    policy_exempted(r, PR_SENDER_DOMAIN)) {
		policy_pass(r);
		return;
	}
	snprintf(r->key2, sizeof(r->key2), "%s", at + 1);
	lookup(r, r->key2, DNS_RR_MX, domain_mx);
}
