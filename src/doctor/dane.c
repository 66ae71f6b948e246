/*
 * dane.c — the TLSA records of an MX host (RFC 7672), when it publishes
 * any, against the certificates it presented in doctor's STARTTLS
 * dialogue: DANE-EE (3) records match the host's own certificate,
 * DANE-TA (2) records one of its chain; selector 0 is the certificate,
 * 1 its public key; matching type 0, 1 (SHA-256) or 2 (SHA-512).  A
 * sender that does DANE defers mail to a host none of whose records
 * match.  The records' DNSSEC status is not checked here: DANE counts
 * only signed records, which the resolver does not report to doctor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

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

void
doctor_dane(struct doctor *d, const char *host, int port, SSL *ssl)
{
	struct doctor_answers ans;
	struct doctor_check *c;
	char name[320];
	bool match = false;
	size_t i;

	if (doctor_skipped(d, "dane"))
		return;
	snprintf(name, sizeof(name), "_%d._tcp.%s", port, host);
	doctor_lookup(d, name, DNS_RR_TLSA, &ans);
	for (i = 0; i < ans.n && !match; i++)
		match = record_matches(ssl, ans.a[i]);
	if (ans.status == DNS_LOOKUP_TEMPFAIL) {
		doctor_add(d, G, "dane", host, DOCTOR_WARN,
		           "the TLSA lookup of %s failed", name);
	} else if (ans.n == 0) {
		doctor_add(d, G, "dane", host, DOCTOR_SKIP,
		           "%s publishes no TLSA records (optional)", host);
	} else if (match) {
		c = doctor_add(d, G, "dane", host, DOCTOR_PASS,
		               "a TLSA record of %s matches its certificate",
		               host);
		doctor_detail(c, "%s (DNSSEC not checked here)", name);
	} else {
		c = doctor_add(d, G, "dane", host, DOCTOR_FAIL,
		               "no TLSA record of %s matches its certificate",
		               host);
		for (i = 0; i < ans.n; i++)
			doctor_detail(c, "%s TLSA %s", name, ans.a[i]);
		c->fix = "publish a record of the certificate in use (3 1 1 "
		         "and the SHA-256 of its public key), keeping the old "
		         "one until the new certificate is installed";
		c->sample = "tls-required";
	}
	doctor_answers_free(&ans);
}
