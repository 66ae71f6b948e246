/*
 * spool_bench — commits/s of the spool (syncfs vs fsync mode, 20 messages
 * in flight like 20 SMTP sessions), commits/s when each message is removed
 * again as soon as it is queued (a relayed message's cycle), and
 * deliveries/s of local delivery (1 and 50 recipients per message).  Prints one
 * line per figure.
 *
 *   make bench-spool [BENCH_DIR=/path/on/the/disk/to/test]
 *   SPOOL_BENCH="commit cycle deliver" (default: all), BENCH_SCALE=N
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"
#include "deliver/local.h"
#include "queue/spool.h"

#define MSG_SIZE 4096
#define INFLIGHT 20

struct run {
	struct event_base *base;
	struct spool *sp;
	int inflight, done, errors;
};

static char root[600];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_commit(void *arg, int error)
{
	struct run *r = arg;

	r->inflight--;
	r->done++;
	r->errors += error != 0;
}

static char *
resolve(void *arg, const char *address)
{
	const char *at = strchr(address, '@');
	char *path;

	if (at == NULL || asprintf(&path, "%s/mail/%.*s", root,
	                           (int)(at - address), address) < 0)
		return NULL;
	return path;
}

static void
commit_one(struct run *r, const char *body, int nrcpts)
{
	struct spool_msg *msg = spool_msg_new(r->sp);
	struct envelope env = {0};
	char addr[64];
	int i;

	env.sender = (char *)"bench@example.org";
	for (i = 0; i < nrcpts; i++) {
		snprintf(addr, sizeof(addr), "u%d@example.org", i);
		envelope_add_rcpt(&env, addr, NULL, NULL, 0);
	}
	spool_msg_write(msg, body, MSG_SIZE);
	spool_msg_commit(msg, &env, on_commit, r);
	env.sender = NULL;
	envelope_free(&env);
	r->inflight++;
}

/* Commits n messages with INFLIGHT outstanding; returns seconds. */
static double
commit_n(struct run *r, const char *body, int n, int nrcpts)
{
	double t0 = now();
	int sent = 0;

	while (r->done < n) {
		while (sent < n && r->inflight < INFLIGHT) {
			commit_one(r, body, nrcpts);
			sent++;
		}
		event_base_loop(r->base, EVLOOP_ONCE);
	}
	return now() - t0;
}

static void
idle_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* A base whose loop blocks until the commit thread wakes it: the spool's
 * done event is only ever activated, never added, so without an added
 * event EVLOOP_ONCE returns at once and the loop would spin, taking a
 * core from the threads measured. */
static struct event_base *
blocking_base(void)
{
	struct event_base *base = event_base_new();
	struct timeval tv = {24 * 3600, 0}; /* freed with the base */

	if (base == NULL ||
	    event_base_once(base, -1, EV_TIMEOUT, idle_tick, NULL, &tv) < 0)
		exit(1);
	return base;
}

static void
fresh_config(struct config *cfg, char *dir, enum sync_mode mode)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		exit(1);
	memset(cfg, 0, sizeof(*cfg));
	cfg->spool_dir = dir;
	cfg->sync_mode = mode;
	cfg->commit_batch_max = 256;
	cfg->commit_delay_ms = 0;
}

static void
bench_commit(enum sync_mode mode, int n, const char *body)
{
	struct run r = {0};
	struct config cfg;
	char dir[700];
	unsigned long msgs, syncs;
	double t;

	snprintf(dir, sizeof(dir), "%s/spool", root);
	fresh_config(&cfg, dir, mode);
	r.base = blocking_base();
	if ((r.sp = spool_open(r.base, &cfg)) == NULL)
		exit(1);
	t = commit_n(&r, body, n, 1);
	spool_stats(r.sp, &msgs, &syncs);
	printf("commit %-6s %6d msgs x 4 KB, %d in flight: %8.0f msgs/s, "
	       "%.1f msgs per sync, %d errors\n",
	       mode == SYNC_FSYNC ? "fsync" : "syncfs", n, INFLIGHT, n / t,
	       (double)msgs / (double)(syncs ? syncs : 1), r.errors);
	spool_close(r.sp);
	event_base_free(r.base);
}

/* A relayed message's cycle in the spool: committed, then finished and
 * handed to the remover as soon as it is queued (the relay's remote said
 * 250), while new messages keep coming. */
struct cycle {
	struct run *r;
	char id[QUEUE_ID_LEN + 1];
};

static void
on_cycle_commit(void *arg, int error)
{
	struct cycle *c = arg;

	if (error == 0)
		spool_remove_later(c->r->sp, c->id);
	on_commit(c->r, error);
	free(c);
}

