/*
 * map.c — a map handle: which file, its loaded form, and the change check
 * that loads it again.  One mutex per map guards the loaded form; a
 * lookup holds it only to find and copy one value.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/str.h"
#include "base/mem.h"
#include "base/log.h"
#include "map/map_int.h"

/* A map's file as loaded: one of the three, by its kind. */
struct form {
	struct text_table *text; /* MAP_TEXT */
	struct cdb_file *cdb;    /* MAP_CDB */
	struct lmdb_file *lmdb;  /* MAP_LMDB */
};

struct map {
	char *spec;
	char *path;
	enum map_kind kind;
	pthread_mutex_t lock;
	struct form form;
	/* What the loaded form was read from, to notice a change. */
	struct stat loaded;
	struct stat failed; /* the last version that did not load */
	time_t checked;     /* monotonic seconds of the last stat() */
	bool loading;       /* a text load runs on its thread */
};

int
map_spec_parse(const char *spec, enum map_kind *kind, const char **path)
{
	const char *colon = strchr(spec, ':'), *slash = strchr(spec, '/');
	size_t len = strlen(spec);

	if (strncmp(spec, "text:", 5) == 0 || strncmp(spec, "cdb:", 4) == 0 ||
	    strncmp(spec, "lmdb:", 5) == 0) {
		*kind = spec[0] == 't'   ? MAP_TEXT
		        : spec[0] == 'c' ? MAP_CDB
		                         : MAP_LMDB;
		*path = colon + 1;
		return **path != '\0' ? 0 : -1;
	}
	if (colon != NULL && (slash == NULL || colon < slash))
		return -1; /* a kind ferry does not know, as hash: */
	if (len > 4 && strcmp(spec + len - 4, ".cdb") == 0)
		*kind = MAP_CDB;
	else if (len > 5 && strcmp(spec + len - 5, ".lmdb") == 0)
		*kind = MAP_LMDB;
	else
		*kind = MAP_TEXT;
	*path = spec;
	return len > 0 ? 0 : -1;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
form_free(struct form *f)
{
	text_table_free(f->text);
	cdb_file_free(f->cdb);
	lmdb_file_free(f->lmdb);
	memset(f, 0, sizeof(*f));
}

/* Loads the file as it is now into f; the stat it was read from in st.
 * A change while reading is seen at the next check. */
static int
load_now(const struct map *m, struct stat *st, struct form *f, char *err,
         size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if (stat(m->path, st) < 0) {
		snprintf(err, errlen, "%s: %m", m->path);
		return -1;
	}
	if (m->kind == MAP_CDB)
		f->cdb = cdb_file_open(m->path, err, errlen);
	else if (m->kind == MAP_LMDB)
		f->lmdb = lmdb_file_open(m->path, err, errlen);
	else
		f->text = text_table_load(m->path, err, errlen);
	return f->cdb || f->lmdb || f->text ? 0 : -1;
}

struct map *
map_open(const char *spec, char *err, size_t errlen)
{
	struct map *m = calloc(1, sizeof(*m));
	const char *path;

	if (m == NULL)
		abort();
	if (map_spec_parse(spec, &m->kind, &path) < 0) {
		snprintf(err, errlen,
		         "'%s' is not a map (text:PATH, cdb:PATH, lmdb:PATH or "
		         "PATH)",
		         spec);
		free(m);
		return NULL;
	}
	m->spec = str_dup(spec);
	m->path = str_dup(path);
	if (m->spec == NULL || m->path == NULL)
		abort();
	pthread_mutex_init(&m->lock, NULL);
	if (load_now(m, &m->loaded, &m->form, err, errlen) < 0) {
		map_free(m);
		return NULL;
	}
	m->checked = mono_seconds();
	return m;
}

void
map_free(struct map *m)
{
	const struct timespec ms = {0, 1000000};

	if (m == NULL)
		return;
	for (;;) { /* a text load still running uses m */
		bool loading;

		pthread_mutex_lock(&m->lock);
		loading = m->loading;
		pthread_mutex_unlock(&m->lock);
		if (!loading)
			break;
		nanosleep(&ms, NULL);
	}
	form_free(&m->form);
	pthread_mutex_destroy(&m->lock);
	free(m->spec);
	free(m->path);
	free(m);
}

/* Swaps a newly loaded form in (lock held), or remembers the failure.
 * The old form is left in *f, for the caller to free once it has let go
 * of the lock: freeing a large table takes a while. */
static void
install(struct map *m, int rc, const struct stat *st, struct form *f,
        const char *err)
{
	struct form old = m->form;

	if (rc < 0) {
		if (!same_file(&m->failed, st))
			log_event(LOG_LVL_WARN, "map", "map", m->spec, "error",
			          err, "action", "kept the loaded version",
			          NULL);
		m->failed = *st;
		return;
	}
	m->form = *f;
	m->loaded = *st;
	*f = old;
	log_event(LOG_LVL_INFO, "map-reload", "map", m->spec, NULL);
}

/* A large text file takes a while to read and hash: a thread of its own
 * does it, and lookups answer from the old table until then. */
static void *
text_loader(void *arg)
{
	struct map *m = arg;
	struct stat st = {0};
	struct form f;
	char err[512];
	int rc = load_now(m, &st, &f, err, sizeof(err));

	pthread_mutex_lock(&m->lock);
	install(m, rc, &st, &f, err);
	m->loading = false;
	pthread_mutex_unlock(&m->lock);
	form_free(&f);
	return NULL;
}

static void
start_text_load(struct map *m)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	m->loading = pthread_create(&tid, &attr, text_loader, m) == 0;
	pthread_attr_destroy(&attr);
}

