/*
 * spool — durable storage of accepted messages, with group commit.
 *
 * A message is buffered and written to its queue file (spool_msg_write as DATA
 * arrives), then spool_msg_commit() hands it with its envelope to the commit
 * thread, which batches many messages per sync (syncfs(2) of the spool, or
 * fsync of each file and the directory: config sync_mode) and only then calls
 * the done callback, on the event-loop thread.  Only after that callback may
 * the SMTP session say 250.  The message is queued iff its envelope file is in
 * the queue directory and passes recovery's checks (its checksums: see
 * spool_pool.c); a message that fails them is moved into damaged/, anything
 * else found at startup is debris and removed.
 *
 * All file access is relative to directory descriptors opened by
 * spool_open(), so it keeps working after the process drops privileges.
 *
 * Files (docs/queue-format.md): queue/ID.msg (message bytes), queue/ID.env
 * (envelope; its rename from tmp/ is the commit point), queue/ID.state
 * (append-only final-state records).
 *
 * Ownership: spool_msg_new() returns a message owned by the caller until
 * spool_msg_commit() (the spool frees it after the done callback) or
 * spool_msg_abort().  Strings passed in are copied.
 *
 * Errors: functions return -1 and set errno (ENOSPC means the disk is full:
 * the session answers 452 4.3.1).  A write error is also remembered and
 * reported again as the done callback's error.  A done callback with an
 * error means nothing of the message stays queued.
 *
 * Threads: the event_base must be created after evthread_use_pthreads(),
 * because the commit thread wakes the loop with event_active().  Call the
 * functions down to spool_queue_dirfd() from the event-loop thread only;
 * callbacks arrive there too.  The functions in the "queued messages" block
 * below only use descriptors fixed at open and may be called from any thread
 * (delivery workers), provided each id is worked on by one thread at a time.
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
/* A message that became queued, as the commit thread wrote it: the text
 * of its envelope (what queue/ID.env holds) and, when the whole message
 * was still in memory, its bytes (what queue/ID.msg holds; else NULL), so
 * that no delivery agent need read them back.  The callee may take data
 * (and set it to NULL); the spool frees whatever is left after the call. */
struct spool_queued {
	const char *id;
	const char *env_text;
	size_t env_len;
	char *data;
	size_t len;
};

/* Called on the loop thread for every message that became queued. */
typedef void (*spool_queued_cb)(void *arg, struct spool_queued *q);

/* Creates the directories (as the current user), opens them, starts the
 * commit thread. */
struct spool *spool_open(struct event_base *base, const struct config *cfg);
void spool_set_queued_cb(struct spool *sp, spool_queued_cb cb, void *arg);
/* Drains pending commits (calling their callbacks) and stops the thread. */
void spool_close(struct spool *sp);

/* false when free space is below config min_free_space.  The figure is
 * read again after SPOOL_SPACE_CHECK_MS or SPOOL_SPACE_CHECK_USES calls,
 * and at once after a commit that failed for lack of space. */
bool spool_has_space(struct spool *sp);

struct spool_msg *spool_msg_new(struct spool *sp);
const char *spool_msg_id(const struct spool_msg *msg);
int spool_msg_write(struct spool_msg *msg, const void *data, size_t len);
void spool_msg_abort(struct spool_msg *msg); /* removes what was written */
/* Takes ownership of msg; env is copied (env->id and env->size are set
 * from msg).  done runs later on the loop thread, even for an early error. */
void spool_msg_commit(struct spool_msg *msg, const struct envelope *env,
                      spool_commit_cb done, void *arg);
/* Once committed, the message goes on hold (spool_hold) instead of to
 * delivery: the queued callback is not called for it.  Should the move
 * fail, it stays queued (logged): accepted mail is never lost. */
void spool_msg_hold_on_commit(struct spool_msg *msg);

/*
 * Direct delivery: an agent (local delivery) may take a message at its
 * commit and deliver it before the reply, so that it is never written to
 * the queue.  The spool offers it only a message it holds whole in memory,
 * with no write error and not to be held.  The offer runs on the loop
 * thread; an agent that takes it (returns true) must later call
 * spool_direct_done() for it exactly once, from any thread, naming the
 * recipients (indexes into env->rcpts) whose copies are durable by then.
 * If those are all of them, the done callback runs with 0 and nothing is
 * queued; otherwise the message is committed as usual with those
 * recipients marked delivered, and the done callback runs after that.
 * The offer's pointers are lent for the call only.
 */
struct spool_offer {
	struct spool_msg *msg; /* the token for spool_direct_done() */
	const struct envelope *env;
	const char *env_text;
	size_t env_len;
	const char *data;
	size_t len;
};

typedef bool (*spool_direct_fn)(void *arg, const struct spool_offer *o);

/* Before its commit: msg may be offered (a client waits for its reply;
 * the reports the queue writes itself are queued). */
void spool_msg_allow_direct(struct spool_msg *msg);

void spool_set_direct(struct spool *sp, spool_direct_fn fn, void *arg);
void spool_direct_done(struct spool *sp, struct spool_msg *msg,
                       const size_t *idx, size_t n);

/* For delivery: every queued message id, oldest first (recovery at
 * startup).  fn runs synchronously on the calling thread. */
int spool_scan(struct spool *sp, void (*fn)(void *arg, const char *id),
               void *arg);
/* Directory descriptor of the queue directory (message + envelope files). */
int spool_queue_dirfd(const struct spool *sp);
/* Messages committed and syncs done so far (for benchmarks and stats). */
void spool_stats(const struct spool *sp, unsigned long *msgs,
                 unsigned long *syncs);
