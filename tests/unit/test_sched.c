/*
 * test_sched.c — what the queue manager decides for each reply and each
 * age: src/sched/result.c (deliver, bounce, defer with back-off, the
 * 452 4.5.3 split, slowing a destination down, the next hop), window.c
 * (slow start, a connection too many), expiry.c
 * (next due time, the lifetime cap, the 4.4.7 bounce and the "delayed"
 * report) and route.c (address literals, NXDOMAIN, null MX, DNS failure,
 * every hop refused).
 *
 * A job is built by hand on an outbound whose stopping flag is set, so
 * that outbound_job_done() only frees the job: the message is left as the
 * decision made it, for the test to read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "sched/backoff.h"
#include "sched/outbound_int.h"
#include "spool_test_util.h"

#define REMOTE "mx.remote.example [192.0.2.1]"

struct fixture {
	char *dir;
	struct config *cfg;
	struct outbound ob;
	struct out_dest dest;
	struct out_msg *msg;
};

static const char *const zone =
        "zone ferry.test static\n"
        "null.ferry.test. 300 IN MX 0 .\n"
        "zone refused.test refuse\n"
        "loop.ferry.test. 300 IN MX 10 a.loop.ferry.test.\n"
        "loop.ferry.test. 300 IN MX 20 b.loop.ferry.test.\n"
        "a.loop.ferry.test. 300 IN A 127.0.0.1\n"
        "b.loop.ferry.test. 300 IN A 127.0.0.1\n";

/* A TCP port on 127.0.0.1 that nobody listens on (for refused hops). */
static int
closed_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[512];
	FILE *fp;

	assert_non_null(f);
	f->dir = scratch_dir();
	assert_non_null(f->dir);
	snprintf(path, sizeof(path), "%s/zone", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(zone, fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/ferry.conf", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp,
	        "[server]\nhostname = mx.test.example\n"
	        "[queue]\nspool_dir = %s/spool\n"
	        "[relay]\nresolv_conf = none\ndns_local_data = %s/zone\n"
	        "port = %d\nconnect_timeout = 5s\n"
	        "[domain example.test]\nmaildir_root = %s/mail\n"
	        "mailbox = demo\nalias = postmaster: demo\n",
	        f->dir, f->dir, closed_port(), f->dir);
	fclose(fp);
	f->cfg = config_load(path, stderr);
	assert_non_null(f->cfg);
	TAILQ_INIT(&f->ob.jobs);
	TAILQ_INIT(&f->ob.msgs);
	TAILQ_INIT(&f->ob.dests);
	TAILQ_INIT(&f->ob.conns);
	f->ob.cfg = f->cfg;
	f->ob.base = event_base_new();
	f->ob.stopping = true;
	f->dest.domain = (char *)"remote.example";
	f->msg = calloc(1, sizeof(*f->msg));
	assert_non_null(f->msg);
	snprintf(f->msg->id, sizeof(f->msg->id), "TESTID");
	f->msg->env.arrival = time(NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	out_msg_clear_reports(f->msg);
	free(f->msg->reports);
	free(f->msg->changed_idx);
	envelope_free(&f->msg->env);
	free(f->msg);
	if (f->ob.dns)
		dns_resolver_free(f->ob.dns);
	event_base_free(f->ob.base);
	config_free(f->cfg);
	remove_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static size_t
add_rcpt(struct fixture *f, const char *addr, unsigned notify)
{
	return envelope_add_rcpt(&f->msg->env, addr, addr, NULL, notify);
}

/* A job for every recipient of the message, holding it and the dest. */
static struct out_job *
job_for_all(struct fixture *f)
{
	struct out_job *job = calloc(1, sizeof(*job));
	size_t i;

	assert_non_null(job);
	job->ob = &f->ob;
	job->msg = f->msg;
	job->dest = &f->dest;
	job->n = f->msg->env.nrcpts;
	job->idx = calloc(job->n, sizeof(*job->idx));
	assert_non_null(job->idx);
	for (i = 0; i < job->n; i++)
		job->idx[i] = i;
	job->nhops = 1;
	job->hops = calloc(1, sizeof(*job->hops));
	assert_non_null(job->hops);
	f->msg->active++;
	f->dest.active++;
	TAILQ_INSERT_TAIL(&f->ob.jobs, job, entry);
	return job;
}

/* A finished transaction: each recipient's outcome and reply. */
struct fake_result {
	struct relay_result res;
	enum relay_rcpt_outcome outcome[8];
	struct relay_reply reply[8];
	bool after_data[8]; /* LMTP: the reply came after the final dot */
};

static void
set_rcpt(struct fake_result *r, size_t i, enum relay_rcpt_outcome o, int code,
         const char *enh, const char *text)
{
	r->outcome[i] = o;
	r->reply[i].code = code;
	snprintf(r->reply[i].enhanced, sizeof(r->reply[i].enhanced), "%s", enh);
	r->reply[i].text = (char *)text;
}

static void
init_result(struct fake_result *r, enum relay_stage stage)
{
	memset(r, 0, sizeof(*r));
	r->res.failed_stage = stage;
	r->res.outcome = r->outcome;
	r->res.rcpt_reply = r->reply;
	r->res.after_data = r->after_data;
	snprintf(r->res.remote_mta, sizeof(r->res.remote_mta), REMOTE);
}

static const struct out_report *
report_for(const struct out_msg *m, size_t idx)
{
	size_t i;

	for (i = 0; i < m->nreports; i++)
		if (m->reports[i].idx == idx)
			return &m->reports[i];
	return NULL;
}

/* The first retry: backoff_delay(1) from now (a second of slack). */
static void
assert_first_retry(const struct fixture *f, time_t before, time_t at)
{
	int d = backoff_delay(1, f->cfg->relay_retry_min,
	                      f->cfg->relay_retry_max);

	assert_true(d >= f->cfg->relay_retry_min);
	assert_in_range(at, before + d, time(NULL) + d);
}

/* A kept connection is only for a route that opened and checked it the
 * same way: a pinned or CA-verified route never gets an unverified one. */
static void
test_conn_same_target(void **state)
{
	const struct relay_target plain = {
	        .host = "mx.example", .addr = "::1", .port = 25};
	struct relay_target t = plain;

	(void)state;
	assert_true(conn_same_target(&plain, &t));
	t.tls_ca_file = "/etc/ferry/ca.pem";
	assert_false(conn_same_target(&plain, &t));
	assert_false(conn_same_target(&t, &plain));
	t = plain;
	t.tls_fingerprint = "00";
	assert_false(conn_same_target(&plain, &t));
	t = plain;
	t.auth_user = "u";
	assert_false(conn_same_target(&plain, &t));
	t = plain;
	t.tls_required = true;
	assert_false(conn_same_target(&plain, &t));
}

static void
test_delivered(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	size_t a = add_rcpt(f, "a@remote.example", 0);
	size_t b = add_rcpt(f, "b@remote.example", DSN_NOTIFY_SUCCESS);

	f->dest.backoffs = 3;
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, a, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 2.0.0 Ok");
	set_rcpt(&r, b, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 2.0.0 Ok");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[a].state, RCPT_DELIVERED);
	assert_int_equal(f->msg->env.rcpts[b].state, RCPT_DELIVERED);
	assert_string_equal(f->msg->env.rcpts[a].last_reply, "250 2.0.0 Ok");
	assert_int_equal(f->dest.backoffs, 0); /* it works again */
	assert_int_equal(f->msg->active, 0);
	assert_int_equal(f->dest.active, 0);
	assert_int_equal(f->msg->nchanged, 2);
	/* Only b asked for a success notice; the remote has no DSN, so
	 * ferry reports "relayed" itself (RFC 3461 s4.1). */
	assert_null(report_for(f->msg, a));
	assert_non_null(report_for(f->msg, b));
	assert_int_equal(report_for(f->msg, b)->action, DSN_ACTION_RELAYED);
	assert_string_equal(report_for(f->msg, b)->status, "2.0.0");
	assert_string_equal(report_for(f->msg, b)->remote, REMOTE);
}

static void
test_delivered_remote_dsn(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "b@remote.example", DSN_NOTIFY_SUCCESS);
	init_result(&r, RELAY_STAGE_DONE);
	r.res.remote_dsn = true; /* the remote passes the request on */
	set_rcpt(&r, 0, RELAY_RCPT_ACCEPTED, 250, "2.1.5", "250 2.1.5 Ok");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(f->msg->nreports, 0);
}

static void
test_bounced(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	const struct out_report *rep;

	add_rcpt(f, "gone@remote.example", 0);
	add_rcpt(f, "old@remote.example", 0);
	add_rcpt(f, "ok@remote.example", 0);
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_REJECTED, 550, "5.1.1",
	         "550 5.1.1 <gone@remote.example>: user unknown");
	set_rcpt(&r, 1, RELAY_RCPT_REJECTED, 550, "", "550 no such user");
	set_rcpt(&r, 2, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 Ok");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCED);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_BOUNCED);
	assert_int_equal(f->msg->env.rcpts[2].state, RCPT_DELIVERED);
	assert_false(f->msg->deferred);
	rep = report_for(f->msg, 0);
	assert_non_null(rep);
	assert_int_equal(rep->action, DSN_ACTION_FAILED);
	assert_string_equal(rep->status, "5.1.1");
	assert_string_equal(rep->diagnostic,
	                    "550 5.1.1 <gone@remote.example>: user unknown");
	assert_string_equal(rep->remote, REMOTE);
	assert_non_null(rep->reason);
	/* Without an enhanced code the DSN still needs one (RFC 3464). */
	assert_string_equal(report_for(f->msg, 1)->status, "5.0.0");
	assert_null(report_for(f->msg, 2));
}

static void
test_deferred(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	time_t before = time(NULL);

	add_rcpt(f, "full@remote.example", 0);
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_REJECTED, 450, "4.2.2",
	         "450 4.2.2 mailbox full");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_string_equal(f->msg->env.rcpts[0].last_reply,
	                    "450 4.2.2 mailbox full");
	assert_true(f->msg->deferred);
	assert_first_retry(f, before, f->msg->env.rcpts[0].next_attempt);
	assert_int_equal(f->msg->nreports, 0);      /* no DSN for a retry */
	assert_int_equal(f->dest.backoff_until, 0); /* one mailbox only */
}

/* 452 4.5.3 after other recipients were taken: a new transaction at
 * once (RFC 5321 s4.5.3.1.10), not a retry later. */
/* Only a bounce whose sender is owed a report waits for it (stays
 * RCPT_BOUNCING, not final) before the message may leave the queue. */
static void
test_bounce_mark(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	size_t i;

	add_rcpt(f, "gone@remote.example", 0);
	add_rcpt(f, "quiet@remote.example", DSN_NOTIFY_NEVER);
	add_rcpt(f, "ok@remote.example", 0);
	init_result(&r, RELAY_STAGE_DONE);
	for (i = 0; i < 2; i++)
		set_rcpt(&r, i, RELAY_RCPT_REJECTED, 550, "5.1.1",
		         "550 5.1.1 user unknown");
	set_rcpt(&r, 2, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 Ok");
	out_result_apply(job_for_all(f), &r.res);
	bounce_mark(f->msg); /* the null sender: no report, nothing owed */
	assert_false(bounce_pending(f->msg));
	f->msg->env.sender = strdup("alice@example.test");
	bounce_mark(f->msg);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCING);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_BOUNCED);
	assert_int_equal(f->msg->env.rcpts[2].state, RCPT_DELIVERED);
	assert_true(bounce_pending(f->msg));
	assert_false(envelope_all_final(&f->msg->env));
}

