/*
 * state_mem.c — the embedded state backend: a chained hash table of
 * counters and records in the process, saved to a file (state_file.c).
 * Everything completes before the call returns.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/log.h"
#include "policy/state_mem_int.h"

#define INITIAL_BUCKETS 1024

static uint32_t
hash_key(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}

static void
mem_unlink(struct state_mem *m, struct mem_entry **link)
{
	struct mem_entry *e = *link;

	*link = e->next;
	m->nkeys--;
	m->key_bytes -= sizeof(*e) + strlen(e->key) + 1;
	free(e);
}

struct mem_entry *
mem_find(struct state_mem *m, const char *key, enum mem_kind kind, int64_t now)
{
	uint32_t h = hash_key(key);
	struct mem_entry **link = &m->buckets[h % m->nbuckets];

	while (*link != NULL) {
		struct mem_entry *e = *link;

		if (e->expires < now) {
			mem_unlink(m, link);
			continue;
		}
		if (e->hash == h && e->kind == (char)kind &&
		    strcmp(e->key, key) == 0)
			return e;
		link = &e->next;
	}
	return NULL;
}

static void
mem_grow(struct state_mem *m)
{
	size_t n = m->nbuckets * 2, i;
	struct mem_entry **b = calloc(n, sizeof(struct mem_entry *));

	if (b == NULL)
		return; /* longer chains, still correct */
	for (i = 0; i < m->nbuckets; i++) {
		struct mem_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash % n];
			b[e->hash % n] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

struct mem_entry *
mem_insert(struct state_mem *m, const char *key, enum mem_kind kind)
{
	size_t len = strlen(key);
	struct mem_entry *e = calloc(1, sizeof(*e) + len + 1);

	if (e == NULL)
		abort(); /* no sensible answer without memory */
	memcpy(e->key, key, len + 1);
	e->hash = hash_key(key);
	e->kind = (char)kind;
	if (m->nkeys >= m->nbuckets)
		mem_grow(m);
	e->next = m->buckets[e->hash % m->nbuckets];
	m->buckets[e->hash % m->nbuckets] = e;
	m->nkeys++;
	m->key_bytes += sizeof(*e) + len + 1;
	return e;
}

void
mem_sweep(struct state_mem *m, int64_t now)
{
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		struct mem_entry **link = &m->buckets[i];

		while (*link != NULL) {
			if ((*link)->expires < now)
				mem_unlink(m, link);
			else
				link = &(*link)->next;
		}
	}
}

static int64_t
slot_width(int window)
{
	return window >= RATE_SLOTS - 1 ? window / (RATE_SLOTS - 1) : 1;
}

/* Moves the ring forward to the slot of now, emptying the slots passed. */
static void
rate_advance(struct mem_entry *e, int64_t now)
{
	int64_t slot = now / slot_width(e->u.rate.window), s;

	if (slot <= e->u.rate.newest)
		return;
	if (slot - e->u.rate.newest >= RATE_SLOTS)
		memset(e->u.rate.count, 0, sizeof(e->u.rate.count));
	else
		for (s = e->u.rate.newest + 1; s <= slot; s++)
			e->u.rate.count[s % RATE_SLOTS] = 0;
	e->u.rate.newest = slot;
}

static long
rate_sum(const struct mem_entry *e)
{
	long sum = 0;
	size_t i;

	for (i = 0; i < RATE_SLOTS; i++)
		sum += e->u.rate.count[i];
	return sum;
}

static long
rate_current(struct state_mem *m, const struct state_rate *r, int64_t now)
{
	struct mem_entry *e = mem_find(m, r->key, MEM_RATE, now);

	if (e == NULL)
		return 0;
	rate_advance(e, now);
	return rate_sum(e);
}

