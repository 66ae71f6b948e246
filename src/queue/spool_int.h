/*
 * spool_int — the spool's private structures, shared by the spool_*.c files.
 *
 * Locking: sp->lock guards pending, npending, done, stop, the remover's
 * fields (removals, sync_wanted, rm_stop) and the pool's (pool[],
 * pool_bytes); it is taken before gs_lock, never after.  Everything
 * else in struct spool is written once by spool_open() (or only by the loop
 * thread: next_id, queued_cb) and may be read by any thread.
 */
#ifndef FERRY_QUEUE_SPOOL_INT_H
#define FERRY_QUEUE_SPOOL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "config/config.h"
#include "queue/spool.h"

/* How long spool_has_space() trusts the last statvfs. */
#define SPOOL_SPACE_CHECK_MS 100
#define SPOOL_SPACE_CHECK_USES 256

/* Data is kept in memory up to this much, then written on the loop thread;
 * typical messages therefore cost no syscall before commit. */
#define SPOOL_BUF_MAX ((size_t)128 * 1024)

struct spool_msg {
	struct spool *sp;
	char id[QUEUE_ID_LEN + 1];
	int fd; /* queue/ID.msg, -1 until first flush */
	/* A recycled file's length before it is rewritten (0 for a new
	 * file): the commit trims what is left of it beyond the new data. */
	size_t old_len;
	char *buf; /* data not yet written */
	size_t len, cap;
	size_t size;    /* octets received in total */
	uint32_t crc;   /* their CRC-32, for the envelope */
	int error;      /* first write error, reported at commit */
	char *env_text; /* serialised envelope, set at commit */
	size_t env_len;
	spool_commit_cb done;
	void *arg;
	bool hold;      /* put on hold once committed (a milter's quarantine) */
	bool deliver;   /* committed and not held: for the delivery agents */
	bool receiving; /* counted in spool.nreceiving until committed */
	bool direct_ok; /* may be offered to the direct agent */
	/* Taken by the direct agent (spool_direct.c): its recipients, and
	 * those it delivered once it is done. */
	size_t nrcpts;
	size_t *delivered, ndelivered;
	STAILQ_ENTRY(spool_msg) link;
};

STAILQ_HEAD(spool_msg_list, spool_msg);

#define SPOOL_NAME_MAX (QUEUE_ID_LEN + 8)

/* Recycled files in pool/ (spool_pool.c): at most SPOOL_POOL_MAX of each
 * kind, SPOOL_POOL_BYTES together; a file larger than SPOOL_POOL_FILE_MAX
 * is unlinked instead.  Pooled files keep their bytes and blocks. */
#define SPOOL_POOL_MAX 1024
#define SPOOL_POOL_BYTES ((size_t)64 * 1024 * 1024)
#define SPOOL_POOL_FILE_MAX ((size_t)1024 * 1024)

/* Message files and envelopes are pooled apart: an envelope takes one
 * block, a message usually more, and trimming a file frees its surplus
 * blocks (on a file system mounted with discard, a wait for the device). */
enum spool_pool_kind { SPOOL_POOL_MSG, SPOOL_POOL_ENV, SPOOL_POOL_KINDS };

struct spool_pool_ent {
	char name[SPOOL_NAME_MAX];
	size_t size; /* its length as it entered the pool */
};

/* One kind's files, in no particular order. */
struct spool_pool {
	struct spool_pool_ent *ent;
	size_t n;
};

