/*
 * command — splits one SMTP command line into verb and arguments, and parses
 * the arguments of MAIL, RCPT and BDAT.  Pure: no I/O, no allocation; every
 * result points into the caller's line.  Errors are an enum the session maps
 * to a reply from the registry.
 */
#ifndef FERRY_SMTP_COMMAND_H
#define FERRY_SMTP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/addr.h"

/* RFC 5321 s4.5.3.1.4: command line incl. CRLF; SMTPUTF8 and long ESMTP
 * parameters (RFC 1869 s4.1.2) may add to it. */
#define COMMAND_LINE_MAX 512
#define COMMAND_LINE_MAX_EXTENDED 2048

enum smtp_verb {
	VERB_UNKNOWN,
	VERB_HELO,
	VERB_EHLO,
	VERB_MAIL,
	VERB_RCPT,
	VERB_DATA,
	VERB_BDAT,
	VERB_RSET,
	VERB_NOOP,
	VERB_QUIT,
	VERB_VRFY,
	VERB_EXPN,
	VERB_HELP,
	VERB_STARTTLS,
	VERB_AUTH,
	VERB_NOT_IMPLEMENTED, /* TURN, ETRN, ATRN, SEND, SOML, SAML, ... */
};

struct smtp_command {
	enum smtp_verb verb;
	const char *args; /* after the verb and one space; "" if none */
	size_t argslen;
};

/* line excludes the CRLF.  Never fails: unknown verbs are VERB_UNKNOWN. */
void command_split(const char *line, size_t len, struct smtp_command *cmd);

#define ESMTP_PARAMS_MAX 16

struct esmtp_param {
	const char *keyword; /* not NUL-terminated */
	size_t keywordlen;
	const char *value; /* NULL when the parameter has no "=value" */
	size_t valuelen;
};

enum command_status {
	CMD_OK,
	CMD_SYNTAX,        /* "FROM:" / "TO:" missing, junk around the path */
	CMD_ADDR_SYNTAX,   /* the path itself is malformed */
	CMD_ADDR_TOO_LONG, /* RFC 5321 s4.5.3.1 limits */
	CMD_PARAM_SYNTAX,  /* esmtp-param grammar violated / too many */
};

struct path_command {
	struct mailaddr addr;
	struct esmtp_param params[ESMTP_PARAMS_MAX];
	size_t nparams;
};

/* "FROM:<path> params" (is_mail) or "TO:<path> params". */
enum command_status command_parse_path(const char *args, size_t len,
                                       bool is_mail, struct path_command *out);

/* "chunk-size [LAST]" (RFC 3030). */
enum command_status command_parse_bdat(const char *args, size_t len,
                                       size_t *size_r, bool *last_r);

/* True if the keyword of p equals kw, case-insensitively. */
bool esmtp_param_is(const struct esmtp_param *p, const char *kw);

#endif
