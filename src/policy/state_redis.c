/*
 * state_redis.c — the shared state backend: the same operations as the
 * embedded one (state.h), kept in Redis so that several ferry nodes count
 * against one set of limits.
 *
 * The questions go over a redis_link (TCP, unix socket or TLS, AUTH
 * first) on the daemon's libevent loop; nothing here waits.  Each
 * operation is one atomic Lua script, so a rate check over several
 * counters is all or nothing across nodes too.  A script is sent as
 * EVALSHA (its SHA-1 only); when Redis does not know it yet (NOSCRIPT:
 * a new or restarted server, SCRIPT FLUSH) the same question goes again
 * as EVAL, which also teaches Redis the script.  Every question has its
 * own deadline (redis_timeout_ms): when it passes, or while there is no
 * connection, the caller hears STATE_UNAVAILABLE and applies redis_fail;
 * an answer that comes after its deadline is dropped.  The link
 * reconnects by itself once a second.
 *
 * Keys (after redis_prefix): a counter is a hash of slot number -> count,
 * with the slot arithmetic of state_mem.c; a record is a hash {a, b, e}
 * where e is its expiry on the policy clock.  Redis expiries only collect
 * garbage; what counts is the policy clock passed with each question, so
 * the nodes' test clocks and Redis' own clock never disagree about a
 * window.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "base/str.h"
#include "base/mem.h"
#include "base/log.h"
#include "policy/redis_link.h"
#include "policy/state.h"

#define MAX_ARGS 64
#define SHA1_HEX (2 * 20 + 1)

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
	struct redis_link *link;
	char *where; /* for the log: address:port or the socket */
	char *prefix;
	char rate_sha[SHA1_HEX], put_sha[SHA1_HEX];
	int timeout_ms;
	bool logged_down;
	int64_t (*now_fn)(void *arg);
	void *now_arg;
	unsigned long pending; /* questions Redis has not answered yet */
};

enum op_kind { OP_RATE, OP_GET, OP_PUT };

/* Argument strings of one command, with their storage. */
struct args {
	const char *v[MAX_ARGS];
	size_t len[MAX_ARGS];
	char buf[MAX_ARGS][24];
	char *keys[MAX_ARGS];
	int n, nkeys;
};

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
	const char *script; /* sent as EVALSHA; the EVAL fallback's text */
	struct args a;
};

static void
log_down(struct state_redis *r, const char *why)
{
	if (r->logged_down)
		return;
	r->logged_down = true;
	log_event(LOG_LVL_WARN, "policy-redis", "server", r->where, "error",
	          why, NULL);
}

static void
link_status(void *arg, bool up, const char *why)
{
	struct state_redis *r = arg;

	if (!up) {
		log_down(r, why);
		return;
	}
	if (r->logged_down)
		log_event(LOG_LVL_INFO, "policy-redis", "server", r->where,
		          "status", "connected", NULL);
	r->logged_down = false;
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
	int i;

	if (op->deadline)
		event_free(op->deadline);
	for (i = 0; i < op->a.nkeys; i++)
		free(op->a.keys[i]);
	free(op);
}

static void reply_cb(void *arg, const redisReply *reply);

static bool
is_noscript(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	       strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* Redis does not know the script: the same question as EVAL. */
static bool
resend_as_eval(struct op *op)
{
	op->a.v[0] = "EVAL";
	op->a.len[0] = 4;
	op->a.v[1] = op->script;
	op->a.len[1] = strlen(op->script);
	op->script = NULL;
	return redis_link_send_argv(op->r->link, op->a.n, op->a.v, op->a.len,
	                            reply_cb, op) == 0;
}

/* Redis answered (reply NULL: the connection went away first). */
static void
reply_cb(void *arg, const redisReply *reply)
{
	struct op *op = arg;

	if (op->script && is_noscript(reply) && !op->answered &&
	    resend_as_eval(op))
		return;
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
	/* The op stays until the link hands it back. */
}

static struct op *
op_new(struct state_redis *r, enum op_kind kind, int64_t now)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->r = r;
	op->kind = kind;
	op->now = now;
	return op;
}

