/*
 * local_notice.c — success notices for local deliveries (RFC 3461 s5.2.2:
 * NOTIFY=SUCCESS asks for a report once the message reached the mailbox).
 * The worker records the recipients RCPT_NOTIFYING after the batch is
 * durable, then tells the loop thread, whose on_success callback hands the
 * message to the queue manager: it writes the notice from the records, as
 * for relayed mail, and again until one is committed.  The worker never
 * waits for the loop.
 * Deliveries for mailbox quotas take the same way (local_usage_post()).
 */
#include "base/mem.h"
#include "deliver/local_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/str.h"

void
local_delivery_on_success(struct local_delivery *ld, local_success_fn fn,
                          void *arg)
{
	pthread_mutex_lock(&ld->lock);
	ld->on_success = fn;
	ld->on_success_arg = arg;
	pthread_mutex_unlock(&ld->lock);
}

void
local_delivery_on_delivered(struct local_delivery *ld, local_delivered_fn fn,
                            void *arg)
{
	pthread_mutex_lock(&ld->lock);
	ld->on_delivered = fn;
	ld->on_delivered_arg = arg;
	pthread_mutex_unlock(&ld->lock);
}

void
local_usage_post(struct local_delivery *ld, const char *address, size_t size)
{
	struct ld_usage *u = calloc(1, sizeof(*u));

	if (u == NULL || (u->address = str_dup(address)) == NULL)
		abort();
	u->size = size;
	pthread_mutex_lock(&ld->lock);
	TAILQ_INSERT_TAIL(&ld->usage, u, link);
	pthread_mutex_unlock(&ld->lock);
	event_active(ld->notice_ev, 0, 0);
}

static void
usage_free(struct ld_usage *u)
{
	free(u->address);
	free(u);
}

/* Loop thread: every delivery posted so far goes to on_delivered. */
static void
usage_run(struct local_delivery *ld)
{
	struct ld_usage_list posted = TAILQ_HEAD_INITIALIZER(posted);
	struct ld_usage *u;
	local_delivered_fn fn;
	void *fn_arg;

	pthread_mutex_lock(&ld->lock);
	TAILQ_CONCAT(&posted, &ld->usage, link);
	fn = ld->on_delivered;
	fn_arg = ld->on_delivered_arg;
	pthread_mutex_unlock(&ld->lock);
	while ((u = TAILQ_FIRST(&posted)) != NULL) {
		TAILQ_REMOVE(&posted, u, link);
		if (fn != NULL)
			fn(fn_arg, u->address, u->size);
		usage_free(u);
	}
}

static void
notice_free(struct ld_notice *n)
{
	envelope_free(&n->env);
	free(n);
}

/* Loop thread: every notice posted so far goes to the callback. */
static void
notices_run(evutil_socket_t fd, short what, void *arg)
{
	struct local_delivery *ld = arg;
	struct ld_notice_list posted = TAILQ_HEAD_INITIALIZER(posted);
	struct ld_notice *n;
	local_success_fn fn;
	void *fn_arg;

	usage_run(ld);
	pthread_mutex_lock(&ld->lock);
	TAILQ_CONCAT(&posted, &ld->notices, link);
	fn = ld->on_success;
	fn_arg = ld->on_success_arg;
	pthread_mutex_unlock(&ld->lock);
	while ((n = TAILQ_FIRST(&posted)) != NULL) {
		TAILQ_REMOVE(&posted, n, link);
		if (fn != NULL)
			fn(fn_arg, &n->env);
		notice_free(n);
	}
}

int
local_notice_init(struct local_delivery *ld, struct event_base *base)
{
	TAILQ_INIT(&ld->notices);
	TAILQ_INIT(&ld->usage);
	ld->notice_ev = event_new(base, -1, 0, notices_run, ld);
	return ld->notice_ev != NULL ? 0 : -1;
}

void
local_notice_fini(struct local_delivery *ld)
{
	struct ld_notice *n;
	struct ld_usage *u;

	while ((u = TAILQ_FIRST(&ld->usage)) != NULL) {
		TAILQ_REMOVE(&ld->usage, u, link);
		usage_free(u);
	}
	while ((n = TAILQ_FIRST(&ld->notices)) != NULL) {
		TAILQ_REMOVE(&ld->notices, n, link);
		log_event(LOG_LVL_WARN, "dsn-dropped", "id", n->env.id,
		          "reason", "shutdown", "sent", "at the next start",
		          NULL);
		notice_free(n);
	}
	if (ld->notice_ev != NULL)
		event_free(ld->notice_ev);
	ld->notice_ev = NULL;
}

/* Does recipient idx, delivered now, get a success notice?  Only when it
 * asked and there is a sender to report to (never <>, RFC 3461 s6.2). */
bool
local_notice_owed(const struct envelope *env, size_t idx)
{
	const struct envelope_rcpt *r = &env->rcpts[idx];

	return env->sender != NULL && env->sender[0] != '\0' &&
	       (r->notify & DSN_NOTIFY_SUCCESS) &&
	       !(r->notify & DSN_NOTIFY_NEVER);
}

/* A sender to report to and a pending recipient that asked. */
bool
local_notice_wanted(const struct local_delivery *ld, const struct envelope *env)
{
	size_t i;

	if (env->sender == NULL || env->sender[0] == '\0')
		return false;
	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING &&
		    local_notice_owed(env, i))
			return true;
	return false;
}

void
local_notice_post(struct local_delivery *ld, const struct envelope *env,
                  const size_t *idx, size_t n)
{
	struct ld_notice *no;
	size_t i, k;

	if (env->sender == NULL || env->sender[0] == '\0')
		return;
	no = xcalloc(1, sizeof(*no));
	memcpy(no->env.id, env->id, sizeof(no->env.id));
	no->env.arrival = env->arrival;
	no->env.sender = str_dup(env->sender);
	no->env.envid = str_dup(env->envid);
	no->env.ret = env->ret;
	no->env.body = env->body;
	no->env.smtputf8 = env->smtputf8;
	for (i = 0; i < n; i++) {
		const struct envelope_rcpt *r = &env->rcpts[idx[i]];

		if (r->state != RCPT_NOTIFYING)
			continue;
		k = envelope_add_rcpt(&no->env, r->address, r->original,
		                      r->orcpt, r->notify);
		no->env.rcpts[k].state = RCPT_NOTIFYING;
	}
	if (no->env.nrcpts == 0) {
		notice_free(no);
		return;
	}
	pthread_mutex_lock(&ld->lock);
	TAILQ_INSERT_TAIL(&ld->notices, no, link);
	pthread_mutex_unlock(&ld->lock);
	event_active(ld->notice_ev, 0, 0);
}
