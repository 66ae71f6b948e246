/*
 * tlsrpt_send.c — the daily SMTP TLS reports (RFC 8460 s3, s5).
 *
 * At [relay] tls_report_hour (UTC), and once shortly after start to catch
 * up, every kept day that has ended (and whose hour has come) is looked
 * at: each policy domain with records that day and no mark in DAY.sent
 * gets its `_smtp._tls` TXT record looked up, and its report goes to the
 * mailto addresses as one message queued in the spool (so it is signed,
 * retried and logged as any mail) and, with tls_report_https, is POSTed
 * to the https ones.  The mark is written once a message is committed or
 * a POST answered 2xx, or when the domain has no usable record (nothing
 * to send); a DNS failure, or nothing taken, leaves it for the next run.
 *
 * No report about reports: the message says "TLS-Required: No" (RFC 8689
 * s4.1, as RFC 8460 s5.3 wants reports delivered despite TLS failures),
 * which sets the recipient's DANE and MTA-STS policies aside for it, and
 * sessions no such policy governs are not recorded (result.c).
 *
 * Ownership: jobs are listed in s->jobs until their end, which is always
 * deferred to an event (never inside a DNS, spool or HTTP callback).  The
 * TXT lookup and the spool commit cannot be cancelled: they get a hold
 * whose job pointer the stop clears.
 */
#include <errno.h>
#include <stdio.h>
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
#include "queue/spool.h"
#include "sched/outbound.h"
#include "sched/outbound_int.h"
#include "sched/tlsrpt_int.h"
#include "sts/sts.h"
#include "tlsrpt/tlsrpt.h"

#define DAY_SECONDS 86400L
#define START_DELAY 1 /* seconds after start: catch up */

struct rpt_job;

/* Handed to a callback that cannot be cancelled. */
struct rpt_hold {
	struct rpt_job *job; /* NULL: the job is gone */
};

struct rpt_job {
	LIST_ENTRY(rpt_job) entry;
	struct tlsrpt_sender *s;
	char day[16];
	char domain[256];
	struct rpt_hold *txt, *commit;
	struct tlsrpt_rua rua;
	struct rpt_post *posts[TLSRPT_RUA_MAX];
	int pending;  /* commit and POSTs not answered yet */
	bool taken;   /* a message committed or a POST took it */
	bool nothing; /* no usable record: nothing to send */
	struct event *done_ev;
};

struct tlsrpt_sender {
	struct outbound *ob;
	struct event *timer;
	SSL_CTX *ctx; /* for https rua; NULL when not loaded */
	char dir[4096];
	char from[320];
	LIST_HEAD(, rpt_job) jobs;
};

static void job_free(struct rpt_job *j);

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rpt_job *j = arg;
	struct tlsrpt_sender *s = j->s;

	(void)fd;
	(void)what;
	if ((j->taken || j->nothing) &&
	    tlsrpt_mark_sent(s->dir, j->day, j->domain) < 0)
		log_event(LOG_LVL_WARN, "tls-report", "domain", j->domain,
		          "day", j->day, "error", strerror(errno), NULL);
	log_event(LOG_LVL_INFO, "tls-report", "domain", j->domain, "day",
	          j->day, "result",
	          j->taken     ? "sent"
	          : j->nothing ? "no TLSRPT record"
	                       : "not sent, tried again at the next run",
	          NULL);
	LIST_REMOVE(j, entry);
	job_free(j);
}

static void
job_settle(struct rpt_job *j)
{
	if (j->pending == 0 && j->txt == NULL)
		event_active(j->done_ev, EV_TIMEOUT, 0);
}

static void
job_free(struct rpt_job *j)
{
	size_t i;

	if (j->txt != NULL)
		j->txt->job = NULL;
	if (j->commit != NULL)
		j->commit->job = NULL;
	for (i = 0; i < TLSRPT_RUA_MAX; i++)
		rpt_post_free(j->posts[i]);
	tlsrpt_rua_clear(&j->rua);
	event_free(j->done_ev);
	free(j);
}

static void
commit_done(void *arg, int error)
{
	struct rpt_hold *h = arg;
	struct rpt_job *j = h->job;

	free(h);
	if (j == NULL)
		return;
	j->commit = NULL;
	j->pending--;
	if (error)
		log_event(LOG_LVL_WARN, "tls-report", "domain", j->domain,
		          "error", strerror(error), NULL);
	else
		j->taken = true;
	job_settle(j);
}