static void
test_split(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	f->msg->env.rcpts[1].next_attempt = 12345;
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 Ok");
	set_rcpt(&r, 1, RELAY_RCPT_REJECTED, 452, "4.5.3",
	         "452 4.5.3 Too many recipients");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DELIVERED);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_PENDING);
	assert_int_equal(f->msg->env.rcpts[1].next_attempt, 0);
	assert_false(f->msg->deferred);
}

/* Recipients the client did not try because of a split are due at once. */
static void
test_split_not_tried(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	f->msg->env.rcpts[1].next_attempt = 12345;
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_ACCEPTED, 250, "2.0.0", "250 Ok");
	set_rcpt(&r, 1, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_PENDING);
	assert_int_equal(f->msg->env.rcpts[1].next_attempt, 0);
}

/* 452 4.5.3 with nothing accepted is a plain temporary failure. */
static void
test_too_many_none_accepted(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	time_t before = time(NULL);

	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_REJECTED, 452, "4.5.3",
	         "452 4.5.3 Too many recipients");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_first_retry(f, before, f->msg->env.rcpts[0].next_attempt);
}

/* 421 (and the rate-limit replies explain knows) slow the destination. */
static void
test_backoff_destination(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	time_t before = time(NULL);
	int d = backoff_delay(1, f->cfg->relay_retry_min,
	                      f->cfg->relay_retry_max);

	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_DONE);
	set_rcpt(&r, 0, RELAY_RCPT_REJECTED, 421, "4.7.0",
	         "421 4.7.0 Try again later, closing connection");
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_int_equal(f->dest.backoffs, 1);
	assert_in_range(f->dest.backoff_until, before + d, time(NULL) + d);
}

