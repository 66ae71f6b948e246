/*
 * maildir.c — Maildir writing and the cache of prepared Maildirs.
 */
#include "base/str.h"
#include "deliver/maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define CACHE_BUCKETS 1024
/* Maildirs per cache whose tmp/ and new/ stay open (two descriptors
 * each); the least recently used give theirs up beyond that. */
#define MAILDIR_OPEN_MAX 64

struct mdentry {
	char *path;
	dev_t dev;
	mode_t file_mode;
	/* tmp/ and new/, -1 when not open: files are created and renamed
	 * relative to them, without a walk of the whole path each time. */
	int tmpfd, newfd;
	dev_t new_dev; /* new/ as opened, to see it replaced */
	ino_t new_ino;
	unsigned long checked; /* the round it was last compared in */
	struct mdentry *next;
	struct mdentry *lru_prev,
	        *lru_next; /* while its descriptors are open */
};

struct maildir_cache {
	struct mdentry *b[CACHE_BUCKETS];
	unsigned long round;
	size_t nopen;
	struct mdentry *lru_head, *lru_tail; /* most recently used first */
};

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % CACHE_BUCKETS;
}

struct maildir_cache *
maildir_cache_new(void)
{
	return calloc(1, sizeof(struct maildir_cache));
}

static void
lru_unlink(struct maildir_cache *c, struct mdentry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void
lru_push(struct maildir_cache *c, struct mdentry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

static void
close_dirs(struct maildir_cache *c, struct mdentry *e)
{
	if (e->newfd < 0)
		return;
	close(e->tmpfd);
	close(e->newfd);
	e->tmpfd = e->newfd = -1;
	lru_unlink(c, e);
	c->nopen--;
}

/* Opens tmp/ and new/ (best effort: without them, paths are used). */
static void
open_dirs(struct maildir_cache *c, struct mdentry *e)
{
	char sub[PATH_MAX];
	struct stat st;
	int tfd, nfd;

	if (c->nopen >= MAILDIR_OPEN_MAX && c->lru_tail != NULL)
		close_dirs(c, c->lru_tail);
	snprintf(sub, sizeof(sub), "%s/tmp", e->path);
	if ((tfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	snprintf(sub, sizeof(sub), "%s/new", e->path);
	if ((nfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(nfd, &st) < 0) {
		if (nfd >= 0)
			close(nfd);
		close(tfd);
		return;
	}
	e->tmpfd = tfd;
	e->newfd = nfd;
	e->new_dev = st.st_dev;
	e->new_ino = st.st_ino;
	c->nopen++;
	lru_push(c, e);
}

static void
entry_free(struct maildir_cache *c, struct mdentry *e)
{
	close_dirs(c, e);
	free(e->path);
	free(e);
}

void
maildir_cache_free(struct maildir_cache *c)
{
	struct mdentry *e, *n;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++)
		for (e = c->b[i]; e; e = n) {
			n = e->next;
			entry_free(c, e);
		}
	free(c);
}

void
maildir_cache_round(struct maildir_cache *c)
{
	c->round++;
}

void
maildir_forget(struct maildir_cache *c, const char *path)
{
	struct mdentry **pp, *e;

	for (pp = &c->b[hash(path)]; (e = *pp); pp = &e->next)
		if (strcmp(e->path, path) == 0) {
			*pp = e->next;
			entry_free(c, e);
			return;
		}
}

static struct mdentry *
lookup(struct maildir_cache *c, const char *path)
{
	struct mdentry *e;

	for (e = c->b[hash(path)]; e; e = e->next)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

/* Is path/new still the directory we hold open?  Asked once per round
 * (a delivery batch): a Maildir deleted, or moved away and made again,
 * is prepared afresh. */
static bool
still_there(struct maildir_cache *c, struct mdentry *e)
{
	char sub[PATH_MAX];
	struct stat st;

	if (e->newfd < 0 || e->checked == c->round)
		return true;
	e->checked = c->round;
	snprintf(sub, sizeof(sub), "%s/new", e->path);
	return stat(sub, &st) == 0 && st.st_ino == e->new_ino &&
	       st.st_dev == e->new_dev;
}

/* fsync a directory by path; best effort (used after creating it). */
static void
sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* mkdir one directory; on success its parent is synced so the new entry
 * survives a crash.  *made tells whether it was created. */
static int
make_dir(char *path, bool *made)
{
	char *slash = strrchr(path, '/');
	mode_t mode = 0700;
	struct stat parent;

	/* Under a shared (setgid, group rwx) directory, as an owner's
	 * MAILDIR_ROOT is, a new directory is shared the same way. */
	if (slash != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &parent) == 0 && (parent.st_mode & S_ISGID) &&
		    (parent.st_mode & 0070) == 0070)
			mode = parent.st_mode & 07770;
		*slash = '/';
	}
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -1;
	if (mode != 0700)
		(void)chmod(path, mode); /* past the umask */
	*made = true;
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		sync_dir(path);
		*slash = '/';
	}
	return 0;
}

/* mkdir -p path: every component, left to right. */
static int
make_dirs(const char *path, bool *made)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (make_dir(buf, made) < 0)
			return -1;
		*p = '/';
	}
	return make_dir(buf, made);
}

