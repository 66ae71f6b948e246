/*
 * receiving.c — mail to the domain: its MX hosts answer SMTP, offer
 * STARTTLS and present a certificate valid for the MX name (senders that
 * require TLS, MTA-STS in enforce mode and DANE all need that), and the
 * MTA-STS and TLS-RPT records (RFC 8461 s3.1, RFC 8460 s3) are well formed
 * and agree with what the hosts do.  The MTA-STS policy file itself (an
 * HTTPS fetch) is not read.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "doctor/doctor_int.h"

#define G "receiving"
#define MX_HOSTS_MAX 3
#define EXPIRY_WARN_DAYS 14

/* Days until the peer's certificate expires (negative: expired). */
static int
days_left(SSL *ssl)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int days = 0, secs = 0;

	if (cert == NULL)
		return 0;
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
	X509_free(cert);
	return days;
}

static bool
offers_starttls(const char *ehlo)
{
	const char *p = ehlo;

	while (p && *p) {
		if (strncasecmp(p + 4, "STARTTLS", 8) == 0 &&
		    (p[12] == '\0' || p[12] == '\n' || p[12] == ' '))
			return true;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* The dialogue up to a verified TLS session; true when all went well.
 * secure: host's MX and address records validated (DNSSEC). */
static bool
probe_host(struct doctor *d, const char *host, const char *addr, bool secure)
{
	char text[2048], err[512], cmd[300];
	struct doctor_check *c;
	struct probe p;
	int port = d->cfg->relay_port, days;
	bool ok = false;

	if (probe_connect(&p, addr, port, d->opts->timeout_ms, err,
	                  sizeof(err)) < 0) {
		c = doctor_add(d, G, "starttls", host, DOCTOR_FAIL,
		               "%s does not answer SMTP", host);
		doctor_detail(c, "%s", err);
		c->fix = "check that the server listens on port 25 and the "
		         "firewall lets it through";
		return false;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s", d->helo);
	if (probe_reply(&p, text, sizeof(text)) != 220) {
		c = doctor_add(d, G, "starttls", host, DOCTOR_FAIL,
		               "%s does not greet with 220", host);
		doctor_detail(c, "%s", text[0] ? text : "(no greeting)");
	} else if (probe_cmd(&p, cmd, text, sizeof(text)) != 250 ||
	           !offers_starttls(text)) {
		c = doctor_add(d, G, "starttls", host, DOCTOR_FAIL,
		               "%s does not offer STARTTLS", host);
		c->fix = "give the server a certificate and turn STARTTLS on "
		         "([tls] cert_file, key_file, smtp = optional)";
		c->sample = "tls-required";
	} else if (probe_cmd(&p, "STARTTLS", text, sizeof(text)) != 220 ||
	           probe_tls(&p, host, d->opts->ca_file, err, sizeof(err)) <
	                   0) {
		c = doctor_add(d, G, "starttls", host, DOCTOR_FAIL,
		               p.ssl ? "the certificate of %s is not valid for "
		                       "its name"
		                     : "STARTTLS fails on %s",
		               host);
		doctor_detail(c, "%s", p.ssl ? err : text[0] ? text : err);
		c->fix = "install a certificate for the MX name from a public "
		         "CA (e.g. Let's Encrypt), with its chain";
		c->sample = "tls-required";
	} else if ((days = days_left(p.ssl)) < EXPIRY_WARN_DAYS) {
		c = doctor_add(d, G, "starttls", host, DOCTOR_WARN,
		               "the certificate of %s expires in %d days", host,
		               days);
		c->fix = "renew the certificate";
		ok = true;
	} else {
		doctor_add(d, G, "starttls", host, DOCTOR_PASS,
		           "%s offers STARTTLS with a valid certificate", host);
		ok = true;
	}
	if (p.ssl != NULL)
		doctor_dane(d, host, port, p.ssl, secure);
	if (ok) /* a broken dialogue is just closed */
		probe_cmd(&p, "QUIT", text, sizeof(text));
	probe_close(&p);
	return ok;
}

static bool
check_mx(struct doctor *d, const char *dom)
{
	struct dns_mx_result mx;
	struct doctor_check *c;
	bool all_ok = true;
	size_t i;

	doctor_mx(d, dom, &mx);
	switch (mx.status) {
	case DNS_OK:
		c = doctor_add(d, G, "mx", dom, DOCTOR_PASS,
		               "%s receives mail at %zu host%s", dom, mx.nhosts,
		               mx.nhosts == 1 ? "" : "s");
		for (i = 0; i < mx.nhosts; i++)
			doctor_detail(c, "MX %d %s", mx.hosts[i].preference,
			              mx.hosts[i].name);
		break;
	case DNS_NULL_MX:
		c = doctor_add(d, G, "mx", dom, DOCTOR_WARN,
		               "%s refuses all mail (null MX)", dom);
		doctor_detail(c, "receivers may refuse senders whose domain "
		                 "cannot take replies or bounces");
		break;
	case DNS_TEMPFAIL:
		doctor_add(d, G, "mx", dom, DOCTOR_WARN,
		           "the MX lookup for %s failed", dom);
		break;
	default:
		c = doctor_add(d, G, "mx", dom, DOCTOR_FAIL,
		               "%s has no MX host with an address", dom);
		c->fix = "publish MX records naming hosts with A/AAAA records";
		c->sample = "unauthenticated";
	}
	for (i = 0; !doctor_skipped(d, "starttls") && i < mx.nhosts &&
	            i < MX_HOSTS_MAX;
	     i++)
		all_ok &= probe_host(d, mx.hosts[i].name, mx.hosts[i].addrs[0],
		                     mx.secure && mx.hosts[i].secure);
	if (mx.status != DNS_OK)
		all_ok = false;
	doctor_mx_free(&mx);
	return all_ok;
}

/* "v=STSv1; id=..." with an id of 1 to 32 letters and digits. */
static bool
sts_record_ok(const char *rec)
{
	const char *id = strcasestr(rec, "id=");
	size_t n;

	if (strncmp(rec, "v=STSv1", 7) != 0 || id == NULL)
		return false;
	id += 3;
	for (n = 0; isalnum((unsigned char)id[n]); n++)
		;
	return n >= 1 && n <= 32;
}

static bool
check_sts(struct doctor *d, const char *dom, bool tls_ok)
{
	struct doctor_answers ans;
	struct doctor_check *c;
	char name[600];
	const char *rec;
	bool published = false;

	snprintf(name, sizeof(name), "_mta-sts.%s", dom);
	doctor_txt(d, name, &ans);
	rec = doctor_txt_find(&ans, "v=STSv1");
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "mta-sts", dom, DOCTOR_WARN,
		           "the lookup of %s failed", name);
	} else if (rec == NULL) {
		doctor_add(d, G, "mta-sts", dom, DOCTOR_SKIP,
		           "%s publishes no MTA-STS policy (optional)", dom);
	} else if (!sts_record_ok(rec)) {
		c = doctor_add(d, G, "mta-sts", dom, DOCTOR_FAIL,
		               "the MTA-STS record of %s is malformed", dom);
		doctor_detail(c, "%s: %s", name, rec);
		c->fix = "publish \"v=STSv1; id=ID\" with an id of 1-32 "
		         "letters and digits";
	} else {
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
		         ": %s", rec);
		doctor_sts_policy(d, dom, tls_ok, name);
		published = true;
	}
	doctor_answers_free(&ans);
	return published;
}

