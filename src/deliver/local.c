/*
 * local.c — the local delivery workers: their queue of ids, the retry list
 * with back-off, and the thread loop that cuts the queue into batches.
 */
#include "base/mem.h"
#include "deliver/local_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "deliver/maildir.h"
#include "queue/spool.h"

static void *local_main(void *arg);

static void
stop_workers(struct local_delivery *ld)
{
	size_t i;

	pthread_mutex_lock(&ld->lock);
	ld->stop = true;
	pthread_cond_broadcast(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
	for (i = 0; i < LOCAL_WORKERS; i++) {
		if (ld->workers[i].started)
			pthread_join(ld->workers[i].thread, NULL);
		maildir_cache_free(ld->workers[i].cache);
	}
}

static int
start_workers(struct local_delivery *ld)
{
	struct ld_worker *w;
	size_t i;
	int e;

	for (i = 0; i < LOCAL_WORKERS; i++) {
		w = &ld->workers[i];
		w->ld = ld;
		if ((w->cache = maildir_cache_new()) == NULL)
			return ENOMEM;
		if ((e = pthread_create(&w->thread, NULL, local_main, w)))
			return e;
		w->started = true;
	}
	return 0;
}

struct local_delivery *
local_delivery_start(struct event_base *base, const struct config *cfg,
                     struct spool *sp, local_maildir_fn resolve,
                     void *resolve_arg)
{
	struct local_delivery *ld;
	int e;

	if ((ld = calloc(1, sizeof(*ld))) == NULL)
		return NULL;
	ld->sp = sp;
	ld->do_fsync = cfg->sync_mode == SYNC_FSYNC;
	ld->resolve = resolve;
	ld->resolve_arg = resolve_arg;
	TAILQ_INIT(&ld->ready);
	TAILQ_INIT(&ld->deferred);
	TAILQ_INIT(&ld->direct);
	pthread_mutex_init(&ld->lock, NULL);
	pthread_cond_init(&ld->cond, NULL);
	if (local_notice_init(ld, base) < 0)
		e = ENOMEM;
	else
		e = start_workers(ld);
	if (e) {
		stop_workers(ld);
		local_notice_fini(ld);
		pthread_mutex_destroy(&ld->lock);
		pthread_cond_destroy(&ld->cond);
		free(ld);
		errno = e;
		return NULL;
	}
	return ld;
}

void
local_delivery_enqueue(struct local_delivery *ld, const char *id)
{
	struct ld_item *it;

	it = xcalloc(1, sizeof(*it));
	snprintf(it->id, sizeof(it->id), "%s", id);
	pthread_mutex_lock(&ld->lock);
	TAILQ_INSERT_TAIL(&ld->ready, it, link);
	pthread_cond_signal(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

/* Keeps copies only while the total stays below LOCAL_MEM_MAX: under a
 * backlog the ready list could otherwise hold every message in memory. */
static bool
hold_copy(struct local_delivery *ld, size_t n)
{
	size_t held = __atomic_add_fetch(&ld->mem_held, n, __ATOMIC_RELAXED);

	if (held <= LOCAL_MEM_MAX)
		return true;
	__atomic_sub_fetch(&ld->mem_held, n, __ATOMIC_RELAXED);
	return false;
}

void
local_delivery_enqueue_committed(struct local_delivery *ld,
                                 struct spool_queued *q)
{
	struct ld_item *it;

	if (q->data == NULL || q->env_text == NULL ||
	    !hold_copy(ld, q->len + q->env_len)) {
		local_delivery_enqueue(ld, q->id);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	snprintf(it->id, sizeof(it->id), "%s", q->id);
	it->env_text = xmalloc(q->env_len);
	memcpy(it->env_text, q->env_text, q->env_len);
	it->env_len = q->env_len;
	it->data = q->data;
	it->len = q->len;
	q->data = NULL;
	pthread_mutex_lock(&ld->lock);
	TAILQ_INSERT_TAIL(&ld->ready, it, link);
	pthread_cond_signal(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

/* Few recipients, every one pending and local, none wanting a notice. */
static bool
all_local(struct local_delivery *ld, const struct envelope *env)
{
	char *path;
	size_t i;

	if (env->nrcpts > LOCAL_DIRECT_RCPTS_MAX ||
	    local_notice_wanted(ld, env))
		return false;
	for (i = 0; i < env->nrcpts; i++) {
		if (env->rcpts[i].state != RCPT_PENDING)
			return false;
		path = ld->resolve(ld->resolve_arg, env->rcpts[i].address);
		free(path);
		if (path == NULL)
			return false;
	}
	return env->nrcpts > 0;
}

static char *
copy_of(const char *src, size_t len)
{
	char *dst = xmalloc(len + 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
	return dst;
}

bool
local_delivery_offer(void *arg, const struct spool_offer *o)
{
	struct local_delivery *ld = arg;
	struct ld_item *it;

	if (!all_local(ld, o->env))
		return false;
	it = xcalloc(1, sizeof(*it));
	snprintf(it->id, sizeof(it->id), "%s", o->env->id);
	it->direct = o->msg;
	/* Copies: the worker turns the bytes' CRLF into LF in place, and
	 * the spool keeps its own in case some recipient fails. */
	it->env_text = copy_of(o->env_text, o->env_len);
	it->env_len = o->env_len;
	it->data = copy_of(o->data, o->len);
	it->len = o->len;
	__atomic_add_fetch(&ld->mem_held, it->len + it->env_len,
	                   __ATOMIC_RELAXED);
	pthread_mutex_lock(&ld->lock);
	TAILQ_INSERT_TAIL(&ld->direct, it, link);
	pthread_cond_signal(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
	return true;
}

void
local_item_drop_copy(struct local_delivery *ld, struct ld_item *it)
{
	if (it->env_text == NULL)
		return;
	__atomic_sub_fetch(&ld->mem_held, it->len + it->env_len,
	                   __ATOMIC_RELAXED);
	free(it->env_text);
	free(it->data);
	it->env_text = it->data = NULL;
	it->env_len = it->len = 0;
}

void
local_delivery_queued(void *ld, const char *id)
{
	local_delivery_enqueue(ld, id);
}

void
local_delivery_flush(struct local_delivery *ld)
{
	pthread_mutex_lock(&ld->lock);
	ld->flush = true;
	pthread_cond_broadcast(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

void
local_delivery_stats(struct local_delivery *ld, unsigned long *msgs,
                     unsigned long *deliveries)
{
	*msgs = __atomic_load_n(&ld->stat_msgs, __ATOMIC_RELAXED);
	*deliveries = __atomic_load_n(&ld->stat_deliveries, __ATOMIC_RELAXED);
}

static void
free_list(struct local_delivery *ld, struct ld_list *l)
{
	struct ld_item *it;

	while ((it = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, it, link);
		/* Not delivered: the spool queues it before it closes. */
		if (it->direct)
			spool_direct_done(ld->sp, it->direct, NULL, 0);
		local_item_drop_copy(ld, it);
		free(it);
	}
}

void
local_delivery_stop(struct local_delivery *ld)
{
	if (ld == NULL)
		return;
	stop_workers(ld);
	free_list(ld, &ld->direct);
	free_list(ld, &ld->ready);
	free_list(ld, &ld->deferred);
	local_notice_fini(ld);
	pthread_mutex_destroy(&ld->lock);
	pthread_cond_destroy(&ld->cond);
	free(ld);
}

/* Moves deferred items that are due (all on flush) to ready; returns the
 * earliest due time left, or 0. */
static time_t
promote_due(struct local_delivery *ld, time_t now)
{
	struct ld_item *it, *next;
	time_t earliest = 0;

	for (it = TAILQ_FIRST(&ld->deferred); it; it = next) {
		next = TAILQ_NEXT(it, link);
		if (ld->flush || it->due <= now) {
			TAILQ_REMOVE(&ld->deferred, it, link);
			TAILQ_INSERT_TAIL(&ld->ready, it, link);
		} else if (earliest == 0 || it->due < earliest) {
			earliest = it->due;
		}
	}
	ld->flush = false;
	return earliest;
}

/* Direct deliveries can be taken: some wait, and no other worker has a
 * batch of them in hand. */
static bool
direct_due(const struct local_delivery *ld)
{
	return !ld->direct_busy && !TAILQ_EMPTY(&ld->direct);
}

/* Direct deliveries first, all there are, since their clients wait.
 * Those arriving while a worker writes its batch of them wait for the
 * next (local_direct_written()), so each sync carries several, as the
 * commit thread's batches do; the next batch is written while the one
 * before is synced.  Else a share of what is ready, so that the other
 * workers get some too. */
static void
take_batch(struct local_delivery *ld, struct ld_list *batch)
{
	struct ld_item *it;
	size_t nready = 0, max;

	TAILQ_INIT(batch);
	if (direct_due(ld)) {
		for (max = LOCAL_BATCH_MSGS;
		     max > 0 && (it = TAILQ_FIRST(&ld->direct)) != NULL;
		     max--) {
			TAILQ_REMOVE(&ld->direct, it, link);
			TAILQ_INSERT_TAIL(batch, it, link);
		}
		ld->direct_busy = true;
		return;
	}

	TAILQ_FOREACH(it, &ld->ready, link)
		if (++nready >= (size_t)LOCAL_BATCH_MSGS * LOCAL_WORKERS)
			break;
	max = (nready + LOCAL_WORKERS - 1) / LOCAL_WORKERS;
	while (max-- > 0 && (it = TAILQ_FIRST(&ld->ready))) {
		TAILQ_REMOVE(&ld->ready, it, link);
		TAILQ_INSERT_TAIL(batch, it, link);
	}
}

void
local_direct_written(struct local_delivery *ld)
{
	pthread_mutex_lock(&ld->lock);
	ld->direct_busy = false;
	/* A worker may be asleep with direct deliveries due. */
	pthread_cond_broadcast(&ld->cond);
	pthread_mutex_unlock(&ld->lock);
}

static void *
local_main(void *arg)
{
	struct ld_worker *w = arg;
	struct local_delivery *ld = w->ld;
	struct ld_list batch, retry;
	struct timespec ts;
	time_t next;

	pthread_mutex_lock(&ld->lock);
	while (!ld->stop) {
		next = promote_due(ld, time(NULL));
		if (TAILQ_EMPTY(&ld->ready) && !direct_due(ld)) {
			ts.tv_sec = next;
			ts.tv_nsec = 0;
			if (next)
				pthread_cond_timedwait(&ld->cond, &ld->lock,
				                       &ts);
			else
				pthread_cond_wait(&ld->cond, &ld->lock);
			continue;
		}
		take_batch(ld, &batch);
		pthread_mutex_unlock(&ld->lock);
		TAILQ_INIT(&retry);
		local_run_batch(ld, w->cache, &batch, &retry);
		pthread_mutex_lock(&ld->lock);
		TAILQ_CONCAT(&ld->deferred, &retry, link);
	}
	pthread_mutex_unlock(&ld->lock);
	return NULL;
}