/* The session broke off before any answer and no hop is left: every
 * recipient is deferred with why. */
static void
test_connect_failed(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;
	time_t before = time(NULL);

	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	init_result(&r, RELAY_STAGE_CONNECT);
	r.res.error = "connection refused";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	set_rcpt(&r, 1, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_DEFERRED);
	assert_string_equal(f->msg->env.rcpts[0].last_reply,
	                    "connection refused");
	assert_first_retry(f, before, f->msg->env.rcpts[1].next_attempt);
	assert_int_equal(f->msg->active, 0);
}

/* A 421 greeting: deferred with the remote's words, destination slowed. */
static void
test_greeting_421(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_GREETING);
	r.res.session_reply.code = 421;
	snprintf(r.res.session_reply.enhanced,
	         sizeof(r.res.session_reply.enhanced), "4.7.0");
	r.res.session_reply.text = (char *)"421 4.7.0 too busy";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_string_equal(f->msg->env.rcpts[0].last_reply,
	                    "421 4.7.0 too busy");
	assert_int_equal(f->dest.backoffs, 1);
}

/* Slow start: from destination_concurrency_initial, one connection more
 * per `limit` transactions delivered while mail waits for one, never past
 * destination_concurrency. */
static void
test_window_slow_start(void **state)
{
	struct fixture *f = *state;
	int i, start;

	TAILQ_INIT(&f->dest.waiting);
	window_init(&f->dest, f->cfg);
	start = f->cfg->relay_dest_initial;
	assert_int_equal(f->dest.limit, start);
	for (i = 0; i < 100; i++) /* nothing waits: no growth */
		window_delivered(&f->dest, f->cfg);
	assert_int_equal(f->dest.limit, start);
	TAILQ_INSERT_TAIL(&f->dest.waiting, f->msg, wait_entry);
	for (i = 0; i < start - 1; i++)
		window_delivered(&f->dest, f->cfg);
	assert_int_equal(f->dest.limit, start);
	window_delivered(&f->dest, f->cfg);
	assert_int_equal(f->dest.limit, start + 1);
	for (i = 0; i < 100000; i++)
		window_delivered(&f->dest, f->cfg);
	assert_int_equal(f->dest.limit, f->cfg->relay_dest_concurrency);
	f->dest.active = f->dest.limit - 1;
	assert_true(window_may_open(&f->dest));
	f->dest.active = f->dest.limit;
	assert_false(window_may_open(&f->dest));
	TAILQ_REMOVE(&f->dest.waiting, f->msg, wait_entry);
}

