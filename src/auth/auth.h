/*
 * auth — SASL authentication for the SMTP AUTH command (RFC 4954): the
 * mechanisms PLAIN (RFC 4616), LOGIN, SCRAM-SHA-256 (RFC 5802, RFC 7677),
 * over one of two credential backends: a Dovecot-format passwd-file with
 * crypt(3) or SCRAM-SHA-256 entries, or a running Dovecot asked over its
 * auth-client socket (the whole exchange is proxied, as Postfix does).
 *
 * The SMTP session only moves base64 lines: it passes what the client sent
 * and gets back a status and, for AUTH_CONTINUE, the base64 challenge to send
 * as "334 <challenge>".  Results arrive through the callback, always on the
 * event-loop thread and never from inside the call that caused them (so the
 * session never re-enters itself); a request can be aborted at any time,
 * after which its callback is not called.
 *
 * Secrets never reach a log line.  Errors: the status says what happened;
 * the session maps it to a registry reply.
 */
#ifndef FERRY_AUTH_H
#define FERRY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct config;
struct auth_service;
struct auth_request;

enum auth_status {
	AUTH_CONTINUE,     /* send "334 " + data, wait for the next line */
	AUTH_OK,           /* authenticated; data is the login name */
	AUTH_FAIL,         /* bad credentials (535 5.7.8) */
	AUTH_TEMPFAIL,     /* backend unavailable (454 4.7.0) */
	AUTH_BAD_BASE64,   /* client line is not base64 (501 5.5.2) */
	AUTH_CANCELLED,    /* client sent "*" (501 5.7.0) */
	AUTH_UNKNOWN_MECH, /* mechanism not offered (504 5.5.4) */
	AUTH_MALFORMED, /* decoded message breaks the mechanism (501 5.5.2) */
};

typedef void (*auth_result_cb)(void *arg, enum auth_status st,
                               const char *data);

/* NULL with errno when the backend cannot be set up (config says which).
 * passwd_fd: the daemon's end of the socketpair to the key process that
 * checks passwd-file passwords (-1 for the other backends). */
struct auth_service *auth_service_new(struct event_base *base,
                                      const struct config *cfg, int passwd_fd);
void auth_service_free(struct auth_service *svc);

/* The key process of passwd_fd closed its end: every check is
 * AUTH_TEMPFAIL from now on (logged once). */
void auth_service_key_lost(struct auth_service *svc);

/* Space-separated mechanism names for the EHLO AUTH keyword, e.g.
 * "PLAIN LOGIN SCRAM-SHA-256"; "" when no backend is configured. */
const char *auth_service_mechanisms(const struct auth_service *svc);

/*
 * Start an exchange.  mech is the client's mechanism name (any case);
 * initial is the initial response as sent on the AUTH line (base64, "=" for
 * an empty one, NULL when absent).  client_ip is for the backend's logs and
 * policy; secured tells whether the channel is TLS.
 */
struct auth_request *auth_request_start(struct auth_service *svc,
                                        const char *mech, const char *initial,
                                        const char *client_ip, bool secured,
                                        auth_result_cb cb, void *arg);
/* The SMTP session's id, logged on the exchange's one result line. */
void auth_request_set_session(struct auth_request *req, unsigned long id);
/* The client's next line (base64, or "*" to cancel). */
void auth_request_continue(struct auth_request *req, const char *line);
/* Forget the request; no callback after this.  Safe after completion. */
void auth_request_free(struct auth_request *req);

/* Longest login name, in bytes. */
#define AUTH_USER_MAX 255

/* SCRAM-SHA-256 iteration counts a stored key may use. */
#define SCRAM_ITER_MIN 4096 /* RFC 7677 s4 */
#define SCRAM_ITER_MAX 10000000
#define SCRAM_ITER_DEFAULT 4096 /* Dovecot's default too */

/*
 * A new stored SCRAM-SHA-256 key for pw with a random salt, as a passwd
 * file holds it after "{SCRAM-SHA-256}" (Dovecot's format), malloc'd.
 * NULL when iter is out of range or OpenSSL fails.
 */
char *auth_scram_stored(const char *pw, unsigned iter);

/* --- in the key process (passwd_server.c) ------------------------------ */

struct auth_passwd_server;
/* Reads [auth] passwd_file (a missing file is logged, not fatal). */
struct auth_passwd_server *auth_passwd_server_new(const struct config *cfg);
const char *auth_passwd_server_path(const struct auth_passwd_server *l);
void auth_passwd_server_free(struct auth_passwd_server *l);
/* One request from the daemon (a msgpipe_serve() handler). */
int auth_passwd_server_answer(void *l, uint32_t type, const unsigned char *in,
                              size_t len, unsigned char *out, uint32_t *otype);

#endif
