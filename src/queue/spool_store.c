/*
 * spool_store.c — reading and updating queued messages: the envelope with
 * its state records, the message bytes, recording final states, removal.
 * These only use the directory descriptors fixed at open, so any thread may
 * call them (the delivery workers do).
 */
#include "queue/spool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "queue/envelope_int.h"

void
spool_name(char *buf, size_t cap, const char *id, const char *ext)
{
	snprintf(buf, cap, "%.*s.%s", QUEUE_ID_LEN, id, ext);
}

int
spool_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads a whole file below dirfd; ENOENT when it does not exist. */
static int
read_file(int dirfd, const char *name, char **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, e;

	*data = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 ||
	    (*data = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = pread(fd, *data + got, (size_t)st.st_size - got,
		          (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shrank under us: return what is there */
		got += (size_t)n;
	}
	(*data)[got] = '\0';
	*len = got;
	close(fd);
	return 0;
fail:
	e = errno;
	free(*data);
	*data = NULL;
	close(fd);
	return errno = e, -1;
}

int
spool_read_msg(struct spool *sp, const char *id, char **data, size_t *len)
{
	char name[SPOOL_NAME_MAX];

	spool_name(name, sizeof(name), id, "msg");
	return read_file(sp->queuefd, name, data, len);
}

bool
spool_msg_matches(const struct envelope *env, const char *data, size_t len)
{
	if (len != env->size)
		return false;
	return !env->has_crc ||
	       (uint32_t)crc32_z(0, (const unsigned char *)data, len) ==
	               env->msg_crc;
}

int
spool_is_queued(struct spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];
	struct stat st;

	spool_name(name, sizeof(name), id, "env");
	if (fstatat(sp->queuefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/* A deferred recipient whose sender has had the "delayed" report. */
#define STATE_DELAYED "delayed"

static int
state_from_name(const char *s, size_t len, enum rcpt_state *st,
                bool *delay_reported)
{
	*delay_reported = len == strlen(STATE_DELAYED) &&
	                  memcmp(s, STATE_DELAYED, len) == 0;
	if (*delay_reported) {
		*st = RCPT_DEFERRED;
		return 0;
	}
	return envelope_state_from_name(s, len, st);
}

/* One state record: "INDEX STATE[@NEXT] REPLY\n", NEXT being the time of
 * a deferred recipient's next attempt.  A torn last line (no newline) is
 * ignored: the append it belongs to never completed. */
static void
apply_state_line(struct envelope *env, const char *line, size_t len)
{
	const char *sp1, *sp2;
	enum rcpt_state st;
	bool delay_reported;
	unsigned long idx;
	char *end, *reply;
	const char *at;
	long long next = 0;

	if ((sp1 = memchr(line, ' ', len)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line))) ==
	            NULL)
		return;
	idx = strtoul(line, &end, 10);
	at = memchr(sp1 + 1, '@', (size_t)(sp2 - sp1 - 1));
	if (at)
		next = strtoll(at + 1, NULL, 10);
	if (end != sp1 || idx >= env->nrcpts ||
	    state_from_name(sp1 + 1, (size_t)((at ? at : sp2) - sp1 - 1), &st,
	                    &delay_reported) < 0 ||
	    envelope_get_token(sp2 + 1, len - (size_t)(sp2 + 1 - line),
	                       &reply) < 0)
		return;
	env->rcpts[idx].state = st;
	env->rcpts[idx].delay_reported = delay_reported;
	env->rcpts[idx].next_attempt = (time_t)next;
	free(env->rcpts[idx].last_reply);
	env->rcpts[idx].last_reply = reply;
}

static void
apply_states(struct envelope *env, const char *p, size_t len)
{
	const char *end = p + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		apply_state_line(env, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

int
spool_load(struct spool *sp, const char *id, struct envelope *env)
{
	char name[SPOOL_NAME_MAX], *text;
	const char *err;
	size_t len;

	spool_name(name, sizeof(name), id, "env");
	if (read_file(sp->queuefd, name, &text, &len) < 0)
		return -1;
	if (envelope_parse(text, len, env, &err) < 0) {
		free(text);
		return errno = EBADMSG, -1;
	}
	free(text);
	spool_name(name, sizeof(name), id, "state");
	if (read_file(sp->queuefd, name, &text, &len) == 0) {
		apply_states(env, text, len);
		free(text);
	} else if (errno != ENOENT) {
		envelope_free(env);
		return -1;
	}
	return 0;
}

int
spool_record_states(struct spool *sp, const char *id,
                    const struct envelope *env, const size_t *idx, size_t n)
{
	char name[SPOOL_NAME_MAX], *buf = NULL;
	size_t len = 0, i;
	int fd, r, e;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	/* Ends a torn last line a crash may have left, which would swallow
	 * this append's first record; an empty line is skipped on reading. */
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		const struct envelope_rcpt *rc = &env->rcpts[idx[i]];

		fprintf(f, "%zu %s", idx[i],
		        rc->state == RCPT_DEFERRED && rc->delay_reported
		                ? STATE_DELAYED
		                : envelope_state_name(rc->state));
		if (rc->state == RCPT_DEFERRED && rc->next_attempt > 0)
			fprintf(f, "@%lld", (long long)rc->next_attempt);
		fputc(' ', f);
		envelope_put_token(f, rc->last_reply);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return free(buf), -1;
	spool_name(name, sizeof(name), id, "state");
	__atomic_store_n(&sp->state_files, true, __ATOMIC_RELEASE);
	fd = openat(sp->queuefd, name,
	            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	/* One write per call: records from concurrent workers never mix. */
	r = fd < 0 ? -1 : spool_write_all(fd, buf, len);
	if (r == 0 && sp->mode == SYNC_FSYNC)
		r = fsync(fd);
	e = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	return errno = e, r;
}

int
spool_remove(struct spool *sp, const char *id)
{
	char name[SPOOL_NAME_MAX];
	int r;

	/* The envelope first: once it is gone the message is not queued,
	 * and whatever a crash leaves behind is debris for spool_open(). */
	spool_name(name, sizeof(name), id, "env");
	r = unlinkat(sp->queuefd, name, 0);
	if (r < 0 && errno != ENOENT)
		return -1;
	spool_name(name, sizeof(name), id, "state");
	unlinkat(sp->queuefd, name, 0);
	spool_name(name, sizeof(name), id, "msg");
	unlinkat(sp->queuefd, name, 0);
	return 0;
}

int
spool_record_and_finish(struct spool *sp, const char *id,
                        const struct envelope *env, const size_t *idx, size_t n)
{
	struct envelope now = {0};
	int r;

	/* Local delivery and the relay finish recipients of one message on
	 * different threads: recording and the final check are one step, so
	 * exactly the last one to finish removes the message. */
	pthread_mutex_lock(&sp->finish_lock);
	r = spool_record_states(sp, id, env, idx, n);
	if (r == 0 && spool_load(sp, id, &now) == 0) {
		if (envelope_all_final(&now))
			r = spool_remove(sp, id) == 0 ? 1 : -1;
		envelope_free(&now);
	}
	pthread_mutex_unlock(&sp->finish_lock);
	return r;
}
