/*
 * bounce.c — the DSNs the queue manager sends (RFC 3464, RFC 3461): built
 * by the dsn module from this attempt's reports, queued like any message,
 * from the null reverse-path so that no bounce ever causes another.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "dsn/dsn.h"
#include "policy/recipient.h"
#include "queue/spool.h"
#include "sched/outbound_int.h"

/* Does the recipient's NOTIFY (RFC 3461 s4.1) ask for this report?  No
 * NOTIFY means failures only. */
static bool
notify_wants(unsigned notify, enum dsn_action action)
{
	if (notify & DSN_NOTIFY_NEVER)
		return false;
	switch (action) {
	case DSN_ACTION_FAILED:
		return notify == 0 || (notify & DSN_NOTIFY_FAILURE);
	case DSN_ACTION_DELAYED:
		return notify & DSN_NOTIFY_DELAY;
	default:
		return notify & DSN_NOTIFY_SUCCESS;
	}
}

static void
dsn_committed(void *arg, int error)
{
	char *id = arg;

	if (error)
		log_event(LOG_LVL_ERROR, "dsn-failed", "id", id, "error",
		          strerror(error), NULL);
	free(id);
}

/* The report goes where mail to the sender would: a local sender (one of
 * our domains, or this host's names, as root@HOSTNAME from cron) through
 * its aliases into Maildirs, never out to a relay. */
static void
add_report_rcpts(const struct config *cfg, struct envelope *env,
                 const char *sender)
{
	const char *at = strrchr(sender, '@');
	struct recipient_result res;
	char *local;
	size_t i;

	local = at ? strndup(sender, (size_t)(at - sender)) : NULL;
	if (local == NULL) {
		envelope_add_rcpt(env, sender, sender, NULL, DSN_NOTIFY_NEVER);
		return;
	}
	recipient_resolve(cfg, local, at + 1, &res);
	free(local);
	if (res.verdict != RCPT_LOCAL) {
		envelope_add_rcpt(env, sender, sender, NULL, DSN_NOTIFY_NEVER);
		return;
	}
	for (i = 0; i < res.ntargets; i++)
		envelope_add_rcpt(env, res.targets[i], sender, NULL,
		                  DSN_NOTIFY_NEVER);
	recipient_result_free(&res);
}

/* Queue one report message to the original sender. */
static void
queue_report(struct outbound *ob, struct out_msg *m, const char *text,
             size_t len)
{
	struct envelope env = {0};
	struct spool_msg *msg = spool_msg_new(ob->spool);
	char *tag = strdup(m->id);

	if (msg == NULL || tag == NULL || spool_msg_write(msg, text, len) < 0) {
		log_event(LOG_LVL_ERROR, "dsn-failed", "id", m->id, "error",
		          strerror(errno), NULL);
		if (msg)
			spool_msg_abort(msg);
		free(tag);
		return;
	}
	env.sender = "";
	env.helo = ob->cfg->hostname;
	env.client_addr = "127.0.0.1";
	env.protocol = "local";
	env.arrival = time(NULL);
	/* A returned original may be 8-bit; say so to whoever relays it. */
	env.body = m->env.body == BODY_7BIT ? BODY_7BIT : BODY_8BITMIME;
	add_report_rcpts(ob->cfg, &env, m->env.sender);
	log_event(LOG_LVL_INFO, "dsn", "id", m->id, "to", m->env.sender,
	          "dsn_id", spool_msg_id(msg), NULL);
	spool_msg_commit(msg, &env, dsn_committed, tag);
	/* The strings above are borrowed; only the recipient list is ours. */
	env.sender = env.helo = env.client_addr = env.protocol = NULL;
	envelope_free(&env);
}

static size_t
collect(struct out_msg *m, enum dsn_action action, struct dsn_recipient *out)
{
	size_t i, n = 0;

	for (i = 0; i < m->nreports; i++) {
		const struct out_report *rep = &m->reports[i];
		const struct envelope_rcpt *r = &m->env.rcpts[rep->idx];

		if (rep->action != action &&
		    !(action == DSN_ACTION_DELIVERED &&
		      rep->action == DSN_ACTION_RELAYED))
			continue;
		if (!notify_wants(r->notify, rep->action))
			continue;
		out[n++] = (struct dsn_recipient){
		        .final_recipient = r->address,
		        .orcpt = r->orcpt,
		        .action = rep->action,
		        .status = rep->status,
		        .remote_mta = rep->remote,
		        .diagnostic = rep->diagnostic,
		        .reason = rep->reason,
		        .last_attempt = rep->when,
		};
	}
	return n;
}

static void
send_kind(struct outbound *ob, struct out_msg *m, enum dsn_action action,
          struct dsn_recipient *rcpts)
{
	size_t n = collect(m, action, rcpts), len;
	struct dsn_report report = {
	        .reporting_mta = ob->cfg->hostname,
	        .envid = m->env.envid,
	        .arrival = m->env.arrival,
	        .queue_id = m->id,
	        .original_sender = m->env.sender,
	        .ret = m->env.ret,
	        .rcpts = rcpts,
	        .nrcpts = n,
	        .now = time(NULL),
	};
	char *text;

	if (n == 0)
		return;
	text = dsn_build(&report, m->data ? m->data : "", m->data ? m->len : 0,
	                 &len);
	if (text == NULL) {
		log_event(LOG_LVL_ERROR, "dsn-failed", "id", m->id, NULL);
		return;
	}
	queue_report(ob, m, text, len);
	free(text);
}

void
bounce_send(struct outbound *ob, struct out_msg *m)
{
	struct dsn_recipient *rcpts;

	/* Never a report to the null sender: no bounce loops (RFC 5321
	 * s4.5.5, RFC 3461 s6.2). */
	if (m->env.sender == NULL || m->env.sender[0] == '\0') {
		log_event(LOG_LVL_INFO, "dsn-suppressed", "id", m->id, "reason",
		          "null sender", NULL);
		return;
	}
	rcpts = xcalloc(m->nreports, sizeof(*rcpts));
	send_kind(ob, m, DSN_ACTION_FAILED, rcpts);
	send_kind(ob, m, DSN_ACTION_DELAYED, rcpts);
	send_kind(ob, m, DSN_ACTION_DELIVERED, rcpts);
	free(rcpts);
}
