/*
 * spool_pool.c — recycled spool files.  A finished message's files are not
 * unlinked but emptied and moved into pool/, and the commit thread takes a
 * pooled file for the next message's data or envelope instead of creating
 * one.  Creating and deleting two inodes per message is what the spool's
 * file system spends most of its time on under load (on ext4 without a
 * journal every new inode skips, one by one, those deleted in the last
 * minute: bench/README.md); a pooled file keeps its inode.
 *
 * Why a pooled file can never be mistaken for a message after a crash:
 *  - pool/ is emptied at start (spool_recover), like tmp/;
 *  - a file enters the pool only once it is empty (truncated to 0), and
 *    in syncfs mode it is taken again only after a successful sync that
 *    started after that: its empty state is durable before it gets a new
 *    name, so a crash can find in it the new message's bytes, or nothing,
 *    but never the old message's (the same as a newly created file).  In
 *    fsync mode the commit fsyncs each file before the envelope's rename.
 * A message is still queued if and only if queue/ID.env exists and
 * passes recovery (docs/queue-format.md); the files' names and the order
 * of the renames are those of a new message.
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Empties pool/name; unlinks it when that fails.  0 when it is empty. */
static int
empty_file(struct spool *sp, const char *name)
{
	int fd = openat(sp->poolfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0) {
		unlinkat(sp->poolfd, name, 0);
		return -1;
	}
	close(fd);
	return 0;
}

static void
push(struct spool *sp, const char *name, uint64_t mark)
{
	struct spool_pool_ent *e;

	pthread_mutex_lock(&sp->lock);
	if (sp->pool_n == SPOOL_POOL_MAX) {
		pthread_mutex_unlock(&sp->lock);
		unlinkat(sp->poolfd, name, 0);
		return;
	}
	e = &sp->pool[(sp->pool_head + sp->pool_n++) % SPOOL_POOL_MAX];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->mark = mark;
	pthread_mutex_unlock(&sp->lock);
}

/* Moves queue/ID.ext into pool/ and empties it there; a file that cannot
 * be moved is unlinked, as spool_remove() would. */
static void
pool_file(struct spool *sp, const char *id, const char *ext)
{
	char name[SPOOL_NAME_MAX];

	spool_name(name, sizeof(name), id, ext);
	if (renameat(sp->queuefd, name, sp->poolfd, name) < 0) {
		if (errno != ENOENT)
			unlinkat(sp->queuefd, name, 0);
		return;
	}
	if (empty_file(sp, name) == 0)
		push(sp, name, spool_sync_mark(sp));
}

void
spool_recycle(struct spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];

	if (sp->pool == NULL || spool_pool_size(sp) + 2 > SPOOL_POOL_MAX) {
		spool_remove(sp, id);
		return;
	}
	/* The envelope first, as spool_remove(): once it has left queue/
	 * the message is no longer queued. */
	pool_file(sp, id, "env");
	spool_name(name, sizeof(name), id, "state");
	unlinkat(sp->queuefd, name, 0);
	pool_file(sp, id, "msg");
}

/* Takes the oldest pooled file if it may be reused now. */
static bool
take(struct spool *sp, char *name)
{
	struct spool_pool_ent *e;
	bool ok = false;

	pthread_mutex_lock(&sp->lock);
	e = &sp->pool[sp->pool_head];
	if (sp->pool_n > 0 &&
	    (sp->mode == SYNC_FSYNC || spool_sync_passed(sp, e->mark))) {
		memcpy(name, e->name, SPOOL_NAME_MAX);
		sp->pool_head = (sp->pool_head + 1) % SPOOL_POOL_MAX;
		sp->pool_n--;
		ok = true;
	}
	pthread_mutex_unlock(&sp->lock);
	return ok;
}

int
spool_pool_create(struct spool *sp, int dirfd, const char *name)
{
	char pname[SPOOL_NAME_MAX];
	int fd;

	while (sp->pool != NULL && take(sp, pname)) {
		if (renameat(sp->poolfd, pname, dirfd, name) < 0) {
			unlinkat(sp->poolfd, pname, 0);
			continue;
		}
		if ((fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC)) >= 0)
			return fd;
		unlinkat(dirfd, name, 0);
	}
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	              0600);
}

size_t
spool_pool_size(struct spool *sp)
{
	size_t n;

	pthread_mutex_lock(&sp->lock);
	n = sp->pool_n;
	pthread_mutex_unlock(&sp->lock);
	return n;
}
