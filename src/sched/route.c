/*
 * route.c — the next hops of a transaction: a transport entry for the
 * domain, else its [relay_domain]'s next_hop, else the smarthost, else the
 * domain's MX hosts (RFC 5321 s5.1), tried in order until one takes the
 * transaction.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "config/config.h"
#include "dns/resolver.h"
#include "metrics/metrics.h"
#include "reply/status.h"
#include "sched/outbound_int.h"

static void job_connect(struct out_job *job, bool may_reuse);

void
hops_free(struct out_hop *hops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(hops[i].host);
		free(hops[i].addr);
	}
	free(hops);
}

static void
hop_add(struct out_job *job, const char *host, const char *addr, int port)
{
	struct out_hop *h;

	h = realloc(job->hops, (job->nhops + 1) * sizeof(*h));
	if (h == NULL)
		abort();
	job->hops = h;
	h += job->nhops++;
	h->host = strdup(host);
	h->addr = strdup(addr);
	h->port = port;
	if (h->host == NULL || h->addr == NULL)
		abort();
}

static void
load_local_data(struct dns_resolver *r, const char *path)
{
	if (dns_resolver_load_file(r, path) < 0)
		log_event(LOG_LVL_WARN, "dns", "file", path, "error",
		          "cannot read dns_local_data", NULL);
}

struct dns_resolver *
outbound_resolver_new(struct event_base *base, const struct config *cfg)
{
	const char *rc = cfg->relay_resolv_conf;
	struct dns_resolver *r;

	if (rc && strcmp(rc, "none") == 0)
		rc = "";
	r = dns_resolver_new(base, rc);
	if (r && cfg->relay_dns_local_data)
		load_local_data(r, cfg->relay_dns_local_data);
	return r;
}

static const struct config_transport *
transport_for(const struct config *cfg, const char *domain)
{
	size_t i;

	for (i = 0; i < cfg->ntransports; i++)
		if (strcasecmp(cfg->transports[i].domain, domain) == 0)
			return &cfg->transports[i];
	return NULL;
}

static void
mx_done(void *arg, const struct dns_mx_result *res)
{
	struct out_job *job = arg;
	const struct config *cfg = job->ob->cfg;
	size_t i, j;

	job->query = NULL;
	switch (res->status) {
	case DNS_OK:
		for (i = 0; i < res->nhosts; i++)
			for (j = 0; j < res->hosts[i].naddrs; j++)
				hop_add(job, res->hosts[i].name,
				        res->hosts[i].addrs[j],
				        cfg->relay_port);
		job_connect(job, true);
		return;
	case DNS_NXDOMAIN:
		result_all(job, RCPT_BOUNCED, status_enh(ST_ROUTE_NO_DOMAIN),
		           res->error, NULL);
		break;
	case DNS_NULL_MX:
		result_all(job, RCPT_BOUNCED, status_enh(ST_ROUTE_NULL_MX),
		           res->error, NULL);
		break;
	default:
		result_all(job, RCPT_DEFERRED, status_enh(ST_ROUTE_DNS_TEMP),
		           res->error, NULL);
		break;
	}
	outbound_job_done(job);
}

/* The next hop of a [relay_domain], or NULL when it routes as any. */
static const struct config_listener *
relay_domain_hop(const struct config *cfg, const char *domain)
{
	const struct config_relay_domain *r =
	        config_find_relay_domain(cfg, domain);

	return r != NULL && r->next_hop.address != NULL ? &r->next_hop : NULL;
}

/* The host a job's named next hop stands for: its relay domain's next
 * hop, else the smarthost. */
static const struct config_listener *
named_hop(const struct out_job *job)
{
	const struct config_listener *h =
	        relay_domain_hop(job->ob->cfg, job->dest->domain);

	return h ? h : &job->ob->cfg->relay_smarthost;
}

/* A next hop given by name: its own addresses, no MX step. */
static void
named_hop_done(void *arg, const struct dns_mx_result *res)
{
	struct out_job *job = arg;
	const struct config_listener *hop = named_hop(job);
	size_t j;

	job->query = NULL;
	if (res->status != DNS_OK) {
		result_all(job, RCPT_DEFERRED, status_enh(ST_ROUTE_DNS_TEMP),
		           res->error, NULL);
		outbound_job_done(job);
		return;
	}
	for (j = 0; j < res->hosts[0].naddrs; j++)
		hop_add(job, hop->address, res->hosts[0].addrs[j], hop->port);
	job_connect(job, true);
}

