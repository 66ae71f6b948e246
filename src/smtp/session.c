/*
 * session.c — one SMTP connection: input loop, the command table, the one
 * output routine every reply passes through, timeouts and closing.
 */
#include "metrics/metrics.h"
#include "smtp/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include "base/log.h"
#include "config/config.h"
#include "queue/spool.h"
#include "smtp/session_int.h"
#include "tls/tls.h"

/* Stop reading while this much output is unread by the client. */
#define OUTPUT_HIGH_WATER ((size_t)64 * 1024)

struct command_entry {
	enum smtp_verb verb;
	void (*run)(struct session *s, const struct smtp_command *cmd);
};

static const struct command_entry command_table[] = {
        {VERB_HELO, cmd_helo},         {VERB_EHLO, cmd_ehlo},
        {VERB_MAIL, cmd_mail},         {VERB_RCPT, cmd_rcpt},
        {VERB_DATA, cmd_data},         {VERB_BDAT, cmd_bdat},
        {VERB_RSET, cmd_rset},         {VERB_NOOP, cmd_noop},
        {VERB_QUIT, cmd_quit},         {VERB_VRFY, cmd_vrfy},
        {VERB_EXPN, cmd_expn},         {VERB_HELP, cmd_help},
        {VERB_STARTTLS, cmd_starttls}, {VERB_AUTH, cmd_auth},
};

static void session_read_cb(struct bufferevent *bev, void *arg);
static void session_write_cb(struct bufferevent *bev, void *arg);
static void session_event_cb(struct bufferevent *bev, short what, void *arg);
static void session_free(struct session *s);
static void session_close_timer_cb(evutil_socket_t fd, short what, void *arg);
static void session_deadline_cb(evutil_socket_t fd, short what, void *arg);
static void session_timed_out(struct session *s, struct bufferevent *bev,
                              short what);

static void
format_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *addr = NULL;

	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (addr == NULL || !inet_ntop(sa->sa_family, addr, buf, len))
		snprintf(buf, len, "unknown");
}

/* Plain connections keep the fd so STARTTLS can hand it to OpenSSL. */
static struct bufferevent *
session_make_bev(struct session *s, struct event_base *base)
{
	SSL *ssl;

	if (s->role != LISTENER_SUBMISSIONS)
		return bufferevent_socket_new(base, s->fd, 0);
	ssl = tls_server_ssl(smtp_server_tls(s->srv), true);
	if (ssl == NULL)
		return NULL;
	s->tls = true;
	s->bev_owns_fd = true;
	return bufferevent_openssl_socket_new(base, s->fd, ssl,
	                                      BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

/*
 * A plain connection writes its replies itself, once per pass of the loop
 * (smtp_server_flush_later): no write event added and deleted for every
 * reply, and no pass spent waiting for one.  libevent's write event only
 * takes over when the socket does not take everything at once.  OpenSSL's
 * bufferevents write their records themselves.
 */
static bool
session_writes_itself(const struct session *s)
{
	return !s->tls;
}

static bool
session_write_pending(const struct session *s)
{
	return (bufferevent_get_enabled(s->bev) & EV_WRITE) != 0;
}

/* Replies were queued: have them written. */
static void
session_output_added(struct session *s)
{
	if (session_writes_itself(s) && !session_write_pending(s))
		smtp_server_flush_later(s->srv, s);
}

void
session_attach_bev(struct session *s, struct bufferevent *bev)
{
	s->bev = bev;
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
	                  session_event_cb, s);
	/* A new bufferevent has writing on: off while the session writes. */
	if (session_writes_itself(s))
		bufferevent_disable(s->bev, EV_WRITE);
	bufferevent_enable(s->bev, session_writes_itself(s)
	                                   ? EV_READ
	                                   : EV_READ | EV_WRITE);
	session_set_timeout(s, s->cfg->timeout_command);
	if (s->tls && s->tls_info[0] == '\0')
		session_arm_deadline(s, s->cfg->timeout_tls_handshake);
}

/* Once armed, runs until disarmed: bytes arriving do not move it. */
void
session_arm_deadline(struct session *s, int seconds)
{
	struct timeval tv = {seconds, 0};

	if (seconds > 0 && !evtimer_pending(s->deadline, NULL))
		evtimer_add(s->deadline, &tv);
}

static void
session_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char serial[24];

	if (s->bev == NULL)
		return;
	if (!s->tls || s->tls_info[0] != '\0') {
		session_timed_out(s, s->bev, BEV_EVENT_READING);
		return;
	}
	/* No reply can reach a peer without TLS: no linger for one. */
	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_WARN, "tls-error", "session", serial, "client",
	          s->client_ip, "reason", "handshake deadline", NULL);
	metrics_count(M_TLS_FAILURES);
	session_drop_bev(s);
	session_close(s);
}

