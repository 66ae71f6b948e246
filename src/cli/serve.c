/*
 * serve.c — `ferry serve`: load the config, bind, open the spool, drop
 * privileges, recover the queue, and run the event loop until SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "auth/auth.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sdnotify.h"
#include "metrics/metrics.h"
#include "cli/cli.h"
#include "cli/daemon.h"
#include "cli/keyproc.h"
#include "cli/privileges.h"
#include "cli/queue_list.h"
#include "config/config.h"
#include "deliver/local.h"
#include "dkim/dkim.h"
#include "policy/policy.h"
#include "policy/recipient.h"
#include "control/control.h"
#include "sched/outbound.h"
#include "queue/spool.h"
#include "sandbox/sandbox.h"
#include "smtp/server.h"
#include "tls/tls.h"

/* Sessions get this long to finish a commit after SIGTERM. */
#define SHUTDOWN_GRACE_SECONDS 30

/* Delivery thread: the Maildir of a recipient, by the configuration in
 * force now (a reload may have added or removed mailboxes). */
static char *
resolve_maildir(void *arg, const char *address)
{
	const struct config *cfg = daemon_current(arg);
	char *maildir = recipient_maildir(cfg, address);

	config_release(cfg);
	return maildir;
}

/* Loop thread, while the daemon runs: outbound exists. */
/* A local delivery is durable: the mailbox's quota usage grows. */
static void
quota_delivered(void *arg, const char *address, size_t size)
{
	struct daemon *d = arg;

	if (d->policy != NULL)
		policy_quota_delivered(d->policy, address, size);
}

static void
success_notice(void *arg, const struct envelope *env)
{
	struct daemon *d = arg;

	outbound_success_notice(d->outbound, env);
}

/* Local deliveries so far, for the metrics. */
static unsigned long
local_delivered(void *arg)
{
	unsigned long msgs, deliveries;

	local_delivery_stats(arg, &msgs, &deliveries);
	return deliveries;
}

static void
ctl_flush_all(void *arg)
{
	struct daemon *d = arg;

	local_delivery_flush(d->delivery);
	outbound_flush(d->outbound);
}

static void
ctl_forget(void *arg, const char *id)
{
	struct daemon *d = arg;

	outbound_forget(d->outbound, id);
}

static void queued_cb(void *arg, const char *id);

static void
ctl_policy(void *arg, const char *args, char *reply, size_t len,
           void (*later)(void *token, const char *text), void *token)
{
	struct daemon *d = arg;

	policy_control(d->policy, args, reply, len, later, token);
}

static int
ctl_reload(void *arg, char *reply, size_t len)
{
	return daemon_reload(arg, "control", reply, len);
}

static void
ctl_tls_report(void *arg, const char *day, const char *domain, char *reply,
               size_t len)
{
	struct daemon *d = arg;
	int n = outbound_tls_report_send(d->outbound, day, domain);

	if (n < 0)
		snprintf(reply, len, "ERR TLS reports are not available\n");
	else
		snprintf(reply, len, "OK %d domain%s of %s looked at\n", n,
		         n == 1 ? "" : "s", day);
}

static const struct control_hooks ctl_hooks = {
        .flush_all = ctl_flush_all,
        .enqueue_id = queued_cb,
        .forget_id = ctl_forget,
        .policy = ctl_policy,
        .list_queue = queue_list_write,
        .reload = ctl_reload,
        .tls_report = ctl_tls_report,
};

/* Every queued message goes to both delivery agents; each takes the
 * recipients that are its own (local Maildirs, or elsewhere).  A message
 * the relay found only its own recipients in is not handed to local
 * delivery, which would read its envelope only to find nothing to do. */
static void
queued_cb(void *arg, const char *id)
{
	struct daemon *d = arg;

	if (!outbound_enqueue(d->outbound, id))
		local_delivery_enqueue(d->delivery, id);
}

/* The same for a message just committed: both sides take its envelope
 * from memory, and local delivery its bytes too, not from the files. */
