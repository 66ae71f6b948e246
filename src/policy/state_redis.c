/*
 * state_redis.c — the shared state backend: the same operations as the
 * embedded one (state.h), kept in Redis so that several ferry nodes count
 * against one set of limits.
 *
 * hiredis talks to Redis asynchronously on the daemon's libevent loop;
 * nothing here waits.  Each operation is one atomic Lua script (EVAL), so
 * a rate check over several counters is all or nothing across nodes too.
 * Every question has its own deadline (redis_timeout_ms): when it passes,
 * or while there is no connection, the caller hears STATE_UNAVAILABLE and
 * applies redis_fail; an answer that comes after its deadline is dropped.
 * A lost connection is retried once a second.
 *
 * Keys (after redis_prefix): a counter is a hash of slot number -> count,
 * with the slot arithmetic of state_mem.c; a record is a hash {a, b, e}
 * where e is its expiry on the policy clock.  Redis expiries only collect
 * garbage; what counts is the policy clock passed with each question, so
 * the nodes' test clocks and Redis' own clock never disagree about a
 * window.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "base/log.h"
#include "policy/state.h"

#define RECONNECT_SECONDS 1
#define MAX_ARGS 64

/* KEYS: counters.  ARGV: now, amount, then window and limit per key.
 * Returns 0, or the 1-based index of the first counter over its limit. */
static const char rate_script[] =
        "local now = tonumber(ARGV[1])\n"
        "local amount = tonumber(ARGV[2])\n"
        "local need = amount > 0 and amount or 1\n"
        "local cur, ttl = {}, {}\n"
        "for i, key in ipairs(KEYS) do\n"
        "  local window = tonumber(ARGV[1 + 2 * i])\n"
        "  local limit = tonumber(ARGV[2 + 2 * i])\n"
        "  local width = 1\n"
        "  if window >= 10 then width = math.floor(window / 10) end\n"
        "  cur[i] = math.floor(now / width)\n"
        "  ttl[i] = window + width\n"
        "  local sum = 0\n"
        "  local h = redis.call('HGETALL', key)\n"
        "  for j = 1, #h, 2 do\n"
        "    if tonumber(h[j]) > cur[i] - 11 then\n"
        "      sum = sum + tonumber(h[j + 1])\n"
        "    else\n"
        "      redis.call('HDEL', key, h[j])\n"
        "    end\n"
        "  end\n"
        "  if sum + need > limit then return i end\n"
        "end\n"
        "if amount > 0 then\n"
        "  for i, key in ipairs(KEYS) do\n"
        "    redis.call('HINCRBY', key, cur[i], amount)\n"
        "    redis.call('EXPIRE', key, ttl[i])\n"
        "  end\n"
        "end\n"
        "return 0\n";

/* KEYS[1]: the record.  ARGV: a, b, expiry (policy clock), ttl. */
static const char put_script[] =
        "redis.call('HSET', KEYS[1], 'a', ARGV[1], 'b', ARGV[2], 'e', "
        "ARGV[3])\n"
        "redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
        "return 0\n";

struct state_redis {
	struct state base;
	struct event_base *evbase;
	redisAsyncContext *ac; /* NULL while disconnected */
	struct event *reconnect;
	char *host, *password, *prefix;
	int port, timeout_ms;
	bool connected, logged_down;
	int64_t (*now_fn)(void *arg);
	void *now_arg;
	unsigned long pending; /* questions Redis has not answered yet */
};

enum op_kind { OP_RATE, OP_GET, OP_PUT };

/* One question: answered once, by Redis or by its deadline. */
struct op {
	struct state_redis *r;
	enum op_kind kind;
	state_rate_fn rate_fn;
	state_get_fn get_fn;
	void *arg;
	int64_t now;
	struct event *deadline;
	bool answered;
};

static void redis_connect(struct state_redis *r);

static void
log_down(struct state_redis *r, const char *why)
{
	char port[16];

	if (r->logged_down)
		return;
	r->logged_down = true;
	snprintf(port, sizeof(port), "%d", r->port);
	log_event(LOG_LVL_WARN, "policy-redis", "server", r->host, "port", port,
	          "error", why, NULL);
}