/* At most once a second (lock held): has the file changed? */
static void
check_change(struct map *m)
{
	time_t now = mono_seconds();
	struct form f;
	struct stat st;
	char err[512];
	int rc;

	if (now == m->checked || m->loading)
		return;
	m->checked = now;
	if (stat(m->path, &st) < 0 || same_file(&st, &m->loaded) ||
	    same_file(&st, &m->failed))
		return;
	if (m->kind == MAP_TEXT) {
		start_text_load(m);
		return;
	}
	/* A CDB or LMDB: an open and an mmap, whatever its size. */
	rc = load_now(m, &st, &f, err, sizeof(err));
	install(m, rc, &st, &f, err);
	form_free(&f); /* the old one: an munmap and a close */
}

int
map_lookup(struct map *m, const char *key, char *value, size_t len)
{
	char lower[MAP_KEY_MAX];
	const char *v;
	size_t i, vlen;
	int rc = 0;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)key[i]);
	if (key[i] != '\0')
		return 0; /* longer than any key of a map */
	lower[i] = '\0';
	pthread_mutex_lock(&m->lock);
	check_change(m);
	if (m->form.cdb != NULL) {
		rc = cdb_file_find(m->form.cdb, lower, value, len);
	} else if (m->form.lmdb != NULL) {
		rc = lmdb_file_find(m->form.lmdb, lower, value, len);
	} else if ((v = text_table_find(m->form.text, lower)) != NULL) {
		vlen = strlen(v);
		rc = vlen < len ? 1 : -1;
		if (rc == 1)
			memcpy(value, v, vlen + 1);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* The process-wide handles, one per spec. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct map **registry;
static size_t nregistry;

struct map *
map_get(const char *spec)
{
	struct map *m = NULL, **grown;
	char err[512];
	size_t i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < nregistry && m == NULL; i++)
		if (strcmp(registry[i]->spec, spec) == 0)
			m = registry[i];
	if (m == NULL && (m = map_open(spec, err, sizeof(err))) != NULL) {
		grown = xreallocarray(registry, nregistry + 1,
		                      sizeof(struct map *));
		registry = grown;
		registry[nregistry++] = m;
	} else if (m == NULL) {
		log_event(LOG_LVL_WARN, "map", "map", spec, "error", err, NULL);
	}
	pthread_mutex_unlock(&registry_lock);
	return m;
}
