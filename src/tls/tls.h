/*
 * tls — the server's TLS context (OpenSSL 3): certificate and key from the
 * config, or a self-signed pair generated with the OpenSSL API at first
 * start (and logged), TLS 1.2 minimum, the configured cipher list, and a
 * reload that swaps in new files on SIGHUP.  Sessions ask for an SSL object
 * per connection; a reload affects only connections made after it.
 *
 * The private key never enters the daemon: the key process (ferry-keys,
 * cli/keyproc.c) reads the pair, hands the daemon the certificate chain
 * and makes each handshake's signature on request over a socketpair
 * (tls_keys_* below run there; remote_key.c is the daemon's side).
 *
 * Errors: NULL / -1 after logging the OpenSSL reason.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct config;
struct tls_server;

/* key_fd: the daemon's end of the socketpair to the key process, which
 * sends the chain; every private-key operation goes over it. */
struct tls_server *tls_server_new(const struct config *cfg, int key_fd);
/* The key process reads the certificate and key again; on failure the old
 * ones stay. */
int tls_server_reload(struct tls_server *ts);
void tls_server_free(struct tls_server *ts);
/* false once the key process is gone: no new handshake can succeed. */
bool tls_server_available(const struct tls_server *ts);
/* The key process closed its end (logged once). */
void tls_server_key_lost(struct tls_server *ts);

/* --- in the key process ---------------------------------------------- */

struct tls_keys;
/* Reads the configured pair, or the generated one (made at first start in
 * <spool_dir>/tls/); an unusable pair is logged and reported to the
 * daemon when it asks.  NULL when the generated pair cannot be made. */
struct tls_keys *tls_keys_load(const struct config *cfg);
/* The two files, for the key process's sandbox. */
void tls_keys_paths(const struct tls_keys *k, const char **cert,
                    const char **key);
void tls_keys_free(struct tls_keys *k);
/* One request from the daemon (a msgpipe_serve() handler): the answer's
 * length in out (MSGPIPE_MAX bytes) and its type in *otype. */
int tls_keys_answer(void *k, uint32_t type, const unsigned char *in, size_t len,
                    unsigned char *out, uint32_t *otype);
/* 0 when the pair loads, matches and is of a type the key process signs
 * with; -1 with why otherwise. */
int tls_keys_check_pair(const char *cert_path, const char *key_path, char *why,
                        size_t whylen);

/* What tls_server_new() would refuse in the configured pair and ciphers
 * (a file missing or unreadable, a key that does not match, one of the
 * two set without the other): -1 with the reason in err.  The generated
 * pair is not made here.  For check-config. */
int tls_check_config(const struct config *cfg, char *err, size_t errlen);

/* submission: a session on 587 or 465 ([tls] submission_ciphers). */
SSL *tls_server_ssl(struct tls_server *ts, bool submission);

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