static void
op_answer(struct op *op, enum state_status st, const redisReply *reply)
{
	static const int64_t none[2] = {0, 0};
	int64_t v[2];

	op->answered = true;
	if (op->deadline)
		event_del(op->deadline);
	if (op->kind == OP_RATE) {
		long long idx = -1;

		if (st == STATE_OK && reply->type == REDIS_REPLY_INTEGER)
			idx = reply->integer;
		else
			st = STATE_UNAVAILABLE;
		op->rate_fn(op->arg, st, idx > 0 ? (int)idx - 1 : -1);
	} else if (op->kind == OP_GET) {
		bool found = false;

		if (st == STATE_OK && reply->type == REDIS_REPLY_ARRAY &&
		    reply->elements == 3) {
			found = reply->element[0]->type == REDIS_REPLY_STRING &&
			        reply->element[2]->type == REDIS_REPLY_STRING &&
			        strtoll(reply->element[2]->str, NULL, 10) >=
			                op->now;
			if (found) {
				v[0] = strtoll(reply->element[0]->str, NULL,
				               10);
				v[1] = reply->element[1]->type ==
				                       REDIS_REPLY_STRING
				               ? strtoll(reply->element[1]->str,
				                         NULL, 10)
				               : 0;
			}
		} else {
			st = STATE_UNAVAILABLE;
		}
		op->get_fn(op->arg, st, found, found ? v : none);
	}
}

static void
op_free(struct op *op)
{
	if (op->deadline)
		event_free(op->deadline);
	free(op);
}

/* Redis answered (reply NULL: the connection went away first). */
static void
reply_cb(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct op *op = privdata;
	const redisReply *reply = reply_;

	op->r->pending--;
	if (!op->answered) {
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_event(LOG_LVL_WARN, "policy-redis", "error",
			          reply->str, NULL);
		op_answer(op,
		          reply && reply->type != REDIS_REPLY_ERROR
		                  ? STATE_OK
		                  : STATE_UNAVAILABLE,
		          reply);
	}
	op_free(op);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct op *op = arg;

	log_down(op->r, "no answer within redis_timeout_ms");
	op_answer(op, STATE_UNAVAILABLE, NULL);
	/* The op stays until hiredis hands it back. */
}

static struct op *
op_new(struct state_redis *r, enum op_kind kind, int64_t now)
{
	struct op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		abort();
	op->r = r;
	op->kind = kind;
	op->now = now;
	return op;
}

/* Sends EVAL; on failure answers at once (and frees). */
static void
op_send(struct op *op, int argc, const char **argv, const size_t *lens)
{
	struct state_redis *r = op->r;
	struct timeval tv = {r->timeout_ms / 1000,
	                     (suseconds_t)(r->timeout_ms % 1000) * 1000};

	if (r->ac == NULL || !r->connected ||
	    redisAsyncCommandArgv(r->ac, reply_cb, op, argc, argv, lens) !=
	            REDIS_OK) {
		log_down(r, "not connected");
		op_answer(op, STATE_UNAVAILABLE, NULL);
		op_free(op);
		return;
	}
	r->pending++;
	op->deadline = evtimer_new(r->evbase, deadline_cb, op);
	evtimer_add(op->deadline, &tv);
}

/* Argument strings of one EVAL, with their storage. */
struct args {
	const char *v[MAX_ARGS];
	size_t len[MAX_ARGS];
	char buf[MAX_ARGS][64];
	char *keys[MAX_ARGS];
	int n, nkeys;
};

static void
arg_str(struct args *a, const char *s)
{
	a->v[a->n] = s;
	a->len[a->n++] = strlen(s);
}

static void
arg_num(struct args *a, int64_t x)
{
	snprintf(a->buf[a->n], sizeof(a->buf[0]), "%" PRId64, x);
	arg_str(a, a->buf[a->n]);
}

static void
arg_key(struct args *a, const struct state_redis *r, const char *key)
{
	char *k;

	if (asprintf(&k, "%s%s", r->prefix, key) < 0)
		abort();
	a->keys[a->nkeys++] = k;
	arg_str(a, k);
}

static void
args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		free(a->keys[i]);
}

static void
redis_rate_hit(struct state *s, const struct state_rate *rates, size_t n,
               long amount, int64_t now, state_rate_fn fn, void *arg)
{
	struct state_redis *r = (struct state_redis *)s;
	struct op *op = op_new(r, OP_RATE, now);
	struct args a = {0};
	size_t i;

	op->rate_fn = fn;
	op->arg = arg;
	if (n > (MAX_ARGS - 5) / 3)
		n = (MAX_ARGS - 5) / 3;
	arg_str(&a, "EVAL");
	arg_str(&a, rate_script);
	arg_num(&a, (int64_t)n);
	for (i = 0; i < n; i++)
		arg_key(&a, r, rates[i].key);
	arg_num(&a, now);
	arg_num(&a, amount);
	for (i = 0; i < n; i++) {
		arg_num(&a, rates[i].window);
		arg_num(&a, rates[i].limit);
	}
	op_send(op, a.n, a.v, a.len);
	args_free(&a);
}