/* One connection too many: refused at the greeting (421) while three
 * others to the destination are open.  Not a failure: the recipient
 * waits for an open connection (due at once, still pending, nothing
 * recorded), the destination is not backed off, its limit drops to the
 * open connections that work and does not grow for a while. */
static void
test_greeting_421_others_open(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	window_init(&f->dest, f->cfg);
	f->dest.limit = 10;
	f->dest.active = 3;
	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_GREETING);
	r.res.session_reply.code = 421;
	r.res.session_reply.text = (char *)"421 4.7.0 too many connections";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_PENDING);
	assert_int_equal(f->msg->env.rcpts[0].next_attempt, 0);
	assert_null(f->msg->env.rcpts[0].last_reply);
	assert_false(f->msg->deferred);
	assert_int_equal(f->dest.backoffs, 0);
	assert_int_equal(f->dest.backoff_until, 0);
	assert_int_equal(f->dest.limit, 3);
	assert_int_equal(f->dest.active, 3);
	assert_int_equal(f->msg->active, 0);
	TAILQ_INIT(&f->dest.waiting);
	TAILQ_INSERT_TAIL(&f->dest.waiting, f->msg, wait_entry);
	window_delivered(&f->dest, f->cfg);
	window_delivered(&f->dest, f->cfg);
	window_delivered(&f->dest, f->cfg);
	assert_int_equal(f->dest.limit, 3);
	TAILQ_REMOVE(&f->dest.waiting, f->msg, wait_entry);
}

