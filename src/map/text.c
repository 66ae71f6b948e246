/*
 * text.c — the text map format ("key value" lines, '#' comment lines)
 * and its in-memory hash table.  The parser takes bytes, never a file,
 * so the fuzz target and `map build` share it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "map/map_int.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line without its '\n'.  0: entry or nothing, -1: bad. */
static int
parse_line(const char *p, size_t len, map_entry_fn fn, void *arg)
{
	char key[MAP_KEY_MAX];
	size_t i = 0, k, klen, v, vlen;

	while (i < len && is_blank(p[i]))
		i++;
	if (i == len || p[i] == '#')
		return 0;
	for (k = i; i < len && !is_blank(p[i]); i++)
		if (iscntrl((unsigned char)p[i]))
			return -1;
	klen = i - k;
	if (klen >= sizeof(key))
		return -1;
	for (v = 0; v < klen; v++)
		key[v] = (char)tolower((unsigned char)p[k + v]);
	key[klen] = '\0';
	while (i < len && is_blank(p[i]))
		i++;
	v = i;
	vlen = len - v;
	while (vlen > 0 && is_blank(p[v + vlen - 1]))
		vlen--;
	if (vlen >= MAP_VALUE_MAX || memchr(p + v, '\0', vlen) != NULL)
		return -1;
	return fn(arg, key, klen, p + v, vlen);
}

int
map_text_parse(const char *buf, size_t len, map_entry_fn fn, void *arg,
               int *bad_line)
{
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		line++;
		if (parse_line(buf + pos, end - pos, fn, arg) < 0) {
			*bad_line = line;
			return -1;
		}
		pos = end + 1;
	}
	return 0;
}

/* FNV-1a */
static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

const char *
text_table_find(const struct text_table *t, const char *key)
{
	size_t i, mask = t->nslots - 1;

	for (i = hash(key) & mask; t->slots[i] != 0; i = (i + 1) & mask) {
		const char *rec = t->arena + t->slots[i] - 1;

		if (strcmp(rec, key) == 0)
			return rec + strlen(rec) + 1;
	}
	return NULL;
}

static void
grow_slots(struct text_table *t)
{
	size_t old_n = t->nslots, *old = t->slots, i, j, mask;

	t->nslots = old_n ? old_n * 2 : 64;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	mask = t->nslots - 1;
	for (i = 0; i < old_n; i++) {
		if (old[i] == 0)
			continue;
		for (j = hash(t->arena + old[i] - 1) & mask; t->slots[j] != 0;
		     j = (j + 1) & mask)
			;
		t->slots[j] = old[i];
	}
	free(old);
}

/* The first entry of a key wins, as in a CDB built from the same file. */
static int
table_add(void *arg, const char *key, size_t klen, const char *value,
          size_t vlen)
{
	struct text_table *t = arg;
	size_t need = klen + vlen + 2, i, mask;

	if (klen == 0 || text_table_find(t, key) != NULL)
		return 0;
	if ((t->n + 1) * 2 > t->nslots)
		grow_slots(t);
	while (t->used + need > t->cap) {
		t->cap *= 2;
		t->arena = realloc(t->arena, t->cap);
		if (t->arena == NULL)
			abort();
	}
	memcpy(t->arena + t->used, key, klen + 1);
	memcpy(t->arena + t->used + klen + 1, value, vlen);
	t->arena[t->used + need - 1] = '\0';
	mask = t->nslots - 1;
	for (i = hash(key) & mask; t->slots[i] != 0; i = (i + 1) & mask)
		;
	t->slots[i] = t->used + 1;
	t->used += need;
	t->n++;
	return 0;
}

int
map_read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t got = 0;
	size_t n = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || S_ISDIR(st.st_mode))
			errno = EISDIR;
		close(fd);
		return -1;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL)
		abort();
	while (n < (size_t)st.st_size &&
	       (got = read(fd, *buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (got < 0) {
		free(*buf);
		return -1;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

struct text_table *
text_table_load(const char *path, char *err, size_t errlen)
{
	struct text_table *t;
	char *buf;
	size_t len;
	int bad = 0;

	if (map_read_file(path, &buf, &len) < 0) {
		snprintf(err, errlen, "%s: cannot read: %m", path);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->cap = 4096;
	t->arena = xmalloc(t->cap);
	grow_slots(t);
	if (map_text_parse(buf, len, table_add, t, &bad) < 0) {
		snprintf(err, errlen,
		         "%s:%d: not a 'key value' line (a key of up to %d "
		         "characters, no control characters)",
		         path, bad, MAP_KEY_MAX - 1);
		text_table_free(t);
		t = NULL;
	}
	free(buf);
	return t;
}

void
text_table_free(struct text_table *t)
{
	if (t == NULL)
		return;
	free(t->arena);
	free(t->slots);
	free(t);
}
