/*
 * local — local delivery into Maildirs (tmp/ -> new/, durable), run on a
 * worker thread in batches: write every pending local recipient of a batch of
 * messages, make the batch durable with one sync, then record per-recipient
 * state in the queue and remove fully delivered messages.  A crash between
 * the sync and the state record redelivers only that batch (at-least-once).
 *
 * Threads: call from the event-loop thread.  Logging happens on the worker.
 */
#ifndef FERRY_DELIVER_LOCAL_H
#define FERRY_DELIVER_LOCAL_H

struct event_base;
struct config;
struct spool;
struct local_delivery;

struct local_delivery *local_delivery_start(struct event_base *base,
	const struct config *cfg, struct spool *sp);
/* A message was queued (or found at startup): deliver it. */
void local_delivery_enqueue(struct local_delivery *ld, const char *id);
/* Finish the batch in flight, stop the thread; queued work stays on disk. */
void local_delivery_stop(struct local_delivery *ld);

#endif
