/*
 * cmd_rcpt.c — RCPT TO: recipient syntax, DSN parameters, the per
 * transaction limit, and the local-recipient verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "config/config.h"
#include "policy/recipient.h"
#include "smtp/session_int.h"

static void
log_rcpt(struct session *s, const char *to)
{
	char serial[24];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_INFO, "rcpt", "session", serial, "client",
	          s->client_ip, "to", to, NULL);
}

/* Add the expanded targets, skipping mailboxes already in the envelope. */
static void
add_targets(struct session *s, const struct recipient_result *res,
            const char *original, const struct rcpt_options *o)
{
	size_t i, j;

	for (i = 0; i < res->ntargets; i++) {
		bool dup = false;

		for (j = 0; j < s->tx.env.nrcpts && !dup; j++)
			dup = strcmp(s->tx.env.rcpts[j].address,
			             res->targets[i]) == 0;
		if (!dup)
			envelope_add_rcpt(&s->tx.env, res->targets[i], original,
			                  o->orcpt[0] ? o->orcpt : NULL,
			                  o->notify);
	}
}

static bool
rcpt_syntax_ok(struct session *s, const struct smtp_command *cmd,
               struct path_command *pc, struct rcpt_options *o)
{
	const struct esmtp_param *bad = NULL;
	enum command_status st;
	enum param_status pst;

	st = command_parse_path(cmd->args, cmd->argslen, false, pc);
	if (st == CMD_SYNTAX || st == CMD_PARAM_SYNTAX) {
		session_reply(s, R_RCPT_SYNTAX);
		return false;
	}
	if (st != CMD_OK) {
		session_reply(s, R_RCPT_ADDR_SYNTAX);
		return false;
	}
	if (!s->esmtp && pc->nparams > 0) {
		session_reply_param_error(s, PARAM_UNKNOWN, &pc->params[0]);
		return false;
	}
	pst = params_rcpt(pc, o, &bad);
	if (pst != PARAM_OK) {
		session_reply_param_error(s, pst, bad);
		return false;
	}
	if (pc->addr.is_utf8 && !s->tx.mail.smtputf8) {
		session_reply(s, R_NEED_SMTPUTF8);
		return false;
	}
	return true;
}

/* An authenticated client's recipient elsewhere: deliver to it as is. */
static void
relay_target(struct recipient_result *res, const char *to)
{
	recipient_result_free(res);
	res->verdict = RCPT_LOCAL;
	res->targets = calloc(1, sizeof(*res->targets));
	if (res->targets == NULL || (res->targets[0] = strdup(to)) == NULL) {
		res->verdict = RCPT_FOREIGN;
		return;
	}
	res->ntargets = 1;
}

/* Map the policy verdict to a reply; true if the recipient is accepted. */
static bool
rcpt_verdict(struct session *s, const struct recipient_result *res,
             const char *to)
{
	switch (res->verdict) {
	case RCPT_LOCAL:
		return true;
	case RCPT_UNKNOWN:
		session_reply(s, R_RCPT_USER_UNKNOWN, to);
		return false;
	case RCPT_DISABLED:
		session_reply(s, R_RCPT_DISABLED, to);
		return false;
	case RCPT_ROUTING:
		session_reply(s, R_RCPT_ROUTE_DENIED, to);
		return false;
	case RCPT_FOREIGN:
	default:
		session_reply(s, R_RCPT_RELAY_DENIED, to);
		return false;
	}
}

void
cmd_rcpt(struct session *s, const struct smtp_command *cmd)
{
	struct recipient_result res = {0};
	struct path_command pc;
	struct rcpt_options o;
	char to[ADDR_PATH_MAX + 4];

	if (!session_require_greeting(s))
		return;
	if (s->state != SS_MAIL) {
		session_reply(s, R_SEQ_MAIL_FIRST);
		return;
	}
	if (!rcpt_syntax_ok(s, cmd, &pc, &o))
		return;
	s->tx.rcpt_attempted++;
	/* RFC 5321 s4.5.3.1.10: 452 for recipients over the limit; the
	 * client sends them in a later transaction. */
	if (s->tx.rcpt_accepted >= (unsigned)s->cfg->max_recipients) {
		session_reply(s, R_RCPT_TOO_MANY);
		return;
	}
	addr_format(&pc.addr, to, sizeof(to));
	recipient_resolve(s->cfg, pc.addr.local,
	                  pc.addr.is_literal ? "[literal]" : pc.addr.domain,
	                  &res);
	/* Authenticated clients may relay (RFC 6409 s8.1). */
	if (res.verdict == RCPT_FOREIGN && s->auth_user)
		relay_target(&res, to);
	if (rcpt_verdict(s, &res, to)) {
		add_targets(s, &res, to, &o);
		s->tx.rcpt_accepted++;
		log_rcpt(s, to);
		session_reply(s, R_RCPT_OK);
	}
	recipient_result_free(&res);
}
