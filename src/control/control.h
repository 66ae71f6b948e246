/*
 * control — the daemon's local control channel and mail pickup.
 *
 * control_start() listens on the UNIX socket <spool_dir>/control.sock
 * (mode 0600: only the daemon's user and root may connect) for one-line
 * commands from `ferry queue`:
 *
 *   FLUSH [ID]\n      retry deferred mail now (and look at the maildrop)
 *   DELETE ID\n       remove a queued or held message
 *   HOLD ID\n         take a queued message out of delivery
 *   RELEASE ID\n      put a held message back and hand it to delivery
 *   POLICY ARGS\n     the policy's commands (policy.h policy_control())
 *   RELOAD\n          read the configuration again (cli/reload.c)
 *   TLSREPORT DAY [DOMAIN]\n  send the TLS reports of DAY (RFC 8460) now
 *
 * Each is answered by one line, "OK text\n" or "ERR reason\n", after which
 * the server closes the connection; a refused RELOAD adds its errors, one
 * per line, before closing.  Lines are at most CONTROL_LINE_MAX
 * octets, at most CONTROL_CLIENTS_MAX clients are served at once and each
 * has CONTROL_TIMEOUT seconds; nothing blocks the event loop on a client.
 *
 * It also creates <spool_dir>/maildrop/ (mode 1733: anyone may drop a file,
 * nobody but the daemon may list it) and turns the files `ferry sendmail`
 * leaves there into queued messages (control_pickup.c), checking each one
 * strictly since any local user can write them.  The file is removed only
 * after its message is committed.  At start it also drops stale copies
 * from the hold directory (spool_hold_recover()).
 *
 * Hooks are how the daemon reaches its delivery agents: flush_all and
 * enqueue_id are required; flush_id (NULL: flush_all is used) and
 * forget_id (called after HOLD and DELETE; may be NULL) are optional.
 *
 * Ownership: strings and structs passed in must outlive the control.
 * Errors: control_start() returns NULL after logging why.
 * Threads: event-loop thread only.  Call after dropping privileges, so the
 * socket and the maildrop belong to the daemon's user.
 */
#ifndef FERRY_CONTROL_H
#define FERRY_CONTROL_H

#include <stddef.h>

#define CONTROL_SOCKET "control.sock"
#define CONTROL_LINE_MAX 256
#define CONTROL_REPLY_MAX 4096
#define CONTROL_CLIENTS_MAX 16
#define CONTROL_TIMEOUT 10

#include <stdbool.h>
#include <stdio.h>

struct event_base;
struct config;
struct spool;
struct control;

struct control_hooks {
	void (*flush_all)(void *arg);
	void (*flush_id)(void *arg, const char *id);
	void (*enqueue_id)(void *arg, const char *id);
	void (*forget_id)(void *arg, const char *id);
	/* "POLICY ARGS": args after the verb; NULL: no policy.  A hook that
	 * leaves reply empty answers later, once, through later(token, text);
	 * the client is kept until then. */
	void (*policy)(void *arg, const char *args, char *reply, size_t len,
	               void (*later)(void *token, const char *text),
	               void *token);
	/* The queue listing for <spool_dir>/showq.sock, written to out.  Runs
	 * on a listing thread with a read-only spool of its own, never on the
	 * loop; -1 when part of the queue could not be read. */
	int (*list_queue)(FILE *out, struct spool *sp, bool json);
	/* "RELOAD": load the configuration again; the reply may span lines
	 * (the errors of a refused one).  NULL: not offered. */
	int (*reload)(void *arg, char *reply, size_t len);
	/* "TLSREPORT DAY [DOMAIN]" (checked: YYYY-MM-DD, a domain name);
	 * NULL: not offered. */
	void (*tls_report)(void *arg, const char *day, const char *domain,
	                   char *reply, size_t len);
};

/* Where users who may not read the spool get the listing from. */
#define CONTROL_SHOWQ_SOCKET "showq.sock"

struct control *control_start(struct event_base *base, const struct config *cfg,
                              struct spool *sp,
                              const struct control_hooks *hooks, void *arg);
/* Closes the socket (and removes it); maildrop files not yet committed
 * stay for the next start. */
void control_stop(struct control *c);

#endif
