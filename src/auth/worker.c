/*
 * worker.c — a few threads that run password checks (yescrypt and bcrypt
 * take tens of milliseconds) so the event loop never waits for them.  Jobs
 * go in under a mutex; finished jobs come back on a second list and one
 * event, activated from the worker with event_active() (libevent must run
 * with evthread_use_pthreads()), hands them to done() on the loop thread.
 *
 * A job whose request went away is "orphaned": its req is NULL and it is
 * freed instead of reported, wherever it is at that moment.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth/auth_int.h"
#include "base/log.h"
#include "sandbox/sandbox.h"

#define WORKER_MAX 8

TAILQ_HEAD(job_list, auth_job);

struct auth_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job_list queue;
	struct job_list done;
	bool stop;
	pthread_t threads[WORKER_MAX];
	int nthreads;
	struct event *done_ev;
	auth_job_run_fn run;
	auth_job_done_fn report;
	void *ctx;
};

void
auth_job_free(struct auth_job *job)
{
	if (job == NULL)
		return;
	free(job->user);
	if (job->password != NULL) {
		OPENSSL_cleanse(job->password, strlen(job->password));
		free(job->password);
	}
	free(job->auth_msg);
	OPENSSL_cleanse(&job->keys, sizeof(job->keys));
	OPENSSL_cleanse(job->server_sig, sizeof(job->server_sig));
	free(job);
}

static void *
worker_main(void *arg)
{
	struct auth_worker *w = arg;
	struct auth_job *job;
	struct crypt_data *cdata;

	cdata = calloc(1, sizeof(*cdata));
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && TAILQ_EMPTY(&w->queue))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		job = TAILQ_FIRST(&w->queue);
		TAILQ_REMOVE(&w->queue, job, entry);
		pthread_mutex_unlock(&w->mu);
		/* Started before the sandbox: takes its rules when it is on. */
		sandbox_thread_enter();
		if (cdata != NULL)
			w->run(w->ctx, job, cdata);
		else
			job->st = AUTH_TEMPFAIL;
		pthread_mutex_lock(&w->mu);
		if (job->req == NULL) {
			auth_job_free(job);
			continue;
		}
		TAILQ_INSERT_TAIL(&w->done, job, entry);
		event_active(w->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->mu);
	free(cdata);
	return NULL;
}

/* Loop thread: report finished jobs one at a time, so a done() callback
 * that orphans another finished job is seen before that job is taken. */
static void
worker_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_worker *w = arg;
	struct auth_job *job;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		job = TAILQ_FIRST(&w->done);
		if (job != NULL)
			TAILQ_REMOVE(&w->done, job, entry);
		pthread_mutex_unlock(&w->mu);
		if (job == NULL)
			return;
		w->report(job);
	}
}

struct auth_worker *
auth_worker_new(struct event_base *base, int nthreads, auth_job_run_fn run,
                auth_job_done_fn done, void *ctx)
{
	struct auth_worker *w;
	int i;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > WORKER_MAX)
		nthreads = WORKER_MAX;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	TAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->done);
	w->run = run;
	w->report = done;
	w->ctx = ctx;
	w->done_ev = event_new(base, -1, 0, worker_done_cb, w);
	if (w->done_ev == NULL) {
		auth_worker_free(w);
		return NULL;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
			log_event(LOG_LVL_ERROR, "auth-worker", "error",
			          "pthread_create failed", NULL);
			auth_worker_free(w);
			return NULL;
		}
		w->nthreads++;
	}
	return w;
}

void
auth_worker_submit(struct auth_worker *w, struct auth_job *job)
{
	pthread_mutex_lock(&w->mu);
	TAILQ_INSERT_TAIL(&w->queue, job, entry);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Take job off list if it is there. */
static bool
list_take(struct job_list *list, struct auth_job *job)
{
	struct auth_job *j;

	TAILQ_FOREACH(j, list, entry) {
		if (j == job) {
			TAILQ_REMOVE(list, job, entry);
			return true;
		}
	}
	return false;
}

void
auth_worker_orphan(struct auth_worker *w, struct auth_job *job)
{
	bool queued;

	pthread_mutex_lock(&w->mu);
	job->req = NULL;
	/* Still waiting or already finished: free it now.  Otherwise a
	 * worker holds it and frees it when done. */
	queued = list_take(&w->queue, job) || list_take(&w->done, job);
	pthread_mutex_unlock(&w->mu);
	if (queued)
		auth_job_free(job);
}

void
auth_worker_free(struct auth_worker *w)
{
	struct auth_job *job;
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	while ((job = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, job, entry);
		auth_job_free(job);
	}
	while ((job = TAILQ_FIRST(&w->done)) != NULL) {
		TAILQ_REMOVE(&w->done, job, entry);
		auth_job_free(job);
	}
	if (w->done_ev != NULL)
		event_free(w->done_ev);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
