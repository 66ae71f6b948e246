/*
 * control_showq.c — the queue listing for every local user (mailq), as
 * Postfix's showq: <spool_dir>/showq.sock, mode 0666.  A connection gets
 * the envelope summaries (id, size, arrival, sender, recipients and their
 * states) and is closed; nothing is read from it, so it offers no command
 * at all, and it never shows a message's content.
 *
 * Each listing runs in a thread of its own with a read-only spool handle,
 * so a long queue does not hold up the event loop; at most
 * SHOWQ_THREADS_MAX run at once (others are closed at once), and a client
 * that does not read is dropped after SHOWQ_SEND_TIMEOUT seconds.
 */
#include "base/str.h"
#include "control/control_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>

#include "base/log.h"
#include "config/config.h"
#include "control/control.h"
#include "queue/spool.h"

#define SHOWQ_THREADS_MAX 4
#define SHOWQ_SEND_TIMEOUT 10

struct showq {
	struct evconnlistener *listener;
	char *path;
	const char *spool_dir;
	int (*list)(FILE *out, struct spool *sp, bool json);
	int running; /* listing threads, atomic */
};

struct showq_job {
	struct showq *q;
	int fd;
};

static void *
showq_main(void *arg)
{
	struct showq_job *j = arg;
	struct spool *sp = spool_open_readonly(j->q->spool_dir);
	FILE *out = fdopen(j->fd, "w");

	if (out != NULL && sp != NULL && j->q->list != NULL)
		j->q->list(out, sp, false);
	if (out != NULL)
		fclose(out);
	else
		close(j->fd);
	spool_close_readonly(sp);
	__atomic_sub_fetch(&j->q->running, 1, __ATOMIC_RELAXED);
	free(j);
	return NULL;
}

static void
showq_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
             int salen, void *arg)
{
	struct showq *q = arg;
	struct timeval tv = {SHOWQ_SEND_TIMEOUT, 0};
	struct showq_job *j;
	pthread_attr_t attr;
	pthread_t t;

	if (__atomic_add_fetch(&q->running, 1, __ATOMIC_RELAXED) >
	            SHOWQ_THREADS_MAX ||
	    (j = malloc(sizeof(*j))) == NULL) {
		__atomic_sub_fetch(&q->running, 1, __ATOMIC_RELAXED);
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	j->q = q;
	j->fd = fd;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, showq_main, j) != 0) {
		__atomic_sub_fetch(&q->running, 1, __ATOMIC_RELAXED);
		close(fd);
		free(j);
	}
	pthread_attr_destroy(&attr);
}

struct showq *
showq_start(struct control *ctl)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct showq *q = calloc(1, sizeof(*q));
	int n;

	if (q == NULL)
		return NULL;
	q->spool_dir = ctl->cfg->spool_dir;
	q->list = ctl->hooks.list_queue;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	             ctl->cfg->spool_dir, CONTROL_SHOWQ_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path) ||
	    (q->path = str_dup(sun.sun_path)) == NULL)
		goto fail;
	/* control_start() found no other daemon on this spool. */
	if (unlink(q->path) < 0 && errno != ENOENT)
		goto fail;
	q->listener = evconnlistener_new_bind(
	        ctl->base, showq_accept, q,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	                LEV_OPT_LEAVE_SOCKETS_BLOCKING,
	        16, (struct sockaddr *)&sun, sizeof(sun));
	/* Connecting needs write permission: every user may list. */
	if (q->listener == NULL || chmod(q->path, 0666) < 0)
		goto fail;
	return q;
fail:
	log_event(LOG_LVL_ERROR, "control", "socket",
	          q->path ? q->path : ctl->cfg->spool_dir, "error",
	          strerror(errno), NULL);
	showq_stop(q);
	return NULL;
}

void
showq_stop(struct showq *q)
{
	if (q == NULL)
		return;
	if (q->listener != NULL) {
		evconnlistener_free(q->listener);
		unlink(q->path);
	}
	free(q->path);
	free(q);
}