struct spool {
	struct event_base *base;
	int rootfd, tmpfd, queuefd, poolfd;
	enum sync_mode mode;
	int batch_max;
	int delay_ms;
	size_t min_free;
	/* The last free-space figure (loop thread): its time (monotonic
	 * milliseconds), how often it has been used, whether it passed. */
	long long space_at;
	unsigned space_uses;
	bool space_known, space_ok;
	uint64_t last_id;
	spool_queued_cb queued_cb;
	void *queued_arg;
	struct event *done_ev;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_mutex_t finish_lock; /* record + final check + remove */
	pthread_cond_t cond;
	struct spool_msg_list pending; /* waiting for the commit thread */
	int npending;
	/* Messages being received (created, neither committed nor freed):
	 * the commit thread waits for them, up to delay_ms.  Atomic. */
	int nreceiving;
	struct spool_msg_list done; /* waiting for their callbacks */
	/* The direct agent (spool_direct.c); its messages back from it. */
	spool_direct_fn direct_fn;
	void *direct_arg;
	struct spool_msg_list direct_done;
	bool stop;
	/* The remover thread (spool_remove.c); guarded by lock too. */
	pthread_t rm_thread;
	bool rm_started, rm_stop;
	pthread_cond_t rm_cond;
	char (*removals)[QUEUE_ID_LEN + 1]; /* spool_remove_later() */
	size_t nremovals, removals_cap;
	/* Files in pool/ and their octets; guarded by lock.  ent is NULL
	 * when the spool has no pool. */
	struct spool_pool pool[SPOOL_POOL_KINDS];
	size_t pool_bytes;
	/* A state file may be in queue/: one was there at start, or a record
	 * or a release put one there since.  Never cleared, so that while
	 * it is false, recycling a message does not look for its state
	 * file.  Atomic. */
	bool state_files;
	/* Removals or records wait for a sync; the commit thread clears it
	 * when it starts one, since that sync covers them. */
	bool sync_wanted;
	/* Group sync (spool_sync.c), under gs_lock: syncs started and done
	 * so far, the last that failed and its errno. */
	dev_t dev; /* the spool's file system */
	bool gs_ready, gs_running;
	pthread_mutex_t gs_lock;
	pthread_cond_t gs_cond;
	uint64_t gs_started, gs_done, gs_failed;
	uint64_t gs_usec; /* time spent in them, for the statistics */
	int gs_errno;
	int (*gs_syncfs)(int fd); /* syncfs(2); a unit test's stand-in */
	unsigned long stat_msgs, stat_syncs;
	unsigned long stat_direct; /* loop thread */
};

/* spool.c: next queue id (loop thread). */
void spool_new_id(struct spool *sp, char *id);
/* spool_direct.c: offer msg to the direct agent (true: it took it);
 * settle what came back from it (loop thread, and at close). */
bool spool_direct_offer(struct spool *sp, struct spool_msg *msg,
                        const struct envelope *env);
void spool_direct_settle(struct spool *sp);
/* spool_msg.c: hand a message with its env_text to the commit thread;
 * run its done callback; free it. */
void spool_msg_queue(struct spool *sp, struct spool_msg *msg);
/* It is no longer in DATA: a commit waiting for it need not wait. */
void spool_msg_received(struct spool_msg *msg);
bool spool_msg_report(struct spool *sp, struct spool_msg *msg);
/* spool_commit.c */
void *spool_commit_main(void *arg);
/* spool_sync.c: at open (after the directories) and at close. */
void spool_sync_init(struct spool *sp);
void spool_sync_fini(struct spool *sp);
/* spool_pool.c: a finished message's files into pool/ (the remover);
 * a file for dirfd/name that is to hold size octets, pooled (*old_len:
 * its length, which the caller trims to the new one once written if it
 * was longer) or new (*old_len 0), open for writing at offset 0 (the
 * commit thread); files in the pool. */
void spool_recycle(struct spool *sp, const char *id);
int spool_pool_create(struct spool *sp, int dirfd, const char *name,
                      enum spool_pool_kind kind, size_t size, size_t *old_len);
/* A pooled file opened where it lies in pool/ (its name into pname, of
 * SPOOL_NAME_MAX octets, its length into *old_len), for the caller to
 * rewrite and rename; -1 (and *old_len 0) when the pool has none. */
int spool_pool_open(struct spool *sp, enum spool_pool_kind kind, size_t size,
                    char *pname, size_t *old_len);
size_t spool_pool_size(struct spool *sp);
/* spool_pool.c: the pool's memory at open and close. */
int spool_pool_init(struct spool *sp);
void spool_pool_fini(struct spool *sp);
/* spool_remove.c */
void *spool_remove_main(void *arg);
/* spool_msg.c: runs the done callbacks (loop thread). */
void spool_run_done(struct spool *sp);
void spool_msg_free(struct spool_msg *msg);
/* spool_scan.c: removes debris, sets sp->last_id; at open only. */
int spool_recover(struct spool *sp);

/* Small helpers (spool_store.c). */
int spool_write_all(int fd, const void *data, size_t len);
void spool_name(char *buf, size_t cap, const char *id, const char *ext);

#endif
