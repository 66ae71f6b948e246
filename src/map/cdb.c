/*
 * cdb.c — CDB maps (tinycdb): lookups in the mmap of the file, and
 * `ferry map build`, which compiles a text map into one (or, by the
 * output's name, into an LMDB: lmdb.c).
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "base/mem.h"
#include "map/map_int.h"

struct cdb_file {
	struct cdb db;
	int fd;
};

struct cdb_file *
cdb_file_open(const char *path, char *err, size_t errlen)
{
	struct cdb_file *c = xcalloc(1, sizeof(*c));

	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0 || cdb_init(&c->db, c->fd) != 0) {
		snprintf(err, errlen, "%s: cannot open as a CDB: %s", path,
		         strerror(errno ? errno : EINVAL));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

void
cdb_file_free(struct cdb_file *c)
{
	if (c == NULL)
		return;
	cdb_free(&c->db);
	close(c->fd);
	free(c);
}

int
cdb_file_find(struct cdb_file *c, const char *key, char *value, size_t len)
{
	unsigned vlen;

	if (cdb_find(&c->db, key, (unsigned)strlen(key)) <= 0)
		return 0;
	vlen = cdb_datalen(&c->db);
	if (vlen >= len)
		return -1;
	if (cdb_read(&c->db, value, vlen, cdb_datapos(&c->db)) < 0)
		return -1;
	value[vlen] = '\0';
	return 1;
}

/* The table holds each key once, its first line's value, in file
 * order: cdb_make_add() needs no look-back (CDB_PUT_INSERT would search
 * the file written so far for every key). */
static int
build_into(int fd, const struct text_table *t)
{
	struct cdb_make mk;
	size_t pos = 0, klen, vlen;

	if (cdb_make_start(&mk, fd) < 0)
		return -1;
	while (pos < t->used) {
		const char *key = t->arena + pos;

		klen = strlen(key);
		vlen = strlen(key + klen + 1);
		if (cdb_make_add(&mk, key, (unsigned)klen, key + klen + 1,
		                 (unsigned)vlen) < 0)
			return -1;
		pos += klen + vlen + 2;
	}
	return cdb_make_finish(&mk) < 0 || fsync(fd) < 0 ? -1 : 0;
}

/* The directory entry of the rename is durable too. */
static void
sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL   ? str_dup(".")
	            : slash == path ? str_dup("/")
	                            : strndup(path, (size_t)(slash - path));
	int fd;

	if (dir == NULL)
		abort();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static bool
is_lmdb(const char *path)
{
	size_t len = strlen(path);

	return len > 5 && strcmp(path + len - 5, ".lmdb") == 0;
}

int
map_build(const char *src, const char *dst, char *err, size_t errlen)
{
	struct text_table *t = text_table_load(src, err, errlen);
	char *tmp;
	int fd, rc;

	if (t == NULL)
		return -1;
	if (asprintf(&tmp, "%s.tmp.%ld", dst, (long)getpid()) < 0)
		abort();
	if (is_lmdb(dst)) {
		rc = lmdb_build(t, tmp, err, errlen);
	} else {
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		rc = fd < 0 ? -1 : build_into(fd, t);
		if (fd >= 0 && close(fd) < 0)
			rc = -1;
		if (rc < 0)
			snprintf(err, errlen, "%s: cannot write: %s", tmp,
			         strerror(errno));
	}
	if (rc == 0 && rename(tmp, dst) < 0) {
		snprintf(err, errlen, "%s: cannot rename to %s: %s", tmp, dst,
		         strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	else
		sync_dir_of(dst);
	free(tmp);
	text_table_free(t);
	return rc;
}
