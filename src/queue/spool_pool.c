/*
 * spool_pool.c — recycled spool files.  A finished message's files are not
 * unlinked but moved into pool/, and the commit thread takes a pooled file
 * for the next message's data or envelope instead of creating one,
 * overwrites it and, if it was longer, trims it to its new length.  Creating
 * and deleting two inodes per message is what the spool's file system spends
 * most of its time on under load (on ext4 without a journal every new inode
 * skips, one by one, those deleted in the last minute: bench/README.md); a
 * pooled file keeps its inode.  It also keeps its blocks: emptying it (or
 * unlinking it) frees them, and on a file system mounted with discard that
 * waits for the device, ~0.8 ms a file here.  The commit thread takes a
 * file of the size it needs when there is one (trimming a larger one frees
 * its surplus blocks); files are pooled apart by kind for the same reason.
 *
 * Why a pooled file can never be mistaken for a message after a crash,
 * although it holds an older message's bytes until it is rewritten:
 *  - pool/ is emptied at start (spool_recover), like tmp/;
 *  - the envelope records the message's length and CRC-32 and ends with
 *    the CRC-32 of its own bytes, so recovery tells a message file or an
 *    envelope that holds (partly) another message's bytes, and moves such
 *    a message aside into damaged/ (docs/queue-format.md).
 * A message is still queued if and only if queue/ID.env exists and
 * passes recovery; the files' names and the order of the renames are
 * those of a new message.
 *
 * A pooled file is reused at once, also in syncfs mode.  Before the
 * checksums, it was reused only after a sync that started after it was
 * emptied, so that its empty state was durable before it got a new name:
 * else a crash could show the old message's bytes under the new envelope,
 * and nothing could tell.  Now recovery tells: whatever a crash shows of a
 * recycled file — the old names with the old bytes (a removal cut short:
 * delivered again, at least once), old or new names with bytes of the
 * other message or a mix (moved aside) — is either a finished message or
 * one whose commit's sync never ended, so never acknowledged.  A message
 * is acknowledged only after the sync that made its names and its bytes
 * durable, and its files are recycled only once it is finished.  In fsync
 * mode the commit fsyncs each file (after its trim) before the envelope's
 * rename, as for a new file.
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only to match sizes: what a file's length costs in blocks. */
#define POOL_BLOCK 4096

int
spool_pool_init(struct spool *sp)
{
	int k;

	for (k = 0; k < SPOOL_POOL_KINDS; k++)
		if ((sp->pool[k].ent = calloc(SPOOL_POOL_MAX,
		                              sizeof(*sp->pool[k].ent))) ==
		    NULL) {
			spool_pool_fini(sp);
			return -1;
		}
	return 0;
}

void
spool_pool_fini(struct spool *sp)
{
	int k;

	for (k = 0; k < SPOOL_POOL_KINDS; k++) {
		free(sp->pool[k].ent);
		sp->pool[k].ent = NULL;
		sp->pool[k].n = 0;
	}
	sp->pool_bytes = 0;
}

static bool
pool_on(struct spool *sp)
{
	return sp->pool[SPOOL_POOL_MSG].ent != NULL &&
	       sp->pool[SPOOL_POOL_ENV].ent != NULL;
}

/* Adds pool/name; false when the pool has no room for it. */
static bool
push(struct spool *sp, enum spool_pool_kind kind, const char *name, size_t size)
{
	struct spool_pool *p = &sp->pool[kind];
	bool ok;

	pthread_mutex_lock(&sp->lock);
	ok = p->n < SPOOL_POOL_MAX && sp->pool_bytes + size <= SPOOL_POOL_BYTES;
	if (ok) {
		snprintf(p->ent[p->n].name, sizeof(p->ent[0].name), "%s", name);
		p->ent[p->n++].size = size;
		sp->pool_bytes += size;
	}
	pthread_mutex_unlock(&sp->lock);
	return ok;
}