/* The same for a refused connect, down to one connection. */
static void
test_connect_refused_others_open(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	window_init(&f->dest, f->cfg);
	f->dest.limit = 2;
	f->dest.active = 1;
	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_CONNECT);
	r.res.error = "connection refused";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_PENDING);
	assert_int_equal(f->dest.limit, 1);
}

/* A refusal after the greeting is the remote's answer about mail, not
 * about connections: deferred as ever, even with others open. */
static void
test_mail_421_others_open(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	window_init(&f->dest, f->cfg);
	f->dest.active = 3;
	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_MAIL);
	r.res.session_reply.code = 421;
	r.res.session_reply.text = (char *)"421 4.7.0 too busy";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_int_equal(f->dest.limit, f->cfg->relay_dest_initial);
}

/* A permanent refusal of the transaction (MAIL): every recipient left
 * bounces with that reply. */
static void
test_mail_refused(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	init_result(&r, RELAY_STAGE_MAIL);
	r.res.session_reply.code = 550;
	snprintf(r.res.session_reply.enhanced,
	         sizeof(r.res.session_reply.enhanced), "5.7.1");
	r.res.session_reply.text = (char *)"550 5.7.1 sender blocked";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	set_rcpt(&r, 1, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCED);
	assert_int_equal(f->msg->env.rcpts[1].state, RCPT_BOUNCED);
	assert_string_equal(report_for(f->msg, 1)->status, "5.7.1");
	assert_string_equal(report_for(f->msg, 1)->diagnostic,
	                    "550 5.7.1 sender blocked");
}

/* Lost after the recipients were taken but before the final dot: the
 * outcome is unknown, so the message is sent again (at least once). */
static void
test_lost_before_dot(void **state)
{
	struct fixture *f = *state;
	struct fake_result r;

	add_rcpt(f, "a@remote.example", 0);
	init_result(&r, RELAY_STAGE_DATA);
	r.res.error = "connection lost: reset by peer";
	set_rcpt(&r, 0, RELAY_RCPT_NOT_TRIED, 0, "", NULL);
	out_result_apply(job_for_all(f), &r.res);
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_string_equal(f->msg->env.rcpts[0].last_reply,
	                    "connection lost: reset by peer");
}

