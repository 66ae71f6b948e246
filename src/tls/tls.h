/*
 * tls — the server's TLS context (OpenSSL 3): certificate and key from the
 * config, or a self-signed pair generated with the OpenSSL API at first
 * start (and logged), TLS 1.2 minimum, the configured cipher list, and a
 * reload that swaps in new files on SIGHUP.  Sessions ask for an SSL object
 * per connection; a reload affects only connections made after it.
 *
 * Errors: NULL / -1 after logging the OpenSSL reason.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct config;
struct tls_server;

/* Call before dropping privileges: key files may be readable by root only,
 * and a generated pair is written into <spool_dir>/tls/. */
struct tls_server *tls_server_new(const struct config *cfg);
/* Re-read the certificate and key; on failure the old ones stay. */
int tls_server_reload(struct tls_server *ts);
void tls_server_free(struct tls_server *ts);

/* What tls_server_new() would refuse in the configured pair and ciphers
 * (a file missing or unreadable, a key that does not match, one of the
 * two set without the other): -1 with the reason in err.  The generated
 * pair is not made here.  For check-config. */
int tls_check_config(const struct config *cfg, char *err, size_t errlen);

SSL *tls_server_ssl(struct tls_server *ts);

/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" */
void tls_describe(SSL *ssl, char *buf, size_t len);

struct bufferevent;
/*
 * Why an OpenSSL bufferevent failed, as OpenSSL words it ("error:0A00010B:
 * SSL routines::wrong version number"); fallback when OpenSSL gave no
 * reason (the peer closed the connection, a socket error).  Empties the
 * bufferevent's list of errors.
 */
void tls_bev_error(struct bufferevent *bev, char *buf, size_t len,
                   const char *fallback);

#endif
