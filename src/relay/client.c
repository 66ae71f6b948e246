/*
 * client.c — the SMTP client's connection: connect, read replies and hand
 * them to the state's handler, timeouts, TLS set-up, and the single,
 * deferred callback at the end (see client.h and client_int.h).
 */
#include "base/mem.h"
#include "relay/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <openssl/err.h>

#include "base/str.h"
#include "dane/dane.h"
#include "relay/client_int.h"
#include "relay/tls_client.h"

/* Enough for the longest legal reply (100 lines of 512 octets). */
#define PULL_MAX ((size_t)RELAY_REPLY_LINE_MAX * (RELAY_REPLY_LINES_MAX + 1))

static void client_readcb(struct bufferevent *bev, void *arg);
static void client_eventcb(struct bufferevent *bev, short what, void *arg);

void
client_send(struct relay_client *c, const char *line)
{
	bufferevent_write(c->bev, line, strlen(line));
}

void
client_expect(struct relay_client *c, enum client_state st, int secs)
{
	struct timeval tv = {secs, 0};

	c->state = st;
	evtimer_add(c->timer, &tv);
}

size_t
client_pending_output(const struct relay_client *c)
{
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (c->sock_out != bufferevent_get_output(c->bev))
		n += evbuffer_get_length(c->sock_out);
	return n;
}

size_t
client_pending_input(const struct relay_client *c)
{
	return evbuffer_get_length(bufferevent_get_input(c->bev));
}

/* Frees the connection (and with it the socket and any TLS state). */
static void
release_bev(struct relay_client *c)
{
	if (c->out_cb != NULL) {
		evbuffer_remove_cb_entry(c->sock_out, c->out_cb);
		c->out_cb = NULL;
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
}

static void
target_free(struct relay_target *t)
{
	free((char *)t->host);
	free((char *)t->addr);
	free((char *)t->auth_user);
	free((char *)t->auth_pass);
	free((char *)t->tls_ca_file);
	free((char *)t->tls_fingerprint);
	if (t->dane != NULL) {
		dane_policy_clear((struct dane_policy *)t->dane);
		free((struct dane_policy *)t->dane);
	}
}

static void
client_free(struct relay_client *c)
{
	release_bev(c);
	event_free(c->timer);
	event_free(c->done_ev);
	relay_result_free(c);
	free(c->send_idx);
	free(c->progress);
	target_free(&c->target);
	free(c);
}

/* Ready for the next job on the same connection. */
static void
reset_for_job(struct relay_client *c, const struct relay_job *job,
              relay_done_cb cb, void *arg)
{
	relay_result_free(c);
	free(c->send_idx);
	free(c->progress);
	c->send_idx = NULL;
	c->nsend = c->rcpt_sent = c->rcpt_answer = c->naccepted = 0;
	c->dot_answer = 0;
	c->pipelined = c->split = false;
	c->errbuf[0] = '\0';
	c->job = job;
	c->nrcpt = job->nrcpt;
	c->cb = cb;
	c->cbarg = arg;
	c->progress =
	        xcalloc(job->nrcpt ? job->nrcpt : 1, sizeof(*c->progress));
	relay_result_reset(c);
}

static void record_failure(struct relay_client *c, const struct reply_parsed *r,
                           const char *error);

static void
start_next_job(struct relay_client *c)
{
	const struct relay_job *job = c->next_job;

	c->next_job = NULL;
	reset_for_job(c, job, c->next_cb, c->next_arg);
	if (c->state != ST_IDLE) {
		/* It began to end while it waited (idle time over, closed
		 * by the remote or by its keeper): the job learns it as a
		 * connection lost before MAIL, and its owner connects anew. */
		record_failure(c, NULL,
		               "connection lost: closed before it was reused");
		c->res.failed_stage = RELAY_STAGE_MAIL;
		client_finish(c);
		return;
	}
	evtimer_del(c->timer);
	relay_txn_start(c);
}

/* After the job's callback: the next job, idling for the keeper, or
 * freed when nobody took it. */
static void
after_callback(struct relay_client *c)
{
	struct timeval idle = {c->idle_secs, 0};

	if (c->next_job != NULL) {
		start_next_job(c);
		return;
	}
	if (c->owner != OWNER_KEEPER) {
		client_free(c);
		return;
	}
	/* Unless closed from inside the callback (QUIT under way). */
	if (c->state == ST_IDLE)
		evtimer_add(c->timer, &idle);
}

static void
client_donecb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_client *c = arg;

	if (c->owner == OWNER_KEEPER) {
		/* A kept connection has ended: its keeper forgets it. */
		c->closed_cb(c->closed_arg);
		client_free(c);
		return;
	}
	relay_result_log(c);
	c->in_callback = true;
	c->cb(c->cbarg, &c->res);
	c->in_callback = false;
	after_callback(c);
}

