/*
 * session_policy.c — the session's side of the policy: what it knows at
 * each stage goes into policy_facts, and the verdict comes back to the
 * command that asked.  A verdict that comes later (a shared state
 * backend) holds the session's input until it arrives.
 */
#include <string.h>

#include "smtp/session.h"
#include "smtp/session_int.h"

static void
verdict_cb(void *arg, const struct policy_verdict *v)
{
	struct session *s = arg;
	bool was_waiting = s->ask.run != NULL;

	s->ask.run = NULL;
	if (s->state == SS_CLOSING) { /* 421 sent while it waited */
		recipient_result_free(&s->ask.res);
		return;
	}
	if (!v->refused && session_milter_stage(s, s->ask.stage))
		return; /* the milters have their say, then s->ask.then */
	s->ask.then(s, v);
	if (was_waiting && s->state != SS_CLOSING)
		session_resume(s);
}

void
session_ask_policy(struct session *s, enum policy_stage stage,
                   session_then_fn then)
{
	struct policy_facts *f = &s->ask.facts;

	f->client_ip = s->client_ip;
	f->role = s->role;
	f->helo = s->ask.helo[0] ? s->ask.helo : NULL;
	f->auth_user = s->auth_user;
	f->sender = stage == POLICY_MAIL ? s->ask.from : s->tx.env.sender;
	f->rcpt = s->ask.to;
	f->rcpt_local = s->ask.rcpt.local;
	f->rcpt_domain =
	        s->ask.rcpt.is_literal ? "[literal]" : s->ask.rcpt.domain;
	f->rcpt_result = &s->ask.res;
	f->rcpt_accepted = s->tx.rcpt_accepted;
	f->mail_size = s->tx.mail.has_size ? s->tx.mail.size : 0;
	f->dry_run = false;
	f->cfg = s->cfg;
	if (stage == POLICY_MAIL && s->tx.auth == NULL &&
	    policy_auth_wanted(s->cfg, s->role, s->auth_user))
		s->tx.auth = policy_auth_new();
	f->auth = s->tx.auth;
	f->msg = NULL;
	s->ask.then = then;
	s->ask.stage = stage;
	s->ask.run = NULL;
	s->ask.run = policy_check(smtp_server_policy(s->srv), stage, f,
	                          verdict_cb, s);
}

bool
session_refused(struct session *s, const struct policy_verdict *v)
{
	if (!v->refused)
		return false;
	session_reply(s, (enum reply_id)v->reply, v->args[0], v->args[1]);
	if (v->close) {
		session_reset_transaction(s);
		session_close(s);
	}
	return true;
}

void
session_policy_cancel(struct session *s)
{
	policy_cancel(s->ask.run);
	s->ask.run = NULL;
	recipient_result_free(&s->ask.res);
}

static void
connect_decided(struct session *s, const struct policy_verdict *v)
{
	if (v->refused) {
		/* Nothing more to say to a refused client (RFC 5321 s3.1). */
		session_reply(s, (enum reply_id)v->reply, v->args[0],
		              v->args[1]);
		session_close(s);
		return;
	}
	session_greet(s);
}

void
session_admit(struct session *s)
{
	s->ask.facts.client_connections =
	        smtp_server_client_count(s->srv, s->client_ip);
	session_ask_policy(s, POLICY_CONNECT, connect_decided);
}