/* Messages delivered directly to all their recipients; the syncs of the
 * spool's file system by anyone (commits, Maildirs, removals), and the
 * microseconds they took. */
void spool_direct_stats(struct spool *sp, unsigned long *msgs,
                        unsigned long *fs_syncs, unsigned long *fs_usec);

/*
 * Queued messages (any thread).
 * spool_load: the envelope with the states from the state file applied;
 *   free with envelope_free().  errno ENOENT: not queued; EBADMSG: corrupt.
 * spool_read_msg: the whole message into a heap buffer (NUL-terminated for
 *   convenience; *len excludes it).
 * spool_record_states: appends one record per index in idx[] with the
 *   current state and last_reply of env->rcpts[idx[i]], in one write.
 *   Durable after the next spool_sync() (fsynced at once in SYNC_FSYNC mode).
 * spool_remove: dequeues the message (envelope first) and removes its files.
 * spool_sync: makes earlier records and removals durable.
 * spool_sync_later: the same, soon, without waiting (below).
 */
int spool_load(struct spool *sp, const char *id, struct envelope *env);
int spool_read_msg(struct spool *sp, const char *id, char **data, size_t *len);
/* 1 when the message is queued (queue/ID.env exists), 0 when not, -1 on
 * error: for a caller holding the message in memory, which may have been
 * held or deleted since. */
int spool_is_queued(struct spool *sp, const char *id);
/* Whether data is the message env describes (its length, and its CRC-32
 * when the envelope has one): a reader outside the daemon that loaded the
 * envelope first may read the file after the message left the queue and
 * its file was recycled for another one (spool_pool.c). */
bool spool_msg_matches(const struct envelope *env, const char *data,
                       size_t len);
int spool_record_states(struct spool *sp, const char *id,
                        const struct envelope *env, const size_t *idx,
                        size_t n);
int spool_remove(struct spool *sp, const char *id);
/* spool_remove on the spool's remover thread, soon, so the caller waits
 * neither for the file system nor for a sync (spool_remove.c).  For a
 * message known to be finished: if the process dies before the removal is
 * durable, the message is found again at start and delivered again (at
 * least once).  Any thread. */
void spool_remove_later(struct spool *sp, const char *id);
/* Record the states of env->rcpts[idx[]], then dequeue the message if
 * every recipient (as recorded on disk, by any worker) is final.
 * Returns 1 when removed, 0 when still queued, -1 on error. */
int spool_record_and_finish(struct spool *sp, const char *id,
                            const struct envelope *env, const size_t *idx,
                            size_t n);
int spool_sync(struct spool *sp);
/* syncfs(fd) for a descriptor on any file system; when that is the
 * spool's, the sync is shared with the spool's own (one journal commit
 * for the queue and the Maildirs: spool_sync.c).  A patient caller first
 * waits a while for a commit's sync to share; one whose client waits for
 * the reply is not patient.  Any thread. */
int spool_sync_fs(struct spool *sp, int fd, bool patient);
/* Like spool_sync, without waiting: earlier records and removals become
 * durable with the next commit's sync, or the remover thread's within a
 * fraction of a second.  For what only saves a second delivery after a
 * crash, never for what an acknowledgement depends on.  Any thread. */
void spool_sync_later(struct spool *sp);

/*
 * Held messages (spool_hold.c; docs/queue-format.md "Held messages").
 * A held message lives in <spool>/hold/ and is not queued: delivery never
 * sees it.  Moves use hard links so that a crash at any point leaves the
 * message either queued or held, never lost: the copy in the destination is
 * complete (envelope linked last) before the source envelope is removed.
 * When queue/ID.env exists, the message is queued and a hold/ copy is stale.
 * Loop thread; each takes the finish lock so that no worker is between
 * recording a state and removing the message.
 *
 * spool_hold: EALREADY if already held, ENOENT if neither queued nor held.
 * spool_release: EALREADY if queued (not held), ENOENT if unknown.
 *   The caller hands the id to delivery afterwards.
 * spool_delete: removes a queued or held message; ENOENT if unknown.
 * spool_hold_recover: at startup, removes stale or incomplete hold/
 *   entries (logged as spool_debris).
 * spool_is_held: 1 held, 0 not, -1 error.
 * spool_scan_held: every held id, oldest first.
 * spool_load_held / spool_read_held_msg: as spool_load / spool_read_msg.
 */
int spool_hold(struct spool *sp, const char *id);
int spool_release(struct spool *sp, const char *id);
int spool_delete(struct spool *sp, const char *id);
int spool_hold_recover(struct spool *sp);
int spool_is_held(struct spool *sp, const char *id);
int spool_scan_held(struct spool *sp, void (*fn)(void *arg, const char *id),
                    void *arg);
int spool_load_held(struct spool *sp, const char *id, struct envelope *env);
int spool_read_held_msg(struct spool *sp, const char *id, char **data,
                        size_t *len);
/* Read-only access for `ferry queue list/show`: opens the directories
 * without recovery or commit thread; only the read functions above
 * (spool_scan, spool_load, spool_read_msg and the held variants) may be
 * used on it.  Close with spool_close_readonly(). */
struct spool *spool_open_readonly(const char *spool_dir);
void spool_close_readonly(struct spool *sp);
/* true for 16 lower-case hex digits. */
bool spool_id_valid(const char *id);

#endif