static void
check_tlsrpt(struct doctor *d, const char *dom, bool sts)
{
	struct doctor_answers ans;
	struct doctor_check *c;
	char name[300];
	const char *rec;

	snprintf(name, sizeof(name), "_smtp._tls.%s", dom);
	doctor_txt(d, name, &ans);
	rec = doctor_txt_find(&ans, "v=TLSRPTv1");
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "tls-rpt", dom, DOCTOR_WARN,
		           "the lookup of %s failed", name);
	} else if (rec == NULL) {
		c = doctor_add(d, G, "tls-rpt", dom,
		               sts ? DOCTOR_WARN : DOCTOR_SKIP,
		               "%s publishes no TLS-RPT record%s", dom,
		               sts ? " for its MTA-STS policy" : " (optional)");
		if (sts)
			c->fix =
			        "publish _smtp._tls.DOMAIN IN TXT "
			        "\"v=TLSRPTv1; rua=mailto:ADDRESS\" to hear of "
			        "failed deliveries";
	} else if (strstr(rec, "rua=mailto:") == NULL &&
	           strstr(rec, "rua=https:") == NULL) {
		c = doctor_add(d, G, "tls-rpt", dom, DOCTOR_FAIL,
		               "the TLS-RPT record of %s names no report "
		               "address",
		               dom);
		doctor_detail(c, "%s: %s", name, rec);
		c->fix = "add rua=mailto:ADDRESS (or an https: URI)";
	} else {
		c = doctor_add(d, G, "tls-rpt", dom, DOCTOR_PASS,
		               "%s publishes a TLS-RPT record", dom);
		doctor_detail(c, "%s: %s", name, rec);
	}
	doctor_answers_free(&ans);
}

void
doctor_receiving(struct doctor *d, const char *domain)
{
	bool tls_ok = true, sts = false;

	if (!doctor_skipped(d, "mx"))
		tls_ok = check_mx(d, domain);
	if (!doctor_skipped(d, "mta-sts"))
		sts = check_sts(d, domain, tls_ok);
	if (!doctor_skipped(d, "tls-rpt"))
		check_tlsrpt(d, domain, sts);
}
