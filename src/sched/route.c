/*
 * route.c — the next hops of a transaction: a transport entry for the
 * domain, else its [relay_domain]'s next_hop, else the smarthost, else the
 * domain's MX hosts (RFC 5321 s5.1), tried in order until one takes the
 * transaction.
 *
 * With [relay] tls = dane, an MX host whose MX and address records
 * validated gets its TLSA records looked up before the first connection
 * to it (RFC 7672 s2.2); what they demand (dane/dane.h) goes with the
 * target to the client.  A host whose TLSA lookup is bogus or fails is
 * skipped with 4.7.5, as is one that then cannot give the TLS asked for
 * (result.c).  Only those lookups validate (ob->dns_sec), and only while
 * the DNSSEC probe (dns/dnssec_probe.h) says the resolver passes DNSSEC
 * on; otherwise dane acts as may.  dane-only always validates and defers
 * a host without usable TLSA records.
 *
 * With [relay] mta_sts = yes, the domain's MTA-STS policy (sts/sts.h) is
 * looked up before its MX records: in enforce mode only the MX hosts it
 * lists are kept, and each gets TLS with a verified certificate unless
 * DANE already governs it (RFC 8461 s2).  "TLS-Required: No" in a
 * message without REQUIRETLS sets DANE and MTA-STS aside (RFC 8689 s5);
 * the client refuses a REQUIRETLS message to a hop none of them (or the
 * smarthost's verification) checked.
 */
#include <arpa/inet.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/log.h"
#include "base/str.h"
#include "config/config.h"
#include "dns/dnssec_probe.h"
#include "dns/resolver.h"
#include "metrics/metrics.h"
#include "reply/status.h"
#include "sched/outbound_int.h"

static void job_connect(struct out_job *job, bool may_reuse);
static void mx_done(void *arg, const struct dns_mx_result *res);
static bool tls_policies_waived(const struct out_msg *m);

void
hops_free(struct out_hop *hops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(hops[i].host);
		free(hops[i].addr);
		dane_policy_clear(&hops[i].dane);
	}
	free(hops);
}

static void
hop_add(struct out_job *job, const char *host, const char *addr, int port,
        bool dnssec)
{
	struct out_hop *h;

	h = xreallocarray(job->hops, job->nhops + 1, sizeof(*h));
	job->hops = h;
	h += job->nhops++;
	memset(h, 0, sizeof(*h));
	h->host = str_dup(host);
	h->addr = str_dup(addr);
	h->port = port;
	h->dnssec = dnssec;
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

	if ((rc && strcmp(rc, "none") == 0) || cfg->relay_dns_forwarder)
		rc = "";
	r = dns_resolver_new(base, rc);
	if (r == NULL)
		return NULL;
	if (cfg->relay_dns_local_data)
		load_local_data(r, cfg->relay_dns_local_data);
	if (cfg->relay_dns_timeout > 0)
		dns_resolver_set_timeout(r, (unsigned)cfg->relay_dns_timeout *
		                                    1000U);
	if (cfg->relay_dns_forwarder &&
	    dns_resolver_set_forwarder(r, cfg->relay_dns_forwarder) < 0)
		log_event(LOG_LVL_WARN, "dns", "forwarder",
		          cfg->relay_dns_forwarder, "error",
		          "cannot use dns_forwarder", NULL);
	return r;
}

bool
outbound_uses_dane(const struct config *cfg)
{
	/* tls_policy_map may give some destinations dane. */
	return cfg->relay_tls == TLS_POLICY_DANE ||
	       cfg->relay_tls == TLS_POLICY_DANE_ONLY ||
	       cfg->relay_tls_policy_map != NULL;
}

struct dns_resolver *
outbound_resolver_dnssec(struct event_base *base, const struct config *cfg)
{
	struct dns_resolver *r = outbound_resolver_new(base, cfg);

	if (r != NULL &&
	    (cfg->relay_trust_anchor == NULL ||
	     access(cfg->relay_trust_anchor, R_OK) != 0 ||
	     dns_resolver_set_trust_anchor(r, cfg->relay_trust_anchor) < 0)) {
		dns_resolver_free(r);
		r = NULL;
	}
	return r;
}

static bool
dane_level(int level)
{
	return level == TLS_POLICY_DANE || level == TLS_POLICY_DANE_ONLY;
}

/*
 * The resolver a job's MX or next-hop lookup asks: the validating one
 * where DANE may apply, else the plain one (no DNSSEC, so a resolver that
 * strips it breaks nothing).  Level dane while the probe says DNSSEC is
 * unavailable acts as may, and its delivery lines say so; dane-only
 * always validates.
 */
