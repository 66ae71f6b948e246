/*
 * reload.c — a new configuration for the running daemon (SIGHUP and
 * `ferry reload`), without a restart: sessions in progress keep the
 * configuration they started with (each holds a reference to it), new
 * ones get the new one, and the queue is untouched.  A configuration that
 * does not load is refused whole, with the same "FILE:LINE: message"
 * errors as `ferry check-config`, and the running one stays in force.
 * Either way log_file is opened again first (logrotate).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/log.h"
#include "cli/daemon.h"
#include "config/config.h"
#include "sched/outbound.h"
#include "smtp/server.h"
#include "tls/tls.h"

/* Restart-only settings named in one reply line, at most. */
#define RESTART_TEXT_MAX 512

const struct config *
daemon_current(struct daemon *d)
{
	const struct config *cfg;

	pthread_mutex_lock(&d->current_lock);
	cfg = config_ref(d->current);
	pthread_mutex_unlock(&d->current_lock);
	return cfg;
}

static void
set_current(struct daemon *d, const struct config *cfg)
{
	const struct config *old;

	pthread_mutex_lock(&d->current_lock);
	old = d->current;
	d->current = config_ref(cfg);
	pthread_mutex_unlock(&d->current_lock);
	config_release(old);
}

/* Each error line in the log, and all of them in the reply. */
static void
refuse(const char *why, const char *errors, char *reply, size_t len)
{
	char *copy = str_dup(errors), *save = NULL, *line;
	size_t used;

	used = (size_t)snprintf(reply, len,
	                        "ERR the new configuration is refused; the "
	                        "running one stays in force\n%s",
	                        errors);
	if (used >= len && len > 4)
		memcpy(reply + len - 5, "...\n", 5);
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		log_event(LOG_LVL_ERROR, "reload", "by", why, "error", line,
		          NULL);
	log_event(LOG_LVL_ERROR, "reload", "by", why, "result", "refused",
	          NULL);
	free(copy);
}

static struct config *
load_again(struct daemon *d, char **errors)
{
	size_t errlen = 0;
	FILE *err = open_memstream(errors, &errlen);
	struct config *cfg;

	if (err == NULL)
		return NULL;
	cfg = config_load(d->embedded ? NULL : d->config_path, err);
	fclose(err);
	return cfg;
}

/* The certificate and key files are read again when their names did not
 * change (a renewed certificate); new names need a restart. */
static const char *
reload_tls(struct daemon *d)
{
	if (d->tls == NULL)
		return "";
	if (tls_server_reload(d->tls) < 0)
		return "; the TLS certificate and key could not be read again, "
		       "the old ones stay (see the log)";
	return "";
}

int
daemon_reload(struct daemon *d, const char *why, char *reply, size_t len)
{
	char *errors = NULL, restart[RESTART_TEXT_MAX];
	struct config *cfg = load_again(d, &errors);
	const char *tls_note;

	/* logrotate moved the file away: a new one from now on */
	if (log_reopen() < 0)
		log_event(LOG_LVL_WARN, "log", "file", d->cfg->log_file,
		          "error", strerror(errno), NULL);
	if (cfg == NULL) {
		refuse(why, errors && *errors ? errors : "cannot read it\n",
		       reply, len);
		free(errors);
		return -1;
	}
	free(errors);
	config_restart_changes(d->cfg, cfg, restart, sizeof(restart));
	smtp_server_set_config(d->server, cfg);
	outbound_set_site(d->outbound, cfg);
	set_current(d, cfg);
	config_free(cfg); /* the holders above keep it */
	tls_note = reload_tls(d);
	log_event(LOG_LVL_INFO, "reload", "by", why, "result", "applied",
	          "needs_restart", restart[0] ? restart : NULL, NULL);
	snprintf(reply, len, "OK configuration reloaded%s%s%s\n",
	         restart[0] ? "; these settings need a restart to change: "
	                    : "",
	         restart, tls_note);
	return 0;
}