static void
redis_get(struct state *s, const char *key, int64_t now, state_get_fn fn,
          void *arg)
{
	struct state_redis *r = (struct state_redis *)s;
	struct op *op = op_new(r, OP_GET, now);
	struct args a = {0};

	op->get_fn = fn;
	op->arg = arg;
	arg_str(&a, "HMGET");
	arg_key(&a, r, key);
	arg_str(&a, "a");
	arg_str(&a, "b");
	arg_str(&a, "e");
	op_send(op, a.n, a.v, a.len);
	args_free(&a);
}

static void
redis_put(struct state *s, const char *key, const int64_t v[2], int64_t expires)
{
	struct state_redis *r = (struct state_redis *)s;
	int64_t now = r->now_fn(r->now_arg);
	struct op *op = op_new(r, OP_PUT, now);
	struct args a = {0};

	arg_str(&a, "EVAL");
	arg_str(&a, put_script);
	arg_str(&a, "1");
	arg_key(&a, r, key);
	arg_num(&a, v[0]);
	arg_num(&a, v[1]);
	arg_num(&a, expires);
	arg_num(&a, expires > now ? expires - now : 1);
	op_send(op, a.n, a.v, a.len);
	args_free(&a);
}

static void
redis_usage(struct state *s, size_t *keys, size_t *bytes)
{
	struct state_redis *r = (struct state_redis *)s;

	/* The keys and their memory are Redis' (INFO keyspace). */
	(void)r;
	*keys = 0;
	*bytes = 0;
}

static void
redis_free(struct state *s)
{
	struct state_redis *r = (struct state_redis *)s;

	if (r->reconnect)
		event_free(r->reconnect);
	r->connected = false; /* callbacks run from here ask no more */
	if (r->ac) {
		r->ac->data = NULL;
		redisAsyncFree(r->ac); /* answers what is pending */
	}
	free(r->host);
	free(r->password);
	free(r->prefix);
	free(r);
}

static const struct state_ops redis_ops = {
        "redis", redis_rate_hit, redis_get, redis_put, redis_usage, redis_free,
};

static void
schedule_reconnect(struct state_redis *r)
{
	struct timeval tv = {RECONNECT_SECONDS, 0};

	r->ac = NULL;
	r->connected = false;
	evtimer_add(r->reconnect, &tv);
}

static void
connect_cb(const redisAsyncContext *ac, int status)
{
	struct state_redis *r = ac->data;

	if (r == NULL)
		return;
	if (status != REDIS_OK) {
		log_down(r, ac->errstr[0] ? ac->errstr : "cannot connect");
		schedule_reconnect(r);
		return;
	}
	r->connected = true;
	if (r->logged_down)
		log_event(LOG_LVL_INFO, "policy-redis", "server", r->host,
		          "status", "connected", NULL);
	r->logged_down = false;
}

static void
disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct state_redis *r = ac->data;

	if (r == NULL)
		return;
	log_down(r, ac->errstr[0] ? ac->errstr : "connection closed");
	schedule_reconnect(r);
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	redis_connect(arg);
}

static void
redis_connect(struct state_redis *r)
{
	const char *argv[2] = {"AUTH", r->password};

	r->ac = redisAsyncConnect(r->host, r->port);
	if (r->ac == NULL || r->ac->err) {
		log_down(r, r->ac ? r->ac->errstr : strerror(ENOMEM));
		if (r->ac)
			redisAsyncFree(r->ac);
		schedule_reconnect(r);
		return;
	}
	r->ac->data = r;
	redisLibeventAttach(r->ac, r->evbase);
	redisAsyncSetConnectCallback(r->ac, connect_cb);
	redisAsyncSetDisconnectCallback(r->ac, disconnect_cb);
	/* Queued before anything else, so it is the first command sent. */
	if (r->password)
		redisAsyncCommandArgv(r->ac, NULL, NULL, 2, argv, NULL);
}

struct state *
state_redis_new(struct event_base *base, const char *host, int port,
                const char *password, const char *prefix, int timeout_ms,
                int64_t (*now_fn)(void *arg), void *now_arg)
{
	struct state_redis *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->host = strdup(host)) == NULL ||
	    (r->prefix = strdup(prefix)) == NULL ||
	    (password && (r->password = strdup(password)) == NULL))
		abort();
	r->base.ops = &redis_ops;
	r->evbase = base;
	r->port = port;
	r->timeout_ms = timeout_ms;
	r->now_fn = now_fn;
	r->now_arg = now_arg;
	r->reconnect = evtimer_new(base, reconnect_cb, r);
	redis_connect(r);
	return &r->base;
}
