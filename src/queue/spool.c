/*
 * spool.c — opening and closing the spool, queue ids, free space.
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static void
done_event(evutil_socket_t fd, short what, void *arg)
{
	spool_run_done(arg);
}

/* mkdir then open a directory below dirfd (AT_FDCWD for the root). */
static int
open_dir(int dirfd, const char *path)
{
	if (mkdirat(dirfd, path, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
set_params(struct spool *sp, const struct config *cfg)
{
	sp->mode = cfg->sync_mode;
	sp->batch_max = cfg->commit_batch_max > 0 ? cfg->commit_batch_max : 256;
	sp->delay_ms = cfg->commit_delay_ms >= 0 ? cfg->commit_delay_ms : 0;
	sp->min_free = cfg->min_free_space;
}

static int
start_thread(struct spool *sp)
{
	pthread_condattr_t ca;
	int e;

	pthread_mutex_init(&sp->lock, NULL);
	pthread_mutex_init(&sp->finish_lock, NULL);
	spool_sync_init(sp);
	/* The commit delay is a span of time: a step of the wall clock
	 * must not stretch or cut it. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sp->cond, &ca);
	pthread_cond_init(&sp->rm_cond, &ca);
	pthread_condattr_destroy(&ca);
	STAILQ_INIT(&sp->pending);
	STAILQ_INIT(&sp->done);
	STAILQ_INIT(&sp->direct_done);
	sp->done_ev = event_new(sp->base, -1, 0, done_event, sp);
	if (sp->done_ev == NULL)
		return errno = ENOMEM, -1;
	if ((e = pthread_create(&sp->thread, NULL, spool_commit_main, sp))) {
		errno = e;
		return -1;
	}
	sp->thread_started = true;
	if (pthread_create(&sp->rm_thread, NULL, spool_remove_main, sp) != 0)
		return 0; /* removals then happen on the caller's thread */
	sp->rm_started = true;
	return 0;
}

static void
stop_thread(struct spool *sp, pthread_t t, bool *stop, pthread_cond_t *cond)
{
	pthread_mutex_lock(&sp->lock);
	*stop = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(&sp->lock);
	pthread_join(t, NULL);
}

static void
close_fds(struct spool *sp)
{
	if (sp->tmpfd >= 0)
		close(sp->tmpfd);
	if (sp->poolfd >= 0)
		close(sp->poolfd);
	if (sp->queuefd >= 0)
		close(sp->queuefd);
	if (sp->rootfd >= 0)
		close(sp->rootfd);
}

struct spool *
spool_open(struct event_base *base, const struct config *cfg)
{
	struct spool *sp;
	int e;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	sp->base = base;
	sp->tmpfd = sp->queuefd = sp->poolfd = -1;
	set_params(sp, cfg);
	if ((sp->rootfd = open_dir(AT_FDCWD, cfg->spool_dir)) < 0 ||
	    (sp->tmpfd = open_dir(sp->rootfd, "tmp")) < 0 ||
	    (sp->queuefd = open_dir(sp->rootfd, "queue")) < 0 ||
	    (sp->poolfd = open_dir(sp->rootfd, "pool")) < 0 ||
	    spool_recover(sp) < 0 || start_thread(sp) < 0) {
		e = errno;
		if (sp->done_ev)
			event_free(sp->done_ev);
		spool_sync_fini(sp);
		close_fds(sp);
		free(sp);
		errno = e;
		return NULL;
	}
	/* Without it every finished message is unlinked, as before. */
	spool_pool_init(sp);
	return sp;
}

void
spool_set_queued_cb(struct spool *sp, spool_queued_cb cb, void *arg)
{
	sp->queued_cb = cb;
	sp->queued_arg = arg;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	/* What the direct agent gave back goes to the commit thread first,
	 * which drains it before it stops. */
	spool_direct_settle(sp);
	stop_thread(sp, sp->thread, &sp->stop, &sp->cond);
	spool_run_done(sp);
	/* The remover empties its list and syncs before it ends. */
	if (sp->rm_started)
		stop_thread(sp, sp->rm_thread, &sp->rm_stop, &sp->rm_cond);
	free(sp->removals);
	spool_pool_fini(sp);
	event_free(sp->done_ev);
	pthread_mutex_destroy(&sp->lock);
	pthread_mutex_destroy(&sp->finish_lock);
	pthread_cond_destroy(&sp->cond);
	pthread_cond_destroy(&sp->rm_cond);
	spool_sync_fini(sp);
	close_fds(sp);
	free(sp);
}

static long long
coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MAIL and DATA of every message ask: one statvfs serves many of them. A
 * figure up to 100 ms old can let a few messages past min_free_space, the
 * margin it keeps; a disk that really fills fails the commit with ENOSPC
 * (452, never a 250) and makes the next call look again. */
bool
spool_has_space(struct spool *sp)
{
	struct statvfs st;
	long long now = coarse_ms();

	if (sp->space_known && now - sp->space_at < SPOOL_SPACE_CHECK_MS &&
	    sp->space_uses < SPOOL_SPACE_CHECK_USES) {
		sp->space_uses++;
		return sp->space_ok;
	}
	if (fstatvfs(sp->queuefd, &st) < 0)
		return true; /* unknown: let the write itself fail */
	sp->space_ok =
	        (unsigned long long)st.f_bavail * st.f_frsize >= sp->min_free;
	sp->space_known = true;
	sp->space_at = now;
	sp->space_uses = 0;
	return sp->space_ok;
}

int
spool_queue_dirfd(const struct spool *sp)
{
	return sp->queuefd;
}

void
spool_stats(const struct spool *sp, unsigned long *msgs, unsigned long *syncs)
{
	/* Read without the lock: figures for benchmarks, not decisions. */
	*msgs = __atomic_load_n(&sp->stat_msgs, __ATOMIC_RELAXED);
	*syncs = __atomic_load_n(&sp->stat_syncs, __ATOMIC_RELAXED);
}

/*
 * Queue ids: microseconds since the epoch shifted left by 12 bits, plus a
 * counter in the low bits, as 16 hex digits.  Strictly increasing within a
 * process, and above every id found at startup, so ids sort by arrival and
 * never collide even if the clock steps back.
 */
void
spool_new_id(struct spool *sp, char *id)
{
	struct timespec ts;
	uint64_t v;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000) << 12;
	if (v <= sp->last_id)
		v = sp->last_id + 1;
	sp->last_id = v;
	snprintf(id, QUEUE_ID_LEN + 1, "%016llx", (unsigned long long)v);
}
