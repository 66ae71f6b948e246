/*
 * cmd_auth.c — AUTH (RFC 4954) and the submission rules that depend on it
 * (RFC 6409): the SMTP side of the exchange, failure delays and limits.
 * The SASL work itself is the auth module's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/str.h"
#include "auth/auth.h"
#include "smtp/session_int.h"

/* [auth] smtp: AUTH on the port-25 listeners, where an MX with
 * submission ports has no use for it. */
static bool
auth_on_this_listener(const struct session *s)
{
	return s->role != LISTENER_SMTP || s->cfg->auth_smtp;
}

bool
session_offers_auth(const struct session *s)
{
	struct auth_service *svc = smtp_server_auth(s->srv);

	if (svc == NULL || auth_service_mechanisms(svc)[0] == '\0' ||
	    !auth_on_this_listener(s))
		return false;
	return s->tls || !s->cfg->auth_require_tls;
}

bool
session_needs_auth(const struct session *s)
{
	return s->role != LISTENER_SMTP && s->auth_user == NULL;
}

void
session_auth_cleanup(struct session *s)
{
	if (s->auth_req)
		auth_request_free(s->auth_req);
	s->auth_req = NULL;
	if (s->auth_delay)
		event_free(s->auth_delay);
	s->auth_delay = NULL;
	free(s->auth_user);
	s->auth_user = NULL;
}

void
session_auth_cancel(struct session *s)
{
	if (s->auth_req)
		auth_request_free(s->auth_req);
	s->auth_req = NULL;
	if (s->auth_delay)
		evtimer_del(s->auth_delay);
	s->auth_waiting = false;
}

/* The exchange is over (either way): back to commands. */
static void
auth_finish(struct session *s)
{
	if (s->auth_req)
		auth_request_free(s->auth_req);
	s->auth_req = NULL;
	s->auth_waiting = false;
	s->state = SS_READY;
}

static void
auth_fail_reply(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	session_reply(s, R_AUTH_FAILED);
	s->auth_waiting = false;
	s->state = SS_READY;
	session_resume(s);
}

/* Bad credentials: each failure is answered more slowly; past the limit
 * the connection ends (password guessing costs time and connections). */
static void
auth_failed(struct session *s)
{
	struct timeval tv = {0, 0};

	auth_finish(s);
	if (++s->auth_failures >= (unsigned)s->cfg->auth_max_failures) {
		session_reply(s, R_AUTH_TOO_MANY_FAILURES,
		              smtp_server_hostname(s->srv));
		session_close(s);
		return;
	}
	tv.tv_sec = s->auth_failures < 8 ? s->auth_failures : 8;
	if (s->auth_delay == NULL)
		s->auth_delay = evtimer_new(smtp_server_base(s->srv),
		                            auth_fail_reply, s);
	s->state = SS_AUTH;
	s->auth_waiting = true; /* hold further input until the reply */
	evtimer_add(s->auth_delay, &tv);
}

static void
auth_result(void *arg, enum auth_status st, const char *data)
{
	struct session *s = arg;
	static const enum reply_id errors[] = {
	        [AUTH_TEMPFAIL] = R_AUTH_TEMPFAIL,
	        [AUTH_BAD_BASE64] = R_AUTH_BAD_BASE64,
	        [AUTH_CANCELLED] = R_AUTH_CANCELLED,
	        [AUTH_UNKNOWN_MECH] = R_AUTH_UNKNOWN_MECH,
	        [AUTH_MALFORMED] = R_AUTH_MALFORMED,
	};

	if (st == AUTH_CONTINUE) {
		session_reply(s, R_AUTH_CHALLENGE, data);
		s->auth_waiting = false;
	} else if (st == AUTH_OK) {
		auth_finish(s);
		s->auth_user = str_dup(data);
		session_reply(s, R_AUTH_OK);
	} else if (st == AUTH_FAIL) {
		auth_failed(s);
		return;
	} else {
		auth_finish(s);
		session_reply(s, errors[st]);
	}
	session_resume(s);
}

/* Refusals that need no exchange; true if one was sent. */
static bool
auth_refused(struct session *s)
{
	if (smtp_server_auth(s->srv) == NULL || !auth_on_this_listener(s))
		session_reply(s, R_CMD_NOT_IMPLEMENTED);
	else if (s->state == SS_CONNECTED)
		session_reply(s, R_SEQ_HELO_FIRST);
	else if (s->auth_user)
		session_reply(s, R_AUTH_ALREADY);
	else if (s->state != SS_READY)
		session_reply(s, R_AUTH_IN_TRANSACTION);
	else if (session_tls_missing(s))
		session_reply(s, R_TLS_REQUIRED);
	else if (!s->tls && s->cfg->auth_require_tls)
		session_reply(s, R_AUTH_NEED_ENCRYPTION);
	else
		return false;
	return true;
}

void
cmd_auth(struct session *s, const struct smtp_command *cmd)
{
	char mech[32], initial[AUTH_LINE_MAX + 1];
	const char *sp = memchr(cmd->args, ' ', cmd->argslen);
	size_t mlen = sp ? (size_t)(sp - cmd->args) : cmd->argslen;

	if (auth_refused(s))
		return;
	if (mlen == 0 || mlen >= sizeof(mech) ||
	    (sp && cmd->argslen - mlen - 1 > AUTH_LINE_MAX)) {
		session_reply(s, R_AUTH_SYNTAX);
		return;
	}
	memcpy(mech, cmd->args, mlen);
	mech[mlen] = '\0';
	if (sp) {
		memcpy(initial, sp + 1, cmd->argslen - mlen - 1);
		initial[cmd->argslen - mlen - 1] = '\0';
	}
	snprintf(s->auth_mech, sizeof(s->auth_mech), "%s", mech);
	s->state = SS_AUTH;
	s->auth_waiting = true;
	s->auth_req = auth_request_start(smtp_server_auth(s->srv), mech,
	                                 sp ? initial : NULL, s->client_ip,
	                                 s->tls, auth_result, s);
	if (s->auth_req == NULL) { /* out of memory: try again later */
		auth_finish(s);
		session_reply(s, R_AUTH_TEMPFAIL);
		return;
	}
	auth_request_set_session(s->auth_req, s->serial);
}

/* A line of the exchange (the client's answer to a 334). */
void
auth_line(struct session *s, const char *line, size_t len)
{
	if (len > AUTH_LINE_MAX) {
		auth_finish(s);
		session_reply(s, R_AUTH_LINE_TOO_LONG);
		return;
	}
	s->auth_waiting = true;
	auth_request_continue(s->auth_req, line);
}