/* Sends op->a; on failure answers at once (and frees). */
static void
op_send(struct op *op)
{
	struct state_redis *r = op->r;
	struct timeval tv = {r->timeout_ms / 1000,
	                     (suseconds_t)(r->timeout_ms % 1000) * 1000};

	if (redis_link_send_argv(r->link, op->a.n, op->a.v, op->a.len, reply_cb,
	                         op) < 0) {
		log_down(r, "not connected");
		op_answer(op, STATE_UNAVAILABLE, NULL);
		op_free(op);
		return;
	}
	r->pending++;
	op->deadline = evtimer_new(r->evbase, deadline_cb, op);
	evtimer_add(op->deadline, &tv);
}

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

/* EVALSHA sha, remembering the script for the NOSCRIPT fallback. */
static void
arg_script(struct op *op, const char *sha, const char *script)
{
	op->script = script;
	arg_str(&op->a, "EVALSHA");
	arg_str(&op->a, sha);
}

static void
redis_rate_hit(struct state *s, const struct state_rate *rates, size_t n,
               long amount, int64_t now, state_rate_fn fn, void *arg)
{
	struct state_redis *r = (struct state_redis *)s;
	struct op *op = op_new(r, OP_RATE, now);
	struct args *a = &op->a;
	size_t i;

	op->rate_fn = fn;
	op->arg = arg;
	if (n > (MAX_ARGS - 5) / 3)
		n = (MAX_ARGS - 5) / 3;
	arg_script(op, r->rate_sha, rate_script);
	arg_num(a, (int64_t)n);
	for (i = 0; i < n; i++)
		arg_key(a, r, rates[i].key);
	arg_num(a, now);
	arg_num(a, amount);
	for (i = 0; i < n; i++) {
		arg_num(a, rates[i].window);
		arg_num(a, rates[i].limit);
	}
	op_send(op);
}

static void
redis_get(struct state *s, const char *key, int64_t now, state_get_fn fn,
          void *arg)
{
	struct state_redis *r = (struct state_redis *)s;
	struct op *op = op_new(r, OP_GET, now);

	op->get_fn = fn;
	op->arg = arg;
	arg_str(&op->a, "HMGET");
	arg_key(&op->a, r, key);
	arg_str(&op->a, "a");
	arg_str(&op->a, "b");
	arg_str(&op->a, "e");
	op_send(op);
}

static void
redis_put(struct state *s, const char *key, const int64_t v[2], int64_t expires)
{
	struct state_redis *r = (struct state_redis *)s;
	int64_t now = r->now_fn(r->now_arg);
	struct op *op = op_new(r, OP_PUT, now);
	struct args *a = &op->a;

	arg_script(op, r->put_sha, put_script);
	arg_str(a, "1");
	arg_key(a, r, key);
	arg_num(a, v[0]);
	arg_num(a, v[1]);
	arg_num(a, expires);
	arg_num(a, expires > now ? expires - now : 1);
	op_send(op);
}

static void
redis_usage(struct state *s, size_t *keys, size_t *bytes)
{
	/* The keys and their memory are Redis' (INFO keyspace). */
	(void)s;
	*keys = 0;
	*bytes = 0;
}

static void
redis_free(struct state *s)
{
	struct state_redis *r = (struct state_redis *)s;

	redis_link_free(r->link); /* answers what is pending */
	free(r->where);
	free(r->prefix);
	free(r);
}

static const struct state_ops redis_ops = {
        "redis", redis_rate_hit, redis_get, redis_put, redis_usage, redis_free,
};

static void
sha1_hex(const char *text, char out[SHA1_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t i;

	if (EVP_Digest(text, strlen(text), md, &n, EVP_sha1(), NULL) != 1 ||
	    n != 20)
		abort();
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * (size_t)n] = '\0';
}

struct state *
state_redis_new(struct event_base *base, const struct redis_link_config *link,
                const char *prefix, int timeout_ms,
                int64_t (*now_fn)(void *arg), void *now_arg)
{
	struct state_redis *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL || (r->prefix = str_dup(prefix)) == NULL)
		abort();
	rc = link->socket_path
	             ? asprintf(&r->where, "%s", link->socket_path)
	             : asprintf(&r->where, "%s:%d", link->host, link->port);
	if (rc < 0)
		abort();
	r->base.ops = &redis_ops;
	r->evbase = base;
	r->timeout_ms = timeout_ms;
	r->now_fn = now_fn;
	r->now_arg = now_arg;
	sha1_hex(rate_script, r->rate_sha);
	sha1_hex(put_script, r->put_sha);
	r->link = redis_link_new(base, link, link_status, r);
	return &r->base;
}
