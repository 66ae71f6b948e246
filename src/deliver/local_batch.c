/*
 * local_batch.c — one delivery batch: write every pending local recipient of
 * every message, one sync for all of it, then record the outcome in the
 * queue.  Nothing is recorded as delivered before the sync returned, so a
 * crash at any point can only cause redelivery of this batch.
 */
#include "base/str.h"
#include "base/mem.h"
#include "deliver/local_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/msgid.h"
#include "deliver/maildir.h"
#include "queue/spool.h"

struct done_rcpt {
	size_t idx;
	char *maildir;
	size_t size; /* octets written, for the mailbox's quota */
};

struct bmsg {
	struct ld_item *item;
	struct maildir_cache *cache; /* the worker's */
	struct envelope env;
	bool loaded;
	bool defer;
	struct done_rcpt *done;
	size_t ndone;
	bool notify;     /* a recipient asked for a success notice */
	char msgid[256]; /* its Message-ID, for the log; "" when none */
};

/* What the batch sync has to cover: one entry per filesystem (syncfs) or
 * per Maildir (fsync of its new/ directory). */
struct sync_set {
	struct {
		dev_t dev;
		char *path;
	} * v;
	size_t n, cap;
};

static void
sync_set_add(struct sync_set *s, bool by_path, dev_t dev, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (by_path ? strcmp(s->v[i].path, path) == 0
		            : s->v[i].dev == dev)
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			abort();
	}
	s->v[s->n].dev = dev;
	if ((s->v[s->n++].path = str_dup(path)) == NULL)
		abort();
}

/* In syncfs mode a Maildir on the spool's file system shares the spool's
 * next sync (spool_sync_fs): one journal commit for both. */
