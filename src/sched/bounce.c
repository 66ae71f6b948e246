/*
 * bounce.c — the DSNs the queue manager sends (RFC 3464, RFC 3461): built
 * by the dsn module from this attempt's reports, queued like any message,
 * from the null reverse-path so that no bounce ever causes another.
 *
 * A failure report is the one thing that tells the sender the mail is
 * lost, so it is never lost itself: its recipients stay RCPT_BOUNCING in
 * the original's recorded states (and the original queued) until the
 * report is committed, and a report that could not be written is written
 * again later, from those states alone (also after a restart).  A crash
 * between the commit and the record may send it twice, never not at all.
 * A success notice the sender asked for (NOTIFY=SUCCESS) is kept the same
 * way, its recipients RCPT_NOTIFYING.  A delay notice is recorded with
 * the attempt's states (the "delayed" record, expiry.c), so a restart does
 * not send it again; one that could not be written is written at the next
 * attempt instead.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "dsn/dsn.h"
#include "explain/explain.h"
#include "policy/recipient.h"
#include "queue/spool.h"
#include "sched/backoff.h"
#include "sched/outbound_int.h"

/* A report on the way to the spool, for recipients idx[] of the message
 * id (none for a delay notice); ob is NULL once the queue manager has
 * stopped. */
struct out_dsn {
	LIST_ENTRY(out_dsn) entry;
	struct outbound *ob;
	char id[QUEUE_ID_LEN + 1];
	enum dsn_action action; /* FAILED, DELAYED or DELIVERED */
	size_t *idx;
	size_t n;
};

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

/* The delay notice was not written: the next attempt writes it. */
static void
delay_failed(struct out_msg *m, int error)
{
	size_t i;

	m->delay_notified = false;
	for (i = 0; i < m->env.nrcpts; i++)
		m->env.rcpts[i].delay_reported = false;
	log_event(LOG_LVL_ERROR, "dsn-failed", "id", m->id, "error",
	          strerror(error), "retry_in", "next attempt", NULL);
}

/* The failure report or success notice was not written: the recipients
 * stay RCPT_BOUNCING or RCPT_NOTIFYING and bounce_retry() writes it
 * again after a back-off. */
static void
report_failed(struct outbound *ob, struct out_msg *m, int error)
{
	char retry[32];
	int delay;

	m->dsn_failures++;
	delay = backoff_delay(m->dsn_failures, ob->cfg->relay_retry_min,
	                      ob->cfg->relay_retry_max);
	m->dsn_retry_at = time(NULL) + delay;
	snprintf(retry, sizeof(retry), "%d", delay);
	log_event(LOG_LVL_ERROR, "dsn-failed", "id", m->id, "error",
	          strerror(error), "retry_in", retry, NULL);
}

/* Committed: the recipients it was owed to are done. */
static void
report_done(struct out_dsn *d, struct out_msg *m)
{
	struct envelope_rcpt *r;
	size_t i;

	m->dsn_failures = 0;
	m->dsn_retry_at = 0;
	for (i = 0; i < d->n; i++) {
		r = &m->env.rcpts[d->idx[i]];
		if (r->state == RCPT_BOUNCING)
			r->state = RCPT_BOUNCED;
		else if (r->state == RCPT_NOTIFYING)
			r->state = RCPT_DELIVERED;
	}
	outbound_bounce_reported(d->ob, m, d->idx, d->n);
}

static void
report_committed(void *arg, int error)
{
	struct out_dsn *d = arg;
	struct out_msg *m = NULL;

	if (d->ob != NULL) {
		LIST_REMOVE(d, entry);
		m = outbound_msg_find(d->ob, d->id);
	}
	if (m != NULL && d->action != DSN_ACTION_DELAYED && m->dsn_inflight > 0)
		m->dsn_inflight--;
	/* Stopped, held or deleted meanwhile: the recorded states still say
	 * what is owed, for whoever loads the message next. */
	if (m == NULL) {
		if (error)
			log_event(LOG_LVL_ERROR, "dsn-failed", "id", d->id,
			          "error", strerror(error), NULL);
	} else if (error && d->action == DSN_ACTION_DELAYED) {
		delay_failed(m, error);
	} else if (error) {
		report_failed(d->ob, m, error);
	} else if (d->action != DSN_ACTION_DELAYED) {
		report_done(d, m);
	}
	free(d->idx);
	free(d);
}

void
bounce_stop(struct outbound *ob)
{
	struct out_dsn *d;

	while ((d = LIST_FIRST(&ob->dsns)) != NULL) {
		LIST_REMOVE(d, entry);
		d->ob = NULL;
	}
}

/* The report goes where mail to the sender would: a local sender (one of
 * our domains, or this host's names, as root@HOSTNAME from cron) through
 * its aliases into Maildirs, never out to a relay. */
