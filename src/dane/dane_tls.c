/*
 * dane_tls.c — the OpenSSL side of DANE (see dane.h): OpenSSL matches
 * the records (SSL_dane_tlsa_add(), RFC 7671 digest agility included);
 * this file hands them over and reads the verdict.
 */
#include "dane/dane.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

static SSL_CTX *dane_ctx;

SSL_CTX *
dane_tls_ctx(void)
{
	SSL_CTX *ctx;

	if (dane_ctx != NULL)
		return dane_ctx;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_dane_enable(ctx) <= 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The handshake goes on whatever the peer presents, so that the
	 * failure can be told in words after it (dane_tls_check()). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	dane_ctx = ctx;
	return ctx;
}

static void
ssl_error(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char detail[160] = "";

	if (e != 0)
		ERR_error_string_n(e, detail, sizeof(detail));
	snprintf(buf, len, "%s%s%s", what, detail[0] ? ": " : "", detail);
	ERR_clear_error();
}

int
dane_tls_prepare(SSL *ssl, const char *host, const struct dane_policy *p,
                 char *errbuf, size_t errlen)
{
	size_t i;
	int added = 0;

	if (SSL_dane_enable(ssl, host) <= 0) {
		ssl_error(errbuf, errlen, "cannot enable DANE");
		return -1;
	}
	/* RFC 7672 s3.1.1: a DANE-EE match needs no name. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < p->n; i++)
		if (SSL_dane_tlsa_add(ssl, p->rrs[i].usage, p->rrs[i].selector,
		                      p->rrs[i].mtype, p->rrs[i].data,
		                      p->rrs[i].len) > 0)
			added++;
	ERR_clear_error(); /* records OpenSSL cannot use are skipped */
	if (added == 0) {
		snprintf(errbuf, errlen, "no TLSA record of %s is usable",
		         host);
		return -1;
	}
	return 0;
}

int
dane_tls_check(SSL *ssl, const char *host, char *errbuf, size_t errlen)
{
	long rc = SSL_get_verify_result(ssl);

	if (SSL_get0_peer_certificate(ssl) == NULL) {
		snprintf(errbuf, errlen,
		         "DANE verification failed: %s presented no "
		         "certificate",
		         host);
		return -1;
	}
	if (rc != X509_V_OK) {
		snprintf(errbuf, errlen, "DANE verification failed for %s: %s",
		         host, X509_verify_cert_error_string(rc));
		return -1;
	}
	if (SSL_get0_dane_authority(ssl, NULL, NULL) < 0) {
		snprintf(errbuf, errlen,
		         "DANE verification failed for %s: no TLSA record "
		         "matched",
		         host);
		return -1;
	}
	return 0;
}