static int
listener_tls_policy(const struct config *cfg, enum listener_role role)
{
	if (role == LISTENER_SUBMISSIONS)
		return TLS_POLICY_REQUIRED;
	return role == LISTENER_SUBMISSION ? cfg->tls_submission
	                                   : cfg->tls_smtp;
}

struct session *
session_new(struct smtp_server *srv, int fd, const struct sockaddr *sa,
            enum listener_role role, unsigned long serial)
{
	struct session *s = calloc(1, sizeof(*s));
	struct bufferevent *bev;
	char serial_s[24];

	if (s == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	s->srv = srv;
	s->serial = serial;
	s->fd = fd;
	s->role = role;
	format_peer(sa, s->client_ip, sizeof(s->client_ip));
	/* The settings this session started with, whatever a reload does
	 * while it runs. */
	s->cfg = config_ref(smtp_server_config(srv));
	s->spool = smtp_server_spool(srv);
	s->tls_policy = listener_tls_policy(s->cfg, role);
	s->close_timer =
	        evtimer_new(smtp_server_base(srv), session_close_timer_cb, s);
	s->deadline =
	        evtimer_new(smtp_server_base(srv), session_deadline_cb, s);
	bev = s->close_timer && s->deadline
	              ? session_make_bev(s, smtp_server_base(srv))
	              : NULL;
	if (bev == NULL) {
		if (s->close_timer)
			event_free(s->close_timer);
		if (s->deadline)
			event_free(s->deadline);
		evutil_closesocket(fd);
		config_release(s->cfg);
		free(s);
		return NULL;
	}
	session_attach_bev(s, bev);
	snprintf(serial_s, sizeof(serial_s), "%lu", serial);
	log_event(LOG_LVL_INFO, "connect", "session", serial_s, "client",
	          s->client_ip, "port",
	          role == LISTENER_SMTP         ? "smtp"
	          : role == LISTENER_SUBMISSION ? "submission"
	                                        : "submissions",
	          NULL);
	s->state = SS_CONNECTED;
	return s;
}

void
session_greet(struct session *s)
{
	session_reply(s, R_GREETING, smtp_server_hostname(s->srv));
}

void
session_set_timeout(struct session *s, int seconds)
{
	struct timeval tv = {seconds, 0};

	bufferevent_set_timeouts(s->bev, &tv, &tv);
}

static void
session_log_reply(struct session *s, const char *line)
{
	char serial[24];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_INFO, "reject", "session", serial, "client",
	          s->client_ip, "id", s->tx.env.id[0] ? s->tx.env.id : NULL,
	          "reply", line, NULL);
}

/*
 * Count errors toward the session's limits: protocol errors toward
 * max_errors, other permanent refusals of RCPT (unknown user, relay
 * denied, ...) toward max_rejected_recipients, so that guessing addresses
 * costs a connection every few guesses.
 */
static void
session_count_reply(struct session *s, enum reply_id id)
{
	const struct reply_def *r = reply_def(id);
	int code = r->code;

	if (r->err == ERR_PROTOCOL) {
		if (++s->errors >= (unsigned)s->cfg->max_errors)
			s->too_many_errors = true;
	} else if (code >= 500 && s->verb == VERB_RCPT) {
		if (++s->rejected_rcpts >=
		    (unsigned)s->cfg->max_rejected_recipients)
			s->too_many_rejected = true;
	}
}

/* The one routine every single-line reply passes through. */
void
session_reply(struct session *s, enum reply_id id, ...)
{
	char line[REPLY_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, id);
	n = reply_vformat(line, sizeof(line), id, ap);
	va_end(ap);
	if (reply_def(id)->code >= 400)
		session_log_reply(s, line);
	session_count_reply(s, id);
	if (s->bev == NULL)
		return;
	line[n++] = '\r';
	line[n++] = '\n';
	bufferevent_write(s->bev, line, n);
	session_output_added(s);
}

