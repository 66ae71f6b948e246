/*
 * spool_hold.c — putting queued messages on hold and back, deleting them,
 * and read-only access to the spool for the queue commands.
 *
 * A held message is the same three files in <spool>/hold/.  Moving them
 * with rename(2) one by one would leave, after a crash in the middle, a
 * message file in queue/ without its envelope, which spool_open() removes
 * as debris.  So the files are hard-linked into the destination first
 * (envelope last), the destination directory is synced, and only then are
 * the source names removed (envelope first).  At every moment one directory
 * holds a complete message; when both do, queue/ wins (the message is
 * queued) and spool_hold_recover() drops the hold/ copy.
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

#define HOLD_DIR "hold"

static const char *const exts[] = {"msg", "state", "env"}; /* env last */

bool
spool_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return false;
	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[QUEUE_ID_LEN] == '\0';
}

/* The hold directory; created (0700) when create is set. */
static int
open_hold(const struct spool *sp, bool create)
{
	if (create && mkdirat(sp->rootfd, HOLD_DIR, 0700) < 0 &&
	    errno != EEXIST)
		return -1;
	return openat(sp->rootfd, HOLD_DIR,
	              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool
has_file(int dirfd, const char *id, const char *ext)
{
	char name[SPOOL_NAME_MAX];

	spool_name(name, sizeof(name), id, ext);
	return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
unlink_files(int dirfd, const char *id)
{
	char name[SPOOL_NAME_MAX];
	size_t i;

	/* The envelope first, as spool_remove() does. */
	for (i = 3; i-- > 0;) {
		spool_name(name, sizeof(name), id, exts[i]);
		unlinkat(dirfd, name, 0);
	}
}

/* Links ID.{msg,state,env} from one directory into another (the state file
 * is optional) and makes the new names durable. */
static int
link_files(int from, int to, const char *id)
{
	char name[SPOOL_NAME_MAX];
	size_t i;

	for (i = 0; i < 3; i++) {
		spool_name(name, sizeof(name), id, exts[i]);
		if (linkat(from, name, to, name, 0) == 0)
			continue;
		if (errno == ENOENT && i == 1)
			continue; /* no state records yet */
		if (errno != EEXIST)
			return -1;
		/* Left over from an earlier move: replace it. */
		if (unlinkat(to, name, 0) < 0 ||
		    linkat(from, name, to, name, 0) < 0)
			return -1;
	}
	return fsync(to);
}

/* Moves a message between directories; see the comment at the top. */
static int
move_message(int from, int to, const char *id)
{
	int e;

	if (link_files(from, to, id) < 0) {
		e = errno;
		if (!has_file(to, id, "env"))
			unlink_files(to, id); /* partial copy: nothing moved */
		return errno = e, -1;
	}
	unlink_files(from, id);
	return fsync(from);
}

int
spool_hold(struct spool *sp, const char *id)
{
	int hfd, r = -1;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if ((hfd = open_hold(sp, true)) < 0)
		return -1;
	pthread_mutex_lock(&sp->finish_lock);
	if (has_file(sp->queuefd, id, "env"))
		r = move_message(sp->queuefd, hfd, id);
	else
		errno = has_file(hfd, id, "env") ? EALREADY : ENOENT;
	pthread_mutex_unlock(&sp->finish_lock);
	close(hfd);
	if (r == 0)
		log_event(LOG_LVL_INFO, "queue-held", "id", id, NULL);
	return r;
}

int
spool_release(struct spool *sp, const char *id)
{
	int hfd, r = -1;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if ((hfd = open_hold(sp, true)) < 0)
		return -1;
	pthread_mutex_lock(&sp->finish_lock);
	if (has_file(sp->queuefd, id, "env"))
		errno = EALREADY;
	else if (!has_file(hfd, id, "env"))
		errno = ENOENT;
	else {
		/* It may bring its state file back into queue/. */
		__atomic_store_n(&sp->state_files, true, __ATOMIC_RELEASE);
		r = move_message(hfd, sp->queuefd, id);
	}
	pthread_mutex_unlock(&sp->finish_lock);
	close(hfd);
	if (r == 0)
		log_event(LOG_LVL_INFO, "queue-released", "id", id, NULL);
	return r;
}

int
spool_delete(struct spool *sp, const char *id)
{
	int hfd, r = -1;
	const char *where = NULL;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if ((hfd = open_hold(sp, true)) < 0)
		return -1;
	pthread_mutex_lock(&sp->finish_lock);
	if (has_file(sp->queuefd, id, "env")) {
		where = "queue";
		r = spool_remove(sp, id);
	}
	if (has_file(hfd, id, "env")) {
		where = where ? where : "hold";
		unlink_files(hfd, id);
		r = fsync(hfd);
	}
	if (where && r == 0)
		r = spool_sync(sp);
	else if (where == NULL)
		errno = ENOENT;
	pthread_mutex_unlock(&sp->finish_lock);
	close(hfd);
	if (r == 0)
		log_event(LOG_LVL_INFO, "queue-deleted", "id", id, "from",
		          where, NULL);
	return r;
}

int
spool_is_held(struct spool *sp, const char *id)
{
	int hfd;
	bool held;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if ((hfd = open_hold(sp, false)) < 0)
		return errno == ENOENT ? 0 : -1;
	held = has_file(hfd, id, "env");
	close(hfd);
	return held;
}

/* "0123456789abcdef.ext" -> the id; false for any other name. */
static bool
name_id(const char *name, char *id)
{
	size_t i;

	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (strnlen(name, QUEUE_ID_LEN + 1) <= QUEUE_ID_LEN ||
	    name[QUEUE_ID_LEN] != '.' || !spool_id_valid(id))
		return false;
	for (i = 0; i < 3; i++)
		if (strcmp(name + QUEUE_ID_LEN + 1, exts[i]) == 0)
			return true;
	return false;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted ids of the hold directory; only_env: those with an envelope. */
static int
list_hold(int hfd, bool only_env, char (**ids)[QUEUE_ID_LEN + 1], size_t *n)
{
	char(*v)[QUEUE_ID_LEN + 1] = NULL, (*nv)[QUEUE_ID_LEN + 1];
	char id[QUEUE_ID_LEN + 1];
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*n = 0;
	if ((fd = dup(hfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!name_id(de->d_name, id))
			continue;
		if (only_env &&
		    strcmp(de->d_name + QUEUE_ID_LEN + 1, "env") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				free(v);
				return errno = ENOMEM, -1;
			}
			v = nv;
		}
		memcpy(v[(*n)++], id, sizeof(id));
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_id);
	*ids = v;
	return 0;
}

int
spool_scan_held(struct spool *sp, void (*fn)(void *arg, const char *id),
                void *arg)
{
	char(*ids)[QUEUE_ID_LEN + 1] = NULL;
	size_t n, i;
	int hfd;

	if ((hfd = open_hold(sp, false)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (list_hold(hfd, true, &ids, &n) < 0) {
		close(hfd);
		return -1;
	}
	close(hfd);
	for (i = 0; i < n; i++)
		fn(arg, ids[i]);
	free(ids);
	return 0;
}

static const char *
hold_debris(struct spool *sp, int hfd, const char *id)
{
	if (has_file(sp->queuefd, id, "env"))
		return "held copy of a queued message";
	if (!has_file(hfd, id, "env"))
		return "held message without envelope";
	if (!has_file(hfd, id, "msg"))
		return "held envelope without message";
	return NULL;
}

int
spool_hold_recover(struct spool *sp)
{
	char(*ids)[QUEUE_ID_LEN + 1] = NULL;
	const char *why;
	size_t n, i;
	int hfd;

	if ((hfd = open_hold(sp, true)) < 0)
		return -1;
	if (list_hold(hfd, false, &ids, &n) < 0) {
		close(hfd);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(ids[i - 1], ids[i]) == 0)
			continue;
		if ((why = hold_debris(sp, hfd, ids[i])) == NULL)
			continue;
		log_event(LOG_LVL_WARN, "spool_debris", "id", ids[i], "reason",
		          why, NULL);
		unlink_files(hfd, ids[i]);
	}
	free(ids);
	close(hfd);
	return 0;
}

/* A view of the spool whose "queue" is the hold directory, for the read
 * functions of spool_store.c (they only use queuefd). */
static int
hold_view(struct spool *sp, struct spool *view)
{
	memset(view, 0, sizeof(*view));
	view->mode = sp->mode;
	view->rootfd = view->tmpfd = -1;
	view->queuefd = open_hold(sp, false);
	return view->queuefd < 0 ? -1 : 0;
}

int
spool_load_held(struct spool *sp, const char *id, struct envelope *env)
{
	struct spool view;
	int r, e;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if (hold_view(sp, &view) < 0)
		return -1;
	r = spool_load(&view, id, env);
	e = errno;
	close(view.queuefd);
	return errno = e, r;
}

int
spool_read_held_msg(struct spool *sp, const char *id, char **data, size_t *len)
{
	struct spool view;
	int r, e;

	if (!spool_id_valid(id))
		return errno = EINVAL, -1;
	if (hold_view(sp, &view) < 0)
		return -1;
	r = spool_read_msg(&view, id, data, len);
	e = errno;
	close(view.queuefd);
	return errno = e, r;
}

struct spool *
spool_open_readonly(const char *spool_dir)
{
	struct spool *sp;
	int e;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	sp->tmpfd = sp->queuefd = sp->poolfd = -1;
	sp->rootfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->rootfd >= 0)
		sp->queuefd = openat(sp->rootfd, "queue",
		                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->queuefd < 0) {
		e = errno;
		spool_close_readonly(sp);
		return errno = e, NULL;
	}
	return sp;
}

void
spool_close_readonly(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->queuefd >= 0)
		close(sp->queuefd);
	if (sp->rootfd >= 0)
		close(sp->rootfd);
	free(sp);
}