static bool
is_numeric(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

/* The smarthost, or a relay domain's next hop. */
static void
route_named(struct out_job *job)
{
	const struct config_listener *sh = named_hop(job);

	if (is_numeric(sh->address)) {
		hop_add(job, sh->address, sh->address, sh->port);
		job_connect(job, true);
		return;
	}
	job->query = dns_resolve_host(job->ob->dns, sh->address, named_hop_done,
	                              job);
	if (job->query == NULL) {
		result_all(job, RCPT_DEFERRED,
		           status_enh(ST_ROUTE_RESOLVER_OOM),
		           status_def(ST_ROUTE_RESOLVER_OOM)->text, NULL);
		outbound_job_done(job);
	}
}

/* The LMTP server of the job's domain, when its mailboxes go there: only
 * such recipients of a local domain are left to this queue manager. */
static const struct config_domain *
lmtp_domain(const struct out_job *job)
{
	const struct config_domain *d =
	        config_find_domain(job->ob->cfg, job->dest->domain);

	return d != NULL && d->lmtp_addr != NULL ? d : NULL;
}

void
route_job(struct out_job *job)
{
	const struct config *cfg = job->ob->cfg;
	const struct config_transport *t =
	        transport_for(cfg, job->dest->domain);
	const struct config_domain *lmtp = lmtp_domain(job);

	if (lmtp) {
		hop_add(job, lmtp->lmtp, lmtp->lmtp_addr, lmtp->lmtp_port);
	} else if (t) {
		hop_add(job, t->next_hop.address, t->next_hop.address,
		        t->next_hop.port);
	} else if (relay_domain_hop(cfg, job->dest->domain) ||
	           cfg->relay_smarthost.address) {
		route_named(job);
		return;
	} else if (job->dest->domain[0] == '[') {
		result_all(job, RCPT_BOUNCED, status_enh(ST_ROUTE_LITERAL),
		           status_def(ST_ROUTE_LITERAL)->text, NULL);
		outbound_job_done(job);
		return;
	} else {
		job->query = dns_resolve_mx(job->ob->dns, job->dest->domain,
		                            mx_done, job);
		if (job->query == NULL) {
			result_all(job, RCPT_DEFERRED,
			           status_enh(ST_ROUTE_RESOLVER_OOM),
			           status_def(ST_ROUTE_RESOLVER_OOM)->text,
			           NULL);
			outbound_job_done(job);
		}
		return;
	}
	job_connect(job, true);
}

/* A kept connection the remote had given up on: it closed (or said 421)
 * before answering the new transaction's MAIL. */
static bool
stale_connection(const struct relay_result *res)
{
	return res->failed_stage == RELAY_STAGE_MAIL &&
	       (res->session_reply.code == 0 || res->session_reply.code == 421);
}

static void
client_done(void *arg, const struct relay_result *res)
{
	struct out_job *job = arg;
	struct relay_client *c = job->client;
	bool reused = job->reused;

	job->client = NULL;
	job->reused = false;
	if (res->reusable)
		conn_cache_put(job->ob, c);
	if (reused && stale_connection(res)) {
		job_connect(job, false); /* once more, on a new connection */
		return;
	}
	result_apply(job, res);
}

/* Is domain in the comma-separated list? */
static bool
in_list(const char *list, const char *domain)
{
	size_t n = strlen(domain);

	while (list && *list) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);

		if (len == n && strncasecmp(list, domain, n) == 0)
			return true;
		list = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Connect to the current hop, or take a connection kept open to it. */
static void
job_connect(struct out_job *job, bool may_reuse)
{
	const struct config *cfg = job->ob->cfg;
	const struct out_hop *h = &job->hops[job->hop];
	bool lmtp = lmtp_domain(job) != NULL;
	bool smarthost = cfg->relay_smarthost.address && !lmtp &&
	                 !transport_for(cfg, job->dest->domain) &&
	                 !relay_domain_hop(cfg, job->dest->domain);

	const char *user = smarthost ? cfg->relay_smarthost_user : NULL;

	job->target = (struct relay_target){
	        .host = h->host,
	        .addr = h->addr,
	        .port = h->port,
	        /* credentials travel only inside (verified) TLS */
	        .tls_required =
	                !lmtp &&
	                (cfg->relay_tls == TLS_POLICY_REQUIRED ||
	                 user != NULL ||
	                 in_list(cfg->relay_tls_required, job->dest->domain)),
	        .auth_user = user,
	        .auth_pass = smarthost ? cfg->relay_smarthost_password : NULL,
	        .tls_ca_file = cfg->relay_smarthost_ca_file,
	        .tls_fingerprint = cfg->relay_smarthost_fingerprint,
	        .lmtp = lmtp,
	};
	job->rjob = (struct relay_job){
	        .helo_name = cfg->hostname,
	        .env = &job->msg->env,
	        .rcpt_idx = job->idx,
	        .nrcpt = job->n,
	        .msg = job->msg->data,
	        .msglen = job->msg->len,
	        .timeout_connect = cfg->relay_timeout_connect,
	        .keep_open = cfg->relay_conn_cache_time > 0,
	};
	job->client = may_reuse ? conn_cache_take(job->ob, &job->target) : NULL;
	if (job->client != NULL) {
		job->reused = true;
		relay_client_reuse(job->client, &job->rjob, client_done, job);
		return;
	}
	metrics_count(M_RELAY_CONNECTIONS);
	job->client = relay_client_start(job->ob->base, &job->target,
	                                 &job->rjob, client_done, job);
	if (job->client == NULL) {
		result_all(job, RCPT_DEFERRED,
		           status_enh(ST_ROUTE_CLIENT_START),
		           status_def(ST_ROUTE_CLIENT_START)->text, NULL);
		outbound_job_done(job);
	}
}

/* The current hop failed before the transaction: the next one, if any. */
void
route_try_next_hop(struct out_job *job)
{
	if (++job->hop < job->nhops) {
		job_connect(job, true);
		return;
	}
	result_all(job, RCPT_DEFERRED,
	           job->last_failure.enhanced[0]
	                   ? job->last_failure.enhanced
	                   : status_enh(ST_ROUTE_NO_ANSWER),
	           job->last_failure.text ? job->last_failure.text
	                                  : job->last_error,
	           NULL);
	outbound_job_done(job);
}

bool
outbound_via_smarthost(const struct config *cfg, const char *domain)
{
	const struct config_domain *local = config_find_domain(cfg, domain);

	/* a local domain's LMTP server is its next hop, not the smarthost */
	return cfg->relay_smarthost.address != NULL &&
	       (local == NULL || local->lmtp_addr == NULL) &&
	       transport_for(cfg, domain) == NULL &&
	       relay_domain_hop(cfg, domain) == NULL &&
	       !in_list(cfg->relay_tls_required, domain);
}
