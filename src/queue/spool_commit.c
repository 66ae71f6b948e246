/*
 * spool_commit.c — the commit thread.  It takes a batch of committed
 * messages, writes their remaining data and their envelopes, renames each
 * envelope into queue/ (the commit point), makes the whole batch durable with
 * one sync, and passes the batch back to the loop thread.
 *
 * Why one sync covers everything in SYNC_SYNCFS mode: syncfs(2) writes back
 * and flushes every dirty inode and the journal of the spool's filesystem,
 * so the data, the new directory entries and the renames of the batch are on
 * stable storage when it returns.  SYNC_FSYNC instead fsyncs each file before
 * its rename and the queue directory once per batch.
 *
 * Each commit's sync also makes durable what the remover thread did before
 * it (spool_remove.c): it clears sync_wanted as the sync starts.
 *
 * The message's file and its envelope are recycled files from pool/ when
 * there are any (spool_pool.c), else new ones.  A recycled file is
 * overwritten from offset 0 and then, if it was longer, trimmed to its
 * new length, before its fsync in SYNC_FSYNC mode; the envelope's
 * checksums let recovery tell what a crash left half rewritten.
 */
#include "queue/spool_int.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool
others_being_received(struct spool *sp)
{
	return __atomic_load_n(&sp->nreceiving, __ATOMIC_RELAXED) > 0;
}

/* Waits for messages to commit, then, while other messages are being
 * received, up to commit_delay_ms for them to join the batch: a message
 * in DATA is likely to commit within the wait and would else need a sync
 * of its own, while waiting when none is coming only adds latency.
 * Returns with the lock held and a non-empty pending list, or false on
 * stop. */
static bool
wait_for_batch(struct spool *sp)
{
	struct timespec dl;

	while (!sp->stop && sp->npending == 0)
		pthread_cond_wait(&sp->cond, &sp->lock);
	if (sp->npending == 0)
		return false;
	if (sp->delay_ms > 0 && sp->npending < sp->batch_max && !sp->stop &&
	    others_being_received(sp)) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_nsec += (long)sp->delay_ms * 1000000L;
		dl.tv_sec += dl.tv_nsec / 1000000000L;
		dl.tv_nsec %= 1000000000L;
		while (!sp->stop && sp->npending < sp->batch_max &&
		       others_being_received(sp))
			if (pthread_cond_timedwait(&sp->cond, &sp->lock, &dl))
				break;
	}
	return true;
}

static void
take_batch(struct spool *sp, struct spool_msg_list *batch)
{
	struct spool_msg *msg;
	int n = 0;

	STAILQ_INIT(batch);
	while (n < sp->batch_max && (msg = STAILQ_FIRST(&sp->pending))) {
		STAILQ_REMOVE_HEAD(&sp->pending, link);
		STAILQ_INSERT_TAIL(batch, msg, link);
		n++;
	}
	sp->npending -= n;
	/* This batch's sync covers every removal and record made so far. */
	sp->sync_wanted = false;
}

/* Writes len octets of data to fd and, for a recycled file that was
 * longer than the total, cuts what it held beyond it (one that was not
 * longer now ends where the data does); then fsyncs it in SYNC_FSYNC
 * mode. */
static int
write_file(struct spool *sp, int fd, size_t old_len, const void *data,
           size_t len, size_t total)
{
	if (spool_write_all(fd, data, len) < 0 ||
	    (old_len > total && ftruncate(fd, (off_t)total) < 0) ||
	    (sp->mode == SYNC_FSYNC && fsync(fd) < 0))
		return -1;
	return 0;
}

/* Writes the envelope into a recycled file where it lies in pool/, else
 * into a new file in tmp/, and returns the directory its rename into
 * queue/ starts from, with the file's name there in from; -1 on error,
 * with nothing of it left behind.  Taking the pooled file in place saves
 * the rename into tmp/ that a message file needs for its name. */