static void
committed_cb(void *arg, struct spool_queued *q)
{
	struct daemon *d = arg;

	if (!outbound_enqueue_committed(d->outbound, q->id, q->env_text,
	                                q->env_len))
		local_delivery_enqueue_committed(d->delivery, q);
}

/* Mail for local Maildirs only is delivered before its reply, unless
 * the configuration in force says otherwise (spool.h, "Direct
 * delivery"). */
static bool
direct_offer(void *arg, const struct spool_offer *o)
{
	struct daemon *d = arg;
	const struct config *cfg = daemon_current(d);
	bool wanted = cfg->direct_delivery;

	config_release(cfg);
	return wanted && local_delivery_offer(d->delivery, o);
}

/* One of the parts that shutdown waits for has ended: the sessions, the
 * relay's transactions in flight. */
static void
part_done(struct daemon *d, const char *stage)
{
	log_event(LOG_LVL_INFO, "shutdown", "stage", stage, NULL);
	if (--d->stopping_parts == 0)
		event_base_loopexit(d->base, NULL);
}

static void
sessions_gone(void *arg)
{
	part_done(arg, "sessions closed");
}

static void
relay_drained(void *arg)
{
	part_done(arg, "relay transactions ended");
}

static void
grace_expired(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	log_event(LOG_LVL_WARN, "shutdown", "stage", "grace period over", NULL);
	event_base_loopexit(d->base, NULL);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {SHUTDOWN_GRACE_SECONDS, 0};

	log_event(LOG_LVL_INFO, "shutdown", "signal", strsignal((int)sig),
	          NULL);
	sd_notify_send("STOPPING=1");
	event_del(d->sigterm);
	event_del(d->sigint);
	d->grace = evtimer_new(d->base, grace_expired, d);
	evtimer_add(d->grace, &tv);
	d->stopping_parts = d->outbound ? 2 : 1;
	smtp_server_shutdown(d->server, sessions_gone, d);
	if (d->outbound)
		outbound_drain(d->outbound, relay_drained, d);
}

static void
sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	char reply[CONTROL_REPLY_MAX];

	/* the outcome is logged; nobody waits for the reply */
	(void)daemon_reload(d, "SIGHUP", reply, sizeof(reply));
}

static void
log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	log_flush();
}

/* Runs on the loop thread when the first line of a pass is gathered: the
 * event runs after the callbacks already due in this pass, so the lines of
 * the pass leave in one write before epoll_wait. */
static void
log_wake(void *arg)
{
	struct daemon *d = arg;

	event_active(d->log_flush, EV_WRITE, 0);
}

/* The loop's log lines are written a pass at a time (docs/logging.md). */
static void
log_batch_begin(struct daemon *d)
{
	d->log_flush = event_new(d->base, -1, 0, log_flush_cb, d);
	if (d->log_flush != NULL)
		log_batch_start(log_wake, d);
}

/* TLS is optional unless a listener depends on it. */
static bool
tls_needed(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nlisteners; i++)
		if (cfg->listeners[i].role == LISTENER_SUBMISSIONS)
			return true;
	return cfg->tls_smtp == TLS_POLICY_REQUIRED ||
	       cfg->tls_submission == TLS_POLICY_REQUIRED;
}

static void
print_next_steps(const struct daemon *d)
{
	const struct config_listener *l = &d->cfg->listeners[0];
	const char *dom = d->cfg->ndomains ? d->cfg->domains[0].name : "";
	const char *user = d->cfg->ndomains && d->cfg->domains[0].nmailboxes
	                           ? d->cfg->domains[0].mailboxes[0].name
	                           : "postmaster";

	if (!d->embedded)
		return;
	fprintf(stderr,
	        "\nferry is running on %s port %d with the built-in demo "
	        "setup.\n"
	        "Send it a message:\n"
	        "  swaks --server %s:%d --to %s@%s\n"
	        "Then read it in %s/%s/new/\n"
	        "Stop with Ctrl-C (or SIGTERM); 'ferry check-config "
	        "--print-default' shows the setup.\n\n",
	        l->address, l->port, l->address, l->port, user, dom,
	        d->cfg->domains[0].maildir_root, user);
}