/* Moves queue/ID.ext into pool/ as it is; a file too large to keep, or
 * that cannot be moved, is unlinked, as spool_remove() would. */
static void
pool_file(struct spool *sp, const char *id, const char *ext,
          enum spool_pool_kind kind)
{
	char name[SPOOL_NAME_MAX];
	struct stat st;

	spool_name(name, sizeof(name), id, ext);
	if (fstatat(sp->queuefd, name, &st, 0) < 0 ||
	    (size_t)st.st_size > SPOOL_POOL_FILE_MAX ||
	    renameat(sp->queuefd, name, sp->poolfd, name) < 0) {
		unlinkat(sp->queuefd, name, 0);
		return;
	}
	if (!push(sp, kind, name, (size_t)st.st_size))
		unlinkat(sp->poolfd, name, 0);
}

void
spool_recycle(struct spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];

	if (!pool_on(sp)) {
		spool_remove(sp, id);
		return;
	}
	/* The envelope first, as spool_remove(): once it has left queue/
	 * the message is no longer queued. */
	pool_file(sp, id, "env", SPOOL_POOL_ENV);
	if (__atomic_load_n(&sp->state_files, __ATOMIC_ACQUIRE)) {
		spool_name(name, sizeof(name), id, "state");
		unlinkat(sp->queuefd, name, 0);
	}
	pool_file(sp, id, "msg", SPOOL_POOL_MSG);
}

static size_t
blocks(size_t size)
{
	return (size + POOL_BLOCK - 1) / POOL_BLOCK;
}

/* How much rewriting a file of have octets to want costs: 0 the same
 * blocks, 1 blocks to add, 2 blocks to free (a discard). */
static int
fit(size_t have, size_t want)
{
	if (blocks(have) == blocks(want))
		return 0;
	return blocks(have) < blocks(want) ? 1 : 2;
}

/* Takes the pooled file of this kind that fits size best; its length
 * into *len. */
static bool
take(struct spool *sp, enum spool_pool_kind kind, size_t size, char *name,
     size_t *len)
{
	struct spool_pool *p = &sp->pool[kind];
	size_t i, best = 0;
	int f, best_fit = 3;

	pthread_mutex_lock(&sp->lock);
	for (i = 0; i < p->n && best_fit > 0; i++)
		if ((f = fit(p->ent[i].size, size)) < best_fit) {
			best_fit = f;
			best = i;
		}
	if (best_fit < 3) {
		memcpy(name, p->ent[best].name, SPOOL_NAME_MAX);
		*len = p->ent[best].size;
		sp->pool_bytes -= p->ent[best].size;
		p->ent[best] = p->ent[--p->n];
	}
	pthread_mutex_unlock(&sp->lock);
	return best_fit < 3;
}

int
spool_pool_open(struct spool *sp, enum spool_pool_kind kind, size_t size,
                char *pname, size_t *old_len)
{
	int fd;

	while (pool_on(sp) && take(sp, kind, size, pname, old_len)) {
		if ((fd = openat(sp->poolfd, pname, O_WRONLY | O_CLOEXEC)) >= 0)
			return fd;
		unlinkat(sp->poolfd, pname, 0);
	}
	*old_len = 0;
	return -1;
}

int
spool_pool_create(struct spool *sp, int dirfd, const char *name,
                  enum spool_pool_kind kind, size_t size, size_t *old_len)
{
	char pname[SPOOL_NAME_MAX];
	int fd;

	while ((fd = spool_pool_open(sp, kind, size, pname, old_len)) >= 0) {
		if (renameat(sp->poolfd, pname, dirfd, name) == 0)
			return fd;
		close(fd);
		unlinkat(sp->poolfd, pname, 0);
	}
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	              0600);
}

size_t
spool_pool_size(struct spool *sp)
{
	size_t n;

	pthread_mutex_lock(&sp->lock);
	n = sp->pool[SPOOL_POOL_MSG].n + sp->pool[SPOOL_POOL_ENV].n;
	pthread_mutex_unlock(&sp->lock);
	return n;
}
