/*
 * spool_scan.c — listing the queue directory: recovery at open (removing
 * debris a crash left behind) and the list of queued ids for delivery.
 */
#include "queue/spool_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

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

/* Is a message with an envelope complete?  Its commit synced the message
 * before anyone was told, so a size that differs from the envelope means a
 * commit that a crash interrupted. */
static const char *
check_queued(struct spool *sp, const struct qent *q)
{
	char name[SPOOL_NAME_MAX];
	struct envelope env;
	struct stat st;
	const char *why = NULL;

	if (!(q->files & F_MSG))
		return "envelope without message";
	if (spool_load(sp, q->id, &env) < 0)
		return errno == ENOENT ? "vanished" : "unreadable envelope";
	/* Another message's envelope under this name: only a file system
	 * that lost the new bytes of a recycled file could show that. */
	if (strcmp(env.id, q->id) != 0) {
		envelope_free(&env);
		return "envelope of another message";
	}
	spool_name(name, sizeof(name), q->id, "msg");
	if (fstatat(sp->queuefd, name, &st, 0) < 0 ||
	    (size_t)st.st_size != env.size)
		why = "message size differs from envelope";
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

int
spool_recover(struct spool *sp)
{
	struct qent *v;
	size_t n, i;
	uint64_t last;
	const char *why;

	if (clear_dir(sp->tmpfd) < 0 ||
	    (sp->poolfd >= 0 && clear_dir(sp->poolfd) < 0) ||
	    list_queue(sp, &v, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!(v[i].files & F_ENV))
			why = "message without envelope";
		else
			why = check_queued(sp, &v[i]);
		if (why)
			remove_debris(sp, &v[i], why);
	}
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