/* The signing keys are read as root, like the TLS key. */
static int
dkim_keys_start(struct daemon *d)
{
	const char *err = "";
	char n[24];

	d->dkim = dkim_keys_load(d->cfg->dkim_key_dir, &err);
	if (d->dkim == NULL) {
		log_event(LOG_LVL_ERROR, "dkim", "dir", d->cfg->dkim_key_dir,
		          "error", err, NULL);
		return -1;
	}
	if (dkim_keys_count(d->dkim) > 0) {
		snprintf(n, sizeof(n), "%zu", dkim_keys_count(d->dkim));
		log_event(LOG_LVL_INFO, "dkim-keys", "dir",
		          d->cfg->dkim_key_dir, "keys", n, NULL);
	}
	return 0;
}

static void
tls_keys_lost(void *arg)
{
	struct daemon *d = arg;

	tls_server_key_lost(d->tls);
}

static void
auth_keys_lost(void *arg)
{
	struct daemon *d = arg;

	auth_service_key_lost(d->auth);
}

/* Before anything else: the key processes get no listener, thread or
 * descriptor of the daemon's, and start with its privileges. */
static int
keyprocs_start(struct daemon *d)
{
	/* ferry-keys makes <spool_dir>/tls for a generated pair: the spool
	 * itself is the daemon's to make, with its mode. */
	if (fs_mkdir_p(d->cfg->spool_dir, 0755) < 0) {
		log_event(LOG_LVL_ERROR, "spool", "dir", d->cfg->spool_dir,
		          "error", strerror(errno), NULL);
		return -1;
	}
	if (keyproc_start_tls(d->cfg, &d->tls_keys) < 0)
		return -1;
	if (d->cfg->auth_backend == AUTH_BACKEND_PASSWD_FILE &&
	    keyproc_start_auth(d->cfg, &d->auth_keys) < 0)
		return -1;
	return 0;
}

static int
daemon_start(struct daemon *d)
{
	if (keyprocs_start(d) < 0)
		return EX_OSERR;
	d->server = smtp_server_new(d->base, d->cfg, NULL);
	if (smtp_server_bind(d->server) < 0)
		return EX_OSERR;
	if (fs_mkdir_p(d->cfg->spool_dir, 0755) == 0)
		d->spool = spool_open(d->base, d->cfg);
	if (d->spool == NULL) {
		log_event(LOG_LVL_ERROR, "spool", "dir", d->cfg->spool_dir,
		          "error", strerror(errno), NULL);
		return EX_CANTCREAT;
	}
	smtp_server_set_spool(d->server, d->spool);
	d->tls = tls_server_new(d->cfg, d->tls_keys.fd);
	if (d->tls == NULL && tls_needed(d->cfg))
		return EX_CONFIG;
	smtp_server_set_tls(d->server, d->tls);
	if (d->cfg->auth_backend != AUTH_BACKEND_NONE) {
		d->auth = auth_service_new(d->base, d->cfg, d->auth_keys.fd);
		if (d->auth == NULL) {
			log_event(LOG_LVL_ERROR, "auth", "error",
			          "cannot set up the authentication backend",
			          NULL);
			return EX_CONFIG;
		}
		smtp_server_set_auth(d->server, d->auth);
	}
	if (keyproc_watch(&d->tls_keys, d->base, tls_keys_lost, d) < 0 ||
	    keyproc_watch(&d->auth_keys, d->base, auth_keys_lost, d) < 0)
		return EX_OSERR;
	if (dkim_keys_start(d) < 0)
		return EX_CONFIG;
	if (d->cfg->metrics_listen.address != NULL &&
	    (d->metrics = metrics_http_start(d->base, d->cfg, d->spool)) ==
	            NULL)
		return EX_OSERR;
	print_next_steps(d);
	if (privileges_drop(d->cfg) < 0)
		return EX_NOPERM;
	if (sandbox_start(d->cfg, d->config_path) < 0)
		return EX_SOFTWARE;
	/* After dropping privileges: the state file belongs to the user. */
	d->policy = policy_new(d->base, d->cfg);
	smtp_server_set_policy(d->server, d->policy);
	d->delivery = local_delivery_start(d->base, d->cfg, d->spool,
	                                   resolve_maildir, d);
	if (d->delivery == NULL)
		return EX_SOFTWARE;
	metrics_http_set_local(d->metrics, local_delivered, d->delivery);
	d->outbound = outbound_start(d->base, d->cfg, d->spool);
	if (d->outbound == NULL)
		return EX_SOFTWARE;
	local_delivery_on_success(d->delivery, success_notice, d);
	local_delivery_on_delivered(d->delivery, quota_delivered, d);
	outbound_set_dkim(d->outbound, d->dkim);
	spool_set_queued_cb(d->spool, committed_cb, d);
	spool_set_direct(d->spool, direct_offer, d);
	spool_scan(d->spool, queued_cb, d);
	d->control = control_start(d->base, d->cfg, d->spool, &ctl_hooks, d);
	if (d->control == NULL)
		return EX_SOFTWARE;
	smtp_server_start(d->server);
	d->sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->sighup = evsignal_new(d->base, SIGHUP, sighup_cb, d);
	event_add(d->sigterm, NULL);
	event_add(d->sigint, NULL);
	event_add(d->sighup, NULL);
	log_event(LOG_LVL_INFO, "ready", "hostname", d->cfg->hostname, NULL);
	/* Type=notify: the ports are open and the queue is being worked. */
	sd_notify_send("READY=1\nSTATUS=accepting mail");
	log_batch_begin(d);
	return 0;
}