static int
sync_one(struct maildir_cache *c, struct spool *sp, const char *path,
         bool do_fsync, bool patient)
{
	char buf[PATH_MAX];
	int fd = maildir_new_dir(c, path), r, e;
	bool opened = fd < 0;

	snprintf(buf, sizeof(buf), "%s/new", path);
	if (opened && (fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = do_fsync ? fsync(fd) : spool_sync_fs(sp, fd, patient);
	e = errno;
	if (opened)
		close(fd);
	return errno = e, r;
}

/* Runs the batch sync and frees the set; -1 with errno if any failed. */
static int
sync_set_run(struct sync_set *s, struct maildir_cache *c, struct spool *sp,
             bool do_fsync, bool patient)
{
	int r = 0, e = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (sync_one(c, sp, s->v[i].path, do_fsync, patient) < 0) {
			r = -1;
			e = errno;
		}
		free(s->v[i].path);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
	return errno = e, r;
}

/* Copies an address into a header value; control bytes cannot have come
 * from a valid SMTP path, but must never start a new header line. */
static void
clean_copy(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f
		                 ? '?'
		                 : src[i];
	dst[i] = '\0';
}

/* Turn each CRLF into LF in place; returns the new length.  The spool
 * holds the message as received on the wire (CRLF). */
static size_t
crlf_to_lf(char *data, size_t len)
{
	size_t in, out = 0;

	for (in = 0; in < len; in++) {
		if (data[in] == '\r' && in + 1 < len && data[in + 1] == '\n')
			continue;
		data[out++] = data[in];
	}
	return out;
}

struct msgdata {
	const char *data;
	size_t len;
	const char *eol; /* the message's own line ending, for added headers */
};

static int
write_rcpt(struct local_delivery *ld, const struct bmsg *bm,
           const struct msgdata *md, size_t i, const char *path, mode_t mode,
           size_t *size)
{
	char hdr[2200], from[1000], to[1000];
	struct iovec iov[2];
	int n;

	clean_copy(from, sizeof(from), bm->env.sender ? bm->env.sender : "");
	clean_copy(to, sizeof(to), bm->env.rcpts[i].address);
	n = snprintf(hdr, sizeof(hdr), "Return-Path: <%s>%sDelivered-To: %s%s",
	             from, md->eol, to, md->eol);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)md->data;
	iov[1].iov_len = md->len;
	*size = iov[0].iov_len + iov[1].iov_len;
	return maildir_write(bm->cache, path, bm->env.id, iov, 2, ld->do_fsync,
	                     mode);
}

/* The header says DMARC asked for quarantine (the field the server adds
 * under [mailauth] enforce; one from outside is removed on arrival). */
static bool
quarantined(const struct msgdata *md)
{
	static const char field[] = "\nX-Ferry-Quarantine:";
	const char *end = memmem(md->data, md->len, "\n\n", 2);
	size_t hlen = end ? (size_t)(end - md->data) + 1 : md->len;

	return memmem(md->data, hlen, field, sizeof(field) - 1) != NULL;
}

/* Quarantined mail goes to the Maildir's Junk folder (Maildir++ ".Junk",
 * as Dovecot names it) when there is one; else to the inbox. */
static const char *
junk_or(const struct msgdata *md, const char *path, char *buf, size_t len)
{
	struct stat st;

	if (!quarantined(md) ||
	    (size_t)snprintf(buf, len, "%s/.Junk", path) >= len)
		return path;
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : path;
}

/* One recipient into its Maildir, creating the Maildir when needed. */
static int
deliver_rcpt(struct local_delivery *ld, const struct bmsg *bm,
             const struct msgdata *md, size_t i, const char *inbox,
             struct sync_set *ss, size_t *size)
{
	char junk[PATH_MAX];
	const char *path = junk_or(md, inbox, junk, sizeof(junk));
	mode_t mode;
	dev_t dev;
	int r;

	if (maildir_prepare(bm->cache, path, &dev, &mode) < 0)
		return -1;
	r = write_rcpt(ld, bm, md, i, path, mode, size);
	if (r < 0 && errno == ENOENT) {
		/* Removed since we cached it: create it again, once. */
		maildir_forget(bm->cache, path);
		if (maildir_prepare(bm->cache, path, &dev, &mode) < 0)
			return -1;
		r = write_rcpt(ld, bm, md, i, path, mode, size);
	}
	if (r == 0)
		sync_set_add(ss, ld->do_fsync, dev, path);
	return r;
}

static void
log_deferred(const char *id, const char *to, int error)
{
	log_event(LOG_LVL_WARN, "deferred", "id", id, "to", to, "error",
	          strerror(error), NULL);
}

/* A recipient not delivered this time.  A direct attempt's failure is
 * the queue's to retry and log: it queues the message at once. */
static void
log_rcpt_deferred(const struct bmsg *bm, size_t i, int error)
{
	if (bm->item->direct == NULL)
		log_deferred(bm->env.id, bm->env.rcpts[i].address, error);
}

static void
add_done(struct bmsg *bm, size_t idx, char *maildir, size_t size)
{
	struct done_rcpt *d;

	d = xreallocarray(bm->done, bm->ndone + 1, sizeof(*d));
	bm->done = d;
	d[bm->ndone].idx = idx;
	d[bm->ndone].size = size;
	d[bm->ndone++].maildir = maildir;
}

static bool
any_local(struct local_delivery *ld, const struct envelope *env)
{
	char *path;
	size_t i;

	for (i = 0; i < env->nrcpts; i++) {
		if (env->rcpts[i].state != RCPT_PENDING)
			continue;
		path = ld->resolve(ld->resolve_arg, env->rcpts[i].address);
		free(path);
		if (path != NULL)
			return true;
	}
	return false;
}

static void
deliver_all(struct local_delivery *ld, struct bmsg *bm,
            const struct msgdata *md, struct sync_set *ss)
{
	struct envelope_rcpt *r;
	char *path;
	size_t i, size;

	for (i = 0; i < bm->env.nrcpts; i++) {
		r = &bm->env.rcpts[i];
		if (r->state != RCPT_PENDING ||
		    (path = ld->resolve(ld->resolve_arg, r->address)) == NULL)
			continue;
		if (deliver_rcpt(ld, bm, md, i, path, ss, &size) == 0) {
			add_done(bm, i, path, size);
			continue;
		}
		log_rcpt_deferred(bm, i, errno);
		bm->defer = true;
		free(path);
	}
}

/* The envelope of a message just committed, from the copy the item holds:
 * no state has been recorded for it by local delivery yet, and what the
 * relay may have recorded concerns only its own recipients.  It must still
 * be queued (a hold or delete may have taken it since).  0 when it is, 1
 * when not, -1 with errno. */
static int
parse_copy(struct local_delivery *ld, struct bmsg *bm)
{
	const char *err;
	int q;

	/* A direct delivery's message is not in the queue, by design. */
	if (bm->item->direct == NULL &&
	    (q = spool_is_queued(ld->sp, bm->item->id)) <= 0)
		return q < 0 ? -1 : 1;
	if (envelope_parse(bm->item->env_text, bm->item->env_len, &bm->env,
	                   &err) < 0)
		return errno = EBADMSG, -1;
	return 0;
}

/* The envelope, from the item's copy or the spool; 0 when loaded, 1 when
 * the message is no longer queued, -1 with errno. */
static int
load_env(struct local_delivery *ld, struct bmsg *bm)
{
	if (bm->item->env_text != NULL)
		return parse_copy(ld, bm);
	if (spool_load(ld->sp, bm->item->id, &bm->env) == 0)
		return 0;
	return errno == ENOENT ? 1 : -1;
}

/* The message's bytes, from the item's copy (taken over) or the spool. */
static int
load_msg(struct local_delivery *ld, struct bmsg *bm, char **data, size_t *len)
{
	struct ld_item *it = bm->item;

	if (it->data == NULL)
		return spool_read_msg(ld->sp, it->id, data, len);
	*data = it->data;
	*len = it->len;
	it->data = NULL; /* freed below as a read one; the count stays */
	return 0;
}

/* Loads one message and writes all its local recipients. */
static void
deliver_message(struct local_delivery *ld, struct bmsg *bm, struct sync_set *ss)
{
	struct msgdata md;
	char *data;
	int r;

	if ((r = load_env(ld, bm)) != 0) {
		if (r < 0) {
			log_deferred(bm->item->id, NULL, errno);
			bm->defer = true;
		}
		return;
	}
	bm->loaded = true;
	/* A direct delivery was offered only when all were local. */
	if (bm->item->direct == NULL && !any_local(ld, &bm->env))
		return; /* all for the relay: do not read the message */
	if (load_msg(ld, bm, &data, &md.len) < 0) {
		log_deferred(bm->item->id, NULL, errno);
		bm->defer = true;
		return;
	}
	msgid_find(data, md.len, bm->msgid, sizeof(bm->msgid));
	bm->notify = local_notice_wanted(ld, &bm->env);
	/* Maildir files hold UNIX line ends, as mail readers expect. */
	md.len = crlf_to_lf(data, md.len);
	md.data = data;
	md.eol = "\n";
	deliver_all(ld, bm, &md, ss);
	free(data);
}

/* Logs each durable delivery and gives it to the quotas; returns the
 * recipients' indexes, their states set.  NULL when there is none. */
static size_t *
log_done(struct local_delivery *ld, struct bmsg *bm)
{
	size_t i, *idx;
	char delay[24];

	if (bm->ndone == 0)
		return NULL;
	log_fmt_delay(bm->env.arrival, delay, sizeof(delay));
	idx = xcalloc(bm->ndone, sizeof(*idx));
	for (i = 0; i < bm->ndone; i++) {
		idx[i] = bm->done[i].idx;
		bm->env.rcpts[idx[i]].state =
		        local_notice_owed(&bm->env, idx[i]) ? RCPT_NOTIFYING
		                                            : RCPT_DELIVERED;
		log_event(LOG_LVL_INFO, "delivered", "id", bm->env.id, "to",
		          bm->env.rcpts[idx[i]].address, "maildir",
		          bm->done[i].maildir, "delay", delay, "message-id",
		          bm->msgid[0] ? bm->msgid : NULL, NULL);
		local_usage_post(ld, bm->env.rcpts[idx[i]].address,
		                 bm->done[i].size);
	}
	return idx;
}

/* A direct delivery's outcome goes back to the spool, which queues what
 * is not delivered (and the whole message when its envelope could not be
 * read) before its client hears 250. */
static void
report_direct(struct local_delivery *ld, struct bmsg *bm)
{
	size_t *idx = log_done(ld, bm);

	spool_direct_done(ld->sp, bm->item->direct, idx, bm->ndone);
	free(idx);
}

/* After the sync: log each delivery, then record the new states, or
 * dequeue the message when nothing is left to do.  Returns 1 when it
 * changed the spool. */
static int
record(struct local_delivery *ld, struct bmsg *bm)
{
	size_t *idx;

	if (bm->item->direct != NULL) {
		report_direct(ld, bm);
		return 0;
	}
	if ((idx = log_done(ld, bm)) == NULL)
		return 0;
	/* Other workers only ever finish recipients, so "all final" in our
	 * copy is final on disk too: no need to record first. */
	if (envelope_all_final(&bm->env))
		spool_remove_later(ld->sp, bm->env.id);
	else if (spool_record_and_finish(ld->sp, bm->env.id, &bm->env, idx,
	                                 bm->ndone) < 0)
		/* delivered anyway; a restart would deliver again */
		log_event(LOG_LVL_WARN, "queue_update_failed", "id", bm->env.id,
		          "error", strerror(errno), NULL);
	/* A notice owed is on disk (RCPT_NOTIFYING) before the queue manager
	 * hears of it: it writes the notice from those records, and again
	 * until one is committed. */
	else if (bm->notify)
		local_notice_post(ld, &bm->env, idx, bm->ndone);
	free(idx);
	return 1;
}

/* The batch sync failed: none of its deliveries is known to be durable. */
static void
unsure(struct bmsg *bm, int error)
{
	size_t i;

	for (i = 0; i < bm->ndone; i++) {
		log_rcpt_deferred(bm, bm->done[i].idx, error);
		free(bm->done[i].maildir);
	}
	bm->ndone = 0;
	bm->defer = true;
}

static void
retire(struct local_delivery *ld, struct bmsg *bm, struct ld_list *retry)
{
	struct ld_item *it = bm->item;
	size_t i;

	for (i = 0; i < bm->ndone; i++)
		free(bm->done[i].maildir);
	free(bm->done);
	if (bm->loaded)
		envelope_free(&bm->env);
	local_item_drop_copy(ld, it); /* a retry reads the spool */
	if (!bm->defer || it->direct != NULL) {
		free(it);
		return;
	}
	it->delay = it->delay ? it->delay * 2 : LOCAL_RETRY_MIN;
	if (it->delay > LOCAL_RETRY_MAX)
		it->delay = LOCAL_RETRY_MAX;
	it->due = time(NULL) + it->delay;
	TAILQ_INSERT_TAIL(retry, it, link);
}

/* Fills bms[] from the batch, dropping an id given twice (a queued one:
 * a direct delivery's id is new, and its batch holds only such). */
static size_t
unpack(struct local_delivery *ld, struct ld_list *batch, struct bmsg *bms,
       struct maildir_cache *cache)
{
	struct ld_item *it;
	size_t n = 0, j;

	while ((it = TAILQ_FIRST(batch)) != NULL) {
		TAILQ_REMOVE(batch, it, link);
		for (j = 0; j < n; j++)
			if (strcmp(bms[j].item->id, it->id) == 0)
				break;
		if (j < n) {
			local_item_drop_copy(ld, it);
			free(it);
			continue;
		}
		memset(&bms[n], 0, sizeof(bms[n]));
		bms[n].cache = cache;
		bms[n++].item = it;
	}
	return n;
}

void
local_run_batch(struct local_delivery *ld, struct maildir_cache *cache,
                struct ld_list *batch, struct ld_list *retry)
{
	struct bmsg bms[LOCAL_BATCH_MSGS];
	struct sync_set ss = {0};
	unsigned long msgs = 0, dels = 0;
	bool patient = true;
	size_t n, i;
	int wrote = 0, e;

	n = unpack(ld, batch, bms, cache);
	maildir_cache_round(cache);
	for (i = 0; i < n; i++) {
		deliver_message(ld, &bms[i], &ss);
		patient &= bms[i].item->direct == NULL;
	}
	if (!patient)
		local_direct_written(ld);
	if (sync_set_run(&ss, cache, ld->sp, ld->do_fsync, patient) < 0) {
		e = errno;
		for (i = 0; i < n; i++)
			unsure(&bms[i], e);
	}
	log_hold(); /* the batch's delivered lines in one write */
	for (i = 0; i < n; i++) {
		dels += bms[i].ndone;
		wrote |= record(ld, &bms[i]);
		/* After record(), which sets the states delivered. */
		msgs += bms[i].ndone > 0 && envelope_all_final(&bms[i].env);
	}
	log_release();
	/* The records only spare a second delivery after a crash: they
	 * become durable with the next commit's sync, not one of their own. */
	if (wrote)
		spool_sync_later(ld->sp);
	__atomic_add_fetch(&ld->stat_msgs, msgs, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ld->stat_deliveries, dels, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		retire(ld, &bms[i], retry);
}
