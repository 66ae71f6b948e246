/*
 * state_file.c — saving and loading the embedded state.  One text line per
 * key, so the file can be read and repaired by hand:
 *
 *   ferry-policy-state 1
 *   R EXPIRES WINDOW NEWEST C0 ... C10 KEY
 *   K EXPIRES V0 V1 KEY
 *
 * Written to FILE.tmp, synced, renamed over FILE and the directory synced,
 * so a crash leaves the old file or the new one, never half of one.
 * Keys already expired are not written and not read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "policy/state_mem_int.h"

#define STATE_MAGIC "ferry-policy-state 1"

static void
write_entry(FILE *f, const struct mem_entry *e)
{
	size_t i;

	if (e->kind == MEM_RECORD) {
		fprintf(f, "K %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
		        e->expires, e->u.v[0], e->u.v[1], e->key);
		return;
	}
	fprintf(f, "R %" PRId64 " %d %" PRId64, e->expires,
	        (int)e->u.rate.window, e->u.rate.newest);
	for (i = 0; i < RATE_SLOTS; i++)
		fprintf(f, " %u", e->u.rate.count[i]);
	fprintf(f, " %s\n", e->key);
}

static int
sync_dir_of(const char *file)
{
	char *copy = str_dup(file);
	int fd, rc = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
mem_save(struct state_mem *m, int64_t now)
{
	char tmp[4096];
	FILE *f;
	size_t i;
	int ok;

	if (m->file == NULL)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", m->file) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "%s\n", STATE_MAGIC);
	for (i = 0; i < m->nbuckets; i++) {
		const struct mem_entry *e;

		for (e = m->buckets[i]; e != NULL; e = e->next)
			if (e->expires >= now)
				write_entry(f, e);
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, m->file) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return sync_dir_of(m->file);
}

/* The key is the rest of the line after n fields. */
static const char *
key_after(const char *line, int fields)
{
	for (; fields > 0 && line != NULL; fields--) {
		line = strchr(line, ' ');
		if (line != NULL)
			line++;
	}
	return line != NULL && *line != '\0' ? line : NULL;
}

static void
load_rate(struct state_mem *m, const char *line, int64_t now)
{
	struct mem_entry tmp = {0}, *e;
	const char *key = key_after(line, 4 + RATE_SLOTS);
	int used = 0, i;
	const char *p;

	if (key == NULL ||
	    sscanf(line, "R %" SCNd64 " %d %" SCNd64 "%n", &tmp.expires,
	           &tmp.u.rate.window, &tmp.u.rate.newest, &used) != 3 ||
	    tmp.expires < now || tmp.u.rate.window <= 0)
		return;
	p = line + used;
	for (i = 0; i < RATE_SLOTS; i++) {
		int n = 0;

		if (sscanf(p, " %u%n", &tmp.u.rate.count[i], &n) != 1)
			return;
		p += n;
	}
	e = mem_find(m, key, MEM_RATE, now);
	if (e == NULL)
		e = mem_insert(m, key, MEM_RATE);
	e->expires = tmp.expires;
	e->u = tmp.u;
}

static void
load_record(struct state_mem *m, const char *line, int64_t now)
{
	const char *key = key_after(line, 4);
	int64_t expires, v[2];
	struct mem_entry *e;

	if (key == NULL ||
	    sscanf(line, "K %" SCNd64 " %" SCNd64 " %" SCNd64, &expires, &v[0],
	           &v[1]) != 3 ||
	    expires < now)
		return;
	e = mem_find(m, key, MEM_RECORD, now);
	if (e == NULL)
		e = mem_insert(m, key, MEM_RECORD);
	e->expires = expires;
	e->u.v[0] = v[0];
	e->u.v[1] = v[1];
}

int
mem_load(struct state_mem *m, int64_t now)
{
	FILE *f = fopen(m->file, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool first = true;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (first) {
			first = false;
			if (strcmp(line, STATE_MAGIC) != 0)
				break; /* not ours: start empty */
			continue;
		}
		if (line[0] == 'R')
			load_rate(m, line, now);
		else if (line[0] == 'K')
			load_record(m, line, now);
	}
	free(line);
	fclose(f);
	return 0;
}
