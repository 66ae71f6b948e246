/*
 * map_int — what the map files share: the loaded forms of a text map (a
 * hash table) and of a CDB (an mmap).  Not for use outside src/map/.
 */
#ifndef FERRY_MAP_INT_H
#define FERRY_MAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "map/map.h"

/* Longest key, as for a mail address (RFC 5321 s4.5.3.1). */
#define MAP_KEY_MAX 512

/* A text map in memory: "key\0value\0" records in one arena, found by an
 * open-addressing table of record offsets (+1; 0 is empty). */
struct text_table {
	char *arena;
	size_t used, cap;
	size_t *slots;
	size_t nslots; /* a power of two, at least twice the entries */
	size_t n;
};

/* The whole regular file, NUL-terminated (malloc'd); -1 with errno. */
int map_read_file(const char *path, char **buf, size_t *len);

/* Reads path into a new table; NULL with the reason in err. */
struct text_table *text_table_load(const char *path, char *err, size_t errlen);
void text_table_free(struct text_table *t);
/* The value of the lower-cased key, or NULL. */
const char *text_table_find(const struct text_table *t, const char *key);

/* An open CDB. */
struct cdb_file;
struct cdb_file *cdb_file_open(const char *path, char *err, size_t errlen);
void cdb_file_free(struct cdb_file *c);
/* As map_lookup(). */
int cdb_file_find(struct cdb_file *c, const char *key, char *value, size_t len);

/* An open LMDB (lmdb.c), as the CDB above. */
struct lmdb_file;
struct lmdb_file *lmdb_file_open(const char *path, char *err, size_t errlen);
void lmdb_file_free(struct lmdb_file *l);
int lmdb_file_find(struct lmdb_file *l, const char *key, char *value,
                   size_t len);
/* Writes t as the new LMDB file tmp, synced. */
int lmdb_build(const struct text_table *t, const char *tmp, char *err,
               size_t errlen);

#endif
