/*
 * expiry.c — time in the queue: when a message is due next, the 4.4.7
 * bounce after max_queue_lifetime, and the "delayed" report after
 * delay_warning for senders who asked for it (RFC 3461 NOTIFY=DELAY).
 */
#include <time.h>

#include "base/log.h"
#include "config/config.h"
#include "reply/status.h"
#include "sched/outbound_int.h"

time_t
outbound_next_due(const struct out_msg *m, const struct outbound *ob)
{
	time_t due = 0;
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++) {
		const struct envelope_rcpt *r = &m->env.rcpts[i];

		if (!outbound_rcpt_is_outbound(ob, r))
			continue;
		if (due == 0 || r->next_attempt < due)
			due = r->next_attempt;
	}
	return due;
}

/* A deferred recipient's next attempt, but never after the end of the
 * message's lifetime: what is still deferred then gets a last attempt
 * and the 4.4.7 report on time, not a retry interval later. */
time_t
outbound_retry_time(const struct out_msg *m, const struct outbound *ob,
                    time_t wanted)
{
	time_t expires = m->env.arrival + ob->cfg->relay_max_lifetime;

	return wanted > expires ? expires : wanted;
}

static void
expire(struct outbound *ob, struct out_msg *m)
{
	const struct status_def *st = status_def(ST_EXPIRED);
	char expired_line[128];
	size_t i;

	snprintf(expired_line, sizeof(expired_line), "%s %s", st->enh,
	         st->text);
	for (i = 0; i < m->env.nrcpts; i++) {
		struct envelope_rcpt *r = &m->env.rcpts[i];

		if (!outbound_rcpt_is_outbound(ob, r))
			continue;
		out_msg_add_report(m, i, DSN_ACTION_FAILED,
		                   status_enh(ST_EXPIRED), r->last_reply, NULL,
		                   "expired");
		out_msg_set_state(m, i, RCPT_BOUNCED, expired_line);
		log_event(LOG_LVL_INFO, "relay-expired", "id", m->id, "to",
		          r->address, NULL);
	}
}

static void
warn_delayed(struct outbound *ob, struct out_msg *m)
{
	size_t i;

	m->delay_notified = true;
	for (i = 0; i < m->env.nrcpts; i++) {
		struct envelope_rcpt *r = &m->env.rcpts[i];

		if (r->state != RCPT_DEFERRED ||
		    !outbound_rcpt_is_outbound(ob, r))
			continue;
		out_msg_add_report(m, i, DSN_ACTION_DELAYED,
		                   status_enh(ST_DELAYED), r->last_reply, NULL,
		                   "undefined");
		/* Recorded with this attempt's states ("delayed"), so a
		 * restart does not report the delay a second time. */
		r->delay_reported = true;
		out_msg_mark_changed(m, i);
	}
}

void
outbound_check_age(struct outbound *ob, struct out_msg *m)
{
	time_t age = time(NULL) - m->env.arrival;

	if (age >= ob->cfg->relay_max_lifetime)
		expire(ob, m);
	else if (!m->delay_notified && age >= ob->cfg->relay_delay_warning)
		warn_delayed(ob, m);
}