static void
rate_add(struct state_mem *m, const struct state_rate *r, long amount,
         int64_t now)
{
	struct mem_entry *e = mem_find(m, r->key, MEM_RATE, now);

	if (e == NULL) {
		e = mem_insert(m, r->key, MEM_RATE);
		e->u.rate.window = r->window;
		e->u.rate.newest = now / slot_width(r->window);
	}
	rate_advance(e, now);
	e->u.rate.count[e->u.rate.newest % RATE_SLOTS] += (uint32_t)amount;
	e->expires = now + r->window + slot_width(r->window);
}

static void
mem_rate_hit(struct state *s, const struct state_rate *r, size_t n, long amount,
             int64_t now, state_rate_fn fn, void *arg)
{
	struct state_mem *m = (struct state_mem *)s;
	size_t i;

	for (i = 0; i < n; i++)
		if (rate_current(m, &r[i], now) + (amount ? amount : 1) >
		    r[i].limit) {
			fn(arg, STATE_OK, (int)i);
			return;
		}
	for (i = 0; amount > 0 && i < n; i++)
		rate_add(m, &r[i], amount, now);
	fn(arg, STATE_OK, -1);
}

static void
mem_get(struct state *s, const char *key, int64_t now, state_get_fn fn,
        void *arg)
{
	struct mem_entry *e =
	        mem_find((struct state_mem *)s, key, MEM_RECORD, now);

	fn(arg, STATE_OK, e != NULL, e ? e->u.v : NULL);
}

static void
mem_put(struct state *s, const char *key, const int64_t v[2], int64_t expires)
{
	struct state_mem *m = (struct state_mem *)s;
	struct mem_entry *e = mem_find(m, key, MEM_RECORD, 0);

	if (e == NULL)
		e = mem_insert(m, key, MEM_RECORD);
	e->u.v[0] = v[0];
	e->u.v[1] = v[1];
	e->expires = expires;
}

static void
mem_usage(struct state *s, size_t *keys, size_t *bytes)
{
	struct state_mem *m = (struct state_mem *)s;

	*keys = m->nkeys;
	*bytes = m->key_bytes + m->nbuckets * sizeof(struct mem_entry *);
}

static void
mem_save_logged(struct state_mem *m)
{
	int64_t now = m->now_fn(m->now_arg);

	mem_sweep(m, now);
	if (mem_save(m, now) < 0)
		log_event(LOG_LVL_WARN, "policy-state", "file", m->file,
		          "error", strerror(errno), NULL);
}

static void
mem_free(struct state *s)
{
	struct state_mem *m = (struct state_mem *)s;
	size_t i;

	if (m->save_timer)
		event_free(m->save_timer);
	mem_save_logged(m);
	for (i = 0; i < m->nbuckets; i++)
		while (m->buckets[i] != NULL)
			mem_unlink(m, &m->buckets[i]);
	free(m->buckets);
	free(m->file);
	free(m);
}

static const struct state_ops mem_ops = {
        "embedded", mem_rate_hit, mem_get, mem_put, mem_usage, mem_free,
};

static void
save_cb(evutil_socket_t fd, short what, void *arg)
{
	mem_save_logged(arg);
}

struct state *
state_mem_new(struct event_base *base, const char *file, int save_interval,
              int64_t (*now_fn)(void *arg), void *now_arg)
{
	struct state_mem *m = calloc(1, sizeof(*m));
	struct timeval tv = {save_interval, 0};

	if (m == NULL ||
	    (m->buckets = calloc(INITIAL_BUCKETS,
	                         sizeof(struct mem_entry *))) == NULL)
		abort();
	m->base.ops = &mem_ops;
	m->nbuckets = INITIAL_BUCKETS;
	m->file = file ? str_dup(file) : NULL;
	m->now_fn = now_fn;
	m->now_arg = now_arg;
	if (m->file && mem_load(m, now_fn(now_arg)) < 0)
		log_event(LOG_LVL_WARN, "policy-state", "file", m->file,
		          "error", strerror(errno), NULL);
	if (base != NULL && m->file != NULL && save_interval > 0) {
		m->save_timer = event_new(base, -1, EV_PERSIST, save_cb, m);
		event_add(m->save_timer, &tv);
	}
	return &m->base;
}