void
session_reply_lines(struct session *s, enum reply_id id,
                    const char *const *lines, size_t nlines, ...)
{
	struct evbuffer *tmp = evbuffer_new();
	const char *arg;
	va_list ap;

	if (tmp == NULL)
		abort(); /* out of memory: fail-stop, see base/str.h */
	va_start(ap, nlines);
	arg = reply_nargs(id) > 0 ? va_arg(ap, const char *) : NULL;
	va_end(ap);
	reply_write_lines(tmp, id, lines, nlines, arg);
	bufferevent_write_buffer(s->bev, tmp);
	evbuffer_free(tmp);
	session_output_added(s);
}

bool
session_require_greeting(struct session *s)
{
	if (s->state != SS_CONNECTED)
		return true;
	session_reply(s, R_SEQ_HELO_FIRST);
	return false;
}

/* The session is freed from the event loop, never from inside a caller. */
static void
session_free_after(struct session *s, int seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(s->close_timer, &tv);
}

static size_t
session_output_length(struct session *s)
{
	return s->bev ? evbuffer_get_length(bufferevent_get_output(s->bev)) : 0;
}

void
session_close(struct session *s)
{
	bool lingering =
	        s->state == SS_CLOSING && evtimer_pending(s->close_timer, NULL);

	s->state = SS_CLOSING;
	session_auth_cancel(s);
	if (session_output_length(s) == 0) {
		session_free_after(s, 0);
		return;
	}
	if (lingering)
		return;
	/*
	 * The last replies are still queued.  A peer that does not read them
	 * (or a TLS peer that never finished its handshake) gets a bounded
	 * wait, not the command timeout again.  Reading stays on, its input
	 * discarded, so that the peer's disconnect ends the wait at once; a
	 * timeout may have turned writing off.
	 */
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	if (session_writes_itself(s) && !session_write_pending(s)) {
		bufferevent_enable(s->bev, EV_READ);
		smtp_server_flush_later(s->srv, s);
	} else {
		bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	}
	session_free_after(s, SESSION_CLOSE_LINGER_SECONDS);
}

static void
session_close_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	s->close_unsent = session_output_length(s);
	session_free(s);
}

void
session_reset_transaction(struct session *s)
{
	if (s->tx.msg)
		spool_msg_abort(s->tx.msg);
	session_milter_cleanup(s);
	policy_cancel(s->tx.auth_run);
	policy_auth_free(s->tx.auth);
	free(s->tx.auth_rcpts);
	envelope_free(&s->tx.env);
	memset(&s->tx, 0, sizeof(s->tx));
}

static void
session_dispatch(struct session *s, const char *line, size_t len)
{
	struct smtp_command cmd;
	size_t i;

	command_split(line, len, &cmd);
	if (memchr(line, '\0', len) != NULL)
		cmd.verb = VERB_UNKNOWN;
	for (i = 0; i < sizeof(command_table) / sizeof(command_table[0]); i++)
		if (command_table[i].verb == cmd.verb) {
			s->verb = cmd.verb;
			command_table[i].run(s, &cmd);
			s->verb = VERB_UNKNOWN;
			return;
		}
	if (cmd.verb == VERB_NOT_IMPLEMENTED)
		session_reply(s, R_CMD_NOT_IMPLEMENTED);
	else
		session_reply(s, R_CMD_UNKNOWN);
}

/* Over-long line: answered once, in the words of the current exchange. */
static void
session_line_too_long(struct session *s)
{
	if (s->state == SS_AUTH) {
		auth_line(s, NULL, AUTH_LINE_MAX + 1);
		return;
	}
	session_reply(s, R_LINE_TOO_LONG);
}

/* Submission ports: a client that keeps talking without AUTH is cut off. */
static bool
session_unauth_limit(struct session *s)
{
	if (!session_needs_auth(s) ||
	    ++s->unauth_commands <= (unsigned)s->cfg->auth_max_unauth_commands)
		return false;
	session_reset_transaction(s);
	session_reply(s, R_TOO_MANY_UNAUTH);
	session_close(s);
	return true;
}