void
outbound_report_rcpts(const struct config *cfg, struct envelope *env,
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

/* Queue one report message to the original sender, followed to its
 * commit (track: its kind and recipients, taken). */
static void
queue_report(struct outbound *ob, struct out_msg *m, const char *text,
             size_t len, struct out_dsn *track)
{
	struct envelope env = {0};
	struct spool_msg *msg = spool_msg_new(ob->spool);

	if (msg == NULL || spool_msg_write(msg, text, len) < 0) {
		int error = errno;

		if (msg)
			spool_msg_abort(msg);
		if (track->action == DSN_ACTION_DELAYED)
			delay_failed(m, error);
		else
			report_failed(ob, m, error);
		free(track->idx);
		free(track);
		return;
	}
	env.sender = "";
	env.helo = ob->cfg->hostname;
	env.client_addr = "127.0.0.1";
	env.protocol = "local";
	env.arrival = time(NULL);
	/* A returned original may be 8-bit; say so to whoever relays it. */
	env.body = m->env.body == BODY_7BIT ? BODY_7BIT : BODY_8BITMIME;
	/* RFC 8689 s5: a report on a REQUIRETLS message travels as the
	 * message had to (and carries only its header, send_kind()). */
	env.requiretls = m->env.requiretls;
	outbound_report_rcpts(ob->cfg, &env, m->env.sender);
	log_event(LOG_LVL_INFO, "dsn", "id", m->id, "to", m->env.sender,
	          "dsn_id", spool_msg_id(msg), NULL);
	if (track->action != DSN_ACTION_DELAYED)
		m->dsn_inflight++;
	track->ob = ob;
	LIST_INSERT_HEAD(&ob->dsns, track, entry);
	spool_msg_commit(msg, &env, report_committed, track);
	/* The strings above are borrowed; only the recipient list is ours. */
	env.sender = env.helo = env.client_addr = env.protocol = NULL;
	envelope_free(&env);
}

static size_t
collect(struct out_msg *m, enum dsn_action action, struct dsn_recipient *out,
        size_t *idx)
{
	size_t i, n = 0;

	for (i = 0; i < m->nreports; i++) {
		const struct out_report *rep = &m->reports[i];
		const struct envelope_rcpt *r = &m->env.rcpts[rep->idx];

		if (rep->action != action &&
		    !(action == DSN_ACTION_DELIVERED &&
		      rep->action == DSN_ACTION_RELAYED))
			continue;
		if (!notify_wants(r->notify, rep->action) ||
		    (action == DSN_ACTION_FAILED &&
		     r->state != RCPT_BOUNCING) ||
		    (action == DSN_ACTION_DELIVERED &&
		     r->state != RCPT_NOTIFYING))
			continue;
		idx[n] = rep->idx;
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

/* Follows a report on recipients idx[] (taken) to its commit. */
static struct out_dsn *
track_new(const struct out_msg *m, enum dsn_action action, size_t *idx,
          size_t n)
{
	struct out_dsn *track = xcalloc(1, sizeof(*track));

	snprintf(track->id, sizeof(track->id), "%s", m->id);
	track->action = action;
	track->idx = idx;
	track->n = n;
	return track;
}

static void
send_kind(struct outbound *ob, struct out_msg *m, enum dsn_action action,
          struct dsn_recipient *rcpts)
{
	size_t *idx = xcalloc(m->nreports, sizeof(*idx));
	size_t n = collect(m, action, rcpts, idx), len;
	struct out_dsn *track = NULL;
	struct dsn_report report = {
	        .reporting_mta = ob->cfg->hostname,
	        .envid = m->env.envid,
	        .arrival = m->env.arrival,
	        .queue_id = m->id,
	        .original_sender = m->env.sender,
	        .ret = m->env.requiretls ? DSN_RET_HDRS : m->env.ret,
	        .rcpts = rcpts,
	        .nrcpts = n,
	        .now = time(NULL),
	};
	char *text;

	if (n == 0) {
		free(idx);
		return;
	}
	text = dsn_build(&report, m->data ? m->data : "", m->data ? m->len : 0,
	                 &len);
	if (text == NULL) {
		if (action == DSN_ACTION_DELAYED)
			delay_failed(m, ENOMEM);
		else
			report_failed(ob, m, ENOMEM);
		free(idx);
		return;
	}
	track = track_new(m, action, idx, n);
	queue_report(ob, m, text, len, track);
	free(text);
}

bool
bounce_pending(const struct out_msg *m)
{
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++)
		if (m->env.rcpts[i].state == RCPT_BOUNCING ||
		    m->env.rcpts[i].state == RCPT_NOTIFYING)
			return true;
	return false;
}

void
bounce_mark(struct out_msg *m)
{
	size_t i;

	if (m->env.sender == NULL || m->env.sender[0] == '\0')
		return;
	for (i = 0; i < m->nreports; i++) {
		struct envelope_rcpt *r = &m->env.rcpts[m->reports[i].idx];
		enum dsn_action a = m->reports[i].action;

		if (a == DSN_ACTION_FAILED && r->state == RCPT_BOUNCED &&
		    notify_wants(r->notify, a))
			r->state = RCPT_BOUNCING;
		else if ((a == DSN_ACTION_DELIVERED ||
		          a == DSN_ACTION_RELAYED) &&
		         r->state == RCPT_DELIVERED &&
		         notify_wants(r->notify, a))
			r->state = RCPT_NOTIFYING;
	}
}

/* The enhanced status of a recorded reply ("550 5.1.1 ..." or, for an
 * expiry, "4.4.7 ..."); ST_PERM_OTHER when it has none. */
static void
reply_status(const char *reply, char *out, size_t size)
{
	const char *p = reply ? reply : "";
	int i;

	for (i = 0; i < 2 && *p; i++) {
		size_t n = strcspn(p, " ");

		if (n >= 5 && n < size && strchr("245", p[0]) && p[1] == '.' &&
		    isdigit((unsigned char)p[2])) {
			snprintf(out, size, "%.*s", (int)n, p);
			return;
		}
		p += n;
		p += strspn(p, " ");
	}
	snprintf(out, size, "%s", status_enh(ST_PERM_OTHER));
}

/* A success notice owed: "relayed" when a remote's reply is recorded
 * (the LMTP server's too), "delivered" for a Maildir here. */
static void
rebuild_notice(const struct outbound *ob, struct out_msg *m, size_t i)
{
	const char *reply = m->env.rcpts[i].last_reply;
	const char *at = strrchr(m->env.rcpts[i].address, '@');
	const struct config_domain *d =
	        at ? config_find_domain(ob->cfg, at + 1) : NULL;
	/* A recorded reply is the remote's; LMTP put the mail in the
	 * mailbox itself (RFC 3464 s2.3.3), as local delivery does. */
	bool delivered = reply == NULL || (d != NULL && d->lmtp_addr != NULL);
	char status[16];

	reply_status(reply, status, sizeof(status));
	if (status[0] != '2')
		snprintf(status, sizeof(status), "%s",
		         status_enh(ST_DELIVERED));
	out_msg_add_report(
	        m, i, delivered ? DSN_ACTION_DELIVERED : DSN_ACTION_RELAYED,
	        status, reply, NULL, "delivered");
}

/* A report owed for recipients whose earlier one was never written:
 * rebuilt from their recorded states (the Remote-MTA is not recorded). */
static void
rebuild_reports(const struct outbound *ob, struct out_msg *m)
{
	struct explain_result res = {0};
	char status[16];
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++) {
		const char *reply = m->env.rcpts[i].last_reply;

		if (m->env.rcpts[i].state == RCPT_NOTIFYING)
			rebuild_notice(ob, m, i);
		if (m->env.rcpts[i].state != RCPT_BOUNCING)
			continue;
		reply_status(reply, status, sizeof(status));
		explain_reply(reply ? reply : "", reply ? strlen(reply) : 0,
		              &res);
		out_msg_add_report(m, i, DSN_ACTION_FAILED, status, reply, NULL,
		                   explain_reason_name(res.reason));
	}
}

void
bounce_retry(struct outbound *ob, struct out_msg *m, time_t now)
{
	struct dsn_recipient *rcpts;
	bool loaded = false;

	/* Reports already collected for this attempt (a split message) go
	 * out with it, in one report. */
	if (m->dsn_inflight || m->dsn_retry_at > now || m->nreports > 0 ||
	    !bounce_pending(m))
		return;
	if (m->data == NULL) {
		if (spool_read_msg(ob->spool, m->id, &m->data, &m->len) < 0) {
			report_failed(ob, m, errno);
			return;
		}
		loaded = true;
	}
	rebuild_reports(ob, m);
	rcpts = xcalloc(m->nreports, sizeof(*rcpts));
	send_kind(ob, m, DSN_ACTION_FAILED, rcpts);
	send_kind(ob, m, DSN_ACTION_DELIVERED, rcpts);
	free(rcpts);
	out_msg_clear_reports(m);
	if (loaded) { /* the relay loads (and signs) its own copy */
		free(m->data);
		m->data = NULL;
	}
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
	/* One round of recorded reports in flight or backing off at a time:
	 * what failed or was delivered meanwhile stays RCPT_BOUNCING or
	 * RCPT_NOTIFYING for bounce_retry(). */
	if (!m->dsn_inflight && m->dsn_retry_at <= time(NULL)) {
		send_kind(ob, m, DSN_ACTION_FAILED, rcpts);
		send_kind(ob, m, DSN_ACTION_DELIVERED, rcpts);
	}
	send_kind(ob, m, DSN_ACTION_DELAYED, rcpts);
	free(rcpts);
}
