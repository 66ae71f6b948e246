/*
 * notice.c — success notices for mail delivered here (RFC 3461 s5.2.2):
 * the same reports, built and queued by the same code (bounce.c, the dsn
 * module), as for relayed mail; only the recipients' fate comes from local
 * delivery instead of a remote server.  Action "delivered", status 2.0.0,
 * and no Remote-MTA: no remote MTA was involved (RFC 3464 s2.3.5).
 *
 * Local delivery has recorded the recipients RCPT_NOTIFYING: the message
 * is the queue manager's until the notice is committed, so a notice that
 * cannot be written now is written again later (bounce_retry), also after
 * a restart, as failure reports are.
 */
#include <string.h>

#include "sched/outbound.h"
#include "sched/outbound_int.h"

/* The recipient of m that env's (a reduced copy's) recipient k stands
 * for: the same address and RCPT TO, still pending in m's copy. */
static struct envelope_rcpt *
same_rcpt(struct out_msg *m, const struct envelope_rcpt *k)
{
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++) {
		struct envelope_rcpt *r = &m->env.rcpts[i];

		if (r->state == RCPT_PENDING &&
		    strcmp(r->address, k->address) == 0 &&
		    strcmp(r->original ? r->original : "",
		           k->original ? k->original : "") == 0)
			return r;
	}
	return NULL;
}

void
outbound_success_notice(struct outbound *ob, const struct envelope *env)
{
	struct out_msg *m = outbound_msg_find(ob, env->id);
	struct envelope_rcpt *r;
	size_t i;

	if (m == NULL) { /* local only: load it, with its records */
		outbound_enqueue(ob, env->id);
		return;
	}
	/* Also relayed: its copy here learns what local delivery recorded. */
	for (i = 0; i < env->nrcpts; i++)
		if ((r = same_rcpt(m, &env->rcpts[i])) != NULL)
			r->state = RCPT_NOTIFYING;
	if (m->active == 0)
		outbound_schedule(ob);
}
