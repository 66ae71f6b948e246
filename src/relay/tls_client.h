/*
 * tls_client — the TLS side of the SMTP client: one client SSL_CTX for the
 * process (made on first use; TLS 1.2 minimum, no certificate
 * verification: opportunistic TLS per RFC 3207 s4.1 / RFC 7435), and an SSL
 * object per connection with SNI set to the remote's name.
 *
 * Errors: NULL, with the OpenSSL reason in errbuf.
 * Threads: event-loop thread only (the context is made lazily).
 */
#ifndef FERRY_RELAY_TLS_CLIENT_H
#define FERRY_RELAY_TLS_CLIENT_H

#include <stddef.h>

#include <openssl/ssl.h>

SSL *relay_tls_new(const char *host, char *errbuf, size_t errlen);

/* The reason of the last OpenSSL error, or fallback; clears the queue. */
void relay_tls_error(char *buf, size_t len, const char *fallback);

#endif
