/*
 * daemon — what `ferry serve` runs (serve.c) and how a reload replaces its
 * configuration (reload.c).  Not for use outside src/cli/.
 *
 * cfg is the configuration the daemon started with: the listeners, the
 * spool, the relay, the policy and the other long-lived parts were built
 * from it and keep it until the end.  current is the one in force for
 * what a reload may change (new sessions, which recipients are local);
 * it is read from the delivery thread too, hence the lock.
 */
#ifndef FERRY_CLI_DAEMON_H
#define FERRY_CLI_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/keyproc.h"

struct daemon {
	struct event_base *base;
	struct config *cfg;
	struct spool *spool;
	struct smtp_server *server;
	struct local_delivery *delivery;
	struct outbound *outbound;
	struct dkim_keys *dkim;
	struct control *control;
	struct tls_server *tls;
	struct auth_service *auth;
	struct keyproc tls_keys, auth_keys;
	struct policy *policy;
	struct event *sigterm, *sigint, *sighup, *grace;
	int stopping_parts; /* shutdown: sessions, relay transactions */
	struct event
	        *log_flush; /* writes a pass's log lines before it sleeps */
	struct metrics_http *metrics;
	bool embedded;
	const char *config_path; /* NULL: the embedded demo setup */
	pthread_mutex_t current_lock;
	const struct config *current;
};

/* The configuration in force, with a reference the caller releases
 * (config_release); any thread. */
const struct config *daemon_current(struct daemon *d);
/* Load the configuration again and put it in force (see reload.c).
 * reply gets "OK ..." or "ERR ..." and the errors, one per line.
 * Returns 0 when the new configuration is in force. */
int daemon_reload(struct daemon *d, const char *why, char *reply, size_t len);

#endif
