/*
 * dane.c — the TLSA records of an MX host (RFC 7672), when it publishes
 * any, against the certificates it presented in doctor's STARTTLS
 * dialogue: DANE-EE (3) records match the host's own certificate,
 * DANE-TA (2) records one of its chain; selector 0 is the certificate,
 * 1 its public key; matching type 0, 1 (SHA-256) or 2 (SHA-512).
 *
 * DANE counts only records that validate (DNSSEC), found through MX and
 * address records that validate too: the lookup is the relay's own
 * (dns/tlsa.h, with [relay] dns_forwarder, and dnssec_trust_anchor under
 * tls = dane, as the relay), so doctor says what a sender doing DANE
 * sees; without tls = dane nothing is validated, and doctor says so.  Secure
 * records that do not match, or bogus ones, make such senders defer; insecure
 * ones are ignored by them, which doctor says rather than judging the records.
 * The comparison is doctor's own: the dialogue's TLS session is already
 * up, and dane_tls_check() needs DANE set before the handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/mem.h"
#include "dane/dane.h"
#include "dns/tlsa.h"
#include "doctor/doctor_int.h"

#define G "receiving"

/* The hex text of what a record of this selector and type holds. */
static bool
cert_data(X509 *cert, unsigned selector, unsigned mtype, char *out,
          size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	const unsigned char *data;
	unsigned int mdlen = 0;
	int len;
	size_t i, n;

	len = selector == 0 ? i2d_X509(cert, &der)
	                    : i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0)
		return false;
	data = der;
	n = (size_t)len;
	if (mtype == 1 || mtype == 2) {
		EVP_Digest(der, n, md, &mdlen,
		           mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL);
		data = md;
		n = mdlen;
	}
	if (mtype > 2 || 2 * n + 1 > outlen) {
		OPENSSL_free(der);
		return false;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * n] = '\0';
	OPENSSL_free(der);
	return true;
}

/* Does one TLSA text ("3 1 1 HEX") match the presented chain? */
static bool
record_matches(SSL *ssl, const char *rec)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	unsigned usage, selector, mtype;
	char want[600], got[600];
	int i, last;

	if (sscanf(rec, "%u %u %u %599s", &usage, &selector, &mtype, want) !=
	            4 ||
	    (usage != 2 && usage != 3) || selector > 1)
		return false;
	last = usage == 3 ? 0 : (chain ? sk_X509_num(chain) - 1 : -1);
	for (i = 0; chain != NULL && i <= last; i++)
		if (cert_data(sk_X509_value(chain, i), selector, mtype, got,
		              sizeof(got)) &&
		    strcmp(got, want) == 0)
			return true;
	return false;
}

/* The TLSA lookup, waited for; records as "U S M HEX" texts. */
struct tlsa_wait {
	bool done;
	enum dns_tlsa_status status;
	struct doctor_answers recs;
	unsigned usable;
	char error[256];
};

static char *
rr_text(const struct dns_tlsa_rr *rr)
{
	static const char hex[] = "0123456789abcdef";
	char *t = malloc(16 + 2 * rr->len);
	size_t i, n;

	if (t == NULL)
		abort();
	n = (size_t)sprintf(t, "%u %u %u ", rr->usage, rr->selector, rr->mtype);
	for (i = 0; i < rr->len; i++) {
		t[n++] = hex[rr->data[i] >> 4];
		t[n++] = hex[rr->data[i] & 15];
	}
	t[n] = '\0';
	return t;
}

static void
tlsa_cb(void *arg, const struct dns_tlsa_result *res)
{
	struct tlsa_wait *w = arg;
	size_t i;

	w->status = res->status;
	snprintf(w->error, sizeof(w->error), "%s",
	         res->error ? res->error : "");
	w->recs.a = xcalloc(res->n + 1, sizeof(char *));
	for (i = 0; i < res->n; i++) {
		w->recs.a[i] = rr_text(&res->rrs[i]);
		w->usable +=
		        dane_rr_usable(res->rrs[i].usage, res->rrs[i].selector,
		                       res->rrs[i].mtype);
	}
	w->recs.n = res->n;
	w->done = true;
}

static void
tlsa_lookup(struct doctor *d, const char *host, int port, struct tlsa_wait *w)
{
	struct dns_tlsa_query *q;

	memset(w, 0, sizeof(*w));
	w->status = DNS_TLSA_TEMPFAIL;
	q = dns_resolve_tlsa(d->dns, host, port, tlsa_cb, w);
	if (q == NULL) {
		snprintf(w->error, sizeof(w->error), "cannot ask for TLSA");
		return;
	}
	if (!doctor_wait(d, &w->done, d->opts->timeout_ms)) {
		dns_tlsa_cancel(q);
		snprintf(w->error, sizeof(w->error), "no answer in time");
	}
}

static bool
any_matches(SSL *ssl, const struct doctor_answers *recs)
{
	size_t i;

	for (i = 0; i < recs->n; i++)
		if (record_matches(ssl, recs->a[i]))
			return true;
	return false;
}

