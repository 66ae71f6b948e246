/*
 * tls_client.c — the SMTP client's TLS context (see tls_client.h).
 */
#include "relay/tls_client.h"

#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/err.h>

static SSL_CTX *client_ctx;

static SSL_CTX *
client_ctx_get(void)
{
	SSL_CTX *ctx;

	if (client_ctx != NULL)
		return client_ctx;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Opportunistic: a certificate that does not verify is still
	 * better than plain text (RFC 7435). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	client_ctx = ctx;
	return ctx;
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

/* SNI carries host names only (RFC 6066 s3), never address literals. */
static int
is_name(const char *host)
{
	unsigned char tmp[16];

	return host != NULL && host[0] != '\0' &&
	       inet_pton(AF_INET, host, tmp) != 1 &&
	       inet_pton(AF_INET6, host, tmp) != 1;
}

SSL *
relay_tls_new(const char *host, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx = client_ctx_get();
	SSL *ssl;

	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL) {
		relay_tls_error(errbuf, errlen, "cannot create TLS context");
		return NULL;
	}
	if (is_name(host) && SSL_set_tlsext_host_name(ssl, host) != 1) {
		relay_tls_error(errbuf, errlen, "cannot set TLS server name");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}
