/*
 * spool_remove.c — the remover thread.  Delivery finishes a message and
 * hands its id here (spool_remove_later); this thread removes its files,
 * so no delivery worker waits for the file system's journal, which on
 * ext4 makes each unlink as slow as a small sync while commits run.  The
 * files go into the spool's pool of recycled files (spool_pool.c) while
 * it has room, else they are unlinked.
 *
 * Nothing waits for a removal to be durable: the next commit's sync covers
 * it, and when no commit comes within REMOVE_SYNC_MS this thread syncs the
 * spool itself.  A crash before either only finds the message again at
 * start and delivers it again (at least once, never lost).  State records
 * (spool_sync_later) ride on the same syncs.
 */
#include "queue/spool_int.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REMOVE_CHUNK 64
#define REMOVE_SYNC_MS 200

/* Unlinks up to REMOVE_CHUNK messages with the lock released.  The finish
 * lock keeps each removal apart from a hold, release or delete. */
static void
remove_some(struct spool *sp)
{
	char ids[REMOVE_CHUNK][QUEUE_ID_LEN + 1];
	size_t i, n = 0;

	while (n < REMOVE_CHUNK && sp->nremovals > 0)
		memcpy(ids[n++], sp->removals[--sp->nremovals], sizeof(ids[0]));
	pthread_mutex_unlock(&sp->lock);
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&sp->finish_lock);
		spool_recycle(sp, ids[i]);
		pthread_mutex_unlock(&sp->finish_lock);
	}
	pthread_mutex_lock(&sp->lock);
	sp->sync_wanted = true;
}

/* Waits up to REMOVE_SYNC_MS for a commit to make the removals durable
 * (it clears sync_wanted) or for more work; syncs when neither came. */
static void
sync_soon(struct spool *sp)
{
	struct timespec dl;

	if (!sp->rm_stop) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_nsec += REMOVE_SYNC_MS * 1000000L;
		dl.tv_sec += dl.tv_nsec / 1000000000L;
		dl.tv_nsec %= 1000000000L;
		while (sp->sync_wanted && sp->nremovals == 0 && !sp->rm_stop)
			if (pthread_cond_timedwait(&sp->rm_cond, &sp->lock,
			                           &dl))
				break;
	}
	if (!sp->sync_wanted || sp->nremovals > 0)
		return;
	sp->sync_wanted = false;
	pthread_mutex_unlock(&sp->lock);
	spool_sync(sp);
	pthread_mutex_lock(&sp->lock);
}

void *
spool_remove_main(void *arg)
{
	struct spool *sp = arg;

	pthread_mutex_lock(&sp->lock);
	for (;;) {
		while (!sp->rm_stop && sp->nremovals == 0 && !sp->sync_wanted)
			pthread_cond_wait(&sp->rm_cond, &sp->lock);
		/* Started before the sandbox: takes its rules when it is on. */
		sandbox_thread_enter();
		if (sp->nremovals > 0)
			remove_some(sp);
		else if (sp->sync_wanted)
			sync_soon(sp);
		else
			break; /* stopped with nothing left */
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

void
spool_remove_later(struct spool *sp, const char *id)
{
	char(*ids)[QUEUE_ID_LEN + 1];
	size_t cap;

	pthread_mutex_lock(&sp->lock);
	if (!sp->rm_started || sp->rm_stop) {
		pthread_mutex_unlock(&sp->lock);
		spool_remove(sp, id);
		spool_sync_later(sp);
		return;
	}
	if (sp->nremovals == sp->removals_cap) {
		cap = sp->removals_cap ? 2 * sp->removals_cap : 64;
		ids = realloc(sp->removals, cap * sizeof(*ids));
		if (ids == NULL)
			abort();
		sp->removals = ids;
		sp->removals_cap = cap;
	}
	snprintf(sp->removals[sp->nremovals++], QUEUE_ID_LEN + 1, "%s", id);
	pthread_cond_signal(&sp->rm_cond);
	pthread_mutex_unlock(&sp->lock);
}

void
spool_sync_later(struct spool *sp)
{
	pthread_mutex_lock(&sp->lock);
	if (!sp->rm_started || sp->rm_stop) {
		pthread_mutex_unlock(&sp->lock);
		spool_sync(sp);
		return;
	}
	sp->sync_wanted = true;
	pthread_cond_signal(&sp->rm_cond);
	pthread_mutex_unlock(&sp->lock);
}
