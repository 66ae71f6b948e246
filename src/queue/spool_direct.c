/*
 * spool_direct.c — messages an agent delivers at their commit instead of
 * the queue (spool.h, "Direct delivery").  A message delivered to all its
 * recipients is never written to the queue: its done callback is the
 * client's 250.  One delivered in part is committed like any other, with
 * the recipients already delivered marked so, before that callback runs:
 * a 250 always means every copy is durable, in a Maildir or in the queue.
 */
#include "queue/spool_int.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void
spool_msg_allow_direct(struct spool_msg *msg)
{
	msg->direct_ok = true;
}

void
spool_set_direct(struct spool *sp, spool_direct_fn fn, void *arg)
{
	sp->direct_fn = fn;
	sp->direct_arg = arg;
}

bool
spool_direct_offer(struct spool *sp, struct spool_msg *msg,
                   const struct envelope *env)
{
	struct spool_offer o = {
	        .msg = msg,
	        .env = env,
	        .env_text = msg->env_text,
	        .env_len = msg->env_len,
	        .data = msg->buf,
	        .len = msg->len,
	};

	/* Only a message held whole in memory: one partly in its file
	 * would have to be read back, and is large anyway. */
	if (sp->direct_fn == NULL || !msg->direct_ok || msg->error != 0 ||
	    msg->hold || msg->fd >= 0 || msg->env_text == NULL ||
	    msg->len != msg->size)
		return false;
	msg->nrcpts = env->nrcpts;
	if (!sp->direct_fn(sp->direct_arg, &o))
		return false;
	spool_msg_received(msg);
	return true;
}

void
spool_direct_done(struct spool *sp, struct spool_msg *msg, const size_t *idx,
                  size_t n)
{
	if (n > 0) {
		msg->delivered = xreallocarray(NULL, n, sizeof(*idx));
		memcpy(msg->delivered, idx, n * sizeof(*idx));
	}
	msg->ndelivered = n;
	pthread_mutex_lock(&sp->lock);
	STAILQ_INSERT_TAIL(&sp->direct_done, msg, link);
	pthread_mutex_unlock(&sp->lock);
	event_active(sp->done_ev, EV_READ, 0);
}

/* The envelope to queue: the one offered, with the recipients the agent
 * delivered no longer pending.  Left as it was if it cannot be rewritten:
 * those recipients then get a second copy (at least once). */
static void
mark_delivered(struct spool_msg *msg)
{
	struct envelope env;
	const char *err;
	char *text;
	size_t i, len;

	if (msg->ndelivered == 0 ||
	    envelope_parse(msg->env_text, msg->env_len, &env, &err) < 0)
		return;
	for (i = 0; i < msg->ndelivered; i++)
		if (msg->delivered[i] < env.nrcpts)
			env.rcpts[msg->delivered[i]].state = RCPT_DELIVERED;
	if ((text = envelope_serialize(&env, &len)) != NULL) {
		free(msg->env_text);
		msg->env_text = text;
		msg->env_len = len;
	}
	envelope_free(&env);
}

void
spool_direct_settle(struct spool *sp)
{
	struct spool_msg_list list;
	struct spool_msg *msg;

	pthread_mutex_lock(&sp->lock);
	STAILQ_INIT(&list);
	STAILQ_CONCAT(&list, &sp->direct_done);
	pthread_mutex_unlock(&sp->lock);
	while ((msg = STAILQ_FIRST(&list)) != NULL) {
		STAILQ_REMOVE_HEAD(&list, link);
		if (msg->ndelivered == msg->nrcpts) {
			sp->stat_direct++;
			spool_msg_report(sp, msg);
			spool_msg_free(msg);
			continue;
		}
		mark_delivered(msg);
		spool_msg_queue(sp, msg);
	}
}

void
spool_direct_stats(struct spool *sp, unsigned long *msgs,
                   unsigned long *fs_syncs, unsigned long *fs_usec)
{
	*msgs = sp->stat_direct;
	pthread_mutex_lock(&sp->gs_lock);
	*fs_syncs = (unsigned long)sp->gs_started;
	*fs_usec = (unsigned long)sp->gs_usec;
	pthread_mutex_unlock(&sp->gs_lock);
}