static void
test_next_due(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt *r;

	assert_int_equal(outbound_next_due(f->msg, &f->ob), 0);
	add_rcpt(f, "demo@example.test", 0); /* local: not the relay's */
	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	add_rcpt(f, "c@remote.example", 0);
	r = f->msg->env.rcpts;
	r[0].next_attempt = 100;
	r[1].state = RCPT_DEFERRED;
	r[1].next_attempt = 500;
	r[2].state = RCPT_DEFERRED;
	r[2].next_attempt = 300;
	r[3].state = RCPT_DELIVERED;
	r[3].next_attempt = 200;
	assert_int_equal(outbound_next_due(f->msg, &f->ob), 300);
	assert_false(outbound_rcpt_is_outbound(&f->ob, &r[0]));
	assert_true(outbound_rcpt_is_outbound(&f->ob, &r[1]));
	assert_false(outbound_rcpt_is_outbound(&f->ob, &r[3]));
}

/* A retry is never later than the end of the message's lifetime. */
static void
test_retry_capped(void **state)
{
	struct fixture *f = *state;
	time_t end = f->msg->env.arrival + f->cfg->relay_max_lifetime;

	assert_int_equal(outbound_retry_time(f->msg, &f->ob, end - 10),
	                 end - 10);
	assert_int_equal(outbound_retry_time(f->msg, &f->ob, end), end);
	assert_int_equal(outbound_retry_time(f->msg, &f->ob, end + 3600), end);
}

static void
test_expired(void **state)
{
	struct fixture *f = *state;
	const struct out_report *rep;
	struct envelope_rcpt *r;

	add_rcpt(f, "a@remote.example", 0);
	add_rcpt(f, "b@remote.example", 0);
	add_rcpt(f, "demo@example.test", 0);
	r = f->msg->env.rcpts;
	r[0].state = RCPT_DEFERRED;
	r[0].last_reply = strdup("451 4.3.0 try later");
	r[1].state = RCPT_DELIVERED;
	f->msg->env.arrival = time(NULL) - f->cfg->relay_max_lifetime;
	outbound_check_age(&f->ob, f->msg);
	assert_int_equal(r[0].state, RCPT_BOUNCED);
	assert_int_equal(r[1].state, RCPT_DELIVERED);
	assert_int_equal(r[2].state, RCPT_PENDING); /* local delivery's */
	assert_int_equal(f->msg->nreports, 1);
	rep = report_for(f->msg, 0);
	assert_int_equal(rep->action, DSN_ACTION_FAILED);
	assert_string_equal(rep->status, "4.4.7");
	assert_string_equal(rep->diagnostic, "451 4.3.0 try later");
	assert_string_equal(rep->reason, "expired");
}

static void
test_delay_warning(void **state)
{
	struct fixture *f = *state;
	struct envelope_rcpt *r;

	assert_true(f->cfg->relay_delay_warning < f->cfg->relay_max_lifetime);
	add_rcpt(f, "a@remote.example", DSN_NOTIFY_DELAY);
	add_rcpt(f, "b@remote.example", 0);
	r = f->msg->env.rcpts;
	r[0].state = RCPT_DEFERRED;
	r[0].last_reply = strdup("451 4.3.0 try later");
	/* Younger than delay_warning: nothing yet. */
	f->msg->env.arrival = time(NULL) - f->cfg->relay_delay_warning + 60;
	outbound_check_age(&f->ob, f->msg);
	assert_int_equal(f->msg->nreports, 0);
	assert_false(f->msg->delay_notified);
	f->msg->env.arrival = time(NULL) - f->cfg->relay_delay_warning;
	outbound_check_age(&f->ob, f->msg);
	assert_true(f->msg->delay_notified);
	assert_int_equal(f->msg->nreports, 1); /* b was never deferred */
	assert_int_equal(f->msg->reports[0].idx, 0);
	assert_int_equal(f->msg->reports[0].action, DSN_ACTION_DELAYED);
	assert_string_equal(f->msg->reports[0].status, "4.4.0");
	assert_int_equal(r[0].state, RCPT_DEFERRED);
	/* Once per message. */
	outbound_check_age(&f->ob, f->msg);
	assert_int_equal(f->msg->nreports, 1);
}

