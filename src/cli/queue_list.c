/*
 * queue_list.c — the listing itself, in arrival order, held ones marked.
 */
#include "cli/queue_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/queue_int.h"
#include "control/control.h"
#include "queue/spool.h"

struct idlist {
	char (*ids)[QUEUE_ID_LEN + 1];
	bool *held;
	size_t n, cap;
	bool held_now; /* which scan is running */
	bool failed;
};

static void
collect(void *arg, const char *id)
{
	struct idlist *l = arg;
	void *nv, *nh;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		nv = realloc(l->ids, l->cap * sizeof(*l->ids));
		nh = realloc(l->held, l->cap * sizeof(*l->held));
		if (nv)
			l->ids = nv;
		if (nh)
			l->held = nh;
		if (nv == NULL || nh == NULL) {
			l->failed = true;
			l->cap = l->n;
			return;
		}
	}
	snprintf(l->ids[l->n], sizeof(l->ids[l->n]), "%s", id);
	l->held[l->n++] = l->held_now;
}

/* Queued and held ids together, in id (arrival) order. */
static void
merge_ids(struct idlist *l, size_t nqueued)
{
	size_t i, j;

	for (i = nqueued; i < l->n; i++) /* insertion: held lists are short */
		for (j = i; j > 0 && strcmp(l->ids[j - 1], l->ids[j]) > 0;
		     j--) {
			char tmp[QUEUE_ID_LEN + 1];
			bool th = l->held[j];

			memcpy(tmp, l->ids[j], sizeof(tmp));
			memcpy(l->ids[j], l->ids[j - 1], sizeof(tmp));
			memcpy(l->ids[j - 1], tmp, sizeof(tmp));
			l->held[j] = l->held[j - 1];
			l->held[j - 1] = th;
		}
}

static int
load(struct spool *sp, const char *id, bool held, struct envelope *env)
{
	return held ? spool_load_held(sp, id, env) : spool_load(sp, id, env);
}

int
queue_list_write(FILE *out, struct spool *sp, bool json)
{
	struct queue_totals t = {0};
	struct idlist l = {0};
	struct envelope env;
	size_t i, nq;

	if (spool_scan(sp, collect, &l) < 0)
		l.failed = true;
	nq = l.n;
	l.held_now = true;
	if (spool_scan_held(sp, collect, &l) < 0)
		l.failed = true;
	merge_ids(&l, nq);
	if (!json && l.n > 0)
		queue_print_header(out);
	for (i = 0; i < l.n; i++) {
		memset(&env, 0, sizeof(env));
		if (load(sp, l.ids[i], l.held[i], &env) < 0)
			continue; /* delivered or moved meanwhile */
		if (json)
			queue_print_json(out, &env, l.held[i]);
		else
			queue_print_entry(out, &env, l.held[i], &t);
		envelope_free(&env);
	}
	if (!json)
		queue_print_totals(out, &t);
	free(l.ids);
	free(l.held);
	return l.failed ? -1 : 0;
}

int
queue_showq(const char *spool_dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[4096];
	ssize_t n;
	int fd, len;

	len = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", spool_dir,
	               CONTROL_SHOWQ_SOCKET);
	if (len < 0 || (size_t)len >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return EX_OSERR;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr,
		        "ferry: cannot read the spool %s, and the daemon's "
		        "listing %s is not there (%s): is ferry running?\n",
		        spool_dir, sun.sun_path, strerror(errno));
		close(fd);
		return EX_UNAVAILABLE;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? EX_IOERR : 0;
}
