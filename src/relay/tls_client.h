/*
 * tls_client — the TLS side of the SMTP client: an SSL object per
 * connection with SNI set to the remote's name, made from one of two
 * process-wide contexts (TLS 1.2 minimum, made on first use).
 *
 * Without a relay_tls_peer the certificate is not verified: opportunistic
 * TLS per RFC 3207 s4.1 / RFC 7435.  With one, the peer is checked once
 * the handshake is done (relay_tls_verify()): either its certificate has
 * the pinned SHA-256 fingerprint, or it chains to the CA file (the
 * system's CA store when there is none) and names the host (RFC 6125; an
 * address is matched against the certificate's IP addresses).  The
 * handshake itself never fails on the certificate, so the reason can be
 * told in words.
 *
 * Errors: NULL or -1, with the reason in errbuf.
 * Threads: event-loop thread only (the contexts are made lazily).
 */
#ifndef FERRY_RELAY_TLS_CLIENT_H
#define FERRY_RELAY_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct relay_tls_peer {
	const char *ca_file;     /* NULL: the system's CA store */
	const char *fingerprint; /* 64 lower-case hex digits, or NULL */
};

struct dane_policy;

/* verify NULL: opportunistic, nothing is checked.  dane with usable
 * records (DANE_VERIFY): the peer is to match them instead (checked
 * with dane_tls_check() after the handshake). */
SSL *relay_tls_new(const char *host, const struct relay_tls_peer *verify,
                   const struct dane_policy *dane, char *errbuf, size_t errlen);

/* After the handshake of an SSL made with verify: 0 when the peer is
 * the one expected, else -1 and the reason. */
int relay_tls_verify(SSL *ssl, const char *host,
                     const struct relay_tls_peer *verify, char *errbuf,
                     size_t errlen);

/* The reason of the last OpenSSL error, or fallback; clears the queue. */
void relay_tls_error(char *buf, size_t len, const char *fallback);

#endif
