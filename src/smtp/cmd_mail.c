/*
 * cmd_mail.c — MAIL FROM: sender, ESMTP parameters, size and space checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "base/log.h"
#include "config/config.h"
#include "policy/sender.h"
#include "queue/spool.h"
#include "smtp/session_int.h"

void
session_reply_param_error(struct session *s, enum param_status st,
                          const struct esmtp_param *bad)
{
	char kw[64];
	size_t n = bad->keywordlen < sizeof(kw) - 1 ? bad->keywordlen
	                                            : sizeof(kw) - 1;

	memcpy(kw, bad->keyword, n);
	kw[n] = '\0';
	session_reply(s, st == PARAM_UNKNOWN ? R_PARAM_UNKNOWN : R_PARAM_SYNTAX,
	              kw);
}

/* RFC 4954 s5: AUTH= exists only where AUTH is advertised. */
static bool
auth_param_allowed(struct session *s, const struct path_command *pc)
{
	size_t i;

	if (!s->tx.mail.has_auth || session_offers_auth(s))
		return true;
	for (i = 0; i < pc->nparams; i++)
		if (esmtp_param_is(&pc->params[i], "AUTH"))
			session_reply_param_error(s, PARAM_UNKNOWN,
			                          &pc->params[i]);
	return false;
}

/* RFC 4954 s5: the identity is believed only from a client that logged
 * in, and only for an address that login may send as (the same rule as
 * for MAIL FROM); anything else is kept, and passed on, as <>. */
static const char *
trusted_auth_identity(const struct session *s)
{
	const char *a = s->tx.mail.auth;

	if (s->auth_user == NULL || a[0] == '\0' ||
	    !sender_owned(s->cfg, s->auth_user, a))
		return "";
	return a;
}

/* REQUIRETLS is offered only inside TLS (RFC 8689 s4): without it, the
 * parameter is one the server did not announce. */
static bool
requiretls_refused(struct session *s, const struct path_command *pc)
{
	size_t i;

	for (i = 0; i < pc->nparams; i++)
		if (esmtp_param_is(&pc->params[i], "REQUIRETLS"))
			break;
	session_reply_param_error(s, PARAM_UNKNOWN,
	                          &pc->params[i < pc->nparams ? i : 0]);
	return false;
}

static bool
mail_options_ok(struct session *s, const struct path_command *pc)
{
	const struct esmtp_param *bad = NULL;
	enum param_status st;

	/* Parameters exist only in ESMTP (RFC 5321 s4.1.1.2). */
	if (!s->esmtp && pc->nparams > 0) {
		session_reply_param_error(s, PARAM_UNKNOWN, &pc->params[0]);
		return false;
	}
	st = params_mail(pc, &s->tx.mail, &bad);
	if (st != PARAM_OK) {
		session_reply_param_error(s, st, bad);
		return false;
	}
	if (!auth_param_allowed(s, pc))
		return false;
	if (s->tx.mail.requiretls && !s->tls)
		return requiretls_refused(s, pc);
	if (pc->addr.is_utf8 && !s->tx.mail.smtputf8) {
		session_reply(s, R_NEED_SMTPUTF8);
		return false;
	}
	if (s->tx.mail.has_size && s->tx.mail.size > s->cfg->max_message_size) {
		session_reply(s, R_MAIL_SIZE_EXCEEDED);
		return false;
	}
	return true;
}

/* auth: the AUTH= identity as stored ("<>" when untrusted), or none. */
static void
log_mail(struct session *s, const char *from)
{
	char serial[24], auth[ADDR_PATH_MAX + 8];
	const char *a = s->tx.env.auth;

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	snprintf(auth, sizeof(auth), "<%s>", a ? a : "");
	log_event(LOG_LVL_INFO, "mail", "session", serial, "client",
	          s->client_ip, "from", from, "auth", a ? auth : NULL,
	          "requiretls", s->tx.mail.requiretls ? "yes" : NULL, NULL);
}

static void
mail_decided(struct session *s, const struct policy_verdict *v)
{
	const char *from = s->ask.from;

	if (session_refused(s, v))
		return;
	s->tx.env.sender = str_dup(from);
	s->tx.env.body = s->tx.mail.body;
	s->tx.env.ret = s->tx.mail.ret;
	s->tx.env.smtputf8 = s->tx.mail.smtputf8;
	s->tx.env.requiretls = s->tx.mail.requiretls;
	if (s->tx.mail.envid[0])
		s->tx.env.envid = str_dup(s->tx.mail.envid);
	if (s->tx.mail.has_auth)
		s->tx.env.auth = str_dup(trusted_auth_identity(s));
	s->state = SS_MAIL;
	log_mail(s, from);
	session_reply(s, R_MAIL_OK);
}

void
cmd_mail(struct session *s, const struct smtp_command *cmd)
{
	struct path_command pc;
	enum command_status st;

	if (!session_require_greeting(s))
		return;
	if (s->state != SS_READY) {
		session_reply(s, R_SEQ_NESTED_MAIL);
		return;
	}
	if (session_tls_missing(s)) {
		session_reply(s, R_TLS_REQUIRED);
		return;
	}
	if (session_needs_auth(s)) {
		session_reply(s, R_AUTH_REQUIRED);
		return;
	}
	st = command_parse_path(cmd->args, cmd->argslen, true, &pc);
	if (st == CMD_SYNTAX || st == CMD_PARAM_SYNTAX) {
		session_reply(s, R_MAIL_SYNTAX);
		return;
	}
	if (st != CMD_OK) {
		session_reply(s, R_MAIL_ADDR_SYNTAX);
		return;
	}
	if (!mail_options_ok(s, &pc)) {
		memset(&s->tx.mail, 0, sizeof(s->tx.mail));
		return;
	}
	if (!spool_has_space(s->spool)) {
		session_reply(s, R_DISK_FULL);
		return;
	}
	addr_format(&pc.addr, s->ask.from, sizeof(s->ask.from));
	session_ask_policy(s, POLICY_MAIL, mail_decided);
}
