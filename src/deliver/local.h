/*
 * local — local delivery into Maildirs (tmp/ -> new/, durable), run on
 * LOCAL_WORKERS worker threads in batches: write every pending local
 * recipient of a batch of messages, make the batch durable with one sync
 * (shared with the spool's when on its file system), then record
 * per-recipient state in the queue and hand fully delivered messages to the
 * spool's remover.  A crash before those are durable redelivers only that
 * batch (at-least-once).
 *
 * Which recipients are local, and where their Maildir is, is decided by the
 * resolve callback (the daemon passes a wrapper around recipient_maildir());
 * recipients it returns NULL for are left pending for other transports.
 * Every failure to write a Maildir is temporary: the message is retried
 * after 30 s, doubling up to 10 min; each attempt logs "deferred".
 *
 * Success notices (RFC 3461 NOTIFY=SUCCESS): once the deliveries of a batch
 * are durable, the recipients that asked for one are handed to the
 * on_success callback, on the event-loop thread (the daemon passes them to
 * the queue manager, which sends the same RFC 3464 report as for relayed
 * mail).  Notices still waiting when local_delivery_stop() runs after the
 * loop has ended are logged (dsn-dropped, reason=shutdown): their
 * recipients are recorded RCPT_NOTIFYING, so the next start sends them.
 *
 * Deliveries (address and octets) are reported the same way to
 * on_delivered, for mailbox quotas.
 *
 * Ownership: the strings resolve returns are freed by the worker.
 * Threads: call from the event-loop thread (enqueue is also safe from any
 * thread).  resolve and logging run on the worker threads, so resolve must
 * be thread-safe (recipient_maildir() reads the immutable config only).
 */
#ifndef FERRY_DELIVER_LOCAL_H
#define FERRY_DELIVER_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct config;
struct envelope;
struct spool;
struct spool_queued;
struct spool_offer;
struct local_delivery;

/* Heap path of the Maildir for address, or NULL when it is not local. */
typedef char *(*local_maildir_fn)(void *arg, const char *address);

/* env: the message's sender, ENVID, RET, arrival and id, with exactly the
 * recipients just delivered that asked for a success notice; they are
 * recorded RCPT_NOTIFYING in the queue, which keeps the message until the
 * notice is written.  Lent for the call only. */
typedef void (*local_success_fn)(void *arg, const struct envelope *env);

/* A message of size octets is durably in address's Maildir. */
typedef void (*local_delivered_fn)(void *arg, const char *address, size_t size);

/* Errors: NULL with errno. */
struct local_delivery *local_delivery_start(struct event_base *base,
                                            const struct config *cfg,
                                            struct spool *sp,
                                            local_maildir_fn resolve,
                                            void *resolve_arg);
/* Where success notices go; set before the first id is enqueued. */
void local_delivery_on_success(struct local_delivery *ld, local_success_fn fn,
                               void *arg);
/* Where deliveries are reported (on the event-loop thread, after the
 * batch is durable: the policy's mailbox quotas count them); set before
 * the first id is enqueued. */
void local_delivery_on_delivered(struct local_delivery *ld,
                                 local_delivered_fn fn, void *arg);
/* A message was queued (or found at startup): deliver it.  Give each id
 * once; spool_queued_cb-compatible via local_delivery_queued(). */
void local_delivery_enqueue(struct local_delivery *ld, const char *id);
void local_delivery_queued(void *ld, const char *id);
/* The same for a message just committed (spool_queued_cb's argument): the
 * workers take its envelope and bytes from memory instead of the spool,
 * while the copies held stay below LOCAL_MEM_MAX (local_int.h).  Takes
 * q->data when it keeps it.  Loop thread. */
void local_delivery_enqueue_committed(struct local_delivery *ld,
                                      struct spool_queued *q);
/* Direct delivery (spool_direct_fn): takes a message just received whose
 * every recipient (at most LOCAL_DIRECT_RCPTS_MAX of them, local_int.h)
 * has a Maildir, none asking for a success notice, and
 * delivers it at once, before its client's reply; the outcome goes back
 * to the spool (spool_direct_done).  false when it does not take it.
 * Loop thread. */
bool local_delivery_offer(void *ld, const struct spool_offer *o);
/* Retry every deferred message now ("ferry queue flush"). */
void local_delivery_flush(struct local_delivery *ld);
/* Messages completed and recipients delivered so far. */
void local_delivery_stats(struct local_delivery *ld, unsigned long *msgs,
                          unsigned long *deliveries);
/* Finish the batch in flight, stop the thread; queued work stays on disk. */
void local_delivery_stop(struct local_delivery *ld);

#endif
