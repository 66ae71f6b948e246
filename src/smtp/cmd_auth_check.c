/*
 * cmd_auth_check.c — the session's side of sender authentication at the
 * final dot: the held content goes to the policy's DATA stage (DKIM and
 * DMARC, src/policy/rules_auth.c), whose verdict refuses the message or
 * lets it go on, with the Authentication-Results field on top, to the
 * milters or the spool.  The session waits in SS_COMMITTING meanwhile.
 */
#include <stdlib.h>

#include <event2/buffer.h>

#include "base/mem.h"
#include "base/log.h"
#include "smtp/server.h"
#include "smtp/session_int.h"

#define FIELDS_MAX 4096

bool
session_auth_wanted(const struct session *s)
{
	return s->tx.auth != NULL;
}

/* The held content with the fields on top, and without any A-R field
 * that claims ferry's name. */
static void
add_fields(struct session *s)
{
	struct evbuffer *held = s->tx.held, *out = evbuffer_new();
	size_t len = evbuffer_get_length(held), n;
	char *data = (char *)evbuffer_pullup(held, -1);
	char fields[FIELDS_MAX];

	if (out == NULL)
		abort();
	n = policy_auth_fields(s->cfg, &s->ask.facts, data, &len, fields,
	                       sizeof(fields));
	evbuffer_add(out, fields, n);
	evbuffer_add(out, data, len);
	evbuffer_free(held);
	s->tx.held = out;
}

static void
auth_verdict(void *arg, const struct policy_verdict *v)
{
	struct session *s = arg;

	s->tx.auth_run = NULL;
	if (s->freed_while_committing) {
		s->state = SS_CLOSING; /* nothing was promised: drop it */
		session_reset_transaction(s);
		session_close(s);
		return;
	}
	if (v->refused) {
		content_count((enum reply_id)v->reply);
		session_reply(s, (enum reply_id)v->reply, v->args[0],
		              v->args[1]);
		content_done(s);
		return;
	}
	add_fields(s);
	session_milter_check(s); /* commits when there are no milters */
}

void
session_auth_check(struct session *s)
{
	struct policy_facts *f = &s->ask.facts;
	struct envelope *env = &s->tx.env;
	size_t i;

	s->tx.auth_rcpts = xcalloc(env->nrcpts + 1, sizeof(char *));
	for (i = 0; i < env->nrcpts; i++)
		s->tx.auth_rcpts[i] = env->rcpts[i].address;
	f->client_ip = s->client_ip;
	f->role = s->role;
	f->auth_user = s->auth_user;
	f->sender = env->sender;
	f->auth = s->tx.auth;
	f->dry_run = false;
	f->msg = (const char *)evbuffer_pullup(s->tx.held, -1);
	f->msg_len = evbuffer_get_length(s->tx.held);
	f->data_rcpts = s->tx.auth_rcpts;
	f->data_nrcpts = env->nrcpts;
	s->state = SS_COMMITTING;
	session_set_timeout(s, s->cfg->timeout_data_end);
	s->tx.auth_run = policy_check(smtp_server_policy(s->srv), POLICY_DATA,
	                              f, auth_verdict, s);
}
