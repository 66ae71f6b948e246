/*
 * params — meaning of the ESMTP parameters of MAIL and RCPT:
 * SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID and
 * NOTIFY/ORCPT (RFC 3461, xtext-decoded), AUTH (RFC 4954 s5, xtext-decoded:
 * "<>" or a mailbox, with or without angle brackets).  Pure; the session
 * maps the status to a reply: PARAM_SYNTAX -> 501 5.5.4, PARAM_UNKNOWN ->
 * 555 5.5.4, and decides whether AUTH is allowed and trusted.
 */
#ifndef FERRY_SMTP_PARAMS_H
#define FERRY_SMTP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "queue/envelope.h"
#include "smtp/command.h"

#define ENVID_MAX 100                      /* RFC 3461 s4.4 */
#define ORCPT_MAX 500                      /* RFC 3461 s4.2 */
#define AUTH_PARAM_MAX (ADDR_PATH_MAX + 2) /* as addr_format() needs */

struct mail_options {
	bool has_size;
	size_t size; /* declared SIZE= */
	enum body_type body;
	bool smtputf8;
	bool requiretls; /* RFC 8689 */
	enum dsn_ret ret;
	char envid[ENVID_MAX + 1];     /* decoded; "" when absent */
	bool has_auth;                 /* AUTH= given */
	char auth[AUTH_PARAM_MAX + 1]; /* its mailbox; "" for <> */
};

struct rcpt_options {
	unsigned notify;           /* enum dsn_notify bits, 0 = not given */
	char orcpt[ORCPT_MAX + 1]; /* "rfc822;addr" decoded; "" when absent */
};

enum param_status {
	PARAM_OK,
	PARAM_SYNTAX,  /* known parameter, bad value or duplicate */
	PARAM_UNKNOWN, /* parameter this server does not implement */
};

/* *bad_r is set to the offending parameter on failure. */
enum param_status params_mail(const struct path_command *pc,
                              struct mail_options *o,
                              const struct esmtp_param **bad_r);
enum param_status params_rcpt(const struct path_command *pc,
                              struct rcpt_options *o,
                              const struct esmtp_param **bad_r);

/* RFC 3461 s4 xtext decoding into out (cap octets incl. NUL); -1 on error. */
int xtext_decode(const char *s, size_t len, char *out, size_t cap);

#endif
