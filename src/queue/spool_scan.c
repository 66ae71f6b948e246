/*
 * spool_scan.c — listing the queue directory: recovery at open (removing
 * debris a crash left behind, moving damaged messages aside) and the list
 * of queued ids for delivery.
 *
 * A message whose envelope is there but fails a check (it does not parse
 * or its checksum fails, it names another message, or the message file's
 * length or CRC-32 is not the envelope's) goes into damaged/ with a log
 * line, not away: after a crash that can only be a commit whose sync
 * never ended (never acknowledged) or a finished message whose recycled
 * files were being rewritten (spool_pool.c), so nothing is owed to anyone;
 * but a disk that corrupts what it stored would look the same, and then
 * an administrator wants the bytes.
 */
#include "queue/spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"

/* Where recovery puts messages that fail its checks. */
#define DAMAGED_DIR "damaged"

enum { F_MSG = 1, F_ENV = 2, F_STATE = 4 };

struct qent {
	char id[QUEUE_ID_LEN + 1];
	unsigned files;
};

/* "0123456789abcdef.env" -> F_ENV; 0 for anything else. */
static unsigned
classify(const char *name, char *id)
{
	static const char *const exts[] = {"msg", "env", "state"};
	size_t i;

	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	if (name[QUEUE_ID_LEN] != '.')
		return 0;
	for (i = 0; i < 3; i++)
		if (strcmp(name + QUEUE_ID_LEN + 1, exts[i]) == 0) {
			memcpy(id, name, QUEUE_ID_LEN);
			id[QUEUE_ID_LEN] = '\0';
			return 1u << i;
		}
	return 0;
}

static int
cmp_qent(const void *a, const void *b)
{
	return strcmp(((const struct qent *)a)->id,
	              ((const struct qent *)b)->id);
}

/* Adds f to the entry for id; the array is sorted afterwards, so entries
 * of one id are merged there (see merge()). */
static int
push(struct qent **v, size_t *n, size_t *cap, const char *id, unsigned f)
{
	struct qent *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		if ((nv = realloc(*v, *cap * sizeof(**v))) == NULL)
			return -1;
		*v = nv;
	}
	memcpy((*v)[*n].id, id, QUEUE_ID_LEN + 1);
	(*v)[(*n)++].files = f;
	return 0;
}

static size_t
merge(struct qent *v, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return 0; /* v may be NULL: qsort() must not see it */
	qsort(v, n, sizeof(*v), cmp_qent);
	for (i = 0; i < n; i++) {
		if (o > 0 && strcmp(v[o - 1].id, v[i].id) == 0)
			v[o - 1].files |= v[i].files;
		else
			v[o++] = v[i];
	}
	return o;
}

