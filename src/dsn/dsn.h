/*
 * dsn — delivery status notifications (RFC 3464, RFC 3461, RFC 6522): the
 * bounce, delay warning or success notice ferry sends to a message's
 * sender.  A multipart/report with a human-readable part (what happened,
 * the remote's full reply, what to do — the advice comes from the explain
 * module), a message/delivery-status part (Reporting-MTA, Arrival-Date,
 * per recipient Final-Recipient, Original-Recipient, Action, Status,
 * Remote-MTA, Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until), and
 * the original headers or message per RET (RFC 3461 s4.3), as
 * text/rfc822-headers or message/rfc822.
 *
 * Pure: data in, one message out (CRLF line ends), no I/O.
 */
#ifndef FERRY_DSN_H
#define FERRY_DSN_H

#include <stddef.h>
#include <time.h>

#include "queue/envelope.h"

enum dsn_action {
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
};

struct dsn_recipient {
	const char *final_recipient; /* address the MTA tried */
	const char *orcpt;           /* "rfc822;addr" from ORCPT, or NULL */
	enum dsn_action action;
	const char *status;      /* "5.1.1" */
	const char *remote_mta;  /* host name, or NULL */
	const char *diagnostic;  /* the remote's full reply, or NULL */
	const char *reason;      /* explain reason name, e.g. "userunknown" */
	time_t last_attempt;     /* 0: not given */
	time_t will_retry_until; /* DELAYED only; 0: not given */
};

struct dsn_report {
	const char *reporting_mta; /* our host name */
	const char *envid;         /* RFC 3461 ENVID, or NULL */
	time_t arrival;
	const char *queue_id;
	const char *original_sender; /* becomes To: of the report */
	enum dsn_ret ret;            /* FULL, HDRS, or unspecified (=HDRS) */
	const struct dsn_recipient *rcpts;
	size_t nrcpts;
	time_t now; /* Date: of the report */
};

/*
 * The whole report as an RFC 5322 message, From: MAILER-DAEMON@reporting_mta,
 * to be sent with the null reverse-path.  orig/origlen: the original message
 * as stored.  Returns a heap buffer (free()) and its length in *len_r.
 */
char *dsn_build(const struct dsn_report *r, const char *orig, size_t origlen,
                size_t *len_r);

#endif
