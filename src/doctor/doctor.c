/*
 * doctor.c — one run: the resolver with its local data, the outbound
 * address (given, or the source address the kernel picks for the
 * Internet), the sending domains, then the groups in the order a receiver
 * meets them: identity, reputation, authentication, receiving side,
 * relay, configuration.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/mem.h"
#include "base/log.h"
#include "base/net.h"
#include "base/str.h"
#include "dns/tlsa.h"
#include "doctor/doctor_int.h"
#include "mailauth/mailauth.h"
#include "spf/spf.h"

/* The address the kernel would send from: a UDP socket "connected" to a
 * documentation address (RFC 5737) sends nothing but picks the route. */
static char *
detect_ip(void)
{
	struct sockaddr_in to = {0}, me = {0};
	socklen_t len = sizeof(me);
	char text[INET_ADDRSTRLEN];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char *ip = NULL;

	to.sin_family = AF_INET;
	to.sin_port = htons(25);
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
	    inet_ntop(AF_INET, &me.sin_addr, text, sizeof(text)))
		ip = str_dup(text);
	if (fd >= 0)
		close(fd);
	return ip;
}

static bool
private_address(const char *ip)
{
	static const char *const nets[] = {
	        "10.0.0.0/8",     "172.16.0.0/12",
	        "192.168.0.0/16", "100.64.0.0/10",
	        "127.0.0.0/8",    "169.254.0.0/16",
	        "fc00::/7",       "fe80::/10",
	        "::1/128",        NULL,
	};
	struct net_prefix p;
	size_t i;

	for (i = 0; nets[i] != NULL; i++)
		if (net_parse(nets[i], &p) == 0 && net_contains(&p, ip))
			return true;
	return false;
}

static void
outbound_ip(struct doctor *d)
{
	struct net_prefix p;
	struct doctor_check *c;
	char *ip;

	if (d->opts->ip != NULL) {
		if (net_parse(d->opts->ip, &p) < 0 ||
		    strchr(d->opts->ip, '/')) {
			doctor_add(d, "identity", "outbound-ip", d->opts->ip,
			           DOCTOR_FAIL, "%s is not an IP address",
			           d->opts->ip);
			return;
		}
		d->rep->ip = str_dup(d->opts->ip);
		d->ip = d->rep->ip;
		doctor_add(d, "identity", "outbound-ip", d->ip, DOCTOR_PASS,
		           "the server sends from %s (given)", d->ip);
		return;
	}
	ip = detect_ip();
	if (ip == NULL) {
		c = doctor_add(d, "identity", "outbound-ip", "", DOCTOR_WARN,
		               "the outbound address cannot be found");
		c->fix = "give it with --ip ADDRESS";
		return;
	}
	d->rep->ip = ip;
	if (private_address(ip)) {
		c = doctor_add(d, "identity", "outbound-ip", ip, DOCTOR_WARN,
		               "the outbound address %s is private (NAT)", ip);
		c->fix = "give the public address the server sends from with "
		         "--ip ADDRESS";
		return;
	}
	d->ip = ip;
	doctor_add(d, "identity", "outbound-ip", ip, DOCTOR_PASS,
	           "the server sends from %s", ip);
}

/* --domain, else every [domain] of the configuration. */
static void
sending_domains(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	size_t i;

	d->domains = xcalloc(cfg->ndomains + 1, sizeof(char *));
	if (d->opts->domain != NULL) {
		d->domains[d->ndomains++] = str_dup(d->opts->domain);
		return;
	}
	for (i = 0; i < cfg->ndomains; i++)
		d->domains[d->ndomains++] = str_dup(cfg->domains[i].name);
}

static struct dns_resolver *
make_resolver(struct event_base *base, const struct config *cfg,
              const char *extra, bool validate)
{
	const char *rc = cfg->relay_resolv_conf;
	struct dns_resolver *r;

	if ((rc && strcmp(rc, "none") == 0) || cfg->relay_dns_forwarder)
		rc = "";
	r = dns_resolver_new(base, rc);
	if (r == NULL)
		return NULL;
	/* The relay's view of DNS, so the dane check sees what it sees:
	 * DNSSEC validated only where the relay validates it (DANE, with
	 * DNSSEC available), since a resolver that strips signatures would
	 * make every answer bogus. */
	if ((cfg->relay_dns_forwarder &&
	     dns_resolver_set_forwarder(r, cfg->relay_dns_forwarder) < 0) ||
	    (validate &&
	     dns_resolver_set_trust_anchor(r, cfg->relay_trust_anchor) < 0)) {
		fprintf(stderr, "ferry doctor: cannot use dns_forwarder or "
		                "dnssec_trust_anchor\n");
		dns_resolver_free(r);
		return NULL;
	}
	if ((cfg->relay_dns_local_data &&
	     dns_resolver_load_file(r, cfg->relay_dns_local_data) < 0) ||
	    (extra && dns_resolver_load_file(r, extra) < 0)) {
		fprintf(stderr, "ferry doctor: cannot read the DNS data %s\n",
		        extra && access(extra, R_OK) < 0
		                ? extra
		                : cfg->relay_dns_local_data);
		dns_resolver_free(r);
		return NULL;
	}
	return r;
}

static bool
uses_dane(const struct config *cfg)
{
	return cfg->relay_tls == TLS_POLICY_DANE ||
	       cfg->relay_tls == TLS_POLICY_DANE_ONLY ||
	       cfg->relay_tls_policy_map != NULL;
}

