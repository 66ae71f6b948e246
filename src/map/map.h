/*
 * map — lookup tables kept outside ferry.conf (what Postfix calls maps):
 * recipients of a relay domain, aliases of a domain.  One key per line
 * ("key value", '#' comments), case-insensitive keys, the value is the
 * rest of the line.  Two kinds:
 *
 *   text:/path  the file itself, read into a hash table;
 *   cdb:/path   a constant database built from a text file by
 *               `ferry map build` (tinycdb), read through mmap;
 *   lmdb:/path  an LMDB file (one file, no lock file), built the same
 *               way, read through mmap.
 *
 * A bare path is a CDB when it ends in ".cdb", an LMDB in ".lmdb", else
 * text.
 *
 * Changes are picked up without a restart: a lookup at most once per
 * second stat()s the file, and a new inode, size or mtime loads it again.
 * A CDB or LMDB is reopened at once (open and mmap, whatever its size); a text
 * file is read and hashed on a thread of its own while lookups go on
 * answering from the old table, which the new one then replaces.  A file
 * that became unreadable or broken keeps the old table in force (logged).
 *
 * Ownership: map_get() handles are process-wide, one per spec, and live
 * until exit.  Errors: map_open() and map_build() return -1/NULL with the
 * reason in err.  Threads: every function is safe from any thread.
 */
#ifndef FERRY_MAP_H
#define FERRY_MAP_H

#include <stdbool.h>
#include <stddef.h>

/* Longest value returned by map_lookup(), with its NUL. */
#define MAP_VALUE_MAX 4096

enum map_kind { MAP_TEXT, MAP_CDB, MAP_LMDB };

struct map;

/* Splits "text:/p", "cdb:/p", "lmdb:/p" or a bare path; -1 for an
 * unknown "kind:". */
int map_spec_parse(const char *spec, enum map_kind *kind, const char **path);

/* Opens and loads the map now (the configuration check does this). */
struct map *map_open(const char *spec, char *err, size_t errlen);
void map_free(struct map *m);

/* The process-wide handle for spec, opened on first use; NULL (logged)
 * when it cannot be opened then. */
struct map *map_get(const char *spec);

/*
 * Looks key up (any case).  Returns 1 and the value in value (len bytes,
 * NUL-terminated, "" for a key without value), 0 when the key is absent,
 * -1 when the value does not fit in len.
 */
int map_lookup(struct map *m, const char *key, char *value, size_t len);

/* Text parsing, for `map build` and the fuzz target: fn() once per
 * entry, key lower-cased.  -1 at the first bad line (*bad_line set). */
typedef int (*map_entry_fn)(void *arg, const char *key, size_t klen,
                            const char *value, size_t vlen);
int map_text_parse(const char *buf, size_t len, map_entry_fn fn, void *arg,
                   int *bad_line);

/* Compiles the text map src into dst, an LMDB when its name ends in
 * ".lmdb", else a CDB: written to a temporary file, synced, renamed, so
 * that readers see the old or the new one. */
int map_build(const char *src, const char *dst, char *err, size_t errlen);

#endif
