/*
 * cdb.c — CDB maps (tinycdb): lookups in the mmap of the file, and
 * `ferry map build`, which compiles a text map into one.
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map/map_int.h"

struct cdb_file {
	struct cdb db;
	int fd;
};

struct cdb_file *
cdb_file_open(const char *path, char *err, size_t errlen)
{
	struct cdb_file *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
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

/* CDB_PUT_INSERT reads back what was written: the file is open O_RDWR. */
static int
build_add(void *arg, const char *key, size_t klen, const char *value,
          size_t vlen)
{
	int r = cdb_make_put(arg, key, (unsigned)klen, value, (unsigned)vlen,
	                     CDB_PUT_INSERT);

	return r < 0 ? -1 : 0; /* 1: a duplicate, the first one stays */
}

static int
build_into(int fd, const char *buf, size_t len, int *bad, bool *io)
{
	struct cdb_make mk;

	*io = true;
	if (cdb_make_start(&mk, fd) < 0)
		return -1;
	*io = false;
	if (map_text_parse(buf, len, build_add, &mk, bad) < 0)
		return -1;
	*io = true;
	return cdb_make_finish(&mk) < 0 || fsync(fd) < 0 ? -1 : 0;
}

/* The directory entry of the rename is durable too. */
static void
sync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd;

	if (dir == NULL)
		abort();
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int
map_build(const char *src, const char *dst, char *err, size_t errlen)
{
	char *buf, *tmp;
	size_t len;
	int fd, bad = 0, rc;
	bool io;

	if (map_read_file(src, &buf, &len) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", src,
		         strerror(errno));
		return -1;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", dst, (long)getpid()) < 0)
		abort();
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	rc = fd < 0 ? -1 : build_into(fd, buf, len, &bad, &io);
	if (fd < 0 || (rc < 0 && io))
		snprintf(err, errlen, "%s: cannot write: %s", tmp,
		         strerror(errno));
	else if (rc < 0)
		snprintf(err, errlen,
		         "%s:%d: not a 'key value' line (a key of up to %d "
		         "characters, no control characters)",
		         src, bad, MAP_KEY_MAX - 1);
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		rc = -1;
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
	free(buf);
	return rc;
}