void
client_finish(struct relay_client *c)
{
	if (c->state == ST_DONE)
		return;
	c->state = ST_DONE;
	evtimer_del(c->timer);
	release_bev(c);
	event_active(c->done_ev, EV_TIMEOUT, 0);
}

void
client_idle(struct relay_client *c)
{
	c->state = ST_IDLE;
	c->res.reusable = true;
	evtimer_del(c->timer);
	event_active(c->done_ev, EV_TIMEOUT, 0);
}

/* An idle connection ends: after QUIT when we end it, at once when the
 * remote did. */
static void
idle_end(struct relay_client *c, bool quit)
{
	if (c->owner == OWNER_JOB) {
		/* Lost before anyone could keep it: just not reusable. */
		c->res.reusable = false;
		client_finish(c);
		return;
	}
	if (quit)
		client_quit(c);
	else
		client_finish(c);
}

/* Records a session failure: what ended it, and every recipient without
 * a final answer becomes NOT_TRIED. */
static void
record_failure(struct relay_client *c, const struct reply_parsed *r,
               const char *error)
{
	c->res.failed_stage = relay_result_stage(c->state);
	if (r != NULL)
		relay_result_copy_reply(&c->res.session_reply, r);
	if (error != NULL && error != c->errbuf)
		snprintf(c->errbuf, sizeof(c->errbuf), "%s", error);
	c->res.error = error != NULL ? c->errbuf : NULL;
	for (size_t i = 0; i < c->job->nrcpt; i++) {
		if (c->progress[i] != RP_FINAL)
			relay_result_rcpt(c, i, RELAY_RCPT_NOT_TRIED, NULL);
	}
}

void
client_fail(struct relay_client *c, const struct reply_parsed *r,
            const char *error)
{
	record_failure(c, r, error);
	client_finish(c);
}

void
client_fail_quit(struct relay_client *c, const struct reply_parsed *r,
                 const char *error)
{
	record_failure(c, r, error);
	client_quit(c);
}

void
client_quit(struct relay_client *c)
{
	client_send(c, "QUIT\r\n");
	client_expect(c, ST_QUIT, T_QUIT);
}

static void
client_dispatch(struct relay_client *c, const struct reply_parsed *r)
{
	static void (*const handlers[])(struct relay_client *,
	                                const struct reply_parsed *) = {
	        [ST_GREETING] = relay_session_greeting,
	        [ST_EHLO] = relay_session_ehlo,
	        [ST_HELO] = relay_session_helo,
	        [ST_STARTTLS] = relay_session_starttls,
	        [ST_AUTH] = relay_session_auth,
	        [ST_MAIL] = relay_txn_mail,
	        [ST_RCPT] = relay_txn_rcpt,
	        [ST_DATA] = relay_txn_data,
	        [ST_DOT] = relay_txn_dot,
	        [ST_RSET] = relay_txn_rset,
	};

	if (c->state == ST_QUIT) {
		/* Late answers to pipelined commands come first. */
		if (r->code == 221)
			client_finish(c);
		return;
	}
	if (c->state == ST_IDLE) {
		/* Unasked for: a 421 before the remote hangs up, say. */
		idle_end(c, false);
		return;
	}
	/* RFC 5321 s3.8: 421 may answer any command; the server closes. */
	if (r->code == 421) {
		client_fail(c, r, NULL);
		return;
	}
	if (c->state >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[c->state] == NULL) {
		client_fail(c, r, "protocol error: unexpected reply");
		return;
	}
	handlers[c->state](c, r);
}

static void
client_readcb(struct bufferevent *bev, void *arg)
{
	struct relay_client *c = arg;

	while (c->state != ST_DONE && client_pending_input(c) > 0) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		size_t len = evbuffer_get_length(in);
		struct reply_parsed r;
		const char *err;
		const char *p;

		if (len > PULL_MAX)
			len = PULL_MAX;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		switch (relay_reply_parse(p, len, &r, &err)) {
		case REPLY_PARSE_MORE:
			return;
		case REPLY_PARSE_ERROR:
			snprintf(c->errbuf, sizeof(c->errbuf),
			         "protocol error: %s", err);
			client_fail(c, NULL, c->errbuf);
			return;
		case REPLY_PARSE_OK:
			break;
		}
		evbuffer_drain(in, r.consumed);
		client_dispatch(c, &r);
		relay_reply_parsed_free(&r);
	}
}

