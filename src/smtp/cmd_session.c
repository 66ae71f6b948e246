/*
 * cmd_session.c — commands that manage the session rather than a message:
 * HELO, EHLO, RSET, NOOP, QUIT, VRFY, EXPN, HELP.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "config/config.h"
#include "base/log.h"
#include "smtp/addr.h"
#include "smtp/session_int.h"

static bool
is_helo_char(unsigned char ch)
{
	/* Letters, digits, '-', '.', and '_' which many real hosts use. */
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

/* EHLO/HELO argument: Domain or address-literal (RFC 5321 s4.1.1.1). */
static bool
helo_arg_valid(const char *a, size_t len)
{
	size_t i;

	if (len == 0 || len > 255)
		return false;
	if (a[0] == '[')
		return len >= 3 && a[len - 1] == ']' &&
		       addr_literal_valid(a + 1, len - 2);
	if (a[0] == '.' || a[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!is_helo_char((unsigned char)a[i]) ||
		    (a[i] == '.' && i + 1 < len && a[i + 1] == '.'))
			return false;
	return true;
}

static void
log_helo(struct session *s)
{
	char serial[24];

	snprintf(serial, sizeof(serial), "%lu", s->serial);
	log_event(LOG_LVL_INFO, "helo", "session", serial, "client",
	          s->client_ip, "helo", s->helo, "esmtp",
	          s->esmtp ? "yes" : "no", NULL);
}

static void
ehlo_reply(struct session *s)
{
	char size[32], limits[48], auth[128];
	const char *lines[14];
	size_t n = 0;

	snprintf(size, sizeof(size), "SIZE %zu", s->cfg->max_message_size);
	snprintf(limits, sizeof(limits), "LIMITS RCPTMAX=%d",
	         policy_rcpt_max(s->cfg, s->role, s->auth_user));
	if (session_offers_starttls(s))
		lines[n++] = "STARTTLS";
	if (session_offers_auth(s)) {
		snprintf(auth, sizeof(auth), "AUTH %s",
		         auth_service_mechanisms(smtp_server_auth(s->srv)));
		lines[n++] = auth;
	}
	lines[n++] = "PIPELINING";
	lines[n++] = size;
	lines[n++] = "8BITMIME";
	lines[n++] = "SMTPUTF8";
	lines[n++] = "ENHANCEDSTATUSCODES";
	lines[n++] = "CHUNKING";
	lines[n++] = "DSN";
	if (s->tls) /* RFC 8689 s4: only inside TLS */
		lines[n++] = "REQUIRETLS";
	lines[n++] = limits;
	lines[n++] = "HELP";
	session_reply_lines(s, R_HELO_OK, lines, n,
	                    smtp_server_hostname(s->srv));
}

static void
helo_decided(struct session *s, const struct policy_verdict *v)
{
	if (session_refused(s, v)) {
		/* The name refused is not the one the session goes by. */
		memcpy(s->ask.helo, s->helo, sizeof(s->ask.helo));
		return;
	}
	/* EHLO/HELO in the middle of a transaction resets it (s4.1.4). */
	session_reset_transaction(s);
	memcpy(s->helo, s->ask.helo, sizeof(s->helo));
	s->esmtp = s->ask.esmtp;
	s->state = SS_READY;
	log_helo(s);
	if (s->esmtp)
		ehlo_reply(s);
	else
		session_reply(s, R_HELO_OK, smtp_server_hostname(s->srv));
}

static void
ask_helo(struct session *s, const struct smtp_command *cmd, bool esmtp)
{
	if (!helo_arg_valid(cmd->args, cmd->argslen)) {
		session_reply(s, R_HELO_SYNTAX);
		return;
	}
	memcpy(s->ask.helo, cmd->args, cmd->argslen);
	s->ask.helo[cmd->argslen] = '\0';
	s->ask.esmtp = esmtp;
	session_ask_policy(s, POLICY_HELO, helo_decided);
}

void
cmd_helo(struct session *s, const struct smtp_command *cmd)
{
	ask_helo(s, cmd, false);
}

void
cmd_ehlo(struct session *s, const struct smtp_command *cmd)
{
	ask_helo(s, cmd, true);
}

static bool
no_args(struct session *s, const struct smtp_command *cmd)
{
	if (cmd->argslen == 0)
		return true;
	session_reply(s, R_SYNTAX_NO_ARGS);
	return false;
}

void
cmd_rset(struct session *s, const struct smtp_command *cmd)
{
	if (!no_args(s, cmd))
		return;
	session_reset_transaction(s);
	if (s->state != SS_CONNECTED)
		s->state = SS_READY;
	session_reply(s, R_OK);
}

void
cmd_noop(struct session *s, const struct smtp_command *cmd)
{
	/* RFC 5321 s4.1.1.9: NOOP may carry a string, which is ignored. */
	session_reply(s, R_OK);
}

void
cmd_quit(struct session *s, const struct smtp_command *cmd)
{
	if (!no_args(s, cmd))
		return;
	session_reset_transaction(s);
	session_reply(s, R_CLOSING);
	session_close(s);
}

void
cmd_vrfy(struct session *s, const struct smtp_command *cmd)
{
	/* Never confirm or deny a mailbox: no user enumeration. */
	if (cmd->argslen == 0) {
		session_reply(s, R_VRFY_SYNTAX);
		return;
	}
	session_reply(s, R_VRFY);
}

void
cmd_expn(struct session *s, const struct smtp_command *cmd)
{
	session_reply(s, R_EXPN_DISABLED);
}

void
cmd_help(struct session *s, const struct smtp_command *cmd)
{
	session_reply(s, R_HELP);
}
