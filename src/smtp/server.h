/*
 * server — the SMTP receiving side of the daemon: listeners and the set of
 * live sessions on one libevent loop.  serve.c creates it after loading the
 * config and opening the spool; SIGTERM calls smtp_server_shutdown().
 *
 * Ownership: the server owns its listeners and sessions and holds a
 * reference to its config; spool and the queued-callback target belong to
 * the caller and must outlive it.
 */
#ifndef FERRY_SMTP_SERVER_H
#define FERRY_SMTP_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include "config/config.h"

struct event_base;
struct config;
struct spool;
struct smtp_server;

struct smtp_server *smtp_server_new(struct event_base *base,
                                    const struct config *cfg, struct spool *sp);
/*
 * A reloaded configuration: sessions accepted from now on get it, open
 * ones keep theirs.  The server holds a reference (config_ref).  Listener
 * addresses and the other settings read only at start are not changed.
 */
void smtp_server_set_config(struct smtp_server *srv, const struct config *cfg);
/* The spool is opened after binding; set it before smtp_server_start. */
void smtp_server_set_spool(struct smtp_server *srv, struct spool *sp);
struct tls_server;
struct auth_service;
/* Optional services; set before smtp_server_start. */
void smtp_server_set_tls(struct smtp_server *srv, struct tls_server *tls);
void smtp_server_set_auth(struct smtp_server *srv, struct auth_service *auth);
struct policy;
/* Required: every stage of every session asks it. */
void smtp_server_set_policy(struct smtp_server *srv, struct policy *p);
/* Bind every configured listener (before dropping privileges). */
int smtp_server_bind(struct smtp_server *srv);
/* Start accepting (after dropping privileges). */
void smtp_server_start(struct smtp_server *srv);
/*
 * Stop accepting; answer 421 4.3.2 to every session (a session waiting for
 * its commit first gets its 250).  done() runs once the last session is gone.
 */
void smtp_server_shutdown(struct smtp_server *srv, void (*done)(void *),
                          void *arg);
/*
 * Serve one connection that is already open (non-blocking fd, owned by the
 * server from now on) as if it had been accepted on a listener of the given
 * role: greeting, or 421 when max_connections is reached.  Used by the
 * listeners and by the tests that drive a session from bytes.
 */
void smtp_server_adopt(struct smtp_server *srv, int fd,
                       const struct sockaddr *sa, enum listener_role role);
/* No session is open (the tests wait for this after closing theirs). */
bool smtp_server_idle(const struct smtp_server *srv);
void smtp_server_free(struct smtp_server *srv);

#endif