static void
queue_mail(struct rpt_job *j, const char *json, size_t jsonlen)
{
	const struct config *cfg = j->s->ob->cfg;
	struct envelope env = {0};
	struct spool_msg *msg;
	char id[600], *text;
	struct tm tm;
	size_t len, i;
	struct tlsrpt_mail m = {
	        .from = j->s->from,
	        .to = (const char *const *)j->rua.mailto,
	        .nto = j->rua.nmailto,
	        .domain = j->domain,
	        .submitter = cfg->hostname,
	        .report_id = id,
	        .day = j->day,
	        .json = json,
	        .jsonlen = jsonlen,
	        .now = time(NULL),
	};

	memset(&tm, 0, sizeof(tm));
	strptime(j->day, "%Y-%m-%d", &tm);
	m.begin = timegm(&tm);
	m.end = m.begin + DAY_SECONDS - 1;
	tlsrpt_report_id(j->day, j->domain, cfg->hostname, id, sizeof(id));
	text = tlsrpt_mail_build(&m, &len);
	msg = text ? spool_msg_new(j->s->ob->spool) : NULL;
	if (msg == NULL || spool_msg_write(msg, text, len) < 0) {
		log_event(LOG_LVL_WARN, "tls-report", "domain", j->domain,
		          "error", "cannot queue the report", NULL);
		if (msg)
			spool_msg_abort(msg);
		free(text);
		return;
	}
	free(text);
	env.sender = j->s->from;
	env.helo = cfg->hostname;
	env.client_addr = "127.0.0.1";
	env.protocol = "local";
	env.arrival = m.now;
	env.body = BODY_7BIT;
	for (i = 0; i < j->rua.nmailto; i++)
		outbound_report_rcpts(cfg, &env, j->rua.mailto[i]);
	log_event(LOG_LVL_INFO, "tls-report", "domain", j->domain, "day",
	          j->day, "id", spool_msg_id(msg), "to", j->rua.mailto[0],
	          NULL);
	j->commit = xcalloc(1, sizeof(*j->commit));
	j->commit->job = j;
	j->pending++;
	spool_msg_commit(msg, &env, commit_done, j->commit);
	env.sender = env.helo = env.client_addr = env.protocol = NULL;
	envelope_free(&env);
}

static void
post_done(void *arg, int status)
{
	struct rpt_job *j = arg;

	j->pending--;
	if (status >= 200 && status < 300)
		j->taken = true;
	else
		log_event(LOG_LVL_WARN, "tls-report", "domain", j->domain,
		          "error", "the https rua did not take the report",
		          NULL);
	job_settle(j);
}

static void
post_all(struct rpt_job *j, const char *json, size_t jsonlen)
{
	struct tlsrpt_sender *s = j->s;
	unsigned char *gz;
	size_t gzlen, i;

	if (s->ctx == NULL || j->rua.nhttps == 0 ||
	    (gz = tlsrpt_gzip(json, jsonlen, &gzlen)) == NULL)
		return;
	for (i = 0; i < j->rua.nhttps; i++) {
		j->posts[i] = rpt_post_start(s->ob->base, s->ob->dns, s->ctx,
		                             j->rua.https[i], gz, gzlen,
		                             post_done, j);
		if (j->posts[i] != NULL)
			j->pending++;
		log_event(LOG_LVL_INFO, "tls-report", "domain", j->domain,
		          "day", j->day, "post", j->rua.https[i], NULL);
	}
	free(gz);
}

static void
send_report(struct rpt_job *j)
{
	struct tlsrpt_sender *s = j->s;
	char *json = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&json, &len);

	if (out == NULL)
		return;
	tlsrpt_report(out, s->dir, j->domain, j->day, s->ob->cfg->hostname,
	              s->from);
	if (fclose(out) != 0) {
		free(json);
		return;
	}
	if (j->rua.nmailto > 0)
		queue_mail(j, json, len);
	post_all(j, json, len);
	/* Only https URLs, and posting is off: nothing this server sends. */
	if (j->rua.nmailto == 0 && s->ctx == NULL)
		j->nothing = true;
	free(json);
}

static void
txt_done(void *arg, enum dns_status status, const char *const *texts, size_t n)
{
	struct rpt_hold *h = arg;
	struct rpt_job *j = h->job;

	free(h);
	if (j == NULL)
		return;
	j->txt = NULL;
	if (status == DNS_TEMPFAIL)
		log_event(LOG_LVL_WARN, "tls-report", "domain", j->domain,
		          "error", "cannot look up its TLSRPT record", NULL);
	else if (status != DNS_OK || tlsrpt_rua_pick(texts, n, &j->rua) < 0)
		j->nothing = true;
	else
		send_report(j);
	job_settle(j);
}

static bool
in_flight(const struct tlsrpt_sender *s, const char *day, const char *domain)
{
	const struct rpt_job *j;

	LIST_FOREACH(j, &s->jobs, entry)
		if (strcmp(j->day, day) == 0 &&
		    strcasecmp(j->domain, domain) == 0)
			return true;
	return false;
}

