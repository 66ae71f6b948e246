/*
 * cmd_rcpt.c — RCPT TO: recipient syntax and DSN parameters; the policy
 * decides the rest (the per-transaction limit, what the address means
 * here, access lists, greylisting, rates).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "config/config.h"
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

static void
rcpt_decided(struct session *s, const struct policy_verdict *v)
{
	if (!session_refused(s, v)) {
		add_targets(s, &s->ask.res, s->ask.to, &s->ask.opts);
		s->tx.rcpt_accepted++;
		log_rcpt(s, s->ask.to);
		session_reply(s, R_RCPT_OK);
	}
	recipient_result_free(&s->ask.res);
}

void
cmd_rcpt(struct session *s, const struct smtp_command *cmd)
{
	struct path_command pc;

	if (!session_require_greeting(s))
		return;
	if (s->state != SS_MAIL) {
		session_reply(s, R_SEQ_MAIL_FIRST);
		return;
	}
	if (!rcpt_syntax_ok(s, cmd, &pc, &s->ask.opts))
		return;
	s->tx.rcpt_attempted++;
	addr_format(&pc.addr, s->ask.to, sizeof(s->ask.to));
	s->ask.rcpt = pc.addr;
	session_ask_policy(s, POLICY_RCPT, rcpt_decided);
}
