/*
 * bounce.h — read a bounce message and say, per failed recipient, what went
 * wrong.  Standard delivery status notifications (RFC 3464 multipart/report)
 * come first, at any nesting depth and with any line ends or transfer
 * encoding of the status part; then the plain-text formats of common MTAs
 * and providers (qmail, Exim, Postfix, Sendmail, Exchange/Office 365, Gmail,
 * Yahoo); ARF feedback reports (RFC 5965) give reason "feedback" and RFC 3834
 * auto-replies "vacation".  Each recipient's reply goes through the same
 * classifier as `ferry explain` (explain.h).
 *
 * Ownership: the caller owns the struct bounce_report (it is large: put it
 * on the heap or in static storage); every string is inside it.
 * Errors: bounce_parse() accepts any bytes; it returns the number of
 * entries found (0 when the message is not recognised as a bounce).
 * Threading: no global state.
 */
#ifndef FERRY_EXPLAIN_BOUNCE_H
#define FERRY_EXPLAIN_BOUNCE_H

#include <stddef.h>
#include <stdio.h>

#include "explain/explain.h"

#define BOUNCE_MAX_ENTRIES 64
#define BOUNCE_FIELD_MAX 256
#define BOUNCE_DIAG_MAX 1024

struct bounce_entry {
	char recipient[BOUNCE_FIELD_MAX];
	char status[16];                  /* enhanced status, "" if unknown */
	int reply_code;                   /* remote basic code, 0 if unknown */
	char diagnostic[BOUNCE_DIAG_MAX]; /* remote reply text as reported */
	char action[32];                  /* DSN Action: failed, delayed, ... */
	char diag_type[16]; /* Diagnostic-Code type: smtp, x-unix */
	int command;        /* BOUNCE_CMD_*: what the reply answered */
	enum explain_reason reason;
	int hard; /* 1 = hard bounce, 0 = soft */
	char reporting_mta[BOUNCE_FIELD_MAX];
};

/* The SMTP command a remote reply answered, when the bounce says. */
#define BOUNCE_CMD_UNKNOWN 0
#define BOUNCE_CMD_HELO 1
#define BOUNCE_CMD_MAIL 2
#define BOUNCE_CMD_RCPT 3
#define BOUNCE_CMD_DATA 4

struct bounce_report {
	const char *format; /* family: "postfix", "dragonfly", "rfc3464", ... */
	int nentries;
	struct bounce_entry entries[BOUNCE_MAX_ENTRIES];
};

/* Parses msg (len bytes, any content).  Returns report->nentries. */
int bounce_parse(const char *msg, size_t len, struct bounce_report *report);

/* Output: one block per entry, or a JSON list with the keys recipient,
 * status, reply_code, diagnostic, reason, hardbounce, reporting_mta. */
void bounce_print_human(FILE *out, const struct bounce_report *report);
void bounce_print_json(FILE *out, const struct bounce_report *report);

#endif
