/*
 * window.c — the number of connections a destination may have open at
 * once (see outbound_int.h).  A busy destination needs many: each
 * connection carries one transaction at a time, so its rate is bounded
 * by connections / round trip.  A small remote must not be flooded:
 * the limit starts low, grows only as transactions succeed while mail
 * waits for a connection, and shrinks
 * as soon as the remote refuses a connection it has too many of (421 at
 * the greeting, or no answer): to the connections that work, where it
 * stays for a minute before slow start tries one more.  Like the slow
 * start and negative feedback of Postfix's queue manager, without its
 * dead-destination bookkeeping: a refusal with no other connection open
 * is a failure as before (deferral, back-off).
 */
#include "base/log.h"
#include "config/config.h"
#include "sched/outbound_int.h"

#include <stdio.h>
#include <time.h>

/* After a refusal, how long the limit stays where it was set. */
#define WINDOW_HOLD_SECONDS 60

static int
initial(const struct config *cfg)
{
	return cfg->relay_dest_initial < cfg->relay_dest_concurrency
	               ? cfg->relay_dest_initial
	               : cfg->relay_dest_concurrency;
}

void
window_init(struct out_dest *d, const struct config *cfg)
{
	d->limit = initial(cfg);
	d->credit = 0;
}

bool
window_may_open(const struct out_dest *d)
{
	return d->active < d->limit;
}

void
window_delivered(struct out_dest *d, const struct config *cfg)
{
	if (d->limit < 1)
		window_init(d, cfg);
	/* Only mail held back by the limit earns a connection more: a
	 * destination that keeps up opens no more than it needs (as TCP
	 * does not grow a window the sender does not fill, RFC 7661). */
	if (d->limit >= cfg->relay_dest_concurrency ||
	    TAILQ_EMPTY(&d->waiting) || d->hold_until > time(NULL))
		return;
	if (++d->credit >= d->limit) {
		d->limit++;
		d->credit = 0;
	}
}

/* Refused before the remote said anything about mail: no connection, no
 * greeting, or a 4xx one (421 "too many connections"). */
static bool
connection_refused(const struct relay_result *res)
{
	int code = res->session_reply.code;

	if (res->failed_stage == RELAY_STAGE_CONNECT)
		return true;
	return res->failed_stage == RELAY_STAGE_GREETING &&
	       (code == 0 || (code >= 400 && code < 500));
}

bool
window_refused(struct out_job *job, const struct relay_result *res)
{
	struct out_dest *d = job->dest;
	char limit[16];

	/* This job's own connection counts in active: others are open.  A
	 * later hop's own failure is a failure again. */
	job->too_many = d->active >= 2 && connection_refused(res);
	if (!job->too_many)
		return false;
	/* The connections that work, and no probing beyond them for a
	 * while: each probe costs the remote a refused connection. */
	if (d->limit > d->active - 1)
		d->limit = d->active - 1;
	d->credit = 0;
	d->hold_until = time(NULL) + WINDOW_HOLD_SECONDS;
	snprintf(limit, sizeof(limit), "%d", d->limit);
	log_event(LOG_LVL_INFO, "relay-concurrency", "domain", d->domain,
	          "limit", limit, "reply",
	          res->session_reply.text ? res->session_reply.text
	                                  : res->error,
	          NULL);
	return true;
}