static void
client_connected(struct relay_client *c)
{
	if (c->state == ST_TLS) {
		relay_session_tls_ready(c);
		return;
	}
	if (c->target.implicit_tls) {
		if (client_start_tls(c) < 0)
			client_fail(c, NULL, c->errbuf);
		return;
	}
	client_expect(c, ST_GREETING,
	              c->job->timeout_connect > 0 ? c->job->timeout_connect
	                                          : T_GREETING);
}

/* The text of a network or TLS error, into c->errbuf. */
static void
describe_error(struct relay_client *c, struct bufferevent *bev, short what)
{
	unsigned long ssl_err = bufferevent_get_openssl_error(bev);
	int sock_err = EVUTIL_SOCKET_ERROR();
	const char *prefix = c->state == ST_TLS ? "TLS handshake failed"
	                     : c->state == ST_CONNECTING ? "connect failed"
	                                                 : "connection lost";
	char detail[160];

	if (what & BEV_EVENT_EOF)
		snprintf(detail, sizeof(detail), "closed by the remote");
	else if (ssl_err != 0)
		ERR_error_string_n(ssl_err, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "%s",
		         evutil_socket_error_to_string(sock_err));
	if (c->state == ST_TLS && c->target.tls_required)
		snprintf(c->errbuf, sizeof(c->errbuf),
		         "TLS required but the handshake failed: %s", detail);
	else
		snprintf(c->errbuf, sizeof(c->errbuf), "%s: %s", prefix,
		         detail);
}

static void
client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct relay_client *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		client_connected(c);
		return;
	}
	/* A last reply (a 421, say) may sit in the buffer before the end. */
	if (c->state != ST_CONNECTING && c->state != ST_TLS)
		client_readcb(bev, c);
	if (c->state == ST_DONE)
		return;
	if (c->state == ST_QUIT) {
		client_finish(c);
		return;
	}
	if (c->state == ST_IDLE) {
		idle_end(c, false);
		return;
	}
	describe_error(c, bev, what);
	client_fail(c, NULL, c->errbuf);
}

static void
client_timeoutcb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_client *c = arg;

	if (c->state == ST_QUIT) {
		client_finish(c);
		return;
	}
	if (c->state == ST_IDLE) {
		idle_end(c, true);
		return;
	}
	snprintf(c->errbuf, sizeof(c->errbuf), "timeout %s",
	         c->state == ST_CONNECTING ? "connecting"
	         : c->state == ST_DOT      ? "sending the message"
	                                   : "waiting for a reply");
	client_fail(c, NULL, c->errbuf);
}

static void
output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct relay_client *c = arg;

	if (info->n_deleted > 0 && c->state == ST_DOT)
		relay_txn_data_progress(c, evbuffer_get_length(buf) == 0);
}

