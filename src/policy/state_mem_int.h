/*
 * state_mem_int — the embedded backend's table, shared by state_mem.c
 * (operations) and state_file.c (saving and loading).
 */
#ifndef FERRY_POLICY_STATE_MEM_INT_H
#define FERRY_POLICY_STATE_MEM_INT_H

#include <stdint.h>

#include "policy/state.h"

/* Slots per window: a counted unit leaves the window after W to 1.1 W. */
#define RATE_SLOTS 11

enum mem_kind { MEM_RATE = 'R', MEM_RECORD = 'K' };

struct mem_entry {
	struct mem_entry *next;
	int64_t expires; /* dropped after this second */
	uint32_t hash;
	char kind; /* enum mem_kind */
	union {
		struct {
			int64_t newest; /* slot number of the newest slot */
			int32_t window;
			uint32_t count[RATE_SLOTS];
		} rate;
		int64_t v[2];
	} u;
	char key[]; /* NUL-terminated */
};

struct state_mem {
	struct state base;
	struct mem_entry **buckets;
	size_t nbuckets, nkeys, key_bytes;
	char *file;
	struct event *save_timer;
	int save_interval;
	int64_t (*now_fn)(void *arg);
	void *now_arg;
};

struct mem_entry *mem_find(struct state_mem *m, const char *key,
                           enum mem_kind kind, int64_t now);
struct mem_entry *mem_insert(struct state_mem *m, const char *key,
                             enum mem_kind kind);
/* Drops every expired entry. */
void mem_sweep(struct state_mem *m, int64_t now);

/* state_file.c: -1 (errno set) when the file cannot be written/read;
 * a missing file loads as empty. */
int mem_save(struct state_mem *m, int64_t now);
int mem_load(struct state_mem *m, int64_t now);

#endif
