/*
 * outbound.c — the table of messages with outbound recipients, the timer,
 * and the dispatch of transactions per destination (see outbound.h).
 */
#include "base/str.h"
#include "base/mem.h"
#include "sched/outbound.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "base/log.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "policy/recipient.h"
#include "queue/spool.h"
#include "sched/backoff.h"
#include "sched/outbound_int.h"
#include "sched/tlsrpt_int.h"

#define TICK_SECONDS 1

bool
outbound_rcpt_is_outbound(const struct outbound *ob,
                          const struct envelope_rcpt *r)
{
	char *maildir;

	if (r->state != RCPT_PENDING && r->state != RCPT_DEFERRED)
		return false;
	maildir = recipient_maildir(ob->site ? ob->site : ob->cfg, r->address);
	free(maildir);
	return maildir == NULL;
}

static const char *
rcpt_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at ? at + 1 : "";
}

/* The destination a recipient's transaction goes to: its domain, or for
 * everything the smarthost takes, the smarthost (one transaction per
 * message, whatever the domains; route.c knows the name). */
static const char *
dest_key(const struct outbound *ob, const char *address)
{
	const char *domain = rcpt_domain(address);

	return outbound_via_smarthost(ob->cfg, domain) ? OUTBOUND_SMARTHOST
	                                               : domain;
}

struct out_dest *
outbound_dest(struct outbound *ob, const char *domain)
{
	struct out_dest *d;

	TAILQ_FOREACH(d, &ob->dests, entry)
		if (strcasecmp(d->domain, domain) == 0)
			return d;
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->domain = str_dup(domain)) == NULL)
		abort();
	TAILQ_INIT(&d->waiting);
	window_init(d, ob->cfg);
	TAILQ_INSERT_TAIL(&ob->dests, d, entry);
	return d;
}

static void
msg_unwait(struct out_msg *m)
{
	if (m->waiting_on == NULL)
		return;
	TAILQ_REMOVE(&m->waiting_on->waiting, m, wait_entry);
	m->waiting_on = NULL;
}

static void
msg_free(struct outbound *ob, struct out_msg *m)
{
	msg_unwait(m);
	TAILQ_REMOVE(&ob->msgs, m, entry);
	envelope_free(&m->env);
	free(m->data);
	free(m->changed_idx);
	out_msg_clear_reports(m);
	free(m->reports);
	free(m);
}

static bool
has_outbound(const struct outbound *ob, const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (outbound_rcpt_is_outbound(ob, &env->rcpts[i]))
			return true;
	return false;
}

/* May the destination take another transaction now? */
static bool
dest_open(struct outbound *ob, struct out_dest *d, time_t now)
{
	if (d->backoff_until > now || !window_may_open(d))
		return false;
	if (ob->cfg->relay_dest_rate > 0) {
		if (now - d->window_start >= 60) {
			d->window_start = now;
			d->window_count = 0;
		}
		if (d->window_count >= ob->cfg->relay_dest_rate)
			return false;
	}
	return true;
}

static void
start_job(struct outbound *ob, struct out_msg *m, struct out_dest *d,
          const size_t *idx, size_t n)
{
	struct out_job *job = calloc(1, sizeof(*job));

	if (job == NULL || (job->idx = calloc(n, sizeof(*idx))) == NULL)
		abort();
	job->ob = ob;
	job->msg = m;
	job->dest = d;
	memcpy(job->idx, idx, n * sizeof(*idx));
	job->n = n;
	TAILQ_INSERT_TAIL(&ob->jobs, job, entry);
	m->active++;
	d->active++;
	d->window_count++;
	out_route_job(job);
}

/* Recipients of m due now for domain d's turn, at most max of them. */
static size_t
collect(struct outbound *ob, struct out_msg *m, const char *domain, bool *taken,
        size_t *idx, size_t max, time_t now)
{
	size_t i, n = 0;

	for (i = 0; i < m->env.nrcpts && n < max; i++) {
		struct envelope_rcpt *r = &m->env.rcpts[i];

		if (taken[i] || !outbound_rcpt_is_outbound(ob, r) ||
		    r->next_attempt > now ||
		    strcasecmp(dest_key(ob, r->address), domain) != 0)
			continue;
		taken[i] = true;
		idx[n++] = i;
	}
	return n;
}

/* Start the transactions a message is due for: one per destination
 * domain and per max_recipients (Gmail: one domain per transaction). */