/* Messages in a Maildir whose group may enter it are for the group too
 * (a reader such as Dovecot), with the directory's mode without execute
 * bits; otherwise the daemon's alone. */
static mode_t
file_mode_of(const struct stat *dir)
{
	return (dir->st_mode & 0070) == 0070 ? (dir->st_mode & 0660) : 0600;
}

static int
create_maildir(const char *path, dev_t *dev, mode_t *file_mode)
{
	static const char *const subs[] = {"tmp", "new", "cur"};
	char sub[PATH_MAX];
	struct stat st;
	bool made = false;
	size_t i;

	if (make_dirs(path, &made) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, subs[i]);
		if (make_dir(sub, &made) < 0)
			return -1;
	}
	if (stat(path, &st) < 0)
		return -1;
	*dev = st.st_dev;
	*file_mode = file_mode_of(&st);
	return 0;
}

int
maildir_prepare(struct maildir_cache *c, const char *path, dev_t *dev,
                mode_t *file_mode)
{
	struct mdentry *e = lookup(c, path);
	unsigned h = hash(path);

	if (e != NULL && !still_there(c, e)) {
		maildir_forget(c, path);
		e = NULL;
	}
	if (e != NULL) {
		if (e->newfd < 0)
			open_dirs(c, e);
		else if (c->lru_head != e) {
			lru_unlink(c, e);
			lru_push(c, e);
		}
		*dev = e->dev;
		*file_mode = e->file_mode;
		return 0;
	}
	if (create_maildir(path, dev, file_mode) < 0)
		return -1;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->path = str_dup(path)) == NULL) {
		free(e);
		return 0; /* prepared, just not cached */
	}
	e->dev = *dev;
	e->file_mode = *file_mode;
	e->tmpfd = e->newfd = -1;
	e->checked = c->round;
	e->next = c->b[h];
	c->b[h] = e;
	open_dirs(c, e);
	return 0;
}

int
maildir_new_dir(struct maildir_cache *c, const char *path)
{
	struct mdentry *e = lookup(c, path);

	return e != NULL ? e->newfd : -1;
}

static char hostpart[256];
static long our_pid; /* delivery runs in the daemon, which never forks */
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

/* The Maildir convention encodes '/' and ':' in the host part, since they
 * would split the path or start the info suffix. */
static void
init_host(void)
{
	char h[128] = "localhost";
	size_t i, o = 0;

	our_pid = (long)getpid();
	gethostname(h, sizeof(h) - 1);
	for (i = 0; h[i] && o + 5 < sizeof(hostpart); i++) {
		if (h[i] == '/')
			o += (size_t)sprintf(hostpart + o, "\\057");
		else if (h[i] == ':')
			o += (size_t)sprintf(hostpart + o, "\\072");
		else
			hostpart[o++] = h[i];
	}
	hostpart[o] = '\0';
}

