/*
 * lmdb.c — LMDB maps: lookups in a read-only transaction on the mmap of
 * the file (a B-tree: O(log n) page reads, no copy but the value), and
 * their build from a text map.  The file is a single one (MDB_NOSUBDIR)
 * and never written while ferry reads it: `map build` makes a new file
 * and renames it, so readers need no lock file (MDB_NOLOCK).
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map/map_int.h"

struct lmdb_file {
	MDB_env *env;
	MDB_dbi dbi;
};

static MDB_env *
env_open(const char *path, unsigned flags, size_t mapsize, int *rc)
{
	MDB_env *env = NULL;

	*rc = mdb_env_create(&env);
	if (*rc == 0 && mapsize > 0)
		*rc = mdb_env_set_mapsize(env, mapsize);
	if (*rc == 0)
		*rc = mdb_env_open(
		        env, path,
		        flags | MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS, 0644);
	if (*rc != 0 && env != NULL) {
		mdb_env_close(env);
		env = NULL;
	}
	return env;
}

struct lmdb_file *
lmdb_file_open(const char *path, char *err, size_t errlen)
{
	struct lmdb_file *l = calloc(1, sizeof(*l));
	MDB_txn *txn = NULL;
	int rc;

	if (l == NULL)
		abort();
	l->env = env_open(path, MDB_RDONLY, 0, &rc);
	if (rc == 0)
		rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, NULL, 0, &l->dbi);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot open as an LMDB: %s", path,
		         mdb_strerror(rc));
		lmdb_file_free(l);
		return NULL;
	}
	return l;
}

void
lmdb_file_free(struct lmdb_file *l)
{
	if (l == NULL)
		return;
	if (l->env != NULL)
		mdb_env_close(l->env);
	free(l);
}

int
lmdb_file_find(struct lmdb_file *l, const char *key, char *value, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	MDB_txn *txn;
	int rc;

	if (mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	rc = mdb_get(txn, l->dbi, &k, &v);
	if (rc == 0 && v.mv_size < len) {
		memcpy(value, v.mv_data, v.mv_size);
		value[v.mv_size] = '\0';
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 && v.mv_size < len ? 1 : -1;
}

/* Every record of t, in one write transaction. */
static int
put_all(MDB_env *env, const struct text_table *t)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	size_t pos = 0;
	int rc = mdb_txn_begin(env, NULL, 0, &txn);

	if (rc == 0)
		rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	while (rc == 0 && pos < t->used) {
		char *key = t->arena + pos;
		size_t klen = strlen(key), vlen = strlen(key + klen + 1);
		MDB_val k = {klen, key}, v = {vlen, key + klen + 1};

		rc = mdb_put(txn, dbi, &k, &v, 0);
		pos += klen + vlen + 2;
	}
	if (rc == 0)
		return mdb_txn_commit(txn);
	mdb_txn_abort(txn);
	return rc;
}

int
lmdb_build(const struct text_table *t, const char *tmp, char *err,
           size_t errlen)
{
	/* B-tree pages hold the records about twice over, plus room. */
	size_t mapsize = t->used * 4 + t->n * 64 + ((size_t)16 << 20);
	MDB_env *env;
	int rc;

	unlink(tmp);
	env = env_open(tmp, MDB_NOMETASYNC, mapsize, &rc);
	if (env != NULL) {
		rc = put_all(env, t);
		if (rc == 0)
			rc = mdb_env_sync(env, 1);
		mdb_env_close(env);
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot write the LMDB: %s", tmp,
		         mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}
