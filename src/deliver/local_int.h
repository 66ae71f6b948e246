/*
 * local_int — local delivery's private structures (local.c, local_batch.c).
 *
 * Locking: ld->lock guards ready, deferred, direct, direct_busy, stop and
 * flush.  Each worker
 * thread has its own Maildir cache; a batch is touched by its worker only.
 */
#ifndef FERRY_DELIVER_LOCAL_INT_H
#define FERRY_DELIVER_LOCAL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/queue.h>
#include <time.h>

#include "deliver/local.h"
#include "queue/envelope.h"

#define LOCAL_BATCH_MSGS 256
/* Most recipients of a message delivered directly (local_delivery_offer):
 * its client waits while every copy is written.  A message for many is
 * better queued, its copies written while the next messages arrive (W3,
 * 50 recipients each, took mail in 5-20% slower when delivered
 * directly: bench/README.md). */
#define LOCAL_DIRECT_RCPTS_MAX 10
/* Worker threads.  Creating and renaming files waits for the file
 * system's journal, not the CPU: while one worker waits, another writes
 * (messages of 50 recipients are 50 files each).  Two, not more: on two
 * cores, W3 with four spent more CPU and took mail in more slowly
 * (bench/README.md). */
#define LOCAL_WORKERS 2
/* Octets of committed messages (and their envelopes) the workers may
 * hold in memory, so that they need not read them back from the spool;
 * beyond that, they read them back. */
#define LOCAL_MEM_MAX ((size_t)32 * 1024 * 1024)
#define LOCAL_RETRY_MIN 30
#define LOCAL_RETRY_MAX 600

struct ld_item {
	char id[QUEUE_ID_LEN + 1];
	unsigned delay; /* seconds of the last back-off, 0 before any */
	time_t due;
	/* The message as committed, for its first attempt only; NULL when
	 * it is to be read from the spool.  Counted in ld->mem_held. */
	char *env_text, *data;
	size_t env_len, len;
	/* A direct delivery's message (spool.h): its client waits for the
	 * outcome, which goes back to the spool, never to the retry list. */
	struct spool_msg *direct;
	TAILQ_ENTRY(ld_item) link;
};

TAILQ_HEAD(ld_list, ld_item);

/* A success notice on its way to the loop thread (local_notice.c). */
struct ld_notice {
	TAILQ_ENTRY(ld_notice) link;
	struct envelope env; /* only the recipients to report on */
};

TAILQ_HEAD(ld_notice_list, ld_notice);

/* A durable delivery on its way to the loop thread, for quotas. */
struct ld_usage {
	TAILQ_ENTRY(ld_usage) link;
	char *address;
	size_t size;
};

TAILQ_HEAD(ld_usage_list, ld_usage);

struct local_delivery;

struct ld_worker {
	struct local_delivery *ld;
	struct maildir_cache *cache;
	pthread_t thread;
	bool started;
};

struct local_delivery {
	struct spool *sp;
	bool do_fsync;
	local_maildir_fn resolve;
	void *resolve_arg;
	struct ld_worker workers[LOCAL_WORKERS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ld_list ready, deferred;
	struct ld_list direct; /* taken before ready: clients wait */
	bool direct_busy;      /* a worker writes a batch of direct ones */
	bool stop, flush;
	struct ld_notice_list notices; /* guarded by lock */
	struct ld_usage_list usage;    /* guarded by lock */
	struct event *notice_ev;       /* runs both on the loop thread */
	local_delivered_fn on_delivered;
	void *on_delivered_arg;
	local_success_fn on_success;
	void *on_success_arg;
	unsigned long stat_msgs, stat_deliveries;
	size_t mem_held; /* atomic: octets in the items' env_text and data */
};

/* Frees an item's copy of the message; it is read from the spool next. */
void local_item_drop_copy(struct local_delivery *ld, struct ld_item *it);

/* local_notice.c: set up and tear down the hand-over to the loop thread;
 * post from the worker, after the deliveries are durable and recorded: the
 * recipients idx[0..n) of env now RCPT_NOTIFYING. */
int local_notice_init(struct local_delivery *ld, struct event_base *base);
void local_notice_fini(struct local_delivery *ld);
bool local_notice_wanted(const struct local_delivery *ld,
                         const struct envelope *env);
bool local_notice_owed(const struct envelope *env, size_t idx);
void local_notice_post(struct local_delivery *ld, const struct envelope *env,
                       const size_t *idx, size_t n);

/* Worker: address got size octets, durably; told to on_delivered. */
void local_usage_post(struct local_delivery *ld, const char *address,
                      size_t size);

/* A batch of direct deliveries is written (not yet synced): another
 * worker may take the next. */
void local_direct_written(struct local_delivery *ld);

/* Delivers batch; items to retry are moved to retry with their due time,
 * the others are freed. */
void local_run_batch(struct local_delivery *ld, struct maildir_cache *cache,
                     struct ld_list *batch, struct ld_list *retry);

#endif