static void
dispatch_msg(struct outbound *ob, struct out_msg *m, time_t now)
{
	size_t slots = m->env.nrcpts > 0 ? m->env.nrcpts : 1; /* calloc(0) */
	bool *taken = calloc(slots, sizeof(*taken));
	size_t *idx = calloc(slots, sizeof(*idx));
	size_t i, n;

	if (taken == NULL || idx == NULL)
		abort();
	for (i = 0; i < m->env.nrcpts; i++) {
		const struct envelope_rcpt *r = &m->env.rcpts[i];
		struct out_dest *d;

		if (taken[i] || !outbound_rcpt_is_outbound(ob, r) ||
		    r->next_attempt > now)
			continue;
		d = outbound_dest(ob, dest_key(ob, r->address));
		while (dest_open(ob, d, now) &&
		       (n = collect(ob, m, d->domain, taken, idx,
		                    (size_t)ob->cfg->relay_max_rcpt, now)) > 0)
			start_job(ob, m, d, idx, n);
		if (taken[i])
			continue;
		if (d->backoff_until > now) {
			m->next_attempt = d->backoff_until;
		} else if (m->waiting_on == NULL) {
			/* Busy: resumed as soon as a connection is free. */
			m->waiting_on = d;
			TAILQ_INSERT_TAIL(&d->waiting, m, wait_entry);
			m->next_attempt = now + 3600;
		}
	}
	free(taken);
	free(idx);
	/* Nothing was due (e.g. retry times kept over a restart). */
	if (m->active == 0 && m->waiting_on == NULL && m->next_attempt <= now)
		m->next_attempt = outbound_next_due(m, ob) > now
		                          ? outbound_next_due(m, ob)
		                          : now + 1;
}

static bool
msg_load_data(struct outbound *ob, struct out_msg *m)
{
	if (m->data)
		return true;
	if (spool_read_msg(ob->spool, m->id, &m->data, &m->len) == 0)
		return !outbound_dkim_start(ob,
		                            m); /* else resumed when signed */
	log_event(LOG_LVL_WARN, "relay-deferred", "id", m->id, "error",
	          strerror(errno), NULL);
	m->next_attempt = time(NULL) + ob->cfg->relay_retry_min;
	return false;
}

static void
try_msg(struct outbound *ob, struct out_msg *m, time_t now)
{
	if (m->active > 0 || m->forgotten)
		return;
	bounce_retry(ob, m, now);
	/* Kept only for a bounce report: nothing to relay. */
	if (m->next_attempt > now || m->waiting_on ||
	    !has_outbound(ob, &m->env))
		return;
	if (msg_load_data(ob, m))
		dispatch_msg(ob, m, now);
}

void
outbound_msg_ready(struct outbound *ob, struct out_msg *m)
{
	if (m->forgotten) {
		if (m->active == 0)
			msg_free(ob, m);
		return;
	}
	if (!ob->stopping)
		try_msg(ob, m, time(NULL));
}

/* A connection to d was freed: start what waits for it. */
static void
pump(struct outbound *ob, struct out_dest *d)
{
	time_t now = time(NULL);
	struct out_msg *m;

	while (!ob->stopping && dest_open(ob, d, now) &&
	       (m = TAILQ_FIRST(&d->waiting)) != NULL) {
		msg_unwait(m);
		m->next_attempt = 0;
		try_msg(ob, m, now);
	}
}

void
outbound_schedule(struct outbound *ob)
{
	struct out_msg *m, *next;
	time_t now = time(NULL);

	for (m = TAILQ_FIRST(&ob->msgs); m != NULL && !ob->stopping; m = next) {
		next = TAILQ_NEXT(m, entry);
		try_msg(ob, m, now);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbound *ob = arg;
	struct out_dest *d;

	outbound_schedule(ob);
	/* Destinations held back by a rate window or a back-off that has
	 * passed get their waiting messages going again. */
	TAILQ_FOREACH(d, &ob->dests, entry)
		pump(ob, d);
}

/* Local delivery takes the pending recipients with a Maildir: every
 * other one is the relay's. */
static bool
none_local(const struct outbound *ob, const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING &&
		    !outbound_rcpt_is_outbound(ob, &env->rcpts[i]))
			return false;
	return true;
}

/* Takes m (its envelope loaded) if it has work for the relay.  True when
 * none of its pending recipients is local delivery's. */