static int
write_envelope(struct spool *sp, struct spool_msg *msg, const char *name,
               char *from)
{
	size_t old_len = 0;
	int fd, dirfd = sp->poolfd, e;

	if ((fd = spool_pool_open(sp, SPOOL_POOL_ENV, msg->env_len, from,
	                          &old_len)) < 0) {
		dirfd = sp->tmpfd;
		snprintf(from, SPOOL_NAME_MAX, "%s", name);
		fd = openat(dirfd, from,
		            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
	}
	if (write_file(sp, fd, old_len, msg->env_text, msg->env_len,
	               msg->env_len) < 0) {
		e = errno;
		close(fd);
	} else if (close(fd) == 0) {
		return dirfd;
	} else {
		e = errno;
	}
	unlinkat(dirfd, from, 0);
	return errno = e, -1;
}

/* Writes what is left of one message and renames its envelope into place.
 * On failure nothing of the message is left in the spool. */
static void
stage(struct spool *sp, struct spool_msg *msg)
{
	char msgname[SPOOL_NAME_MAX], envname[SPOOL_NAME_MAX];
	char from[SPOOL_NAME_MAX];
	int envdir = -1;

	spool_name(msgname, sizeof(msgname), msg->id, "msg");
	spool_name(envname, sizeof(envname), msg->id, "env");
	if (msg->error)
		goto fail;
	if (msg->fd < 0)
		msg->fd = spool_pool_create(sp, sp->queuefd, msgname,
		                            SPOOL_POOL_MSG, msg->size,
		                            &msg->old_len);
	if (msg->fd < 0 ||
	    write_file(sp, msg->fd, msg->old_len, msg->buf, msg->len,
	               msg->size) < 0 ||
	    (envdir = write_envelope(sp, msg, envname, from)) < 0 ||
	    renameat(envdir, from, sp->queuefd, envname) < 0)
		goto fail;
	return;
fail:
	if (msg->error == 0)
		msg->error = errno;
	if (envdir >= 0)
		unlinkat(envdir, from, 0);
	if (msg->fd >= 0)
		unlinkat(sp->queuefd, msgname, 0);
}

/* The sync failed: the batch is not known to be durable, so dequeue it
 * (the clients were not told 250 and will retry). */
static void
unstage(struct spool *sp, struct spool_msg_list *batch, int error)
{
	char name[SPOOL_NAME_MAX];
	struct spool_msg *msg;

	STAILQ_FOREACH(msg, batch, link) {
		if (msg->error)
			continue;
		msg->error = error;
		spool_name(name, sizeof(name), msg->id, "env");
		unlinkat(sp->queuefd, name, 0);
		spool_name(name, sizeof(name), msg->id, "msg");
		unlinkat(sp->queuefd, name, 0);
	}
}

static void
commit_batch(struct spool *sp, struct spool_msg_list *batch)
{
	struct spool_msg *msg;
	int r;
	unsigned long n = 0;

	STAILQ_FOREACH(msg, batch, link) {
		stage(sp, msg);
		if (msg->fd >= 0) {
			close(msg->fd);
			msg->fd = -1;
		}
		n++;
	}
	r = spool_sync(sp);
	if (r < 0)
		unstage(sp, batch, errno);
	__atomic_add_fetch(&sp->stat_msgs, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sp->stat_syncs, 1, __ATOMIC_RELAXED);
}

void *
spool_commit_main(void *arg)
{
	struct spool *sp = arg;
	struct spool_msg_list batch;

	pthread_mutex_lock(&sp->lock);
	while (wait_for_batch(sp)) {
		/* Started before the sandbox: takes its rules when it is on. */
		sandbox_thread_enter();
		take_batch(sp, &batch);
		pthread_mutex_unlock(&sp->lock);
		commit_batch(sp, &batch);
		pthread_mutex_lock(&sp->lock);
		STAILQ_CONCAT(&sp->done, &batch);
		pthread_mutex_unlock(&sp->lock);
		/* Wakes the loop; needs evthread_use_pthreads() (spool.h). */
		event_active(sp->done_ev, EV_READ, 0);
		pthread_mutex_lock(&sp->lock);
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}