/* Route one job for the destination and run the loop until it is done. */
static void
route(struct fixture *f, const char *domain)
{
	time_t deadline = time(NULL) + 30;

	f->dest.domain = (char *)domain;
	if (f->ob.dns == NULL)
		f->ob.dns = outbound_resolver_new(f->ob.base, f->cfg);
	assert_non_null(f->ob.dns);
	f->msg->data = (char *)"Subject: x\r\n\r\nbody\r\n";
	f->msg->len = strlen(f->msg->data);
	{
		struct out_job *job = job_for_all(f);

		/* job_for_all's placeholder hop is for out_result_apply alone.
		 */
		hops_free(job->hops, job->nhops);
		job->hops = NULL;
		job->nhops = 0;
		out_route_job(job);
	}
	while (f->msg->active > 0 && time(NULL) < deadline)
		event_base_loop(f->ob.base, EVLOOP_ONCE);
	f->msg->data = NULL;
	assert_int_equal(f->msg->active, 0);
}

static void
test_route_literal(void **state)
{
	struct fixture *f = *state;

	add_rcpt(f, "a@[192.0.2.1]", 0);
	route(f, "[192.0.2.1]");
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCED);
	assert_string_equal(report_for(f->msg, 0)->status, "5.1.2");
}

static void
test_route_nxdomain(void **state)
{
	struct fixture *f = *state;

	add_rcpt(f, "a@nx.ferry.test", 0);
	route(f, "nx.ferry.test");
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCED);
	assert_string_equal(report_for(f->msg, 0)->status, "5.1.2");
	assert_string_equal(report_for(f->msg, 0)->reason, "hostunknown");
}

static void
test_route_null_mx(void **state)
{
	struct fixture *f = *state;

	add_rcpt(f, "a@null.ferry.test", 0);
	route(f, "null.ferry.test");
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_BOUNCED);
	assert_string_equal(report_for(f->msg, 0)->status, "5.1.10");
}

static void
test_route_dns_failure(void **state)
{
	struct fixture *f = *state;

	add_rcpt(f, "a@refused.test", 0);
	route(f, "refused.test");
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_non_null(strstr(f->msg->env.rcpts[0].last_reply, "REFUSED"));
	assert_int_equal(f->msg->nreports, 0);
}

/* Two MX hosts, both refusing connections: both are tried, then the
 * recipient is deferred with the last error. */
static void
test_route_all_hops_refused(void **state)
{
	struct fixture *f = *state;

	add_rcpt(f, "a@loop.ferry.test", 0);
	route(f, "loop.ferry.test");
	assert_int_equal(f->msg->env.rcpts[0].state, RCPT_DEFERRED);
	assert_non_null(f->msg->env.rcpts[0].last_reply);
	assert_int_equal(f->msg->nreports, 0);
	assert_true(TAILQ_EMPTY(&f->ob.jobs));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_delivered, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_delivered_remote_dsn,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bounced, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bounce_mark, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_split, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_split_not_tried, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_too_many_none_accepted,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_backoff_destination, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_connect_failed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_greeting_421, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_window_slow_start, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_greeting_421_others_open,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_connect_refused_others_open, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mail_421_others_open,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mail_refused, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_lost_before_dot, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_next_due, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retry_capped, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_delay_warning, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_route_literal, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_route_nxdomain, setup,
	                                        teardown),
	        cmocka_unit_test(test_conn_same_target),
	        cmocka_unit_test_setup_teardown(test_route_null_mx, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_route_dns_failure, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_route_all_hops_refused,
	                                        setup, teardown),
	};

	evthread_use_pthreads();
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
