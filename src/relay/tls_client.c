/*
 * tls_client.c — the SMTP client's TLS contexts (see tls_client.h).
 */
#include "base/str.h"
#include "relay/tls_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "dane/dane.h"

static SSL_CTX *plain_ctx;  /* opportunistic: no trust store */
static SSL_CTX *verify_ctx; /* with the trust store of verify_ca */
static char *verify_ca;     /* NULL: the system's CA store */

static SSL_CTX *
ctx_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The handshake never stops at the certificate: opportunistic TLS
	 * takes any (RFC 7435), and a verified peer is checked after the
	 * handshake by relay_tls_verify(), which can then say why. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static bool
same_ca(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The context with the trust store of ca_file, made again when it
 * changes (there is one smarthost, so that is rare). */
static SSL_CTX *
verify_ctx_get(const char *ca_file)
{
	SSL_CTX *ctx;
	int ok;

	if (verify_ctx != NULL && same_ca(verify_ca, ca_file))
		return verify_ctx;
	ctx = ctx_new();
	if (ctx == NULL)
		return NULL;
	ok = ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	                     : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_free(verify_ctx);
	free(verify_ca);
	verify_ctx = ctx;
	verify_ca = ca_file != NULL ? str_dup(ca_file) : NULL;
	if (ca_file != NULL && verify_ca == NULL)
		abort();
	return ctx;
}

static SSL_CTX *
plain_ctx_get(void)
{
	if (plain_ctx == NULL)
		plain_ctx = ctx_new();
	return plain_ctx;
}

void
relay_tls_error(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "%s", fallback);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static bool
is_address(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

/* SNI carries host names only (RFC 6066 s3), never address literals. */
static bool
is_name(const char *host)
{
	return host != NULL && host[0] != '\0' && !is_address(host);
}

/* The name (or address) the certificate must carry (RFC 6125). */
static int
expect_identity(SSL *ssl, const char *host)
{
	if (host == NULL || host[0] == '\0')
		return -1;
	if (is_address(host))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		                                     host) == 1
		               ? 0
		               : -1;
	/* No wildcard below the left-most label (RFC 6125 s6.4.3). */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return SSL_set1_host(ssl, host) == 1 ? 0 : -1;
}

static SSL *
dane_ssl_new(const char *host, const struct dane_policy *dane, char *errbuf,
             size_t errlen)
{
	SSL_CTX *ctx = dane_tls_ctx();
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;

	if (ssl == NULL) {
		relay_tls_error(errbuf, errlen, "cannot create TLS context");
		return NULL;
	}
	/* SNI is the TLSA base domain, the MX host (RFC 7672 s8.1). */
	if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    dane_tls_prepare(ssl, host, dane, errbuf, errlen) < 0) {
		if (errbuf[0] == '\0')
			relay_tls_error(errbuf, errlen,
			                "cannot set TLS server name");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

SSL *
relay_tls_new(const char *host, const struct relay_tls_peer *verify,
              const struct dane_policy *dane, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx;
	SSL *ssl;

	if (dane != NULL && dane->mode == DANE_VERIFY && is_name(host)) {
		errbuf[0] = '\0';
		return dane_ssl_new(host, dane, errbuf, errlen);
	}
	ctx = verify ? verify_ctx_get(verify->ca_file) : plain_ctx_get();
	if (ctx == NULL) {
		relay_tls_error(errbuf, errlen,
		                verify && verify->ca_file
		                        ? "cannot load smarthost_ca_file"
		                        : "cannot create TLS context");
		return NULL;
	}
	if ((ssl = SSL_new(ctx)) == NULL) {
		relay_tls_error(errbuf, errlen, "cannot create TLS context");
		return NULL;
	}
	if (is_name(host) && SSL_set_tlsext_host_name(ssl, host) != 1) {
		relay_tls_error(errbuf, errlen, "cannot set TLS server name");
		SSL_free(ssl);
		return NULL;
	}
	if (verify && verify->fingerprint == NULL &&
	    expect_identity(ssl, host) < 0) {
		relay_tls_error(errbuf, errlen,
		                "cannot set the name to verify");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
check_pin(X509 *cert, const char *want, char *errbuf, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int n = 0;

	if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
		snprintf(errbuf, errlen, "cannot compute the fingerprint");
		return -1;
	}
	hex(md, n, got);
	if (strcmp(got, want) != 0) {
		snprintf(errbuf, errlen,
		         "certificate verification failed: SHA-256 "
		         "fingerprint %s is not smarthost_fingerprint",
		         got);
		return -1;
	}
	return 0;
}

int
relay_tls_verify(SSL *ssl, const char *host,
                 const struct relay_tls_peer *verify, char *errbuf,
                 size_t errlen)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	long rc;

	if (cert == NULL) {
		snprintf(errbuf, errlen,
		         "certificate verification failed: %s presented no "
		         "certificate",
		         host);
		return -1;
	}
	if (verify->fingerprint != NULL)
		return check_pin(cert, verify->fingerprint, errbuf, errlen);
	rc = SSL_get_verify_result(ssl);
	if (rc != X509_V_OK) {
		snprintf(errbuf, errlen,
		         "certificate verification failed for %s: %s", host,
		         X509_verify_cert_error_string(rc));
		return -1;
	}
	return 0;
}