static bool
enqueue_loaded(struct outbound *ob, struct out_msg *m, const char *id)
{
	bool relay_only;

	if (!has_outbound(ob, &m->env) && !bounce_pending(m)) {
		envelope_free(&m->env);
		free(m);
		return false;
	}
	relay_only = none_local(ob, &m->env);
	snprintf(m->id, sizeof(m->id), "%s", id);
	for (size_t i = 0; i < m->env.nrcpts; i++)
		m->delay_notified |= m->env.rcpts[i].delay_reported;
	TAILQ_INSERT_TAIL(&ob->msgs, m, entry);
	/* Queued while shutting down: sent after the restart. */
	if (!ob->stopping)
		try_msg(ob, m, time(NULL));
	return relay_only;
}

bool
outbound_enqueue(struct outbound *ob, const char *id)
{
	struct out_msg *m = xcalloc(1, sizeof(*m));

	if (spool_load(ob->spool, id, &m->env) < 0) {
		envelope_free(&m->env);
		free(m);
		return false;
	}
	return enqueue_loaded(ob, m, id);
}

bool
outbound_enqueue_committed(struct outbound *ob, const char *id,
                           const char *env_text, size_t env_len)
{
	struct out_msg *m;
	const char *err;

	if (env_text == NULL)
		return outbound_enqueue(ob, id);
	m = xcalloc(1, sizeof(*m));
	if (envelope_parse(env_text, env_len, &m->env, &err) < 0) {
		free(m);
		/* as on disk, whatever that holds */
		return outbound_enqueue(ob, id);
	}
	return enqueue_loaded(ob, m, id);
}

void
outbound_forget(struct outbound *ob, const char *id)
{
	struct out_msg *m;

	TAILQ_FOREACH(m, &ob->msgs, entry) {
		if (strcmp(m->id, id) != 0)
			continue;
		m->forgotten = true;
		if (m->active == 0)
			msg_free(ob, m);
		return;
	}
}

void
outbound_flush(struct outbound *ob)
{
	struct out_msg *m;
	struct out_dest *d;
	size_t i;

	TAILQ_FOREACH(d, &ob->dests, entry)
		d->backoff_until = 0;
	TAILQ_FOREACH(m, &ob->msgs, entry) {
		m->next_attempt = 0;
		m->dsn_retry_at = 0; /* a bounce report waiting to be written */
		for (i = 0; i < m->env.nrcpts; i++)
			m->env.rcpts[i].next_attempt = 0;
	}
	outbound_schedule(ob);
}

static struct dns_resolver *
probe_resolver(void *arg)
{
	struct outbound *ob = arg;

	return outbound_resolver_dnssec(ob->base, ob->cfg);
}

/* The probe answered: jobs that waited for its first answer go on. */
static void
probe_settled(void *arg, const struct dnssec_status *st)
{
	struct outbound *ob = arg;
	struct out_job *job;
	bool found = true;

	metrics_dnssec(st->avail == DNSSEC_AVAILABLE     ? 1
	               : st->avail == DNSSEC_UNAVAILABLE ? 0
	                                                 : -1);
	/* Routing may end a job (unlinking it): search again each time. */
	while (found) {
		found = false;
		TAILQ_FOREACH(job, &ob->jobs, entry) {
			if (job->dnssec_wait) {
				job->dnssec_wait = false;
				found = true;
				out_route_job(job);
				break;
			}
		}
	}
}

static void
dnssec_start(struct outbound *ob)
{
	const struct config *cfg = ob->cfg;

	if (!outbound_uses_dane(cfg))
		return;
	ob->dns_sec = outbound_resolver_dnssec(ob->base, cfg);
	/* Without a usable anchor the probe says unavailable, for good. */
	ob->probe = dnssec_probe_start(
	        ob->base, ob->dns_sec ? cfg->relay_trust_anchor : NULL,
	        (unsigned)cfg->relay_dnssec_probe_interval, probe_resolver,
	        probe_settled, ob);
	if (ob->probe != NULL)
		probe_settled(ob, dnssec_probe_status(ob->probe));
}

const struct dnssec_status *
outbound_dnssec(const struct outbound *ob)
{
	return ob != NULL && ob->probe != NULL ? dnssec_probe_status(ob->probe)
	                                       : NULL;
}

