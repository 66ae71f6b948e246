/*
 * keyproc — the key processes (OpenSMTPD's privilege separation, for the
 * secrets): forked by `ferry serve` before it binds, drops privileges or
 * installs its sandbox, each holds what the daemon must never have in its
 * memory and answers its requests over a socketpair (base/msgpipe.h):
 *
 *   ferry-keys  the TLS certificate and private key (tls/key_server.c):
 *               sends the chain, makes each handshake's signature;
 *   ferry-auth  the passwd-file (auth/passwd_server.c): checks passwords.
 *
 * Two processes rather than one so that a password check (a yescrypt hash
 * takes milliseconds) never delays a handshake, which the daemon waits
 * for on its event loop.  Each is single-threaded, keeps root's uid with
 * no capability but CAP_DAC_READ_SEARCH (its files may be root's alone,
 * and a reload reads them again), cannot be traced, and runs in its own
 * sandbox (sandbox_keyproc_start).  It exits when the daemon closes its
 * end.  A key process that dies is not restarted: the daemon no longer
 * has the privileges to start one, and one that died may have been made
 * to; TLS or AUTH then answer 454 4.7.0 until ferry is restarted.
 *
 * Errors: -1 after logging why.
 */
#ifndef FERRY_CLI_KEYPROC_H
#define FERRY_CLI_KEYPROC_H

#include <sys/types.h>

struct config;

struct event_base;
struct event;

struct keyproc {
	pid_t pid; /* 0: not started */
	int fd;    /* the daemon's end; -1: not started */
	struct event *closed;
	void (*lost)(void *arg);
	void *arg;
};

/* ferry-keys; *kp->fd is for tls_server_new(). */
int keyproc_start_tls(const struct config *cfg, struct keyproc *kp);
/* ferry-auth, for the passwd-file backend; *kp->fd for auth_service_new(). */
int keyproc_start_auth(const struct config *cfg, struct keyproc *kp);
/* lost(arg) runs on the loop when the key process closes its end (it
 * died or was killed), before any request notices. */
int keyproc_watch(struct keyproc *kp, struct event_base *base,
                  void (*lost)(void *arg), void *arg);
/* Closes the daemon's end: the process exits. */
void keyproc_stop(struct keyproc *kp);

#endif
