/*
 * queue_bulk.c — `ferry queue delete` for many messages at once: every
 * message with a deferred recipient, from one sender, or for one
 * recipient domain (Postfix's postsuper -d ALL deferred, or the
 * mailq | awk | postsuper pipelines admins write).  The messages are
 * chosen from the spool, then each is deleted by the running daemon,
 * exactly as `ferry queue delete ID` does, so each deletion is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cli/queue_int.h"
#include "queue/spool.h"

struct ids {
	char (*v)[QUEUE_ID_LEN + 1];
	size_t n, cap;
	bool failed;
};

static void
add_id(void *arg, const char *id)
{
	struct ids *l = arg;
	void *nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		nv = realloc(l->v, l->cap * sizeof(*l->v));
		if (nv == NULL) {
			l->failed = true;
			l->cap = l->n;
			return;
		}
		l->v = nv;
	}
	snprintf(l->v[l->n++], sizeof(*l->v), "%s", id);
}

static bool
in_domain(const char *address, const char *domain)
{
	const char *at = strrchr(address, '@');

	return at != NULL && strcasecmp(at + 1, domain) == 0;
}

/* Does the message match?  Only recipients still to be delivered count. */
static bool
matches(const struct envelope *env, const struct queue_filter *f)
{
	size_t i;

	if (f->sender != NULL && strcasecmp(env->sender, f->sender) != 0)
		return false;
	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		if (r->state != RCPT_PENDING && r->state != RCPT_DEFERRED)
			continue;
		if ((!f->deferred || r->state == RCPT_DEFERRED) &&
		    (f->rcpt_domain == NULL ||
		     in_domain(r->address, f->rcpt_domain)))
			return true;
	}
	return false;
}

/* The queued messages that match (held ones are left alone). */
static int
select_ids(const char *spool_dir, const struct queue_filter *f, struct ids *out)
{
	struct ids all = {0};
	struct envelope env;
	struct spool *sp = spool_open_readonly(spool_dir);
	size_t i;

	if (sp == NULL) {
		fprintf(stderr, "ferry: cannot open the spool %s: %s\n",
		        spool_dir, strerror(errno));
		return errno == ENOENT ? EX_NOINPUT : EX_NOPERM;
	}
	if (spool_scan(sp, add_id, &all) < 0)
		all.failed = true;
	for (i = 0; i < all.n; i++) {
		memset(&env, 0, sizeof(env));
		if (spool_load(sp, all.v[i], &env) < 0)
			continue; /* finished meanwhile */
		if (matches(&env, f))
			add_id(out, all.v[i]);
		envelope_free(&env);
	}
	spool_close_readonly(sp);
	free(all.v);
	return all.failed || out->failed ? EX_IOERR : 0;
}

int
queue_delete_matching(const char *spool_dir, const struct queue_filter *f)
{
	struct ids sel = {0};
	char line[64], reply[512];
	size_t i, deleted = 0;
	int rc = select_ids(spool_dir, f, &sel);

	for (i = 0; rc == 0 && i < sel.n; i++) {
		snprintf(line, sizeof(line), "DELETE %s", sel.v[i]);
		if ((rc = queue_control(spool_dir, line, reply, sizeof(reply))))
			break;
		if (strncmp(reply, "OK", 2) == 0)
			deleted++; /* else delivered or deleted meanwhile */
	}
	free(sel.v);
	if (rc == 0)
		printf("%zu message%s deleted\n", deleted,
		       deleted == 1 ? "" : "s");
	return rc;
}