static void
setup_bev(struct relay_client *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, client_readcb, NULL, client_eventcb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Credentials go only to a peer whose certificate is verified. */
const struct relay_tls_peer *
client_tls_peer(const struct relay_client *c, struct relay_tls_peer *buf)
{
	if (c->target.auth_user == NULL && !c->target.tls_verify &&
	    !c->target.tls_check)
		return NULL;
	buf->ca_file = c->target.tls_ca_file;
	buf->fingerprint = c->target.tls_fingerprint;
	return buf;
}

int
client_start_tls(struct relay_client *c)
{
	struct relay_tls_peer peer;
	struct bufferevent *tls;
	SSL *ssl;

	ssl = relay_tls_new(c->target.host, client_tls_peer(c, &peer),
	                    c->target.dane, c->errbuf, sizeof(c->errbuf));
	if (ssl == NULL)
		return -1;
	tls = bufferevent_openssl_filter_new(c->base, c->bev, ssl,
	                                     BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		snprintf(c->errbuf, sizeof(c->errbuf), "cannot start TLS");
		return -1;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	setup_bev(c, tls);
	/* With implicit TLS the handshake stands in for the greeting. */
	client_expect(c, ST_TLS,
	              c->target.implicit_tls && c->job->timeout_connect > 0
	                      ? c->job->timeout_connect
	                      : T_EHLO);
	return 0;
}

/* Builds the address; -1 when it is not a numeric IPv4 or IPv6 one. */
static int
make_sockaddr(const char *addr, int port, struct sockaddr_storage *ss, int *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (port <= 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = (int)sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = (int)sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* An LMTP server's unix socket: an absolute path and no port. */
static int
make_sockaddr_unix(const char *path, struct sockaddr_storage *ss, int *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (path[0] != '/' || strlen(path) >= sizeof(sun->sun_path))
		return -1;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	*len = (int)sizeof(*sun);
	return 0;
}

static int
target_sockaddr(const struct relay_target *t, struct sockaddr_storage *ss,
                int *len)
{
	if (t->addr == NULL)
		return -1;
	if (t->lmtp && t->port == 0)
		return make_sockaddr_unix(t->addr, ss, len);
	return make_sockaddr(t->addr, t->port, ss, len);
}

static int
client_connect(struct relay_client *c)
{
	struct sockaddr_storage ss;
	struct bufferevent *bev;
	struct timeval tv = {c->job->timeout_connect > 0
	                             ? c->job->timeout_connect
	                             : T_GREETING,
	                     0};
	int sslen;

	if (target_sockaddr(&c->target, &ss, &sslen) < 0) {
		snprintf(c->errbuf, sizeof(c->errbuf),
		         "connect failed: bad address or port");
		return -1;
	}
	bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		snprintf(c->errbuf, sizeof(c->errbuf), "connect failed: %s",
		         strerror(errno));
		return -1;
	}
	setup_bev(c, bev);
	/* Progress of the message through the socket, for the data timeout;
	 * the TLS filter, when there is one, writes into this buffer. */
	c->sock_out = bufferevent_get_output(bev);
	c->out_cb = evbuffer_add_cb(c->sock_out, output_cb, c);
	evtimer_add(c->timer, &tv);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, sslen) <
	    0) {
		snprintf(c->errbuf, sizeof(c->errbuf), "connect failed: %s",
		         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	return 0;
}

static void
target_copy(struct relay_target *dst, const struct relay_target *src)
{
	*dst = *src;
	dst->host = str_dup(src->host);
	dst->addr = str_dup(src->addr);
	dst->auth_user = str_dup(src->auth_user);
	dst->auth_pass = str_dup(src->auth_pass);
	dst->tls_ca_file = str_dup(src->tls_ca_file);
	dst->tls_fingerprint = str_dup(src->tls_fingerprint);
	dst->dane = NULL;
	if (src->dane != NULL && src->dane->mode != DANE_OFF) {
		struct dane_policy *p = xmalloc(sizeof(*p));

		dane_policy_copy(p, src->dane);
		dst->dane = p;
	}
}

struct relay_client *
relay_client_start(struct event_base *base, const struct relay_target *target,
                   const struct relay_job *job, relay_done_cb cb, void *arg)
{
	struct relay_client *c = xcalloc(1, sizeof(*c));

	c->base = base;
	target_copy(&c->target, target);
	c->opened = time(NULL);
	c->job = job;
	c->nrcpt = job->nrcpt;
	c->cb = cb;
	c->cbarg = arg;
	c->owner = OWNER_JOB;
	c->state = ST_CONNECTING;
	c->timer = evtimer_new(base, client_timeoutcb, c);
	c->done_ev = event_new(base, -1, 0, client_donecb, c);
	c->progress = calloc(job->nrcpt ? job->nrcpt : 1, sizeof(*c->progress));
	if (c->timer == NULL || c->done_ev == NULL || c->progress == NULL)
		abort();
	relay_result_init(c);
	if (client_connect(c) < 0)
		client_fail(c, NULL, c->errbuf);
	return c;
}

void
relay_client_abort(struct relay_client *c)
{
	/* From inside the callback: the client is freed when it returns. */
	if (c == NULL || c->in_callback)
		return;
	client_free(c);
}

bool
relay_client_past_rcpt(const struct relay_client *c)
{
	return c->state >= ST_DATA;
}

void
relay_client_keep(struct relay_client *c, int idle_secs,
                  relay_closed_cb closed_cb, void *arg)
{
	if (c->state != ST_IDLE || !c->in_callback || c->owner != OWNER_JOB ||
	    closed_cb == NULL)
		return;
	c->owner = OWNER_KEEPER;
	c->idle_secs = idle_secs > 0 ? idle_secs : 1;
	c->closed_cb = closed_cb;
	c->closed_arg = arg;
}

bool
relay_client_idle(const struct relay_client *c)
{
	return c->owner == OWNER_KEEPER && c->state == ST_IDLE;
}

void
relay_client_reuse(struct relay_client *c, const struct relay_job *job,
                   relay_done_cb cb, void *arg)
{
	/* The job owns it from now on; the keeper has let go. */
	c->owner = OWNER_JOB;
	c->closed_cb = NULL;
	c->closed_arg = NULL;
	c->next_job = job;
	c->next_cb = cb;
	c->next_arg = arg;
	/* Inside the callback, the result is still being read. */
	if (!c->in_callback)
		start_next_job(c);
}

void
relay_client_close(struct relay_client *c)
{
	if (relay_client_idle(c))
		idle_end(c, true);
}

const struct relay_target *
relay_client_target(const struct relay_client *c)
{
	return &c->target;
}

time_t
relay_client_opened(const struct relay_client *c)
{
	return c->opened;
}