/* Lists the queue directory: one entry per id, sorted. */
static int
list_queue(struct spool *sp, struct qent **v, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	char id[QUEUE_ID_LEN + 1];
	unsigned f;
	int fd, r = 0;
	DIR *d;

	*v = NULL;
	*n = 0;
	if ((fd = openat(sp->queuefd, ".",
	                 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (r == 0 && (de = readdir(d)) != NULL)
		if ((f = classify(de->d_name, id)))
			r = push(v, n, &cap, id, f);
	closedir(d);
	if (r < 0) {
		free(*v);
		*v = NULL;
		return errno = ENOMEM, -1;
	}
	*n = merge(*v, *n);
	return 0;
}

/* Everything in tmp/ belongs to a commit that never completed; whatever
 * is in pool/ is no message (spool_pool.c). */
static int
clear_dir(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd, de->d_name, 0);
	closedir(d);
	return 0;
}

/* The CRC-32 of the file name below dirfd, read in chunks. */
static int
file_crc(int dirfd, const char *name, uint32_t *crc)
{
	char *buf;
	ssize_t n;
	off_t off = 0;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((buf = malloc(65536)) == NULL) {
		close(fd);
		return -1;
	}
	*crc = (uint32_t)crc32_z(0, NULL, 0);
	while ((n = pread(fd, buf, 65536, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		*crc = (uint32_t)crc32_z(*crc, (const Bytef *)buf, (size_t)n);
		off += n;
	}
	free(buf);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Is the message file the one the envelope describes?  Its commit synced
 * it before anyone was told, so a length or checksum that differs means
 * a commit that a crash interrupted, or a recycled file (spool_pool.c). */
static const char *
check_msg(struct spool *sp, const struct envelope *env)
{
	char name[SPOOL_NAME_MAX];
	struct stat st;
	uint32_t crc;

	spool_name(name, sizeof(name), env->id, "msg");
	if (fstatat(sp->queuefd, name, &st, 0) < 0 ||
	    (size_t)st.st_size != env->size)
		return "message size differs from envelope";
	/* Envelopes before version 4 have no checksum; their message files
	 * were never recycled ones holding other bytes.  A file that cannot
	 * be read now (EIO, no memory) stays queued: delivery reports what
	 * is wrong with it, and no read error sets a message aside. */
	if (env->has_crc && file_crc(sp->queuefd, name, &crc) == 0 &&
	    crc != env->msg_crc)
		return "message checksum differs from envelope";
	return NULL;
}

/* Is a message with an envelope complete?  NULL also for one whose
 * envelope went away since the listing: nothing is left to check. */
static const char *
check_queued(struct spool *sp, const struct qent *q)
{
	struct envelope env;
	const char *why;

	if (!(q->files & F_MSG))
		return "envelope without message";
	if (spool_load(sp, q->id, &env) < 0)
		return errno == ENOENT ? NULL : "unreadable envelope";
	/* Another message's whole envelope under this name: a recycled
	 * file whose new bytes a crash lost. */
	if (strcmp(env.id, q->id) != 0)
		why = "envelope of another message";
	else
		why = check_msg(sp, &env);
	envelope_free(&env);
	return why;
}

static void
remove_debris(struct spool *sp, const struct qent *q, const char *why)
{
	log_event(LOG_LVL_WARN, "spool_debris", "id", q->id, "reason", why,
	          NULL);
	spool_remove(sp, q->id);
}

/* Moves the message's files into damaged/, the envelope last (a crash
 * half-way leaves an envelope that is moved aside again); what cannot be
 * moved stays.  0 when the envelope left queue/. */
static int
move_aside(struct spool *sp, int dfd, const char *id)
{
	static const char *const exts[] = {"msg", "state", "env"};
	char name[SPOOL_NAME_MAX];
	size_t i;
	int r = 0;

	for (i = 0; i < 3; i++) {
		spool_name(name, sizeof(name), id, exts[i]);
		r = renameat(sp->queuefd, name, dfd, name);
		if (r < 0 && errno == ENOENT)
			r = 0;
	}
	return r;
}

/* A message that fails recovery's checks: into damaged/ for an
 * administrator (docs/queue-format.md); removed only if that fails,
 * since it must not be delivered. */
static void
set_aside(struct spool *sp, int *dfd, const struct qent *q, const char *why)
{
	if (*dfd < 0 && mkdirat(sp->rootfd, DAMAGED_DIR, 0700) < 0 &&
	    errno != EEXIST)
		*dfd = -2;
	if (*dfd == -1)
		*dfd = openat(sp->rootfd, DAMAGED_DIR,
		              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd >= 0 && move_aside(sp, *dfd, q->id) == 0) {
		log_event(LOG_LVL_WARN, "spool_damaged", "id", q->id, "reason",
		          why, "moved_to", DAMAGED_DIR, NULL);
		return;
	}
	if (*dfd == -1)
		*dfd = -2; /* no such directory: do not try again */
	remove_debris(sp, q, why);
}

int
spool_recover(struct spool *sp)
{
	struct qent *v;
	size_t n, i;
	uint64_t last;
	const char *why;
	int dfd = -1;

	if (clear_dir(sp->tmpfd) < 0 ||
	    (sp->poolfd >= 0 && clear_dir(sp->poolfd) < 0) ||
	    list_queue(sp, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].files & F_STATE)
			__atomic_store_n(&sp->state_files, true,
			                 __ATOMIC_RELEASE);
		if (!(v[i].files & F_ENV))
			remove_debris(sp, &v[i], "message without envelope");
		else if ((why = check_queued(sp, &v[i])) != NULL)
			set_aside(sp, &dfd, &v[i], why);
	}
	if (dfd >= 0)
		close(dfd);
	/* New ids sort after every existing one, even if the clock
	 * stepped back across the restart. */
	if (n > 0 && (last = strtoull(v[n - 1].id, NULL, 16)) > sp->last_id)
		sp->last_id = last;
	free(v);
	return 0;
}

int
spool_scan(struct spool *sp, void (*fn)(void *arg, const char *id), void *arg)
{
	struct qent *v;
	size_t n, i;

	if (list_queue(sp, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i].files & F_ENV)
			fn(arg, v[i].id);
	free(v);
	return 0;
}
