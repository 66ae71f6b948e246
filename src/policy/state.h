/*
 * state — where the policy rules keep what they remember: sliding-window
 * counters (rates, quotas, connection rates) and small records (the
 * greylist).  One interface, several backends: state_mem.c keeps everything
 * in the process and saves it to a file; a shared backend (Redis) plugs in
 * behind the same operations so that several nodes see one state.
 *
 * Every operation answers through a callback, because a shared backend
 * answers later, from the event loop; the embedded one calls back before
 * it returns.  A backend that cannot answer reports STATE_UNAVAILABLE and
 * the caller decides (fail open or closed).
 *
 * Windows: a counter with window W counts what was added in the last W
 * seconds, rounded up to a tenth of W: something counted stops counting
 * between W and 1.1 W after it was counted, never earlier.
 *
 * Ownership: keys are copied; the callback's arguments live only for the
 * call.  Threads: event-loop thread only.
 */
#ifndef FERRY_POLICY_STATE_H
#define FERRY_POLICY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum state_status { STATE_OK, STATE_UNAVAILABLE };

/* One counter of a rate_hit: at most limit in any window seconds. */
struct state_rate {
	const char *key;
	int window;
	long limit;
};

/* exceeded: index of the first counter that would go over its limit, or
 * -1 when none would (and then every counter was increased). */
typedef void (*state_rate_fn)(void *arg, enum state_status st, int exceeded);
/* v is only meaningful when found. */
typedef void (*state_get_fn)(void *arg, enum state_status st, bool found,
                             const int64_t v[2]);

struct state;

struct state_ops {
	const char *name;
	/* All or nothing: adds amount to every counter when none would go
	 * over its limit; amount 0 only checks. */
	void (*rate_hit)(struct state *s, const struct state_rate *r, size_t n,
	                 long amount, int64_t now, state_rate_fn fn, void *arg);
	void (*get)(struct state *s, const char *key, int64_t now,
	            state_get_fn fn, void *arg);
	/* Stores a record until expires (absolute, seconds). */
	void (*put)(struct state *s, const char *key, const int64_t v[2],
	            int64_t expires);
	/* Keys held and octets used (for `ferry policy stats`). */
	void (*usage)(struct state *s, size_t *keys, size_t *bytes);
	/* Saves what must survive a restart; frees everything. */
	void (*free)(struct state *s);
};

struct state {
	const struct state_ops *ops;
};

struct event_base;

/*
 * The embedded backend: loads file (if it exists), saves it every
 * save_interval seconds (0: only at free) and at free.  now_fn gives the
 * policy clock, used to drop expired keys.
 */
struct state *state_mem_new(struct event_base *base, const char *file,
                            int save_interval, int64_t (*now_fn)(void *arg),
                            void *now_arg);

/*
 * The shared backend: Redis over a redis_link (redis_link.h: address or
 * unix socket, password, TLS), keys under prefix.  Connects at once and
 * reconnects by itself; questions it cannot answer within timeout_ms are
 * answered STATE_UNAVAILABLE.
 */
struct redis_link_config;
struct state *state_redis_new(struct event_base *base,
                              const struct redis_link_config *link,
                              const char *prefix, int timeout_ms,
                              int64_t (*now_fn)(void *arg), void *now_arg);

#endif
