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

struct mdentry {
	char *path;
	dev_t dev;
	mode_t file_mode;
	struct mdentry *next;
};

struct maildir_cache {
	struct mdentry *b[CACHE_BUCKETS];
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
			free(e->path);
			free(e);
		}
	free(c);
}

void
maildir_forget(struct maildir_cache *c, const char *path)
{
	struct mdentry **pp, *e;

	for (pp = &c->b[hash(path)]; (e = *pp); pp = &e->next)
		if (strcmp(e->path, path) == 0) {
			*pp = e->next;
			free(e->path);
			free(e);
			return;
		}
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
	struct mdentry *e;
	unsigned h = hash(path);

	for (e = c->b[h]; e; e = e->next)
		if (strcmp(e->path, path) == 0) {
			*dev = e->dev;
			*file_mode = e->file_mode;
			return 0;
		}
	if (create_maildir(path, dev, file_mode) < 0)
		return -1;
	if ((e = malloc(sizeof(*e))) == NULL ||
	    (e->path = str_dup(path)) == NULL) {
		free(e);
		return 0; /* prepared, just not cached */
	}
	e->dev = *dev;
	e->file_mode = *file_mode;
	e->next = c->b[h];
	c->b[h] = e;
	return 0;
}

static char hostpart[256];
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

/* The Maildir convention encodes '/' and ':' in the host part, since they
 * would split the path or start the info suffix. */
static void
init_host(void)
{
	char h[128] = "localhost";
	size_t i, o = 0;

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
	             (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
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

int
maildir_write(const char *path, const char *qid, const struct iovec *iov,
              int iovcnt, bool do_fsync, mode_t mode)
{
	char name[512], tmp[PATH_MAX], dst[PATH_MAX];
	size_t size = 0;
	int fd, i, e;

	for (i = 0; i < iovcnt; i++)
		size += iov[i].iov_len;
	if (unique_name(name, sizeof(name), qid, size) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/tmp/%s", path, name) >=
	            (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/new/%s", path, name) >=
	            (int)sizeof(dst))
		return errno = ENAMETOOLONG, -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	/* A shared mode must not lose its group bits to the umask. */
	if (mode != 0600 && fchmod(fd, mode) < 0)
		goto fail;
	if (writev_all(fd, iov, iovcnt) < 0 || (do_fsync && fsync(fd) < 0))
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, dst) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return errno = e, -1;
}