static void
job_start(struct tlsrpt_sender *s, const char *day, const char *domain)
{
	struct rpt_job *j;
	char name[300];

	if (in_flight(s, day, domain) || tlsrpt_sent(s->dir, day, domain) ||
	    strlen(domain) > 250)
		return;
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	snprintf(j->day, sizeof(j->day), "%s", day);
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	j->done_ev = event_new(s->ob->base, -1, 0, job_done_cb, j);
	if (j->done_ev == NULL)
		abort();
	LIST_INSERT_HEAD(&s->jobs, j, entry);
	j->txt = xcalloc(1, sizeof(*j->txt));
	j->txt->job = j;
	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	if (dns_resolve_txt(s->ob->dns, name, txt_done, j->txt) < 0) {
		free(j->txt);
		j->txt = NULL;
		job_settle(j);
	}
}

int
outbound_tls_report_send(struct outbound *ob, const char *day,
                         const char *domain)
{
	struct tlsrpt_sender *s = ob->tlsrpt;
	char **v;
	size_t n, i;
	int started = 0;

	if (s == NULL)
		return -1;
	n = tlsrpt_domains(s->dir, day, &v);
	for (i = 0; i < n; i++)
		if (domain == NULL || strcasecmp(v[i], domain) == 0) {
			job_start(s, day, v[i]);
			started++;
		}
	tlsrpt_domains_free(v, n);
	return started;
}

static void
day_name(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* Every kept day that has ended and whose report hour has come. */
static void
run(struct tlsrpt_sender *s, time_t now)
{
	const struct config *cfg = s->ob->cfg;
	long keep = cfg->relay_tls_report_keep < 2 * DAY_SECONDS
	                    ? 2 * DAY_SECONDS
	                    : cfg->relay_tls_report_keep;
	time_t last = now - DAY_SECONDS - cfg->relay_tls_report_hour * 3600L;
	char oldest[16], newest[16];
	char **days;
	size_t n, i;

	day_name(now - keep, oldest, sizeof(oldest));
	day_name(last, newest, sizeof(newest));
	n = tlsrpt_days(s->dir, oldest, newest, &days);
	for (i = 0; i < n; i++)
		(void)outbound_tls_report_send(s->ob, days[i], NULL);
	tlsrpt_domains_free(days, n);
	if (tlsrpt_prune(s->dir, oldest) > 0)
		log_event(LOG_LVL_INFO, "tls-report", "pruned-before", oldest,
		          NULL);
}

/* Seconds until the next tls_report_hour:00 UTC. */
static long
until_next(const struct config *cfg, time_t now)
{
	long at = (long)(now - now % DAY_SECONDS) +
	          cfg->relay_tls_report_hour * 3600L;

	if (at <= now)
		at += DAY_SECONDS;
	return at - (long)now;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tlsrpt_sender *s = arg;
	time_t now = time(NULL);
	struct timeval tv = {until_next(s->ob->cfg, now), 0};

	(void)fd;
	(void)what;
	run(s, now);
	event_add(s->timer, &tv);
}

struct tlsrpt_sender *
tlsrpt_sender_start(struct outbound *ob)
{
	const struct config *cfg = ob->cfg;
	struct tlsrpt_sender *s = xcalloc(1, sizeof(*s));
	struct timeval tv = {START_DELAY, 0};

	s->ob = ob;
	LIST_INIT(&s->jobs);
	snprintf(s->dir, sizeof(s->dir), "%s/tls-rpt", cfg->spool_dir);
	if (cfg->relay_tls_report_from)
		snprintf(s->from, sizeof(s->from), "%s",
		         cfg->relay_tls_report_from);
	else
		snprintf(s->from, sizeof(s->from), "postmaster@%s",
		         cfg->hostname);
	if (cfg->relay_tls_report_https &&
	    (s->ctx = sts_https_ctx(cfg->relay_mta_sts_ca_file)) == NULL)
		log_event(LOG_LVL_WARN, "tls-report", "error",
		          "cannot load CA certificates: no https reports",
		          NULL);
	if (cfg->relay_tls_report) {
		s->timer = event_new(ob->base, -1, 0, timer_cb, s);
		if (s->timer == NULL)
			abort();
		event_add(s->timer, &tv);
	}
	return s;
}

void
tlsrpt_sender_stop(struct tlsrpt_sender *s)
{
	struct rpt_job *j;

	if (s == NULL)
		return;
	while ((j = LIST_FIRST(&s->jobs)) != NULL) {
		LIST_REMOVE(j, entry);
		job_free(j);
	}
	if (s->timer)
		event_free(s->timer);
	SSL_CTX_free(s->ctx);
	free(s);
}