struct outbound *
outbound_start(struct event_base *base, const struct config *cfg,
               struct spool *sp)
{
	struct outbound *ob = calloc(1, sizeof(*ob));
	struct timeval tv = {TICK_SECONDS, 0};

	if (ob == NULL)
		return NULL;
	ob->base = base;
	ob->cfg = cfg;
	ob->site = config_ref(cfg);
	ob->spool = sp;
	TAILQ_INIT(&ob->msgs);
	TAILQ_INIT(&ob->jobs);
	TAILQ_INIT(&ob->dests);
	TAILQ_INIT(&ob->conns);
	LIST_INIT(&ob->dsns);
	ob->dns = outbound_resolver_new(base, cfg);
	dnssec_start(ob);
	if (ob->dns != NULL && cfg->relay_mta_sts)
		ob->sts = outbound_sts_new(ob);
	ob->tlsrpt = tlsrpt_sender_start(ob);
	ob->tick = event_new(base, -1, EV_PERSIST, tick_cb, ob);
	if (ob->dns == NULL || ob->tick == NULL) {
		outbound_stop(ob);
		return NULL;
	}
	event_add(ob->tick, &tv);
	return ob;
}

void
outbound_set_site(struct outbound *ob, const struct config *cfg)
{
	const struct config *old = ob->site;

	ob->site = config_ref(cfg);
	config_release(old);
	/* The resolver may have been mended meanwhile: ask again. */
	dnssec_probe_now(ob->probe);
}

static void
abort_job(struct out_job *job)
{
	if (job->query)
		dns_query_cancel(job->query);
	dns_tlsa_cancel(job->tlsa);
	sts_lookup_cancel(job->sts_query);
	if (job->client)
		relay_client_abort(job->client);
	job->query = NULL;
	job->tlsa = NULL;
	job->sts_query = NULL;
	job->client = NULL;
	job->aborted = true;
	outbound_job_done(job);
}

/* Jobs whose transaction has not reached DATA: the remote has nothing it
 * could deliver, so ending them now loses nothing and sends nothing twice;
 * their recipients stay queued. */
static void
end_jobs_before_data(struct outbound *ob)
{
	struct out_job *job, *next;

	/* outbound_job_done() unlinks each job: next was taken before. */
	for (job = TAILQ_FIRST(&ob->jobs); job != NULL; job = next) {
		next = TAILQ_NEXT(job, entry);
		if (job->client == NULL || !relay_client_past_rcpt(job->client))
			abort_job(job);
	}
}

static void
check_drained(struct outbound *ob)
{
	if (ob->drained != NULL && ob->drained_cb != NULL &&
	    TAILQ_EMPTY(&ob->jobs))
		event_active(ob->drained, EV_TIMEOUT, 0);
}

static void
drained_fire(evutil_socket_t fd, short what, void *arg)
{
	struct outbound *ob = arg;
	void (*cb)(void *) = ob->drained_cb;

	/* Once: the caller counts the parts of its shutdown. */
	ob->drained_cb = NULL;
	if (cb != NULL)
		cb(ob->drained_arg);
}

void
outbound_drain(struct outbound *ob, void (*done)(void *), void *arg)
{
	ob->stopping = ob->draining = true;
	ob->drained_cb = done;
	ob->drained_arg = arg;
	ob->drained = evtimer_new(ob->base, drained_fire, ob);
	end_jobs_before_data(ob);
	check_drained(ob);
}

void
outbound_stop(struct outbound *ob)
{
	struct out_dest *d;

	ob->stopping = true;
	/* Jobs hold pointers into messages: end them first. */
	outbound_abort_jobs(ob);
	outbound_dkim_stop(ob);
	conn_cache_clear(ob);
	bounce_stop(ob);
	tlsrpt_sender_stop(ob->tlsrpt);
	while (!TAILQ_EMPTY(&ob->msgs))
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): unlinks it */
		msg_free(ob, TAILQ_FIRST(&ob->msgs));
	while ((d = TAILQ_FIRST(&ob->dests)) != NULL) {
		TAILQ_REMOVE(&ob->dests, d, entry);
		free(d->domain);
		free(d);
	}
	if (ob->tick)
		event_free(ob->tick);
	if (ob->drained)
		event_free(ob->drained);
	sts_store_free(ob->sts);
	ob->sts = NULL;
	dnssec_probe_free(ob->probe);
	if (ob->dns_sec)
		dns_resolver_free(ob->dns_sec);
	if (ob->dns)
		dns_resolver_free(ob->dns);
	config_release(ob->site);
	free(ob);
}

