/*
 * spool — durable storage of accepted messages, with group commit.
 *
 * A message is received into a temporary file (spool_msg_write as DATA
 * arrives), then spool_msg_commit() hands it with its envelope to the commit
 * thread, which batches many messages per sync (syncfs(2) of the spool, or
 * fsync of each file and the directory: config sync_mode) and only then calls
 * the done callback, on the event-loop thread.  Only after that callback may
 * the SMTP session say 250.  The message is queued iff its envelope file is in
 * the queue directory; anything else found at startup is debris and removed.
 *
 * All file access is relative to directory descriptors opened by
 * spool_open(), so it keeps working after the process drops privileges.
 *
 * Errors: functions return -1 and set errno (ENOSPC means the disk is full:
 * the session answers 452 4.3.1).  Threads: call everything from the
 * event-loop thread; callbacks arrive there too.
 */
#ifndef FERRY_QUEUE_SPOOL_H
#define FERRY_QUEUE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/envelope.h"

struct event_base;
struct config;
struct spool;
struct spool_msg;

/* Called on the loop thread when a commit finished; error is 0 or errno. */
typedef void (*spool_commit_cb)(void *arg, int error);
/* Called on the loop thread for every message that became queued. */
typedef void (*spool_queued_cb)(void *arg, const char *id);

/* Creates the directories (as the current user), opens them, starts the
 * commit thread. */
struct spool *spool_open(struct event_base *base, const struct config *cfg);
void spool_set_queued_cb(struct spool *sp, spool_queued_cb cb, void *arg);
/* Drains pending commits (calling their callbacks) and stops the thread. */
void spool_close(struct spool *sp);

/* false when free space is below config min_free_space. */
bool spool_has_space(struct spool *sp);

struct spool_msg *spool_msg_new(struct spool *sp);
const char *spool_msg_id(const struct spool_msg *msg);
int spool_msg_write(struct spool_msg *msg, const void *data, size_t len);
void spool_msg_abort(struct spool_msg *msg); /* removes the temp file */
/* Takes ownership of msg; env is copied (env->id is set from msg). */
void spool_msg_commit(struct spool_msg *msg, const struct envelope *env,
	spool_commit_cb done, void *arg);

/* For delivery: every queued message id at startup (recovery). */
int spool_scan(struct spool *sp, void (*fn)(void *arg, const char *id),
	void *arg);
/* Directory descriptor of the queue directory (message + envelope files). */
int spool_queue_dirfd(const struct spool *sp);

#endif