/* What the spool's group commit did: messages per sync is the batching
 * the benchmarks and capacity planning look at. */
static void
log_commit_stats(struct spool *sp)
{
	unsigned long msgs, syncs, direct, fs_syncs, fs_usec;
	char m[24], s[24], dm[24], fs[24], fms[24];

	spool_stats(sp, &msgs, &syncs);
	spool_direct_stats(sp, &direct, &fs_syncs, &fs_usec);
	snprintf(m, sizeof(m), "%lu", msgs);
	snprintf(s, sizeof(s), "%lu", syncs);
	snprintf(dm, sizeof(dm), "%lu", direct);
	snprintf(fs, sizeof(fs), "%lu", fs_syncs);
	snprintf(fms, sizeof(fms), "%.2f",
	         fs_syncs ? (double)fs_usec / 1000.0 / (double)fs_syncs : 0.0);
	log_event(LOG_LVL_INFO, "spool-stats", "committed", m, "syncs", s,
	          "direct", dm, "fs-syncs", fs, "fs-sync-ms", fms, NULL);
}

static void
daemon_stop(struct daemon *d)
{
	log_batch_stop();
	metrics_http_stop(d->metrics);
	if (d->server)
		smtp_server_free(d->server);
	policy_free(d->policy);
	d->policy = NULL; /* deliveries reported from now on are not counted */
	if (d->control)
		control_stop(d->control);
	if (d->outbound)
		outbound_stop(d->outbound);
	if (d->delivery)
		local_delivery_stop(d->delivery);
	if (d->spool) {
		log_commit_stats(d->spool);
		spool_close(d->spool);
	}
	if (d->sigterm)
		event_free(d->sigterm);
	if (d->sigint)
		event_free(d->sigint);
	if (d->sighup)
		event_free(d->sighup);
	tls_server_free(d->tls);
	dkim_keys_free(d->dkim);
	if (d->auth)
		auth_service_free(d->auth);
	keyproc_stop(&d->tls_keys);
	keyproc_stop(&d->auth_keys);
	if (d->grace)
		event_free(d->grace);
	if (d->log_flush)
		event_free(d->log_flush);
	event_base_free(d->base);
	config_release(d->current);
	pthread_mutex_destroy(&d->current_lock);
	config_free(d->cfg);
	log_event(LOG_LVL_INFO, "stopped", NULL);
}