static int
unique_name(char *buf, size_t cap, const char *qid, size_t size)
{
	static uint64_t seq;
	struct timeval tv;
	uint64_t q = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	int n;

	pthread_once(&host_once, init_host);
	gettimeofday(&tv, NULL);
	n = snprintf(buf, cap, "%lld.M%06ldP%ldQ%llu_%s.%s,S=%zu",
	             (long long)tv.tv_sec, (long)tv.tv_usec, our_pid,
	             (unsigned long long)q, qid, hostpart, size);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
writev_all(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec v[8];
	ssize_t n;
	int i = 0;

	if (iovcnt > 8)
		return errno = EINVAL, -1;
	memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
	while (i < iovcnt) {
		if ((n = writev(fd, v + i, iovcnt - i)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (i < iovcnt && (size_t)n >= v[i].iov_len)
			n -= (ssize_t)v[i++].iov_len;
		if (i < iovcnt) {
			v[i].iov_base = (char *)v[i].iov_base + n;
			v[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Where the message's two names are: below the open tmp/ and new/, or
 * (a Maildir not cached) full paths from AT_FDCWD. */
struct names {
	int tmpdir, newdir;
	char tmp[PATH_MAX], dst[PATH_MAX];
};

static int
set_names(struct names *n, const struct mdentry *e, const char *path,
          const char *name)
{
	if (e != NULL && e->newfd >= 0) {
		n->tmpdir = e->tmpfd;
		n->newdir = e->newfd;
		snprintf(n->tmp, sizeof(n->tmp), "%s", name);
		snprintf(n->dst, sizeof(n->dst), "%s", name);
		return 0;
	}
	n->tmpdir = n->newdir = AT_FDCWD;
	if (snprintf(n->tmp, sizeof(n->tmp), "%s/tmp/%s", path, name) >=
	            (int)sizeof(n->tmp) ||
	    snprintf(n->dst, sizeof(n->dst), "%s/new/%s", path, name) >=
	            (int)sizeof(n->dst))
		return errno = ENAMETOOLONG, -1;
	return 0;
}

/* Closes fd and removes what the failed write left in tmp/. */
static int
write_failed(const struct names *n, int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	unlinkat(n->tmpdir, n->tmp, 0);
	return errno = e, -1;
}

/* The classic way: create tmp/NAME, write, rename to new/NAME. */
static int
write_renamed(const struct names *n, const struct iovec *iov, int iovcnt,
              bool do_fsync, mode_t mode)
{
	int fd = openat(n->tmpdir, n->tmp,
	                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	/* A shared mode must not lose its group bits to the umask. */
	if (mode != 0600 && fchmod(fd, mode) < 0)
		return write_failed(n, fd);
	if (writev_all(fd, iov, iovcnt) < 0 || (do_fsync && fsync(fd) < 0))
		return write_failed(n, fd);
	if (close(fd) < 0)
		return write_failed(n, -1);
	if (renameat(n->tmpdir, n->tmp, n->newdir, n->dst) < 0)
		return write_failed(n, -1);
	return 0;
}

/* 1 while an unnamed file (O_TMPFILE) linked into new/ works here; 0 once
 * the file system or the kernel refused it (then tmp/ and rename). */
static int linking_works = 1;

/*
 * An unnamed file made in tmp/ and linked into new/ under its name once
 * written: one directory entry made instead of one made in tmp/ and moved,
 * so a batch's sync has no tmp/ to write back.  Returns 1 when this way is not
 * available (the caller falls back to tmp/ and rename), 0 or -1 with errno
 * otherwise.  A crash before the link leaves no name anywhere; the file
 * system reclaims the inode.
 */
static int
write_linked(const struct names *n, const char *path, const struct iovec *iov,
             int iovcnt, bool do_fsync, mode_t mode)
{
	char dir[PATH_MAX];
	const char *where = ".";
	int fd, e, r;

	if (n->tmpdir == AT_FDCWD) {
		snprintf(dir, sizeof(dir), "%s/tmp", path);
		where = dir;
	}
	fd = openat(n->tmpdir, where, O_WRONLY | O_TMPFILE | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL
		               ? 1
		               : -1;
	if ((mode != 0600 && fchmod(fd, mode) < 0) ||
	    writev_all(fd, iov, iovcnt) < 0)
		goto fail;
	/* Linking by descriptor needs a kernel that lets the opener do it
	 * (Linux 6.10) or CAP_DAC_READ_SEARCH; refused, it says ENOENT. */
	if (linkat(fd, "", n->newdir, n->dst, AT_EMPTY_PATH) < 0) {
		e = errno;
		close(fd);
		return e == ENOENT || e == EPERM ? 1 : (errno = e, -1);
	}
	/* Synced after the link, not before: the inode's link count is part
	 * of what must be durable, and without a journal the sync of new/
	 * does not write it. */
	r = do_fsync ? fsync(fd) : 0;
	e = errno;
	if (close(fd) < 0 && r == 0) {
		r = -1;
		e = errno;
	}
	if (r < 0) {
		unlinkat(n->newdir, n->dst, 0);
		return errno = e, -1;
	}
	return 0;
fail:
	e = errno;
	close(fd);
	return errno = e, -1;
}

int
maildir_write(struct maildir_cache *c, const char *path, const char *qid,
              const struct iovec *iov, int iovcnt, bool do_fsync, mode_t mode)
{
	char name[512];
	struct names n;
	size_t size = 0;
	int i, r;

	for (i = 0; i < iovcnt; i++)
		size += iov[i].iov_len;
	if (unique_name(name, sizeof(name), qid, size) < 0)
		return errno = ENAMETOOLONG, -1;
	if (set_names(&n, lookup(c, path), path, name) < 0)
		return -1;
	if (__atomic_load_n(&linking_works, __ATOMIC_RELAXED)) {
		r = write_linked(&n, path, iov, iovcnt, do_fsync, mode);
		if (r <= 0)
			return r;
		/* Refused: the old way, and only if that works is linking
		 * given up (a new/ deleted under us refuses both). */
		r = write_renamed(&n, iov, iovcnt, do_fsync, mode);
		if (r == 0)
			__atomic_store_n(&linking_works, 0, __ATOMIC_RELAXED);
		return r;
	}
	return write_renamed(&n, iov, iovcnt, do_fsync, mode);
}
