/*
 * redis_link — one connection to a Redis server on the daemon's libevent
 * loop, over TCP, a unix socket or TLS.
 *
 * hiredis does the protocol only: redisFormatCommandArgv() encodes a
 * command in RESP and a redisReader parses the answers.  The bytes travel
 * over ferry's own bufferevent, so TLS is OpenSSL's bufferevent (the
 * hiredis of Debian 12, 0.14, has no TLS): the server's certificate must
 * chain to ca_file (the system's store when NULL) and name server_name
 * (or the server's address), and a client certificate is presented when
 * cert_file is set.
 *
 * After connecting (and the handshake) the link sends AUTH when there is
 * a password and is up only once Redis accepted it.  Answers come back in
 * the order the commands were sent.  When the connection fails or closes,
 * every command still waiting is answered with a NULL reply, status_fn
 * hears why, and the link tries again once a second until it is up.
 *
 * Errors: redis_link_send() returns -1 while the link is not up.
 * Ownership: the config is copied; a reply lives only for its callback.
 * Threads: event-loop thread only.
 */
#ifndef FERRY_POLICY_REDIS_LINK_H
#define FERRY_POLICY_REDIS_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

struct redis_link_config {
	const char *host; /* numeric address, with port */
	int port;
	const char *socket_path; /* instead of host: a unix socket */
	const char *username;    /* NULL: AUTH with the password alone */
	const char *password;    /* NULL: no AUTH */
	bool tls;
	const char *ca_file;     /* NULL: the system's CA store */
	const char *cert_file;   /* client certificate, or NULL */
	const char *key_file;    /* its key; NULL: in cert_file */
	const char *server_name; /* NULL: the certificate names host */
	int connect_timeout_ms;  /* connect, handshake and AUTH together */
};

/* reply NULL: the connection was lost before the answer came. */
typedef void (*redis_reply_fn)(void *arg, const redisReply *reply);
/* up false: why is what failed (for the log); the link retries. */
typedef void (*redis_status_fn)(void *arg, bool up, const char *why);

struct event_base;
struct redis_link;

struct redis_link *redis_link_new(struct event_base *base,
                                  const struct redis_link_config *cfg,
                                  redis_status_fn status_fn, void *arg);
bool redis_link_up(const struct redis_link *l);
/* A command already in RESP (from redisFormatCommandArgv). */
int redis_link_send(struct redis_link *l, const char *cmd, size_t len,
                    redis_reply_fn fn, void *arg);
int redis_link_send_argv(struct redis_link *l, int argc, const char **argv,
                         const size_t *lens, redis_reply_fn fn, void *arg);
/* Answers what is still waiting with NULL, without status_fn. */
void redis_link_free(struct redis_link *l);

#endif