struct key_wait {
	bool done;
	enum dns_tlsa_status st;
	size_t n;
	char error[512];
};

static void
keys_cb(void *arg, const struct dns_tlsa_result *res)
{
	struct key_wait *w = arg;

	w->st = res->status;
	w->n = res->n;
	snprintf(w->error, sizeof(w->error), "%s",
	         res->error ? res->error : "");
	w->done = true;
}

/* The relay's probe (dns/dnssec_probe.h), once: does DNSSEC validate
 * through the resolver?  It decides whether doctor's resolver validates. */
static void
probe_dnssec(struct doctor *d)
{
	const struct config *cfg = d->cfg;
	struct key_wait w = {.st = DNS_TLSA_TEMPFAIL};
	struct dns_resolver *r = NULL;
	struct dns_tlsa_query *q = NULL;

	if (!uses_dane(cfg))
		return;
	if (dnssec_anchor_owner(cfg->relay_trust_anchor, d->dnssec.zone,
	                        sizeof(d->dnssec.zone)) < 0) {
		snprintf(d->dnssec.zone, sizeof(d->dnssec.zone), ".");
		snprintf(w.error, sizeof(w.error),
		         "cannot read the trust anchor %s",
		         cfg->relay_trust_anchor);
	} else if ((r = make_resolver(d->base, cfg, d->opts->dns_data, true)) !=
	           NULL) {
		dns_resolver_set_timeout(r, d->opts->timeout_ms);
		q = dns_resolve_dnskey(r, d->dnssec.zone, keys_cb, &w);
	}
	if (q != NULL && !doctor_wait(d, &w.done, d->opts->timeout_ms + 1000))
		dns_tlsa_cancel(q);
	(void)dnssec_status_note(&d->dnssec, w.st, w.n,
	                         w.error[0] ? w.error : "no answer",
	                         time(NULL));
	d->validating = d->dnssec.avail == DNSSEC_AVAILABLE ||
	                (cfg->relay_tls == TLS_POLICY_DANE_ONLY && r != NULL);
	dns_resolver_free(r);
}

/* What the probe found, as the relay will find it. */
static void
report_dnssec(struct doctor *d)
{
	struct doctor_check *c;

	const char *rc = d->cfg->relay_resolv_conf;

	if (d->dnssec.avail == DNSSEC_UNKNOWN || doctor_skipped(d, "dnssec"))
		return;
	/* No name server asked (resolv_conf = none): only local data,
	 * which DNSSEC does not cover; nothing to say. */
	if (rc != NULL && strcmp(rc, "none") == 0 &&
	    d->cfg->relay_dns_forwarder == NULL)
		return;
	if (d->dnssec.avail == DNSSEC_AVAILABLE) {
		doctor_add(d, "config", "dnssec", d->dnssec.zone, DOCTOR_PASS,
		           "DNSSEC validates through the resolver (the DNSKEY "
		           "records of %s are secure): DANE applies",
		           d->dnssec.zone);
		return;
	}
	c = doctor_add(d, "config", "dnssec", d->dnssec.zone, DOCTOR_WARN,
	               "DNSSEC does not validate through the resolver: tls = "
	               "dane acts as may (opportunistic TLS)%s",
	               d->cfg->relay_tls == TLS_POLICY_DANE_ONLY
	                       ? ", and dane-only defers all mail"
	                       : "");
	doctor_detail(c, "%s", d->dnssec.reason);
	c->fix = "run a validating resolver that passes DNSSEC records on "
	         "(unbound, BIND, systemd-resolved with DNSSEC=yes) and point "
	         "[relay] resolv_conf or dns_forwarder at it";
}

static void
run_groups(struct doctor *d)
{
	size_t i;

	outbound_ip(d);
	if (d->ip != NULL)
		doctor_identity(d);
	doctor_reputation(d);
	for (i = 0; i < d->ndomains; i++)
		doctor_authentication(d, d->domains[i]);
	for (i = 0; i < d->ndomains; i++)
		doctor_receiving(d, d->domains[i]);
	doctor_relay_test(d);
	report_dnssec(d);
	doctor_sanity(d);
}

int
doctor_run(const struct config *cfg, const struct doctor_opts *opts,
           struct doctor_report *rep)
{
	struct doctor d = {0};
	size_t i;

	memset(rep, 0, sizeof(*rep));
	d.cfg = cfg;
	d.opts = opts;
	d.rep = rep;
	d.helo = cfg->hostname;
	rep->helo = str_dup(cfg->hostname);
	d.base = event_base_new();
	if (d.base)
		probe_dnssec(&d);
	d.dns = d.base ? make_resolver(d.base, cfg, opts->dns_data,
	                               d.validating)
	               : NULL;
	if (d.dns == NULL) {
		if (d.base)
			event_base_free(d.base);
		fprintf(stderr, "ferry doctor: cannot start the resolver\n");
		return -1;
	}
	/* The same organizational domains as the inbound DMARC check. */
	d.psl = mailauth_psl_load(cfg->mailauth_public_suffix_list);
	sending_domains(&d);
	/* The MTA-STS store logs its fetches; doctor reports them itself. */
	log_set_level(LOG_LVL_ERROR);
	run_groups(&d);
	mailauth_psl_free(d.psl);
	for (i = 0; i < d.ndomains; i++)
		free(d.domains[i]);
	free(d.domains);
	dns_resolver_free(d.dns);
	spf_forget_abandoned();
	dns_lookup_cache_clear();
	event_base_free(d.base);
	return 0;
}