/*
 * Take one line from the input.  Returns 1 when a line was handled, 0 when
 * more input is needed, -1 when the session was closed.
 * Over-long lines are discarded up to their end and answered once with
 * 500 5.5.6 (RFC 5321 s4.5.3.1.4, RFC 4954 s4).
 */
static int
session_take_line(struct session *s, struct evbuffer *in)
{
	size_t eol_len = 0, len;
	size_t max =
	        s->state == SS_AUTH ? AUTH_LINE_MAX : COMMAND_LINE_MAX_EXTENDED;
	struct evbuffer_ptr eol =
	        evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	char line[AUTH_LINE_MAX + 2];

	if (eol.pos < 0) {
		len = evbuffer_get_length(in);
		if (len > 0)
			session_arm_deadline(s, s->cfg->timeout_command_line);
		if (len > max) {
			s->discarding_line = true;
			evbuffer_drain(in, len);
		}
		return 0;
	}
	evtimer_del(s->deadline);
	len = (size_t)eol.pos;
	if (s->discarding_line || len > max) {
		s->discarding_line = false;
		evbuffer_drain(in, len + eol_len);
		session_line_too_long(s);
		return 1;
	}
	evbuffer_remove(in, line, len + eol_len);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (s->state == SS_AUTH) {
		auth_line(s, line, len);
		return 1;
	}
	if (session_unauth_limit(s))
		return -1;
	/* 512 octets with CRLF for plain commands; MAIL/RCPT may carry the
	 * longer parameters of DSN and SMTPUTF8 (RFC 1869 s4.1.2). */
	if (len + 2 > COMMAND_LINE_MAX && strncasecmp(line, "MAIL ", 5) != 0 &&
	    strncasecmp(line, "RCPT ", 5) != 0) {
		session_reply(s, R_LINE_TOO_LONG);
		return 1;
	}
	session_dispatch(s, line, len);
	return 1;
}

/* Content of DATA/BDAT: hand contiguous input to the scanner. */
static int
session_take_content(struct session *s, struct evbuffer *in)
{
	struct evbuffer_iovec vec;
	size_t used;

	if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1 || vec.iov_len == 0)
		return 0;
	used = content_feed(s, vec.iov_base, vec.iov_len);
	evbuffer_drain(in, used);
	return 1;
}

static bool
session_output_full(struct session *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev)) >
	       OUTPUT_HIGH_WATER;
}

/* An error limit was reached: 421 and close; true if so. */
static bool
session_over_limit(struct session *s)
{
	enum reply_id id;

	if (s->state == SS_CLOSING)
		return false;
	if (s->too_many_errors)
		id = R_TOO_MANY_ERRORS;
	else if (s->too_many_rejected)
		id = R_TOO_MANY_REJECTED_RCPTS;
	else
		return false;
	session_reset_transaction(s);
	session_reply(s, id, smtp_server_hostname(s->srv));
	session_close(s);
	return true;
}

/* Run every complete command (or content) waiting in the input. */
void
session_resume(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	for (;;) {
		int progressed;

		if (s->state == SS_CLOSING || s->state == SS_COMMITTING ||
		    s->state == SS_STARTTLS || s->ask.run != NULL ||
		    s->milter_waiting ||
		    (s->state == SS_AUTH && s->auth_waiting))
			return;
		if (session_output_full(s)) {
			/* The client is not reading its replies: wait. */
			bufferevent_disable(s->bev, EV_READ);
			return;
		}
		if (s->state == SS_DATA || s->state == SS_BDAT)
			progressed = session_take_content(s, in);
		else
			progressed = session_take_line(s, in);
		if (progressed < 0 || session_over_limit(s))
			return;
		if (!progressed)
			break;
	}
	bufferevent_enable(s->bev, EV_READ);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->state == SS_CLOSING) {
		/* Only the peer's disconnect matters now. */
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	session_resume(s);
}

/* Every reply queued so far has reached the socket. */
static void
session_output_drained(struct session *s)
{
	if (s->state == SS_CLOSING) {
		session_close(s); /* the last reply is out */
		return;
	}
	if (s->state == SS_STARTTLS) {
		session_start_tls(s);
		return;
	}
	if (!(bufferevent_get_enabled(s->bev) & EV_READ) &&
	    s->state != SS_COMMITTING)
		session_resume(s);
}

