/*
 * spool_sync.c — syncs of the spool's file system, shared by every thread
 * that needs one (group sync).  In SYNC_SYNCFS mode the commit thread, the
 * remover and the local delivery worker (when a Maildir is on the spool's
 * file system) each need "everything I wrote is durable".  One syncfs
 * started after a caller's writes gives that to every caller waiting, so a
 * caller that finds a sync running waits for it to end and then shares the
 * next one instead of starting its own: the journal commits once for all.
 *
 * A Maildir's caller for mail already queued is patient: it first waits
 * up to GS_PATIENCE_MS for a commit to start a sync it can share, since
 * under load the commit thread syncs every few tens of milliseconds.
 * Only when none comes does it lead one itself.  Delivery waits that much
 * longer; the journal commits half as often (W1: 693 syncs for 5000
 * messages instead of 1434 with 5 ms).  A direct delivery, whose client
 * waits for the reply, is not patient: it shares a sync running or leads
 * the next one.
 *
 * A sync counts for a caller only if it started after the call.  A failure
 * is reported to every caller waiting when it ended: the error of a
 * write-back surfaces on whichever descriptor syncs next, and may belong
 * to any of them.
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GS_PATIENCE_MS 50

static void
deadline_in(struct timespec *dl, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_nsec += ms * 1000000L;
	dl->tv_sec += dl->tv_nsec / 1000000000L;
	dl->tv_nsec %= 1000000000L;
}

static int
group_sync(struct spool *sp, int fd, bool patient)
{
	uint64_t need, mine, seen;
	struct timespec dl, t0, t1;
	int r, e;

	if (patient)
		deadline_in(&dl, GS_PATIENCE_MS);
	pthread_mutex_lock(&sp->gs_lock);
	need = sp->gs_started + 1;
	seen = sp->gs_done;
	while (sp->gs_done < need) {
		if (sp->gs_running) {
			pthread_cond_wait(&sp->gs_cond, &sp->gs_lock);
			continue;
		}
		/* Gives up its patience once the deadline passed. */
		if (patient && pthread_cond_timedwait(&sp->gs_cond,
		                                      &sp->gs_lock, &dl) != 0)
			patient = false;
		if (patient || sp->gs_running || sp->gs_done >= need)
			continue;
		sp->gs_running = true;
		mine = ++sp->gs_started;
		pthread_mutex_unlock(&sp->gs_lock);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = sp->gs_syncfs(fd);
		e = errno;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_mutex_lock(&sp->gs_lock);
		sp->gs_usec += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000L +
		                          (t1.tv_nsec - t0.tv_nsec) / 1000);
		sp->gs_running = false;
		sp->gs_done = mine;
		if (r < 0) {
			sp->gs_failed = mine;
			sp->gs_errno = e;
		}
		pthread_cond_broadcast(&sp->gs_cond);
	}
	r = sp->gs_failed > seen ? -1 : 0;
	e = sp->gs_errno;
	pthread_mutex_unlock(&sp->gs_lock);
	return r < 0 ? (errno = e, -1) : 0;
}

int
spool_sync(struct spool *sp)
{
	if (sp->mode == SYNC_FSYNC)
		return fsync(sp->queuefd);
	return sp->gs_ready ? group_sync(sp, sp->queuefd, false)
	                    : syncfs(sp->queuefd);
}

int
spool_sync_fs(struct spool *sp, int fd, bool patient)
{
	struct stat st;

	if (sp->mode == SYNC_FSYNC || !sp->gs_ready || fstat(fd, &st) < 0 ||
	    st.st_dev != sp->dev)
		return syncfs(fd);
	return group_sync(sp, fd, patient);
}

void
spool_sync_init(struct spool *sp)
{
	struct stat st;

	pthread_condattr_t ca;

	pthread_mutex_init(&sp->gs_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sp->gs_cond, &ca);
	pthread_condattr_destroy(&ca);
	sp->dev = fstat(sp->queuefd, &st) == 0 ? st.st_dev : 0;
	sp->gs_syncfs = syncfs;
	sp->gs_ready = true;
}

void
spool_sync_fini(struct spool *sp)
{
	if (!sp->gs_ready)
		return;
	pthread_mutex_destroy(&sp->gs_lock);
	pthread_cond_destroy(&sp->gs_cond);
	sp->gs_ready = false;
}
