/*
 * command.c — SMTP command line grammar (RFC 5321 s4.1.1, s4.1.2).
 */
#include "smtp/command.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
        {"HELO", VERB_HELO},
        {"EHLO", VERB_EHLO},
        {"MAIL", VERB_MAIL},
        {"RCPT", VERB_RCPT},
        {"DATA", VERB_DATA},
        {"BDAT", VERB_BDAT},
        {"RSET", VERB_RSET},
        {"NOOP", VERB_NOOP},
        {"QUIT", VERB_QUIT},
        {"VRFY", VERB_VRFY},
        {"EXPN", VERB_EXPN},
        {"HELP", VERB_HELP},
        {"STARTTLS", VERB_STARTTLS},
        {"AUTH", VERB_AUTH},
        {"TURN", VERB_NOT_IMPLEMENTED},
        {"ETRN", VERB_NOT_IMPLEMENTED},
        {"ATRN", VERB_NOT_IMPLEMENTED},
        {"SEND", VERB_NOT_IMPLEMENTED},
        {"SOML", VERB_NOT_IMPLEMENTED},
        {"SAML", VERB_NOT_IMPLEMENTED},
};

void
command_split(const char *line, size_t len, struct smtp_command *cmd)
{
	size_t vlen = 0, i;

	while (vlen < len && line[vlen] != ' ')
		vlen++;
	cmd->verb = VERB_UNKNOWN;
	cmd->args = line + vlen;
	cmd->argslen = 0;
	if (vlen < len) {
		cmd->args = line + vlen + 1;
		cmd->argslen = len - vlen - 1;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(line, verbs[i].name, vlen) == 0) {
			cmd->verb = verbs[i].verb;
			break;
		}
	}
}

bool
esmtp_param_is(const struct esmtp_param *p, const char *kw)
{
	return strlen(kw) == p->keywordlen &&
	       strncasecmp(p->keyword, kw, p->keywordlen) == 0;
}

static bool
is_keychar(unsigned char ch, bool first)
{
	bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	             (ch >= '0' && ch <= '9');

	return alnum || (!first && ch == '-');
}

/* esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 s3.3). */
static bool
is_valuechar(unsigned char ch)
{
	return (ch >= 33 && ch <= 126 && ch != '=') || ch >= 0x80;
}

/* One esmtp-param starting at s[*pos]; advances *pos past it. */
static bool
parse_one_param(const char *s, size_t len, size_t *pos, struct esmtp_param *p)
{
	size_t i = *pos;

	p->keyword = s + i;
	while (i < len && is_keychar((unsigned char)s[i], i == *pos))
		i++;
	p->keywordlen = (size_t)(s + i - p->keyword);
	if (p->keywordlen == 0)
		return false;
	p->value = NULL;
	p->valuelen = 0;
	if (i < len && s[i] == '=') {
		p->value = s + ++i;
		while (i < len && is_valuechar((unsigned char)s[i]))
			i++;
		p->valuelen = (size_t)(s + i - p->value);
		if (p->valuelen == 0)
			return false;
	}
	if (i < len && s[i] != ' ')
		return false;
	*pos = i;
	return true;
}

static enum command_status
parse_params(const char *s, size_t len, struct path_command *out)
{
	size_t pos = 0;

	out->nparams = 0;
	while (pos < len) {
		if (s[pos] == ' ') {
			pos++;
			continue;
		}
		if (out->nparams == ESMTP_PARAMS_MAX ||
		    !parse_one_param(s, len, &pos, &out->params[out->nparams]))
			return CMD_PARAM_SYNTAX;
		out->nparams++;
	}
	return CMD_OK;
}

enum command_status
command_parse_path(const char *args, size_t len, bool is_mail,
                   struct path_command *out)
{
	const char *prefix = is_mail ? "FROM:" : "TO:";
	size_t plen = strlen(prefix), pos, used;
	enum addr_status st;

	if (len < plen || strncasecmp(args, prefix, plen) != 0)
		return CMD_SYNTAX;
	pos = plen;
	/* Not in the grammar, but sent by many clients: "MAIL FROM: <a@b>". */
	while (pos < len && args[pos] == ' ')
		pos++;
	if (pos == len)
		return CMD_SYNTAX;
	if (args[pos] != '<')
		return CMD_ADDR_SYNTAX;
	st = addr_parse_path(args + pos, len - pos, is_mail, !is_mail,
	                     &out->addr, &used);
	if (st == ADDR_TOO_LONG)
		return CMD_ADDR_TOO_LONG;
	if (st != ADDR_OK)
		return CMD_ADDR_SYNTAX;
	pos += used;
	if (pos < len && args[pos] != ' ')
		return CMD_ADDR_SYNTAX;
	return parse_params(args + pos, len - pos, out);
}

enum command_status
command_parse_bdat(const char *args, size_t len, size_t *size_r, bool *last_r)
{
	size_t i = 0, size = 0;

	if (len == 0 || args[0] < '0' || args[0] > '9')
		return CMD_SYNTAX;
	for (; i < len && args[i] >= '0' && args[i] <= '9'; i++) {
		if (size > (SIZE_MAX - 9) / 10)
			return CMD_SYNTAX;
		size = size * 10 + (size_t)(args[i] - '0');
	}
	*size_r = size;
	*last_r = false;
	if (i == len)
		return CMD_OK;
	if (args[i] != ' ')
		return CMD_SYNTAX;
	while (i < len && args[i] == ' ')
		i++;
	if (len - i == 4 && strncasecmp(args + i, "LAST", 4) == 0) {
		*last_r = true;
		return CMD_OK;
	}
	return CMD_SYNTAX;
}