static struct dns_resolver *
route_dns(struct out_job *job)
{
	struct outbound *ob = job->ob;

	job->dane_unavailable = false;
	if (!dane_level(job->tls_level) ||
	    (tls_policies_waived(job->msg) &&
	     job->tls_level != TLS_POLICY_DANE_ONLY))
		return ob->dns;
	if (ob->dns_sec != NULL &&
	    (job->tls_level == TLS_POLICY_DANE_ONLY ||
	     (ob->probe != NULL &&
	      dnssec_probe_status(ob->probe)->avail == DNSSEC_AVAILABLE)))
		return ob->dns_sec;
	job->dane_unavailable = job->tls_level == TLS_POLICY_DANE;
	return ob->dns;
}

/* Level dane before the probe's first answer: the job waits for it
 * (outbound.c resumes it), so that neither a broken resolver defers the
 * mail nor the start of the daemon is a window without DANE. */
static bool
dnssec_wait(struct out_job *job)
{
	const struct dnssec_probe *p = job->ob->probe;

	if (job->tls_level != TLS_POLICY_DANE || p == NULL ||
	    dnssec_probe_status(p)->avail != DNSSEC_UNKNOWN ||
	    tls_policies_waived(job->msg))
		return false;
	job->dnssec_wait = true;
	return true;
}

/* A bogus answer from the validating resolver: an attack on that domain,
 * or a resolver that stopped passing DNSSEC on; the probe tells which. */
