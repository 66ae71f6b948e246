/*
 * dkim_sign.c — outbound messages get their DKIM signatures when they are
 * loaded for a delivery attempt (docs/mail-auth.md, "Where ferry signs"),
 * or their ARC set when they are forwarded mail from elsewhere ("ARC"),
 * on a thread of their own: an rsa-2048 signature costs most of a
 * millisecond, which the event loop must not spend per message.
 *
 * While a message is being signed it counts as active (m->active), so the
 * scheduler leaves it alone and nobody frees it; the worker reads m->data
 * and writes only its own job.  Results come back to the loop thread
 * through an event, which prepends the fields and resumes the message.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "config/config.h"
#include "dkim/arc.h"
#include "dkim/dkim.h"
#include "sched/outbound.h"
#include "sched/outbound_int.h"

struct sign_job {
	struct out_msg *m;
	const char *domain; /* points into the key set */
	char *arc_id;       /* sealing: ferry's authserv-id; NULL: signing */
	char *fields;       /* the result, NULL on failure */
	const char *error;
	TAILQ_ENTRY(sign_job) entry;
};
TAILQ_HEAD(sign_job_list, sign_job);

struct dkim_signer {
	const struct dkim_keys *keys;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sign_job_list todo, done;
	struct event *done_ev;
	bool stop;
};

static void *
signer_main(void *arg)
{
	struct dkim_signer *sg = arg;
	struct sign_job *j;

	pthread_mutex_lock(&sg->lock);
	for (;;) {
		while (!sg->stop && TAILQ_EMPTY(&sg->todo))
			pthread_cond_wait(&sg->cond, &sg->lock);
		if (sg->stop)
			break;
		j = TAILQ_FIRST(&sg->todo);
		TAILQ_REMOVE(&sg->todo, j, entry);
		pthread_mutex_unlock(&sg->lock);
		if (j->arc_id)
			j->fields = arc_seal_message(
			        sg->keys, j->domain, j->arc_id, j->m->data,
			        j->m->len, time(NULL), &j->error);
		else
			j->fields = dkim_sign_message(sg->keys, j->domain,
			                              j->m->data, j->m->len,
			                              time(NULL), &j->error);
		pthread_mutex_lock(&sg->lock);
		TAILQ_INSERT_TAIL(&sg->done, j, entry);
		/* Wakes the loop; needs evthread_use_pthreads() (spool.h). */
		event_active(sg->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&sg->lock);
	return NULL;
}

static void
job_free(struct sign_job *j)
{
	free(j->arc_id);
	free(j->fields);
	free(j);
}

static void
prepend(struct out_msg *m, const char *fields)
{
	size_t slen = strlen(fields);
	char *all = xmalloc(slen + m->len + 1);

	/* The message's NUL, copied last, ends the whole. */
	// NOLINTNEXTLINE(bugprone-not-null-terminated-result)
	memcpy(all, fields, slen);
	memcpy(all + slen, m->data, m->len + 1);
	free(m->data);
	m->data = all;
	m->len += slen;
}

static void
signed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbound *ob = arg;
	struct dkim_signer *sg = ob->signer;
	struct sign_job_list done = TAILQ_HEAD_INITIALIZER(done);
	struct sign_job *j;

	pthread_mutex_lock(&sg->lock);
	TAILQ_CONCAT(&done, &sg->done, entry);
	pthread_mutex_unlock(&sg->lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		if (j->fields != NULL)
			prepend(j->m, j->fields);
		else if (j->arc_id) /* e.g. a failed chain: not sealed */
			log_event(LOG_LVL_INFO, "arc-not-sealed", "id",
			          j->m->id, "domain", j->domain, "reason",
			          j->error, NULL);
		else /* unsigned mail still goes: a key must not stop it */
			log_event(LOG_LVL_WARN, "dkim-error", "id", j->m->id,
			          "domain", j->domain, "error", j->error, NULL);
		j->m->active--;
		outbound_msg_ready(ob, j->m);
		job_free(j);
	}
}

void
outbound_set_dkim(struct outbound *ob, const struct dkim_keys *keys)
{
	struct dkim_signer *sg;

	if (dkim_keys_count(keys) == 0)
		return;
	sg = xcalloc(1, sizeof(*sg));
	sg->keys = keys;
	TAILQ_INIT(&sg->todo);
	TAILQ_INIT(&sg->done);
	pthread_mutex_init(&sg->lock, NULL);
	pthread_cond_init(&sg->cond, NULL);
	sg->done_ev = event_new(ob->base, -1, 0, signed_cb, ob);
	if (sg->done_ev == NULL ||
	    pthread_create(&sg->thread, NULL, signer_main, sg) != 0)
		abort();
	ob->signer = sg;
}

/* A recipient an alias sent to a remote address (cmd_rcpt.c keeps the
 * address the client gave as the original). */
static bool
forwarded(const struct outbound *ob, const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		if (r->original != NULL &&
		    strcasecmp(r->original, r->address) != 0 &&
		    outbound_rcpt_is_outbound(ob, r))
			return true;
	}
	return false;
}

bool
outbound_dkim_start(struct outbound *ob, struct out_msg *m)
{
	struct dkim_signer *sg = ob->signer;
	const struct config *cfg = ob->cfg;
	struct sign_job *j;
	const char *dom, *seal = NULL;

	if (sg == NULL)
		return false;
	dom = dkim_signing_domain(sg->keys, cfg, &m->env, m->data, m->len);
	if (dom == NULL &&
	    (seal = dkim_arc_sealing_domain(sg->keys, cfg, &m->env,
	                                    forwarded(ob, &m->env))) == NULL)
		return false;
	j = xcalloc(1, sizeof(*j));
	j->m = m;
	j->domain = dom ? dom : seal;
	if (seal)
		j->arc_id = str_dup(cfg->mailauth_authserv_id
		                            ? cfg->mailauth_authserv_id
		                            : cfg->hostname);
	m->active++;
	pthread_mutex_lock(&sg->lock);
	TAILQ_INSERT_TAIL(&sg->todo, j, entry);
	pthread_cond_signal(&sg->cond);
	pthread_mutex_unlock(&sg->lock);
	return true;
}

void
outbound_dkim_stop(struct outbound *ob)
{
	struct dkim_signer *sg = ob->signer;
	struct sign_job *j;

	if (sg == NULL)
		return;
	pthread_mutex_lock(&sg->lock);
	sg->stop = true;
	pthread_cond_signal(&sg->cond);
	pthread_mutex_unlock(&sg->lock);
	pthread_join(sg->thread, NULL);
	/* Messages still waiting are freed by the caller: just drop the jobs.
	 */
	TAILQ_CONCAT(&sg->todo, &sg->done, entry);
	while ((j = TAILQ_FIRST(&sg->todo)) != NULL) {
		TAILQ_REMOVE(&sg->todo, j, entry);
		j->m->active--;
		job_free(j);
	}
	event_free(sg->done_ev);
	pthread_mutex_destroy(&sg->lock);
	pthread_cond_destroy(&sg->cond);
	free(sg);
	ob->signer = NULL;
}
