/*
 * spool_msg.c — the loop-thread side of receiving a message: buffering DATA,
 * handing the message to the commit thread, and running the done callbacks
 * once the commit thread has made a batch durable.
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"

struct spool_msg *
spool_msg_new(struct spool *sp)
{
	struct spool_msg *msg;

	if ((msg = calloc(1, sizeof(*msg))) == NULL)
		return NULL;
	msg->sp = sp;
	msg->fd = -1;
	spool_new_id(sp, msg->id);
	msg->receiving = true;
	__atomic_add_fetch(&sp->nreceiving, 1, __ATOMIC_RELAXED);
	return msg;
}

const char *
spool_msg_id(const struct spool_msg *msg)
{
	return msg->id;
}

/* Writes the buffered data to queue/ID.msg, creating it on first use. */
static int
flush(struct spool_msg *msg)
{
	char name[SPOOL_NAME_MAX];

	if (msg->fd < 0) {
		spool_name(name, sizeof(name), msg->id, "msg");
		msg->fd = openat(msg->sp->queuefd, name,
		                 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (msg->fd < 0)
			return -1;
	}
	if (spool_write_all(msg->fd, msg->buf, msg->len) < 0)
		return -1;
	msg->len = 0;
	return 0;
}

static int
append(struct spool_msg *msg, const void *data, size_t len)
{
	size_t cap = msg->cap ? msg->cap : 8192;
	char *nb;

	while (cap < msg->len + len)
		cap *= 2;
	if (cap != msg->cap) {
		if ((nb = realloc(msg->buf, cap)) == NULL)
			return errno = ENOMEM, -1;
		msg->buf = nb;
		msg->cap = cap;
	}
	memcpy(msg->buf + msg->len, data, len);
	msg->len += len;
	return 0;
}

int
spool_msg_write(struct spool_msg *msg, const void *data, size_t len)
{
	if (msg->error)
		return errno = msg->error, -1;
	if (msg->len + len > SPOOL_BUF_MAX && msg->len > 0 && flush(msg) < 0)
		goto fail;
	if (len > SPOOL_BUF_MAX) {
		/* Large chunk: write it straight through, no copy. */
		if (flush(msg) < 0 || spool_write_all(msg->fd, data, len) < 0)
			goto fail;
	} else if (append(msg, data, len) < 0) {
		goto fail;
	}
	msg->size += len;
	msg->crc = (uint32_t)crc32_z(msg->crc, data, len);
	return 0;
fail:
	msg->error = errno;
	return -1;
}

/* The message no longer keeps the commit thread waiting; true if it was
 * the last one being received. */
static bool
stop_receiving(struct spool_msg *msg)
{
	if (!msg->receiving)
		return false;
	msg->receiving = false;
	return __atomic_sub_fetch(&msg->sp->nreceiving, 1, __ATOMIC_RELAXED) ==
	       0;
}

void
spool_msg_received(struct spool_msg *msg)
{
	struct spool *sp = msg->sp;

	if (stop_receiving(msg)) {
		pthread_mutex_lock(&sp->lock);
		pthread_cond_signal(&sp->cond);
		pthread_mutex_unlock(&sp->lock);
	}
}

void
spool_msg_free(struct spool_msg *msg)
{
	/* Dropped before its commit: a commit may be waiting for it. */
	spool_msg_received(msg);
	if (msg->fd >= 0)
		close(msg->fd);
	free(msg->buf);
	free(msg->env_text);
	free(msg->delivered);
	free(msg);
}

void
spool_msg_abort(struct spool_msg *msg)
{
	char name[SPOOL_NAME_MAX];

	if (msg == NULL)
		return;
	if (msg->fd >= 0) {
		spool_name(name, sizeof(name), msg->id, "msg");
		unlinkat(msg->sp->queuefd, name, 0);
	}
	spool_msg_free(msg);
}

void
spool_msg_commit(struct spool_msg *msg, const struct envelope *env,
                 spool_commit_cb done, void *arg)
{
	struct spool *sp = msg->sp;
	struct envelope copy = *env;

	/* The stored size and checksum are what was written, whatever the
	 * caller thinks: recovery compares them with the file to spot torn
	 * messages and recycled files that still hold other bytes. */
	memcpy(copy.id, msg->id, sizeof(copy.id));
	copy.size = msg->size;
	copy.msg_crc = msg->crc;
	copy.has_crc = true;
	msg->done = done;
	msg->arg = arg;
	msg->env_text = envelope_serialize(&copy, &msg->env_len);
	if (msg->env_text == NULL && msg->error == 0)
		msg->error = ENOMEM;
	if (spool_direct_offer(sp, msg, &copy))
		return;
	spool_msg_queue(sp, msg);
}

void
spool_msg_queue(struct spool *sp, struct spool_msg *msg)
{
	pthread_mutex_lock(&sp->lock);
	stop_receiving(msg);
	STAILQ_INSERT_TAIL(&sp->pending, msg, link);
	sp->npending++;
	pthread_cond_signal(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
}

void
spool_msg_hold_on_commit(struct spool_msg *msg)
{
	msg->hold = true;
}

/* Each message's done callback (the client's 250); true when it is to be
 * delivered. */
bool
spool_msg_report(struct spool *sp, struct spool_msg *msg)
{
	bool held;

	/* Held before the client hears 250 and before delivery is told: a
	 * quarantined message is never delivered. */
	held = msg->error == 0 && msg->hold && spool_hold(sp, msg->id) == 0;
	if (msg->error == 0 && msg->hold && !held)
		log_event(LOG_LVL_ERROR, "queue-hold-failed", "id", msg->id,
		          "error", strerror(errno), NULL);
	if (msg->error == ENOSPC || msg->error == EDQUOT)
		sp->space_known = false; /* look at the disk again */
	if (msg->done)
		msg->done(msg->arg, msg->error);
	return msg->error == 0 && !held;
}

/* Hands the committed message to the queued callback; its buffer holds the
 * whole message unless part of it went to the file before the commit. */
static void
tell_queued(struct spool *sp, struct spool_msg *msg)
{
	bool whole = msg->buf != NULL && msg->len == msg->size;
	struct spool_queued q = {
	        .id = msg->id,
	        .env_text = msg->env_text,
	        .env_len = msg->env_len,
	        .data = whole ? msg->buf : NULL,
	        .len = whole ? msg->len : 0,
	};

	sp->queued_cb(sp->queued_arg, &q);
	if (whole && q.data == NULL)
		msg->buf = NULL; /* taken */
}

void
spool_run_done(struct spool *sp)
{
	struct spool_msg_list list;
	struct spool_msg *msg;

	spool_direct_settle(sp);
	pthread_mutex_lock(&sp->lock);
	STAILQ_INIT(&list);
	STAILQ_CONCAT(&list, &sp->done);
	pthread_mutex_unlock(&sp->lock);
	STAILQ_FOREACH(msg, &list, link)
		msg->deliver = spool_msg_report(sp, msg);
	/* The batch's "queued" lines are out before a delivery thread can
	 * log its "delivered" lines. */
	log_flush();
	while ((msg = STAILQ_FIRST(&list)) != NULL) {
		STAILQ_REMOVE_HEAD(&list, link);
		if (msg->deliver && sp->queued_cb)
			tell_queued(sp, msg);
		spool_msg_free(msg);
	}
}
