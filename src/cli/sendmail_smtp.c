/*
 * sendmail_smtp.c — `sendmail -bs`: the SMTP dialogue some programs hold
 * with a local sendmail over standard input and output.  The replies are
 * the server's (the registry); the message goes into the maildrop like any
 * other local submission.  Lines may end in LF alone: this is a pipe from
 * a local program, not the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/str.h"
#include "cli/sendmail_int.h"
#include "config/config.h"
#include "reply/reply.h"
#include "smtp/addr.h"
#include "smtp/command.h"

struct bs {
	const struct config *cfg;
	const struct sendmail_opts *opts;
	FILE *in, *out;
	bool greeted, have_mail;
	char sender[ADDR_PATH_MAX + 4];
	char **rcpts;
	int nrcpts;
};

static void
say(struct bs *b, enum reply_id id, const char *arg)
{
	char line[REPLY_LINE_MAX];

	reply_format(line, sizeof(line), id, arg);
	fprintf(b->out, "%s\r\n", line);
	fflush(b->out);
}

static void
reset(struct bs *b)
{
	int i;

	for (i = 0; i < b->nrcpts; i++)
		free(b->rcpts[i]);
	free(b->rcpts);
	b->rcpts = NULL;
	b->nrcpts = 0;
	b->have_mail = false;
}

/* One line without its line end into buf; false at end of input. */
static bool
read_line(struct bs *b, char *buf, size_t cap, size_t *len)
{
	if (fgets(buf, (int)cap, b->in) == NULL)
		return false;
	*len = strcspn(buf, "\r\n");
	buf[*len] = '\0';
	return true;
}

static void
on_path(struct bs *b, const struct smtp_command *c, bool is_mail)
{
	struct path_command pc;
	char addr[ADDR_PATH_MAX + 4], **r;

	if (!b->greeted) {
		say(b, R_SEQ_HELO_FIRST, NULL);
		return;
	}
	if (is_mail == b->have_mail) {
		say(b, is_mail ? R_SEQ_NESTED_MAIL : R_SEQ_MAIL_FIRST, NULL);
		return;
	}
	if (command_parse_path(c->args, c->argslen, is_mail, &pc) != CMD_OK) {
		say(b, is_mail ? R_MAIL_ADDR_SYNTAX : R_RCPT_ADDR_SYNTAX, NULL);
		return;
	}
	addr_format(&pc.addr, addr, sizeof(addr));
	if (is_mail) {
		snprintf(b->sender, sizeof(b->sender), "%s", addr);
		b->have_mail = true;
		say(b, R_MAIL_OK, NULL);
		return;
	}
	r = realloc(b->rcpts, (size_t)(b->nrcpts + 1) * sizeof(*r));
	if (r == NULL || (r[b->nrcpts] = str_dup(addr)) == NULL) {
		b->rcpts = r ? r : b->rcpts;
		say(b, R_LOCAL_ERROR, NULL);
		return;
	}
	b->rcpts = r;
	b->nrcpts++;
	say(b, R_RCPT_OK, NULL);
}

/* The message up to a lone ".", dot-stuffing undone, CRLF line ends. */
static int
read_message(struct bs *b, char **msg, size_t *mlen)
{
	char line[4096];
	size_t len, cap = 0;
	bool too_big = false;

	*msg = NULL;
	*mlen = 0;
	while (read_line(b, line, sizeof(line), &len)) {
		const char *p = line;

		if (strcmp(line, ".") == 0)
			return too_big ? EX_DATAERR : 0;
		if (line[0] == '.')
			p++, len--;
		if (*mlen + len + 2 > b->cfg->max_message_size) {
			too_big = true;
			continue;
		}
		if (*msg == NULL || *mlen + len + 3 > cap) {
			cap = (*mlen + len + 3) * 2;
			char *m = realloc(*msg, cap);
			if (m == NULL)
				return EX_OSERR;
			*msg = m;
		}
		memcpy(*msg + *mlen, p, len);
		memcpy(*msg + *mlen + len, "\r\n", 2);
		*mlen += len + 2;
	}
	return EX_NOINPUT; /* input ended inside DATA */
}

static void
on_data(struct bs *b)
{
	struct sendmail_opts o = *b->opts;
	char *msg;
	size_t mlen;
	int rc;

	if (!b->have_mail || b->nrcpts == 0) {
		say(b, b->have_mail ? R_SEQ_RCPT_FIRST : R_SEQ_MAIL_FIRST,
		    NULL);
		return;
	}
	say(b, R_DATA_GO, NULL);
	rc = read_message(b, &msg, &mlen);
	if (rc == 0) {
		o.sender = b->sender;
		o.rcpts = b->rcpts;
		o.nrcpts = b->nrcpts;
		o.from_headers = false;
		rc = sendmail_submit(b->cfg, &o, msg ? msg : "", mlen);
	}
	free(msg);
	if (rc == EX_DATAERR)
		say(b, R_MSG_TOO_BIG, NULL);
	else if (rc != 0)
		say(b, R_LOCAL_ERROR, NULL);
	else
		say(b, R_QUEUED_LOCAL, NULL);
	reset(b);
}

static bool
dispatch(struct bs *b, const char *line, size_t len)
{
	struct smtp_command c;

	command_split(line, len, &c);
	switch (c.verb) {
	case VERB_HELO:
	case VERB_EHLO:
		b->greeted = true;
		reset(b);
		say(b, R_HELO_OK, b->cfg->hostname);
		break;
	case VERB_MAIL:
	case VERB_RCPT:
		on_path(b, &c, c.verb == VERB_MAIL);
		break;
	case VERB_DATA:
		on_data(b);
		break;
	case VERB_RSET:
		reset(b);
		say(b, R_OK, NULL);
		break;
	case VERB_NOOP:
		say(b, R_OK, NULL);
		break;
	case VERB_QUIT:
		say(b, R_CLOSING, NULL);
		return false;
	default:
		say(b, R_CMD_UNKNOWN, NULL);
		break;
	}
	return true;
}

int
sendmail_smtp(const struct config *cfg, const struct sendmail_opts *o, FILE *in,
              FILE *out)
{
	struct bs b = {.cfg = cfg, .opts = o, .in = in, .out = out};
	char line[COMMAND_LINE_MAX_EXTENDED + 2];
	size_t len;

	say(&b, R_GREETING, cfg->hostname);
	while (read_line(&b, line, sizeof(line), &len))
		if (!dispatch(&b, line, len))
			break;
	reset(&b);
	return 0;
}
