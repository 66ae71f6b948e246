/*
 * local — local delivery into Maildirs (tmp/ -> new/, durable), run on a
 * worker thread in batches: write every pending local recipient of a batch of
 * messages, make the batch durable with one sync, then record per-recipient
 * state in the queue and remove fully delivered messages.  A crash between
 * the sync and the state record redelivers only that batch (at-least-once).
 *
 * Which recipients are local, and where their Maildir is, is decided by the
 * resolve callback (the daemon passes a wrapper around recipient_maildir());
 * recipients it returns NULL for are left pending for other transports.
 * Every failure to write a Maildir is temporary: the message is retried
 * after 30 s, doubling up to 10 min; each attempt logs "deferred".
 *
 * Ownership: the strings resolve returns are freed by the worker.
 * Threads: call from the event-loop thread (enqueue is also safe from any
 * thread).  resolve and logging run on the worker thread, so resolve must
 * be thread-safe (recipient_maildir() reads the immutable config only).
 */
#ifndef FERRY_DELIVER_LOCAL_H
#define FERRY_DELIVER_LOCAL_H

struct event_base;
struct config;
struct spool;
struct local_delivery;

/* Heap path of the Maildir for address, or NULL when it is not local. */
typedef char *(*local_maildir_fn)(void *arg, const char *address);

/* Errors: NULL with errno. */
struct local_delivery *local_delivery_start(struct event_base *base,
                                            const struct config *cfg,
                                            struct spool *sp,
                                            local_maildir_fn resolve,
                                            void *resolve_arg);
/* A message was queued (or found at startup): deliver it.  Give each id
 * once; spool_queued_cb-compatible via local_delivery_queued(). */
void local_delivery_enqueue(struct local_delivery *ld, const char *id);
void local_delivery_queued(void *ld, const char *id);
/* Retry every deferred message now ("ferry queue flush"). */
void local_delivery_flush(struct local_delivery *ld);
/* Messages completed and recipients delivered so far. */
void local_delivery_stats(struct local_delivery *ld, unsigned long *msgs,
                          unsigned long *deliveries);
/* Finish the batch in flight, stop the thread; queued work stays on disk. */
void local_delivery_stop(struct local_delivery *ld);

#endif