static bool
split_pending(const struct outbound *ob, const struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].state == RCPT_PENDING &&
		    env->rcpts[i].next_attempt == 0 &&
		    outbound_rcpt_is_outbound(ob, &env->rcpts[i]))
			return true;
	return false;
}

/* After the last transaction of an attempt: persist, notify, reschedule.
 * Returns false when the message is done with (and freed). */
static bool
attempt_finished(struct outbound *ob, struct out_msg *m)
{
	int removed = 0;

	if (m->forgotten) {
		msg_free(ob, m);
		return false;
	}
	outbound_check_age(ob, m);
	bounce_mark(m);
	/* Recipients split off by a 452 go again at once: their failures
	 * belong in the same report, one per message. */
	if (!split_pending(ob, &m->env)) {
		if (m->nreports > 0)
			bounce_send(ob, m);
		out_msg_clear_reports(m);
	}
	/* Local delivery only ever finishes recipients: if every one is
	 * final in this copy, it is final on disk too. */
	if (m->nchanged > 0 && envelope_all_final(&m->env)) {
		spool_remove_later(ob->spool, m->id);
		removed = 1;
	} else if (m->nchanged > 0) {
		removed = spool_record_and_finish(ob->spool, m->id, &m->env,
		                                  m->changed_idx, m->nchanged);
	}
	m->nchanged = 0;
	if (m->deferred)
		m->attempts++;
	m->deferred = false;
	free(m->data); /* reloaded for the next attempt */
	m->data = NULL;
	if (removed == 1 ||
	    (!has_outbound(ob, &m->env) && !bounce_pending(m))) {
		msg_free(ob, m);
		return false;
	}
	m->next_attempt = outbound_next_due(m, ob);
	return true;
}

struct out_msg *
outbound_msg_find(struct outbound *ob, const char *id)
{
	struct out_msg *m;

	TAILQ_FOREACH(m, &ob->msgs, entry)
		if (!m->forgotten && strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

void
outbound_bounce_reported(struct outbound *ob, struct out_msg *m,
                         const size_t *idx, size_t n)
{
	int removed;

	/* As in attempt_finished(): only the last to finish dequeues it.  A
	 * record that fails leaves the recipients RCPT_BOUNCING on disk: the
	 * report goes again after a restart (twice rather than never). */
	if (envelope_all_final(&m->env)) {
		spool_remove_later(ob->spool, m->id);
		removed = 1;
	} else {
		removed = spool_record_and_finish(ob->spool, m->id, &m->env,
		                                  idx, n);
	}
	if (removed < 0)
		log_event(LOG_LVL_WARN, "queue_update_failed", "id", m->id,
		          "error", strerror(errno), NULL);
	if (m->active == 0 && (removed == 1 || (!has_outbound(ob, &m->env) &&
	                                        !bounce_pending(m))))
		msg_free(ob, m);
}

void
outbound_forget_job(struct outbound *ob, struct out_job *job)
{
	TAILQ_REMOVE(&ob->jobs, job, entry);
}

void
outbound_abort_jobs(struct outbound *ob)
{
	struct out_job *job;

	/* abort_job() unlinks each job: not a use after free. */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while ((job = TAILQ_FIRST(&ob->jobs)) != NULL)
		abort_job(job);
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
}

void
outbound_job_done(struct out_job *job)
{
	struct outbound *ob = job->ob;
	struct out_msg *m = job->msg;
	struct out_dest *d = job->dest;
	/* A hard stop (no drain) records nothing either. */
	bool record = !job->aborted && (!ob->stopping || ob->draining);

	job->dest->active--;
	m->active--;
	hops_free(job->hops, job->nhops);
	sts_policy_clear(&job->sts);
	free(job->last_failure.text);
	free(job->idx);
	outbound_forget_job(ob, job);
	free(job);
	/* While draining, outcomes are still recorded: a delivery that is
	 * not would be made again after the restart. */
	if (m->active == 0 && record && attempt_finished(ob, m) &&
	    !ob->stopping)
		try_msg(ob, m, time(NULL)); /* e.g. the rest of a split */
	if (!ob->stopping)
		pump(ob, d);
	else
		check_drained(ob);
}