static void
note_bogus(struct out_job *job, bool bogus)
{
	if (bogus)
		dnssec_probe_suspect(job->ob->probe);
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

/* RFC 8461 s4.1: under enforce, only the MX hosts the policy lists are
 * tried; under testing the others are reported and tried all the same. */
static bool
sts_allows(struct out_job *job, const char *host)
{
	if (job->sts.mode == STS_MODE_NONE || sts_mx_matches(&job->sts, host) ||
	    tls_policies_waived(job->msg))
		return true;
	log_event(LOG_LVL_WARN, "mta-sts", "id", job->msg->id, "domain",
	          job->dest->domain, "mode", sts_mode_name(job->sts.mode),
	          "host", host, "error",
	          "MX host not listed in the MTA-STS policy", NULL);
	return job->sts.mode != STS_MODE_ENFORCE;
}

/* A lookup that failed for now: every recipient deferred, its status in
 * front of the resolver's text, so the log, the queue's last reply and a
 * later delay or expiry report all say 4.4.3, not only "timed out". */
static void
defer_dns(struct out_job *job, enum status_id st, const char *error)
{
	char text[600];

	snprintf(text, sizeof(text), "%s %s", status_enh(st),
	         error ? error : status_def(st)->text);
	out_result_all(job, RCPT_DEFERRED, status_enh(st), text, NULL);
}

/* Every MX host the MTA-STS policy had none of (enforce): deferred. */
static void
sts_no_mx(struct out_job *job, const struct dns_mx_result *res)
{
	char why[300], text[400];

	snprintf(why, sizeof(why),
	         "no MX host of %s matches its MTA-STS policy",
	         job->dest->domain);
	snprintf(text, sizeof(text), "%s %s", status_enh(ST_STS_FAILED), why);
	result_tls_report(job, false, res->nhosts ? res->hosts[0].name : NULL,
	                  NULL, TLSRPT_VALIDATION_FAILURE, why);
	out_result_all(job, RCPT_DEFERRED, status_enh(ST_STS_FAILED), text,
	               NULL);
}

static void
mx_done(void *arg, const struct dns_mx_result *res)
{
	struct out_job *job = arg;
	const struct config *cfg = job->ob->cfg;
	size_t i, j;

	job->query = NULL;
	note_bogus(job, res->bogus);
	switch (res->status) {
	case DNS_OK:
		for (i = 0; i < res->nhosts; i++) {
			if (!sts_allows(job, res->hosts[i].name))
				continue;
			for (j = 0; j < res->hosts[i].naddrs; j++)
				hop_add(job, res->hosts[i].name,
				        res->hosts[i].addrs[j], cfg->relay_port,
				        res->secure && res->hosts[i].secure);
		}
		if (job->nhops > 0) {
			job_connect(job, true);
			return;
		}
		sts_no_mx(job, res);
		break;
	case DNS_NXDOMAIN:
		out_result_all(job, RCPT_BOUNCED,
		               status_enh(ST_ROUTE_NO_DOMAIN), res->error,
		               NULL);
		break;
	case DNS_NULL_MX:
		out_result_all(job, RCPT_BOUNCED, status_enh(ST_ROUTE_NULL_MX),
		               res->error, NULL);
		break;
	default:
		defer_dns(job, ST_ROUTE_DNS_TEMP, res->error);
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
	bool secure;
	size_t j;

	job->query = NULL;
	note_bogus(job, res->bogus);
	if (res->status != DNS_OK) {
		defer_dns(job, ST_ROUTE_DNS_TEMP, res->error);
		outbound_job_done(job);
		return;
	}
	/* RFC 7672 s2.2.3: a next hop given by name gets DANE when its
	 * address records validate (TLSA base: the name as configured);
	 * a pinned smarthost certificate stays what decides. */
	secure = res->hosts[0].secure &&
	         (hop != &job->ob->cfg->relay_smarthost ||
	          job->ob->cfg->relay_smarthost_fingerprint == NULL);
	for (j = 0; j < res->hosts[0].naddrs; j++)
		hop_add(job, hop->address, res->hosts[0].addrs[j], hop->port,
		        secure);
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
		hop_add(job, sh->address, sh->address, sh->port, false);
		job_connect(job, true);
		return;
	}
	job->query = dns_resolve_host(route_dns(job), sh->address,
	                              named_hop_done, job);
	if (job->query == NULL) {
		defer_dns(job, ST_ROUTE_RESOLVER_OOM, NULL);
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

static void
route_mx(struct out_job *job)
{
	job->query =
	        dns_resolve_mx(route_dns(job), job->dest->domain, mx_done, job);
	if (job->query == NULL) {
		defer_dns(job, ST_ROUTE_RESOLVER_OOM, NULL);
		outbound_job_done(job);
	}
}

static void
sts_done(void *arg, const struct sts_policy *p, enum sts_failure fail,
         const char *why)
{
	static const enum tlsrpt_result result[] = {
	        [STS_FAIL_FETCH] = TLSRPT_STS_FETCH_ERROR,
	        [STS_FAIL_INVALID] = TLSRPT_STS_POLICY_INVALID,
	        [STS_FAIL_WEBPKI] = TLSRPT_STS_WEBPKI_INVALID,
	};
	struct out_job *job = arg;

	job->sts_query = NULL;
	if (p != NULL && p->mode != STS_MODE_NONE) {
		sts_policy_copy(&job->sts, p);
		log_event(LOG_LVL_INFO, "mta-sts", "id", job->msg->id, "domain",
		          job->dest->domain, "mode", sts_mode_name(p->mode),
		          NULL);
	}
	/* RFC 8460 s4.3.2.2: the announced policy could not be had (a
	 * report about reports sets policies aside: nothing to count). */
	if (fail != STS_FAIL_NONE && !tls_policies_waived(job->msg))
		result_tls_report(job, false, NULL, NULL, result[fail], why);
	route_mx(job);
}

/* tls_policy_map names no level for the destination: deferred, rather
 * than sent at a level the administrator did not mean. */
static void
level_invalid(struct out_job *job)
{
	char text[400];

	snprintf(text, sizeof(text), "%s %s: %s",
	         status_enh(ST_TLS_LEVEL_INVALID),
	         status_def(ST_TLS_LEVEL_INVALID)->text, job->dest->domain);
	log_event(LOG_LVL_WARN, "tls-policy", "id", job->msg->id, "domain",
	          job->dest->domain, "map", job->ob->cfg->relay_tls_policy_map,
	          "error", "no valid TLS security level", NULL);
	out_result_all(job, RCPT_DEFERRED, status_enh(ST_TLS_LEVEL_INVALID),
	               text, NULL);
	outbound_job_done(job);
}

void
out_route_job(struct out_job *job)
{
	const struct config *cfg = job->ob->cfg;
	const struct config_transport *t =
	        transport_for(cfg, job->dest->domain);
	const struct config_domain *lmtp = lmtp_domain(job);

	job->tls_level = config_tls_level_for(cfg, job->dest->domain);
	if (job->tls_level < 0 && !lmtp) {
		level_invalid(job);
		return;
	}
	if (!lmtp && !t && dnssec_wait(job))
		return;
	if (lmtp) {
		hop_add(job, lmtp->lmtp, lmtp->lmtp_addr, lmtp->lmtp_port,
		        false);
	} else if (t) {
		hop_add(job, t->next_hop.address, t->next_hop.address,
		        t->next_hop.port, false);
	} else if (relay_domain_hop(cfg, job->dest->domain) ||
	           cfg->relay_smarthost.address) {
		route_named(job);
		return;
	} else if (job->dest->domain[0] == '[') {
		out_result_all(job, RCPT_BOUNCED, status_enh(ST_ROUTE_LITERAL),
		               status_def(ST_ROUTE_LITERAL)->text, NULL);
		outbound_job_done(job);
		return;
	} else {
		/* Level none: whatever the domain publishes, no TLS. */
		if (job->ob->sts != NULL && job->tls_level != TLS_POLICY_NONE)
			job->sts_query = sts_lookup(
			        job->ob->sts, job->dest->domain, sts_done, job);
		if (job->sts_query == NULL)
			route_mx(job);
		return;
	}
	job_connect(job, true);
}

struct sts_store *
outbound_sts_new(struct outbound *ob)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/mta-sts", ob->cfg->spool_dir);
	return sts_store_new(ob->base, ob->dns, dir,
	                     ob->cfg->relay_mta_sts_ca_file);
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
	out_result_apply(job, res);
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

void
route_hop_failed(struct out_job *job, enum status_id st, const char *text)
{
	free(job->last_failure.text);
	memset(&job->last_failure, 0, sizeof(job->last_failure));
	snprintf(job->last_failure.enhanced, sizeof(job->last_failure.enhanced),
	         "%s", status_enh(st));
	/* A deferral keeps only the text: it carries the status too. */
	snprintf(job->last_error, sizeof(job->last_error), "%s %s",
	         status_enh(st), text);
	job->last_failure.text = str_dup(job->last_error);
}

static void
tlsa_done(void *arg, const struct dns_tlsa_result *res)
{
	struct out_job *job = arg;
	struct out_hop *h = &job->hops[job->hop];
	size_t i;

	job->tlsa = NULL;
	note_bogus(job, res->status == DNS_TLSA_BOGUS);
	dane_policy_set(&h->dane, res);
	/* The other addresses of the host share its records. */
	for (i = job->hop + 1; i < job->nhops; i++)
		if (strcasecmp(job->hops[i].host, h->host) == 0 &&
		    job->hops[i].dnssec && !job->hops[i].dane_known) {
			dane_policy_copy(&job->hops[i].dane, &h->dane);
			job->hops[i].dane_known = true;
		}
	h->dane_known = true;
	log_event(h->dane.mode == DANE_DEFER ? LOG_LVL_WARN : LOG_LVL_INFO,
	          "dane", "id", job->msg->id, "host", h->host, "policy",
	          dane_mode_name(h->dane.mode), "error", h->dane.reason, NULL);
	job_connect(job, true);
}

/* RFC 8689 s5: "TLS-Required: No" in the header asks that the
 * recipient's TLS policies (DANE, MTA-STS) be ignored; REQUIRETLS on the
 * envelope wins over it. */
static bool
tls_policies_waived(const struct out_msg *m)
{
	static const char field[] = "TLS-Required:";
	const char *p = m->data, *end = m->data ? m->data + m->len : NULL;

	if (p == NULL || m->env.requiretls)
		return false;
	while (p < end && *p != '\r' && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *v = p + sizeof(field) - 1;

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > sizeof(field) - 1 &&
		    strncasecmp(p, field, sizeof(field) - 1) == 0) {
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			return eol - v >= 2 && strncasecmp(v, "No", 2) == 0 &&
			       (eol - v == 2 || v[2] == '\r' || v[2] == ' ');
		}
		p = eol + 1;
	}
	return false;
}

/* Level dane-only: this hop has no DANE (no validated records, or no
 * usable TLSA record): nothing is sent to it. */
static bool
dane_only_fails(struct out_job *job, struct out_hop *h, const char *why)
{
	char text[600];

	snprintf(text, sizeof(text),
	         "%s for %s (TLS required by the security level dane-only of "
	         "%s)",
	         why, h->host, job->dest->domain);
	route_hop_failed(job, ST_TLS_LEVEL_FAILED, text);
	out_route_next_hop(job);
	return true;
}

/* DANE (RFC 7672 s2.2): a host whose MX and address records validated
 * needs its TLSA records before the first connection.  Returns true when
 * the job goes on later (lookup started, or the hop given up). */
static bool
dane_pending(struct out_job *job, struct out_hop *h)
{
	bool only = job->tls_level == TLS_POLICY_DANE_ONLY;

	if (!dane_level(job->tls_level) ||
	    (!only && tls_policies_waived(job->msg)))
		return false;
	if (!h->dnssec || job->ob->dns_sec == NULL)
		return only && dane_only_fails(job, h,
		                               "no DNSSEC-validated MX and "
		                               "address records");
	if (!h->dane_known) {
		job->tlsa = dns_resolve_tlsa(job->ob->dns_sec, h->host, h->port,
		                             tlsa_done, job);
		if (job->tlsa != NULL)
			return true;
		h->dane_known = true;
		h->dane.mode = DANE_DEFER;
		h->dane.reason = str_dup("cannot look up TLSA records");
	}
	if (only && (h->dane.mode == DANE_OFF || h->dane.mode == DANE_ENCRYPT))
		return dane_only_fails(job, h, "no usable TLSA records");
	if (h->dane.mode != DANE_DEFER)
		return false;
	/* RFC 8460 s4.3.2.1: no valid TLSA answer (bogus, or none at all). */
	result_tls_report(job, true, h->host, h->addr, TLSRPT_DNSSEC_INVALID,
	                  h->dane.reason);
	route_hop_failed(job, ST_DANE_FAILED, h->dane.reason);
	out_route_next_hop(job);
	return true;
}

/* How TLS to hop h is to go: the destination's level, DANE, MTA-STS
 * and the smarthost's credentials, the strictest winning. */
static void
target_tls(struct out_job *job, const struct out_hop *h, bool lmtp,
           bool smarthost)
{
	const struct config *cfg = job->ob->cfg;
	struct relay_target *t = &job->target;
	int level = job->tls_level;
	bool waived = tls_policies_waived(job->msg);
	bool dane = h->dane.mode == DANE_VERIFY || h->dane.mode == DANE_ENCRYPT;
	bool verify = level == TLS_POLICY_VERIFY && !dane;
	/* RFC 8461 s2: where DANE applies, it wins over MTA-STS. */
	bool sts = !dane && job->sts.mode == STS_MODE_ENFORCE && !waived;
	const char *user = smarthost ? cfg->relay_smarthost_user : NULL;

	job->policies_waived = waived;
	if (lmtp)
		return; /* this site's own server: TLS only if configured */
	/* credentials travel only inside (verified) TLS */
	t->tls_required = level == TLS_POLICY_REQUIRED || verify || dane ||
	                  sts || user != NULL ||
	                  in_list(cfg->relay_tls_required, job->dest->domain);
	t->tls_never = level == TLS_POLICY_NONE && !t->tls_required;
	t->auth_user = user;
	t->auth_pass = smarthost ? cfg->relay_smarthost_password : NULL;
	t->tls_ca_file = verify && !smarthost ? cfg->relay_tls_ca_file
	                 : job->sts.mode != STS_MODE_NONE
	                         ? cfg->relay_mta_sts_ca_file
	                         : cfg->relay_smarthost_ca_file;
	t->tls_verify = sts || verify;
	/* RFC 8461 s5: testing mode reports, and delivers anyway. */
	t->tls_check = !dane && !t->tls_never &&
	               job->sts.mode == STS_MODE_TESTING && !waived;
	t->tls_fingerprint =
	        smarthost ? cfg->relay_smarthost_fingerprint : NULL;
	t->dane = dane ? &h->dane : NULL;
}

/* Connect to the current hop, or take a connection kept open to it. */
static void
job_connect(struct out_job *job, bool may_reuse)
{
	const struct config *cfg = job->ob->cfg;
	struct out_hop *h = &job->hops[job->hop];
	bool lmtp = lmtp_domain(job) != NULL;
	bool smarthost = cfg->relay_smarthost.address && !lmtp &&
	                 !transport_for(cfg, job->dest->domain) &&
	                 !relay_domain_hop(cfg, job->dest->domain);

	if (job->ob->draining) {
		/* Shutting down: no new connection (nothing sent, so the
		 * recipients stay queued as they were). */
		job->aborted = true;
		outbound_job_done(job);
		return;
	}
	if (dane_pending(job, h))
		return;
	job->target = (struct relay_target){
	        .host = h->host,
	        .addr = h->addr,
	        .port = h->port,
	        .lmtp = lmtp,
	};
	target_tls(job, h, lmtp, smarthost);
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
		out_result_all(job, RCPT_DEFERRED,
		               status_enh(ST_ROUTE_CLIENT_START),
		               status_def(ST_ROUTE_CLIENT_START)->text, NULL);
		outbound_job_done(job);
	}
}

/* The current hop failed before the transaction: the next one, if any. */
void
out_route_next_hop(struct out_job *job)
{
	size_t i;

	if (++job->hop < job->nhops) {
		job_connect(job, true);
		return;
	}
	if (job->too_many) {
		/* Sent again as soon as an open connection is free, like
		 * the rest of a 452 split (attempt_finished). */
		for (i = 0; i < job->n; i++)
			job->msg->env.rcpts[job->idx[i]].next_attempt = 0;
		outbound_job_done(job);
		return;
	}
	out_result_all(job, RCPT_DEFERRED,
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