/* Records no sender uses for DANE: said, with whether they match. */
static void
dane_insecure(struct doctor *d, const char *host, const char *name, SSL *ssl,
              bool mx_insecure)
{
	struct doctor_answers ans;
	struct doctor_check *c;
	size_t i;

	doctor_lookup(d, name, DNS_RR_TLSA, &ans);
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "dane", host, DOCTOR_WARN,
		           "the TLSA lookup of %s failed", name);
	} else if (ans.n == 0) {
		doctor_add(d, G, "dane", host, DOCTOR_SKIP,
		           "%s publishes no TLSA records (optional)", host);
	} else if (!d->validating) {
		c = doctor_add(
		        d, G, "dane", host, DOCTOR_WARN,
		        "the TLSA records of %s are not DNSSEC-validated "
		        "here: %s",
		        host,
		        d->dnssec.avail == DNSSEC_UNAVAILABLE
		                ? "DNSSEC does not validate through the "
		                  "resolver (see the dnssec check)"
		                : "DANE is checked only with [relay] tls = "
		                  "dane");
		doctor_detail(c, "%s: %s", name,
		              any_matches(ssl, &ans)
		                      ? "a record matches the certificate"
		                      : "no record matches the certificate");
		for (i = 0; i < ans.n; i++)
			doctor_detail(c, "%s TLSA %s", name, ans.a[i]);
		c->fix =
		        d->dnssec.avail == DNSSEC_UNAVAILABLE
		                ? "use a resolver that passes DNSSEC records "
		                  "on "
		                  "for doctor to validate them as DANE senders "
		                  "do"
		                : "set [relay] tls = dane (with "
		                  "dnssec_trust_anchor) for doctor to validate "
		                  "them as DANE senders do";
	} else {
		c = doctor_add(d, G, "dane", host, DOCTOR_WARN,
		               "DANE does not apply to %s: %s not "
		               "DNSSEC-signed",
		               host,
		               mx_insecure ? "its MX or address records are"
		                           : "its TLSA records are");
		doctor_detail(c, "%s: %s", name,
		              any_matches(ssl, &ans)
		                      ? "a record matches the certificate"
		                      : "no record matches the certificate");
		for (i = 0; i < ans.n; i++)
			doctor_detail(c, "%s TLSA %s", name, ans.a[i]);
		c->fix = "sign the zones of the MX host and its TLSA records "
		         "(DNSSEC), or remove the records: senders ignore "
		         "unsigned ones";
	}
	doctor_answers_free(&ans);
}

static void
dane_secure(struct doctor *d, const char *host, const char *name, SSL *ssl,
            const struct tlsa_wait *w)
{
	struct doctor_check *c;
	size_t i;

	if (w->recs.n == 0) {
		doctor_add(d, G, "dane", host, DOCTOR_SKIP,
		           "%s publishes no TLSA records (optional; the "
		           "absence validated)",
		           host);
	} else if (any_matches(ssl, &w->recs)) {
		c = doctor_add(d, G, "dane", host, DOCTOR_PASS,
		               "a TLSA record of %s matches its certificate",
		               host);
		doctor_detail(c, "%s: DNSSEC secure", name);
	} else if (w->usable == 0) {
		c = doctor_add(d, G, "dane", host, DOCTOR_WARN,
		               "no TLSA record of %s is usable for SMTP: "
		               "senders require TLS but cannot authenticate it",
		               host);
		for (i = 0; i < w->recs.n; i++)
			doctor_detail(c, "%s TLSA %s", name, w->recs.a[i]);
		c->fix = "publish DANE-EE (3 1 1) or DANE-TA (2 x x) records; "
		         "PKIX usages 0 and 1 are not for SMTP (RFC 7672)";
	} else {
		c = doctor_add(d, G, "dane", host, DOCTOR_FAIL,
		               "no TLSA record of %s matches its certificate",
		               host);
		doctor_detail(c,
		              "%s: DNSSEC secure; senders doing DANE defer "
		              "mail to %s",
		              name, host);
		for (i = 0; i < w->recs.n; i++)
			doctor_detail(c, "%s TLSA %s", name, w->recs.a[i]);
		c->fix = "publish a record of the certificate in use (3 1 1 "
		         "and the SHA-256 of its public key), keeping the old "
		         "one until the new certificate is installed";
		c->sample = "tls-required";
	}
}

void
doctor_dane(struct doctor *d, const char *host, int port, SSL *ssl, bool secure)
{
	struct tlsa_wait w;
	struct doctor_check *c;
	char name[320];

	if (doctor_skipped(d, "dane"))
		return;
	snprintf(name, sizeof(name), "_%d._tcp.%s", port, host);
	tlsa_lookup(d, host, port, &w);
	if (w.status == DNS_TLSA_TEMPFAIL) {
		c = doctor_add(d, G, "dane", host, DOCTOR_WARN,
		               "the TLSA lookup of %s failed", name);
		doctor_detail(c, "%s", w.error);
	} else if (w.status == DNS_TLSA_BOGUS) {
		c = doctor_add(d, G, "dane", host, DOCTOR_FAIL,
		               "the TLSA records of %s fail DNSSEC validation: "
		               "senders doing DANE defer mail to it",
		               host);
		doctor_detail(c, "%s", w.error);
		c->fix = "re-sign the zone and check its DS records at the "
		         "parent (e.g. with ldns-verify-zone)";
		c->sample = "tls-required";
	} else if (w.status == DNS_TLSA_INSECURE || !secure) {
		dane_insecure(d, host, name, ssl,
		              secure == false && w.status == DNS_TLSA_SECURE);
	} else {
		dane_secure(d, host, name, ssl, &w);
	}
	doctor_answers_free(&w.recs);
}