static void
bench_cycle(enum sync_mode mode, int n, const char *body)
{
	struct run r = {0};
	struct config cfg;
	struct envelope env = {0};
	struct spool_msg *msg;
	struct cycle *c;
	char dir[700];
	double t0;
	int sent = 0;

	snprintf(dir, sizeof(dir), "%s/spool", root);
	fresh_config(&cfg, dir, mode);
	r.base = blocking_base();
	if ((r.sp = spool_open(r.base, &cfg)) == NULL)
		exit(1);
	env.sender = (char *)"bench@example.org";
	envelope_add_rcpt(&env, "u@example.org", NULL, NULL, 0);
	t0 = now();
	while (r.done < n) {
		for (; sent < n && r.inflight < INFLIGHT;
		     sent++, r.inflight++) {
			msg = spool_msg_new(r.sp);
			c = calloc(1, sizeof(*c));
			c->r = &r;
			memcpy(c->id, spool_msg_id(msg), sizeof(c->id));
			spool_msg_write(msg, body, MSG_SIZE);
			spool_msg_commit(msg, &env, on_cycle_commit, c);
		}
		event_base_loop(r.base, EVLOOP_ONCE);
	}
	printf("commit+remove %-6s %6d msgs x 4 KB, %d in flight: %8.0f "
	       "msgs/s, %d errors\n",
	       mode == SYNC_FSYNC ? "fsync" : "syncfs", n, INFLIGHT,
	       n / (now() - t0), r.errors);
	env.sender = NULL;
	envelope_free(&env);
	spool_close(r.sp);
	event_base_free(r.base);
}

static void
wait_delivered(struct local_delivery *ld, unsigned long want)
{
	unsigned long m, d = 0;

	while (d < want) {
		usleep(2000);
		local_delivery_stats(ld, &m, &d);
	}
}

/* The spool's queued callback: delivery takes the message, as the
 * daemon's does. */
static void
committed(void *ld, struct spool_queued *q)
{
	local_delivery_enqueue_committed(ld, q);
}

/* Ingest and deliver at the same time; figures from first commit to last
 * delivery, as the W1/W3 workloads measure. */
static void
bench_delivery(enum sync_mode mode, int n, int nrcpts, const char *body)
{
	struct local_delivery *ld;
	struct run r = {0};
	struct config cfg;
	char dir[700], cmd[700];
	double t0, t;

	snprintf(dir, sizeof(dir), "%s/spool", root);
	fresh_config(&cfg, dir, mode);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/mail'", root);
	if (system(cmd) != 0)
		exit(1);
	r.base = blocking_base();
	if ((r.sp = spool_open(r.base, &cfg)) == NULL)
		exit(1);
	ld = local_delivery_start(r.base, &cfg, r.sp, resolve, NULL);
	spool_set_queued_cb(r.sp, committed, ld);
	t0 = now();
	commit_n(&r, body, n, nrcpts);
	wait_delivered(ld, (unsigned long)n * (unsigned long)nrcpts);
	t = now() - t0;
	printf("deliver %-6s %5d msgs x %2d rcpts: %8.0f msgs/s, %8.0f "
	       "deliveries/s (ingest+delivery, %.2f s)\n",
	       mode == SYNC_FSYNC ? "fsync" : "syncfs", n, nrcpts, n / t,
	       n * nrcpts / t, t);
	local_delivery_stop(ld);
	spool_close(r.sp);
	event_base_free(r.base);
}

/* SPOOL_BENCH="cycle deliver" runs only those figures; all by default. */
static bool
wanted(const char *figure)
{
	const char *only = getenv("SPOOL_BENCH");

	return only == NULL || strstr(only, figure) != NULL;
}

int
main(int argc, char **argv)
{
	const char *base = getenv("BENCH_DIR");
	int scale = getenv("BENCH_SCALE") ? atoi(getenv("BENCH_SCALE")) : 1;
	char body[MSG_SIZE], tmpl[600], cmd[700];
	size_t i;

	evthread_use_pthreads();
	log_set_level(LOG_LVL_WARN); /* one line per delivery is too much */
	snprintf(tmpl, sizeof(tmpl), "%s/ferry-bench-XXXXXX",
	         base ? base : "/var/tmp");
	if (mkdtemp(tmpl) == NULL)
		return perror("mkdtemp"), 1;
	snprintf(root, sizeof(root), "%s", tmpl);
	memcpy(body, "Subject: bench\r\n\r\n", 18);
	for (i = 18; i < MSG_SIZE; i++)
		body[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	if (wanted("commit")) {
		bench_commit(SYNC_SYNCFS, 20000 * scale, body);
		bench_commit(SYNC_FSYNC, 2000 * scale, body);
	}
	if (wanted("cycle"))
		bench_cycle(SYNC_SYNCFS, 20000 * scale, body);
	if (wanted("deliver")) {
		bench_delivery(SYNC_SYNCFS, 20000 * scale, 1, body);
		bench_delivery(SYNC_SYNCFS, 2000 * scale, 50, body);
		bench_delivery(SYNC_FSYNC, 200 * scale, 50, body);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) != 0;
}