static int
run_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"demo", no_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct daemon d = {.tls_keys = {.fd = -1}, .auth_keys = {.fd = -1}};
	const char *path = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (ch == 'c') {
			path = optarg;
		} else if (ch == 'd') {
			d.embedded = true;
		} else {
			cli_print_usage(&cli_serve, ch != 'h');
			return ch == 'h' ? 0 : EX_USAGE;
		}
	}
	if (optind != argc || (d.embedded && path != NULL)) {
		cli_print_usage(&cli_serve, 1);
		return EX_USAGE;
	}
	d.cfg = cli_config_load(path, d.embedded, "serve");
	if (d.cfg == NULL)
		return EX_CONFIG;
	if (!d.embedded && config_read_secrets(d.cfg, stderr) < 0) {
		config_free(d.cfg);
		return EX_CONFIG;
	}
	if (!d.embedded)
		d.config_path = cli_config_path(path);
	d.current = config_ref(d.cfg);
	pthread_mutex_init(&d.current_lock, NULL);
	log_init(d.cfg->log, "ferry");
	log_set_format(strcmp(d.cfg->log_format, "json") == 0
	                       ? LOG_FORMAT_JSON
	                       : LOG_FORMAT_LOGFMT);
	if (d.cfg->log_file != NULL && log_init_file(d.cfg->log_file) < 0) {
		fprintf(stderr, "ferry serve: log_file %s: %s\n",
		        d.cfg->log_file, strerror(errno));
		config_release(d.current);
		config_free(d.cfg);
		return EX_CANTCREAT;
	}
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	d.base = event_base_new();
	rc = daemon_start(&d);
	if (rc == 0)
		event_base_dispatch(d.base);
	daemon_stop(&d);
	return rc;
}

const struct cli_command cli_serve = {
        .name = "serve",
        .run = run_serve,
        .summary = "run the SMTP server in the foreground",
        .usage = "usage: ferry serve [--config FILE]\n"
                 "       ferry serve --demo\n"
                 "\n"
                 "Run the mail server in the foreground, logging one line per "
                 "event to\nstandard error (or syslog, see ferry.conf(5)).\n"
                 "\n"
                 "Without --config, the configuration is $FERRY_CONFIG, "
                 "else\n" FERRY_CONFIG_FILE ".\n"
                 "\n"
                 "With --demo, ferry runs a built-in demo setup instead: SMTP "
                 "on\n127.0.0.1:2525, the domain example.test with the "
                 "mailboxes demo, alice\nand bob, and the spool and Maildirs "
                 "under ./var.\n"
                 "\n"
                 "Started as root, ferry binds its ports, opens the spool and "
                 "Maildir\ndirectories, then runs as the unprivileged user "
                 "named by 'user'\n(default: ferry).\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   read settings from FILE "
                 "(see ferry.conf(5))\n"
                 "      --demo          run the built-in demo setup\n"
                 "  -h, --help          show this text\n"
                 "\n"
                 "Signals:\n"
                 "  SIGTERM, SIGINT     stop accepting connections, tell every "
                 "session\n"
                 "                      the service is shutting down "
                 "(421 4.3.2),\n"
                 "                      finish messages being committed, and "
                 "exit;\n"
                 "                      nothing accepted is lost.\n"
                 "  SIGHUP              open log_file again (logrotate) "
                 "and reload the\n"
                 "                      configuration, as 'ferry reload' "
                 "does.\n"
                 "\n"
                 "Exit status: 0 after a clean shutdown; 64 (EX_USAGE) for a "
                 "bad command\nline; 71 (EX_OSERR) when a port cannot be "
                 "bound; 73 (EX_CANTCREAT)\nwhen the spool or log_file cannot "
                 "be "
                 "opened; 77 (EX_NOPERM) when the\nprivileges "
                 "cannot be dropped (no such user); 78 (EX_CONFIG) for a "
                 "bad\nor missing configuration, certificate or "
                 "authentication backend;\n70 (EX_SOFTWARE) when an "
                 "internal service cannot start.  See ferry(8).\n",
};