void
session_flush(struct session *s)
{
	struct evbuffer *out;

	if (s->bev == NULL || !session_writes_itself(s) ||
	    session_write_pending(s))
		return;
	out = bufferevent_get_output(s->bev);
	/* libevent keeps the start of the output frozen but for its own
	 * writes: thaw it as it does. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, s->fd) > 0)
		continue;
	evbuffer_freeze(out, 1);
	if (evbuffer_get_length(out) > 0) {
		/* A slow peer (or one gone): libevent writes the rest under
		 * the write timeout, or reports the error. */
		bufferevent_enable(s->bev, EV_WRITE);
		return;
	}
	session_output_drained(s);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (session_writes_itself(s))
		bufferevent_disable(bev, EV_WRITE); /* caught up: ours again */
	session_output_drained(s);
}

/* Why a TLS connection failed, in OpenSSL's words. */
static void
session_log_tls_error(struct session *s, struct bufferevent *bev)
{
	char serial[24], reason[256];

	tls_bev_error(bev, reason, sizeof(reason),
	              "connection closed during handshake");
	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_WARN, "tls-error", "session", serial, "client",
	          s->client_ip, "reason", reason, NULL);
	metrics_count(M_TLS_FAILURES);
}

static void
session_tls_established(struct session *s, struct bufferevent *bev)
{
	char serial[24];

	tls_describe(bufferevent_openssl_get_ssl(bev), s->tls_info,
	             sizeof(s->tls_info));
	metrics_count(M_TLS_HANDSHAKES);
	evtimer_del(s->deadline);
	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_INFO, "tls", "session", serial, "client",
	          s->client_ip, "tls", s->tls_info, NULL);
}

void
session_drop_bev(struct session *s)
{
	if (s->bev == NULL)
		return;
	bufferevent_free(s->bev);
	if (!s->bev_owns_fd)
		evutil_closesocket(s->fd);
	s->bev = NULL;
	s->fd = -1;
}

/* libevent turned off the direction that timed out. */
static void
session_timed_out(struct session *s, struct bufferevent *bev, short what)
{
	if (s->state == SS_COMMITTING) {
		/* The wait is ferry's own: the reply still has to go out. */
		bufferevent_enable(
		        bev, (what & BEV_EVENT_READING ? EV_READ : 0) |
		                     (what & BEV_EVENT_WRITING ? EV_WRITE : 0));
		return;
	}
	if (s->state == SS_CLOSING)
		return;
	session_reply(s, R_TIMEOUT, smtp_server_hostname(s->srv));
	session_reset_transaction(s);
	session_close(s);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		session_timed_out(s, bev, what);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		session_tls_established(s, bev);
		return;
	}
	if (s->tls && s->tls_info[0] == '\0')
		session_log_tls_error(s, bev);
	/* EOF or error: the client is gone, and so is any reply not sent. */
	s->close_unsent = session_output_length(s);
	session_drop_bev(s);
	if (s->state == SS_COMMITTING) {
		s->freed_while_committing = true;
		return;
	}
	session_close(s);
}

static void
session_free(struct session *s)
{
	char serial[24], msgs[16], errs[16], unsent[24];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	snprintf(msgs, sizeof(msgs), "%u", s->messages);
	snprintf(errs, sizeof(errs), "%u", s->errors);
	snprintf(unsent, sizeof(unsent), "%zu", s->close_unsent);
	log_event(LOG_LVL_INFO, "disconnect", "session", serial, "client",
	          s->client_ip, "messages", msgs, "errors", errs, "unsent",
	          s->close_unsent ? unsent : NULL, NULL);
	session_reset_transaction(s);
	session_auth_cleanup(s);
	session_policy_cancel(s);
	session_milter_close(s);
	session_drop_bev(s);
	event_free(s->close_timer);
	event_free(s->deadline);
	smtp_server_session_gone(s->srv, s);
	config_release(s->cfg);
	free(s);
}

void
session_shutdown(struct session *s)
{
	if (s->state == SS_CLOSING)
		return;
	if (s->state == SS_COMMITTING) {
		s->shutdown_pending = true;
		return;
	}
	session_reset_transaction(s);
	session_reply(s, R_SHUTDOWN, smtp_server_hostname(s->srv));
	session_close(s);
}

void
session_refuse(struct session *s)
{
	session_reply(s, R_TOO_MANY_CONNS, smtp_server_hostname(s->srv));
	session_close(s);
}
